"""Club access: the reception check-in by card, and its 30-day log."""
