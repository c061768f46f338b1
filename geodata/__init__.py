"""Region boundaries and the region registry: load, validate, serve, import."""
