"""Accounts, roles and region scope, sign-in protection (argon2id, throttling, audit)."""
