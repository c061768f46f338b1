"""Write path: catalogue and region seeding, imports of published figures, demo data."""
