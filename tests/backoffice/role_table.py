"""Role table entries for back-office routes added after the foundation (one line per route)."""

ALL = {"admin", "accountant", "reception", "marketing", "staff"}
ADMIN = {"admin"}
ALLOWED = {}
