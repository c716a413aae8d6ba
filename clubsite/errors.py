"""Error pages that say what happened in the user's language and leak nothing."""

import logging

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Please go back and try again."),
    ),
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("There is no page at this address.")),
    405: (_l("Not allowed"), _l("This action is not allowed here.")),
    409: (
        _l("Changed meanwhile"),
        _l("Someone else changed this meanwhile. Reload the page and try again."),
    ),
    413: (_l("Too large"), _l("The file is too large.")),
    429: (
        _l("Too many attempts"),
        _l("Too many attempts. Please wait a few minutes and try again."),
    ),
    500: (_l("Something went wrong"), _l("An error occurred on our side. It has been logged.")),
    503: (_l("Temporarily unavailable"), _l("The service is temporarily unavailable.")),
}


def render_error(status, message=None):
    """The error page for a status code, with an optional more specific message."""
    title, default_message = MESSAGES.get(status, MESSAGES[500])
    body = render_template(
        "errors/error.html", status=status, title=title, message=message or default_message
    )
    return body, status


def register_errors(app):
    """Handlers for the HTTP errors the app can raise."""
    for status in MESSAGES:
        if status in (500, 400):
            continue
        app.register_error_handler(status, lambda exc, status=status: render_error(status))

    @app.errorhandler(400)
    def bad_request(_exc):
        return render_error(400)

    @app.errorhandler(CSRFError)
    def csrf_error(_exc):
        return render_error(
            400,
            _l("The form has expired or was sent from elsewhere. Reload the page and try again."),
        )

    @app.errorhandler(500)
    def server_error(exc):
        # Log the exception type only: values in the traceback could hold personal data.
        log.error("unhandled error: %s", type(getattr(exc, "original_exception", exc)).__name__)
        return render_error(500)
