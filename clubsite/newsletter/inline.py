"""The sender inside the web app: one daemon thread per process, started when there is work.

It starts lazily (on Send, Resume, or when a page shows a campaign that is sending), so nothing
runs at import or in the gunicorn master, and it ends when no open delivery is left. Several app
processes may each run one: the row leases keep them from sending the same delivery. For
retries hours later after a restart, also run `flask --app wsgi newsletter send-queued` from cron.
"""

import logging
import threading

from flask import current_app

from clubsite.extensions import db

log = logging.getLogger(__name__)
EXTENSION = "newsletter_inline_sender"


class InlineSender:
    """Owns the background sender thread of one app."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.thread = None

    def ensure(self):
        """Start the thread, or wake it if it is waiting for retries."""
        with self.lock:
            self.wake.set()
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._loop, name="newsletter-sender", daemon=True
                )
                self.thread.start()

    def _sleep(self, seconds):
        self.wake.wait(seconds)
        self.wake.clear()

    def _loop(self):
        from clubsite.newsletter.sender import Sender

        with self.app.app_context():
            while True:
                self.wake.clear()
                try:
                    Sender(sleep=self._sleep).run(wait=True)
                except Exception:  # a stopped thread must not take the web process with it
                    log.exception("newsletter: the inline sender stopped")
                    self.wake.clear()
                finally:
                    db.session.remove()
                with self.lock:
                    # Work queued while we were finishing: go round again instead of exiting.
                    if not self.wake.is_set():
                        self.thread = None
                        return


def ensure_inline_sender():
    """Start (or wake) the app's inline sender if NEWSLETTER_INLINE_SENDER is on."""
    app = current_app._get_current_object()
    if not app.config.get("NEWSLETTER_INLINE_SENDER"):
        return False
    inline = app.extensions.get(EXTENSION)
    if inline is None:
        inline = app.extensions.setdefault(EXTENSION, InlineSender(app))
    inline.ensure()
    return True
