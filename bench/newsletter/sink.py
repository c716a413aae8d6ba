"""An SMTP sink for the newsletter bench: aiosmtpd on 127.0.0.1 in a process of its own.

It records, per Subject, how many copies each recipient got, how many messages lacked an
intact one-click header pair (an unfolded List-Unsubscribe with an https/http link and a mailto,
and List-Unsubscribe-Post), and when the first and the last message arrived (time.monotonic(),
so a rate can be read off the sink without counting the sender's start-up). The parent talks
to it over a pipe: "report", "reset", "stop".
"""

import re
import time
from collections import Counter, defaultdict

SUBJECT_RE = re.compile(rb"^Subject: ([^\r\n]*)\r\n", re.M)
ONE_CLICK_RE = re.compile(
    rb"\r\nList-Unsubscribe: <https?://[^>\s]+/u/[A-Za-z0-9_.-]+>, <mailto:[^>\s]+>\r\n"
)
POST_HEADER = b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"


class SinkHandler:
    """Counts what arrives; keeps no message bodies."""

    def __init__(self):
        self.received = defaultdict(Counter)
        self.broken = Counter()
        self.arrived = {}  # subject -> [first, last] arrival (monotonic seconds)

    async def handle_DATA(self, server, session, envelope):
        """Accept the message and record recipient, subject and header check."""
        raw = envelope.content
        match = SUBJECT_RE.search(raw)
        subject = match.group(1).decode("ascii", "replace") if match else ""
        head = b"\r\n" + raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"
        if not (ONE_CLICK_RE.search(head) and POST_HEADER in head):
            self.broken[subject] += 1
        for rcpt in envelope.rcpt_tos:
            self.received[subject][rcpt] += 1
        now = time.monotonic()
        self.arrived.setdefault(subject, [now, now])[1] = now
        return "250 OK"


def run_sink(port, conn):
    """Process entry point: serve until told to stop, answering reports over the pipe."""
    from aiosmtpd.controller import Controller

    handler = SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    conn.send("ready")
    while True:
        command = conn.recv()
        if command == "report":
            conn.send(
                {
                    "received": {s: dict(c) for s, c in handler.received.items()},
                    "broken": dict(handler.broken),
                    "arrived": {s: tuple(span) for s, span in handler.arrived.items()},
                }
            )
        elif command == "reset":
            handler.received.clear()
            handler.broken.clear()
            handler.arrived.clear()
            conn.send("ok")
        else:
            break
    controller.stop()
