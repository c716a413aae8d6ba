"""Encrypted backups, verified restores, and moving a club to PostgreSQL."""
