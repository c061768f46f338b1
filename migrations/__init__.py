"""Alembic migrations of the indicator store."""
