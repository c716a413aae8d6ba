"""Who may receive a newsletter: decided here, once, from the consent ledger and the purposes.

A member receives a newsletter when all of these hold:
- they are enrolled in the `newsletter` purpose and gave their email address FOR it (an address
  given only for fees or bookings is never used for marketing);
- their newsletter consent is active (given and confirmed), or the newsletter is about services
  they already use, they are a current member (an ongoing `access` purpose), enrolled on
  legitimate interest, and have neither objected nor withdrawn (the soft opt-in);
- their address is not on the suppression list;
- and, to keep mail from bouncing, their address is not marked undeliverable (a mail server
  refused it for good: clubsite.newsletter.undeliverable).
Erased members do not exist any more, so they are never selected. A campaign's segment
(clubsite.newsletter.segments) only adds conditions to the candidate query (`narrow`): it can
leave lawful recipients out, never let anyone else in.

States come from the ledger set-based (one query for all members), with the same meaning as
clubsite.privacy.consent.fold_state, so the compose page stays quick at 100,000 members.
"""

from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import NamedTuple

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.newsletter.models import UndeliverableAddress
from clubsite.privacy import consent
from clubsite.privacy import fields as store
from clubsite.privacy.models import ConsentEvent, Member, MemberPurpose, Suppression

PURPOSE = "newsletter"
INCLUDED = ("consent", "soft_opt_in")
EXCLUDED = (
    "pending",
    "withdrawn",
    "objected",
    "suppressed",
    "undeliverable",
    "not_current_member",
    "not_this_newsletter",
    "no_newsletter_email",
)
CHUNK = 500
STOP_KINDS = ("withdrawn", "objected")


class Recipient(NamedTuple):
    """A lawful recipient; with addresses=True their address given for the newsletter and the
    first name (only if given for the newsletter) to greet them by. (A tuple: an audience of
    tens of thousands is built in a loop, and a frozen dataclass costs several times more.)"""

    member_id: int
    public_id: str
    email: str
    first_name: str | None
    language: str
    basis: str


@dataclass
class Audience:
    """The lawful recipients and, per reason, how many members were included or left out."""

    recipients: list = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    @property
    def size(self):
        """How many members would receive the newsletter."""
        return len(self.recipients)

    def summary(self):
        """Counts only (never who): reason -> number, for staff pages."""
        return {reason: self.counts.get(reason, 0) for reason in (*INCLUDED, *EXCLUDED)}


def consent_states(purpose_id=PURPOSE, member_ids=None):
    """A subquery of (member_id, state) for every member with ledger events for the purpose.

    Exactly clubsite.privacy.consent.fold_state, computed by the database for all members at
    once (two passes over the ledger): only events after the last withdrawal or objection
    count; the first 'given' among them makes the consent pending, and a 'confirmed' after that
    makes it active (a later 'given' keeps it active). Without a 'given' the last withdrawal or
    objection stands. tests/newsletter/test_audience.py checks it against fold_state.
    """
    event = ConsentEvent

    def ledger(*columns):
        query = select(event.member_id, *columns).where(event.purpose == purpose_id)
        if member_ids is not None:
            query = query.where(event.member_id.in_(member_ids))
        return query

    last_stop = func.max(case((event.kind.in_(STOP_KINDS), event.id)))
    stops = ledger(last_stop.label("stop_id")).group_by(event.member_id).subquery()
    after = (
        ledger(
            func.min(case((event.kind == "given", event.id))).label("given_id"),
            func.max(case((event.kind == "confirmed", event.id))).label("confirmed_id"),
        )
        .join(stops, stops.c.member_id == event.member_id)
        .where(event.id > func.coalesce(stops.c.stop_id, 0))
        .group_by(event.member_id)
        .subquery()
    )
    stop_event = aliased(ConsentEvent)
    state = case(
        (and_(after.c.given_id.is_not(None), after.c.confirmed_id > after.c.given_id), "active"),
        (after.c.given_id.is_not(None), "pending"),
        (stop_event.id.is_not(None), stop_event.kind),
        else_="none",
    )
    return (
        select(stops.c.member_id, state.label("state"))
        .outerjoin(after, after.c.member_id == stops.c.member_id)
        .outerjoin(stop_event, stop_event.id == stops.c.stop_id)
        .subquery()
    )


