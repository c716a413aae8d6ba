"""The sending engine: drains the delivery queue, apart from any web handler.

It talks to storage only through DeliveryStore (claim a batch under a lease, record outcomes).
Each batch goes over ONE reused mail connection at a configurable rate. A temporary refusal
(4xx) is retried with growing delays; a permanent one (5xx) is recorded, never retried, and
marks the address undeliverable for every purpose's mail (undeliverable.py). Each
message the server took is recorded as sent before the next one can become final (see smtp.py),
so a sender killed mid-batch leaves its unsent rows leased: when the lease runs out they are
claimed again, and at most the one message in flight at the moment of the kill arrives twice.

Before sending, every claimed recipient is checked again with the audience rule: someone who
unsubscribed, was suppressed or erased after Send was pressed is not mailed.
"""

import logging
import smtplib
import time
from collections import Counter
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.jobs import Every, job
from clubsite.jobs.lease import moving_clock, owner_id
from clubsite.mail import MailError
from clubsite.newsletter import tokens, undeliverable
from clubsite.newsletter.audience import INCLUDED, fetch_candidates, judge
from clubsite.newsletter.message import AddressError, UnsafeSubject, prepare
from clubsite.newsletter.models import Newsletter
from clubsite.newsletter.smtp import MailLine, Pending, envelope_sender, exchange
from clubsite.newsletter.store import DeliveryStore

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 120
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_RETRY_DELAYS = (60, 300, 1800, 7200)  # after the 1st, 2nd, 3rd, 4th+ temporary refusal
RECONNECT_DELAY = 30
STATUS_CHECK_SECONDS = 1.0
LEASED_POLL_SECONDS = 1.0
IDLE_POLL_SECONDS = 30.0


@job("newsletter", Every(5, "NEWSLETTER_EVERY_SECONDS"), _l("Sending newsletters"))
def send_newsletters(now):
    """The job runner's newsletter sender: everything due now, then back to the runner."""
    report = Sender(clock=moving_clock(now)).run()
    return {key: report[key] for key in ("sent", "retry", "failed", "cancelled")}


