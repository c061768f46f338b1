"""Indicator store: tables, read queries and Polars roll-ups (no Dash imports)."""
