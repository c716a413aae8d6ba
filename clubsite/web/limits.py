"""Rate limits of back-office actions, counted per staff account rather than per address.

Member search answers with who exists, so a staff account may only search so often: a
colleague's stolen session or a curious script cannot walk the member list through the box.
"""

from flask import current_app
from flask_login import current_user

from clubsite.extensions import client_address, limiter

MEMBER_SEARCH_DEFAULT = "30 per minute; 600 per day"


def staff_account_key():
    """The rate-limit key: the staff member's public id (the client address before login)."""
    if current_user.is_authenticated:
        return f"staff:{current_user.get_id()}"
    return f"address:{client_address()}"


def _member_search_limit():
    return current_app.config.get("MEMBER_SEARCH_RATE_LIMIT") or MEMBER_SEARCH_DEFAULT


# One budget for every page that searches members by what staff type (a POST).
member_search_limit = limiter.shared_limit(
    _member_search_limit, scope="member-search", key_func=staff_account_key, methods=["POST"]
)
