"""Redirect targets that stay on this site."""

from urllib.parse import urlsplit


def safe_next(target, default="/"):
    """The target if it is a path on this site, else the default (no open redirects)."""
    if not target or len(target) > 500:
        return default
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
