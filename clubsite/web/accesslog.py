"""A gunicorn logger that keeps the secrets of mailed links out of the logs.

Confirmation, "My data", new-address, unsubscribe and staff set-up links carry their token in
the path (/apstiprinat/<token>): whoever reads an access log must not be able to use them.
gunicorn runs with `--logger-class clubsite.web.accesslog.TokenMaskingLogger` (the Makefile's
`run` target, docs/deploy.md); every value an access-log line can show (request line, path,
query, referrer, headers) and every argument of an error-log message has each long,
token-like path segment or parameter value replaced by "…":

    GET /apstiprinat/eyJtIjoiNmYz…LkZ4Qw  ->  GET /apstiprinat/…

Token-like: at least 20 characters of the URL-safe alphabet (letters, digits, - _ . ~) with a
digit, a capital letter, "_" or "." among them, so the site's own word slugs (lower-case words
and hyphens) stay readable. Members' public ids (UUIDs) in back-office paths are masked as well.
"""

import re

from gunicorn.glogging import Logger

MASK = "…"
TOKEN = re.compile(
    r"(?<=[/=])"  # a path segment or a parameter value
    r"(?=[A-Za-z0-9_.~-]*[0-9A-Z_.])"  # with something a word slug never has
    r"[A-Za-z0-9_.~-]{20,}=*"
    r"(?=$|[/?&#;,\s\"'<>])"
)


def mask_tokens(text):
    """The text with every token-like path segment or parameter value replaced by "…"."""
    return TOKEN.sub(MASK, text)


def _masked(value):
    return mask_tokens(value) if isinstance(value, str) else value


class TokenMaskingLogger(Logger):
    """gunicorn's logger, with link tokens masked in the access and the error log."""

    def atoms(self, resp, req, environ, request_time):
        """The access-log values, masked."""
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: _masked(value) for name, value in atoms.items()}

    def _log(self, level, msg, args, kwargs):
        getattr(super(), level)(_masked(msg), *[_masked(a) for a in args], **kwargs)

    def critical(self, msg, *args, **kwargs):
        """A critical message, masked."""
        self._log("critical", msg, args, kwargs)

    def error(self, msg, *args, **kwargs):
        """An error message ("Error handling request /apstiprinat/…"), masked."""
        self._log("error", msg, args, kwargs)

    def warning(self, msg, *args, **kwargs):
        """A warning, masked."""
        self._log("warning", msg, args, kwargs)

    def info(self, msg, *args, **kwargs):
        """An info message, masked."""
        self._log("info", msg, args, kwargs)

    def debug(self, msg, *args, **kwargs):
        """A debug message, masked."""
        self._log("debug", msg, args, kwargs)

    def exception(self, msg, *args, **kwargs):
        """An error with its traceback, masked (the traceback itself names no path)."""
        self._log("exception", msg, args, kwargs)

    def log(self, lvl, msg, *args, **kwargs):
        """A message at any level, masked."""
        super().log(lvl, _masked(msg), *[_masked(a) for a in args], **kwargs)
