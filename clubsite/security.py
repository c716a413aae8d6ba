"""Security headers on every response, and no caching of anything personal."""

import hashlib

from flask import g, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
# The check-in page reads QR cards with the camera (allow_camera); nothing else may use it.
CAMERA_PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(), interest-cohort=()"

# Only static assets may be cached; every page may show personal data or a CSRF token.
CACHEABLE_PREFIXES = ("/static/",)


def set_security_headers(response):
    """Add CSP, nosniff, referrer, framing and (over HTTPS) HSTS headers; forbid caching."""
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    camera = g.get("camera_allowed", False)
    headers["Permissions-Policy"] = CAMERA_PERMISSIONS_POLICY if camera else PERMISSIONS_POLICY
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if not request.path.startswith(CACHEABLE_PREFIXES):
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def allow_camera():
    """Let the page of this response use the camera (same origin only)."""
    g.camera_allowed = True


def register_security(app):
    """Install the header hook."""
    app.after_request(set_security_headers)


def token_hash(token):
    """The SHA-256 of a secret token: what the database keeps of session and link tokens."""
    return hashlib.sha256(token.encode()).hexdigest()
