"""Stateless component factories for the pages."""
