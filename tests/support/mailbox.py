"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 at a random free port."""

import email
import email.policy
import socket
import threading
import time

from aiosmtpd.controller import Controller


def free_port():
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, box):
        self.box = box

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.box.reply_for(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.box.lock:
            self.box.messages.append(
                {
                    "from": envelope.mail_from,
                    "to": list(envelope.rcpt_tos),
                    "raw": envelope.content,
                    "message": message,
                }
            )
        return "250 Message accepted"


class Mailbox:
    """Collects every message the app sends; can answer 4xx/5xx for chosen recipients.

    `deliver` runs the outbox job (what the job runner does every few seconds): the app only
    writes mail into its outbox, so `flush()` and `wait_for()` send what waits there first.
    """

    def __init__(self, deliver=None):
        self.deliver = deliver
        self.messages = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.replies = {}  # address -> list of replies to give before accepting
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def reply_for(self, address):
        with self.lock:
            queue = self.replies.get(address)
            if queue:
                return queue.pop(0) if len(queue) > 1 or not queue[0].startswith("5") else queue[0]
        return None

    def to(self, address):
        """Messages addressed to this recipient."""
        with self.lock:
            return [m for m in self.messages if address in m["to"]]

    def flush(self):
        """Send what waits in the app's outbox now, as the job runner would."""
        if self.deliver is not None:
            self.deliver()

    def wait_for(self, count, timeout=10):
        """Run the outbox job until at least count messages arrived; return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.flush()
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")


def text_body(message):
    """The plain-text part of a message."""
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""