class Sender:
    """Drains due deliveries of sending campaigns, batch by batch.

    The queue is written through a connection of its own: start it with no transaction open in
    the calling thread (on SQLite a reader's BEGIN IMMEDIATE would hold the only write lock).
    """

    def __init__(self, *, batch_size=None, rate=None, clock=utcnow, on_result=None, sleep=None):
        config = current_app.config
        self.batch_size = int(batch_size or config["NEWSLETTER_BATCH_SIZE"])
        rate = config["NEWSLETTER_RATE_PER_SECOND"] if rate is None else rate
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        lease = config.get("NEWSLETTER_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)
        self.renew_every = lease / 3
        self.max_attempts = config.get("NEWSLETTER_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)
        self.delays = tuple(config.get("NEWSLETTER_RETRY_DELAYS", DEFAULT_RETRY_DELAYS))
        self.store = DeliveryStore(owner_id(), lease)
        self.clock = clock
        self.on_result = on_result or (lambda outcome: None)
        self.sleep = sleep or time.sleep
        self.sign = tokens.signer()
        self.envelope = envelope_sender(config["MAIL_FROM"])
        self.prepared = {}
        self.report = Counter()
        self.next_slot = 0.0
        self.line = MailLine()  # one mail connection, kept from batch to batch

    def run(self, *, wait=False):
        """Send everything due now; with wait, keep going until no open delivery is left."""
        try:
            self._drain(wait)
        finally:
            self.line.close()
            self.store.close()
        return self.report

    def _drain(self, wait):
        while self.run_batch():
            pass
        while wait:
            due = self.store.next_due()
            if due is None:
                break
            when, leased = due
            pause = (as_utc(when) - self.clock()).total_seconds()
            self.line.close()  # no idle connection while waiting
            # Rows another sender holds are usually done in moments: look again soon.
            self.sleep(min(max(pause, 0.2), LEASED_POLL_SECONDS if leased else IDLE_POLL_SECONDS))
            while self.run_batch():
                pass

    def run_batch(self):
        """Claim one batch and send it; returns how many deliveries were claimed."""
        claims = self.store.claim(self.batch_size, self.clock())
        if claims:
            work = self._recipients(claims)
            if work:
                self._send(work)
        self.store.finish_campaigns(self.clock())
        return len(claims)

    def _recipients(self, claims):
        """Pair each claim with its recipient as of now; cancel the ones who may not be mailed."""
        work, cancelled = [], {"erased": [], "not_eligible": []}
        member_ids = [c.member_id for c in claims if c.member_id is not None]
        candidates = fetch_candidates(member_ids=member_ids)
        newsletters = {
            nid: db.session.get(Newsletter, nid) for nid in {c.newsletter_id for c in claims}
        }
        soft, unusable = {}, set()
        for newsletter_id, newsletter in newsletters.items():
            soft[newsletter_id] = newsletter.about_existing_services
            try:
                for language in newsletter.languages:
                    for basis in INCLUDED:
                        self._prepared(newsletter, language, basis)
            except UnsafeSubject:  # a draft saved before subjects were checked
                unusable.add(newsletter_id)
        # End the read transaction (on SQLite it holds the write lock); touch no row after it.
        db.session.commit()
        if unusable:
            # Failed for good and shown, rather than a batch that fails again every time.
            failed = [c.id for c in claims if c.newsletter_id in unusable]
            log.warning("newsletter: %d deliveries failed: unusable subject", len(failed))
            self.store.fail(failed, "subject_unusable")
            self._count("failed", len(failed))
        for newsletter_id in sorted(newsletters.keys() - unusable):
            group = [c for c in claims if c.newsletter_id == newsletter_id]
            audience = judge(candidates, soft[newsletter_id], addresses=True)
            eligible = {r.member_id: r for r in audience.recipients}
            for claim in group:
                recipient = eligible.get(claim.member_id)
                if claim.member_id is None:
                    cancelled["erased"].append(claim.id)
                elif recipient is None:
                    cancelled["not_eligible"].append(claim.id)
                else:
                    work.append((claim, recipient))
        for code, ids in cancelled.items():
            self.store.cancel(ids, code)
            self._count("cancelled", len(ids))
        return work

    def _prepared(self, newsletter, language, basis):
        """Render each campaign version once per sender."""
        key = (newsletter.id, language, basis)
        if key not in self.prepared:
            self.prepared[key] = prepare(newsletter, language, basis)
        return self.prepared[key]

    def _send(self, work):
        """Send a batch over one connection, honouring pause and cancel as they happen."""
        try:
            transport = self.line.open()
        except MailError as exc:
            log.warning("newsletter: cannot connect to the mail server (%s)", type(exc).__name__)
            self._release([claim.id for claim, _ in work], RECONNECT_DELAY)
            return
        halted, leftover = {}, {"paused": [], "cancelled": []}
        checked = renewed = time.monotonic()
        pending = Pending(self.store, self.clock)
        try:
            for index, (claim, recipient) in enumerate(work):
                if time.monotonic() - checked > STATUS_CHECK_SECONDS:
                    halted = self._halted({c.newsletter_id for c, _ in work})
                    checked = time.monotonic()
                if claim.newsletter_id in halted:
                    leftover[_halt_kind(halted[claim.newsletter_id])].append(claim.id)
                    continue
                if time.monotonic() - renewed > self.renew_every:
                    self.store.renew([c.id for c, _ in work[index:]], self.clock())
                    renewed = time.monotonic()
                self._throttle()
                if self._deliver(transport, claim, recipient, pending) == "connection_lost":
                    self.line.close()
                    self._release([c.id for c, _ in work[index + 1 :]], RECONNECT_DELAY)
                    break
        except BaseException:
            self.line.close()
            raise
        finally:
            pending.finish()
        self.store.release(leftover["paused"], self.clock())
        self.store.cancel(leftover["cancelled"], "campaign_cancelled")
        self._count("cancelled", len(leftover["cancelled"]))

    def _halted(self, newsletter_ids):
        statuses = self.store.campaign_statuses(newsletter_ids)
        return {nid: status for nid, status in statuses.items() if status != "sending"}

    def _deliver(self, transport, claim, recipient, pending):
        """Send one message; the previous one is recorded before this one can be final."""
        prepared = self.prepared[(claim.newsletter_id, claim.language, recipient.basis)]
        try:
            data = prepared.personalise(
                recipient.email, recipient.first_name, claim.public_id, self.sign
            )
        except AddressError:
            pending.finish()
            self.store.mark_failed(claim.id, "address_unusable")
            return self._count("failed")
        connection = getattr(transport, "connection", None)
        try:
            if isinstance(connection, smtplib.SMTP):
                exchange(
                    connection, self.envelope, recipient.email, data,
                    started=pending.start, before_final=pending.finish,
                )  # fmt: skip
            else:  # the file transport: nothing on a wire
                pending.finish()
                transport.send(data, [recipient.email])
        except MailError as exc:
            pending.finish()
            return self._refused(claim, exc, recipient)
        pending.hold(claim)
        return self._count("sent")

    def _refused(self, claim, exc, recipient):
        """Retry a temporary refusal later (growing delays); record a permanent one, and for a
        5xx mark the address undeliverable (clubsite.newsletter.undeliverable)."""
        code = f"smtp_{exc.code}" if exc.code else "connection"
        if exc.temporary and claim.attempts < self.max_attempts:
            delay = self.delays[min(claim.attempts, len(self.delays)) - 1]
            self.store.mark_retry(claim.id, code, self.clock() + timedelta(seconds=delay))
            outcome = self._count("retry")
        elif not exc.temporary and undeliverable.is_permanent_refusal(exc.code):
            mark = undeliverable.mark_values(
                recipient.email, recipient.member_id, code, claim.newsletter_id, self.clock()
            )
            self.store.mark_undeliverable(claim.id, code, mark)
            outcome = self._count("failed")
        else:
            self.store.mark_failed(claim.id, code)
            outcome = self._count("failed")
        log.info("newsletter: delivery %s refused (%s)", claim.public_id, code)
        return "connection_lost" if exc.code in (None, 421) else outcome

    def _release(self, ids, delay):
        self.store.release(ids, self.clock() + timedelta(seconds=delay))

    def _throttle(self):
        """Keep to the configured rate (messages per second, per sender)."""
        if not self.interval:
            return
        now = time.monotonic()
        if self.next_slot > now:
            time.sleep(self.next_slot - now)
        self.next_slot = max(self.next_slot, now) + self.interval

    def _count(self, outcome, number=1):
        if number:
            self.report[outcome] += number
            for _ in range(number):
                self.on_result(outcome)
        return outcome


def _halt_kind(status):
    return "cancelled" if status == "cancelled" else "paused"
