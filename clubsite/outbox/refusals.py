"""Recipients the outbox must not mail, as the areas that know say, checked right before sending.

The outbox knows nothing about why an address should not be mailed; an area that does registers
a check from its init_app with `register_refusal(app, func)`. `func(recipient, message_id)`
returns a short error code (never the address) to fail the message for good with, or None.
The newsletter registers one for addresses a mail server refused for good (5xx), so no
purpose's mail keeps bouncing off them (clubsite.newsletter.undeliverable).
"""

from flask import current_app

_EXTENSION = "clubsite.outbox.refusals"


def register_refusal(app, func):
    """Let func(recipient, message_id) -> code or None stop a message before it is sent."""
    checks = app.extensions.setdefault(_EXTENSION, [])
    if func not in checks:
        checks.append(func)


def refusal(recipient, message_id):
    """The code the first registered check refuses this recipient with, or None to send."""
    for check in current_app.extensions.get(_EXTENSION, ()):
        code = check(recipient, message_id)
        if code:
            return code
    return None
