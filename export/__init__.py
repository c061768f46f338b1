"""Exports of tables (CSV and XLSX) for report writers, checked against the account's scope."""
