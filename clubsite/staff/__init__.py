"""Staff accounts and their login."""