def _candidates_query(now, member_ids=None, narrow=()):
    """Members enrolled in the newsletter, with their ledger state and current-member flag
    (only those meeting every `narrow` condition on Member: a segment)."""
    enrolment = aliased(MemberPurpose)
    access = aliased(MemberPurpose)
    states = consent_states(PURPOSE, member_ids)
    current = and_(
        access.member_id == Member.id,
        access.purpose == "access",
        or_(access.ends_at.is_(None), access.ends_at > now),
    )
    query = (
        select(
            Member.id,
            Member.public_id,
            Member.language,
            Member.email_enc,
            Member.first_name_enc,
            Member.email_bidx,
            enrolment.legal_basis,
            enrolment.fields,
            states.c.state,
            access.id.label("access_id"),
        )
        .join(enrolment, and_(enrolment.member_id == Member.id, enrolment.purpose == PURPOSE))
        .outerjoin(states, states.c.member_id == Member.id)
        .outerjoin(access, current)
        .where(*narrow)
        .order_by(Member.id)
    )
    if member_ids is not None:
        query = query.where(Member.id.in_(member_ids))
    return query


def decide(row, about_existing_services):
    """The reason a candidate is included or left out (before the suppression check)."""
    state = row.state or "none"
    if "email" not in row.fields.split(",") or row.email_enc is None:
        return "no_newsletter_email"
    if state == "active":
        return "consent"
    if state in ("pending", "withdrawn", "objected"):
        return state
    if row.legal_basis != "legitimate_interest" or row.access_id is None:
        return "not_current_member"
    return "soft_opt_in" if about_existing_services else "not_this_newsletter"


def select_audience(newsletter, *, member_ids=None, now=None, addresses=False, narrow=()):
    """The newsletter's lawful audience now (optionally only among member_ids, and only those
    meeting the `narrow` conditions of its segment), with reasons."""
    return audience_for(
        newsletter.about_existing_services,
        member_ids=member_ids,
        now=now,
        addresses=addresses,
        narrow=narrow,
    )


def audience_for(about_existing_services, *, member_ids=None, now=None, addresses=False, narrow=()):
    """The lawful audience of a newsletter of this kind, with a count per reason; recipients
    carry their address and greeting name only when asked for (addresses=True)."""
    candidates = fetch_candidates(member_ids=member_ids, now=now, narrow=narrow)
    return judge(candidates, about_existing_services, addresses=addresses)


def fetch_candidates(*, member_ids=None, now=None, narrow=()):
    """The database part: candidate rows, the suppression list and the undeliverable marks
    (callers may then end the read transaction before the slower decryption in judge())."""
    now = now or utcnow()
    ids = None if member_ids is None else sorted(set(member_ids))
    chunks = [None] if ids is None else [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]
    # On the session's connection, past the ORM: its layer nearly doubles the time for the
    # tens of thousands of plain rows of a large audience (bench/segment_bench.py).
    connection = db.session.connection()
    rows = [
        row
        for chunk in chunks
        for row in connection.execute(_candidates_query(now, chunk, tuple(narrow)))
    ]
    return rows, _suppressed_hashes(), _undeliverable_indexes()


def judge(candidates, about_existing_services, *, addresses=False):
    """Decide each candidate. Only included members' addresses are decrypted, and only when
    there is a suppression list to check them against or the sender needs them (addresses)."""
    rows, suppressed, undeliverable = candidates
    audience = Audience()
    counts = audience.counts
    included = []
    for row in rows:
        reason = decide(row, about_existing_services)
        if reason in INCLUDED and undeliverable and row.email_bidx in undeliverable:
            reason = "undeliverable"
        if reason in INCLUDED:
            included.append((row, reason))
        else:
            counts[reason] += 1
    check = bool(suppressed)
    email_only = ["email"] if addresses or check else []
    recipients = audience.recipients
    for row, reason in included:
        greet = addresses and "first_name" in row.fields.split(",")
        values = _read_row(row, email_only + ["first_name"] if greet else email_only)
        if check and consent.address_hash(values["email"]) in suppressed:
            counts["suppressed"] += 1
            continue
        counts[reason] += 1
        email = values.get("email") if addresses else None
        recipients.append(
            Recipient(row.id, row.public_id, email, values.get("first_name"), row.language, reason)
        )
    return audience


def _read_row(row, names):
    """Decrypt some of a candidate's fields (email, first name) from the selected columns."""
    if not names:
        return {}
    stub = SimpleNamespace(
        public_id=row.public_id, email_enc=row.email_enc, first_name_enc=row.first_name_enc
    )
    return store.read(stub, names)


def _suppressed_hashes():
    """Every suppressed address hash (the list is small; one query beats one per member)."""
    return set(db.session.scalars(select(Suppression.address_hash)))


def _undeliverable_indexes():
    """The blind indexes of every address marked undeliverable (a short list)."""
    return set(db.session.scalars(select(UndeliverableAddress.address_bidx)))
