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
    once: only events after the last withdrawal or objection (the stop) count; the first
    'given' among them makes the consent pending, and a 'confirmed' after that makes it active
    (a later 'given' keeps it active). Without a 'given' the last withdrawal or objection
    stands. tests/newsletter/test_audience.py checks it against fold_state.

    One pass over the ledger gives each member's last withdrawal, last objection, first and
    last 'given' and last 'confirmed'. The first 'given' after the stop is the first 'given' of
    all unless that one came before the stop; only then (someone who opted in again after
    withdrawing) is it looked up, for that member alone, along the ledger's index.
    """
    event = ConsentEvent

    def last(kind):
        return func.max(case((event.kind == kind, event.id)))

    per_member = select(
        event.member_id,
        func.coalesce(last("withdrawn"), 0).label("withdrawn_id"),
        func.coalesce(last("objected"), 0).label("objected_id"),
        func.min(case((event.kind == "given", event.id))).label("first_given_id"),
        last("given").label("last_given_id"),
        last("confirmed").label("confirmed_id"),
    ).where(event.purpose == purpose_id)
    if member_ids is not None:
        per_member = per_member.where(event.member_id.in_(member_ids))
    ids = per_member.group_by(event.member_id).subquery()
    withdrew_last = ids.c.withdrawn_id > ids.c.objected_id
    stop = case((withdrew_last, ids.c.withdrawn_id), else_=ids.c.objected_id)  # 0: none
    later = aliased(ConsentEvent)
    first_given_after_stop = case(
        (ids.c.first_given_id > stop, ids.c.first_given_id),
        else_=select(func.min(later.id))
        .where(
            later.member_id == ids.c.member_id,
            later.purpose == purpose_id,
            later.kind == "given",
            later.id > stop,
        )
        .scalar_subquery(),
    )
    # Nested CASEs, not AND: the look-up runs only for members with a 'given' after the stop.
    state = case(
        (
            ids.c.last_given_id > stop,
            case((ids.c.confirmed_id > first_given_after_stop, "active"), else_="pending"),
        ),
        (stop > 0, case((withdrew_last, "withdrawn"), else_="objected")),
        else_="none",
    )
    return select(ids.c.member_id, state.label("state")).subquery()


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
        select(  # in this order: judge() unpacks the rows by position
            Member.id,
            Member.public_id,
            Member.language,
            Member.email_enc,
            Member.first_name_enc,
            Member.email_bidx,
            Member.email_suppression_hash,
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


def decide(state, gives_email, email_enc, legal_basis, access_id, about_existing_services):
    """The reason a candidate is included or left out (before the suppression check), from the
    candidate's columns: ledger state, whether its enrolment's fields hold the address, the
    address, the enrolment's legal basis and its ongoing access enrolment (or None)."""
    state = state or "none"
    if not gives_email or email_enc is None:
        return "no_newsletter_email"
    if state == "active":
        return "consent"
    if state in ("pending", "withdrawn", "objected"):
        return state
    if legal_basis != "legitimate_interest" or access_id is None:
        return "not_current_member"
    return "soft_opt_in" if about_existing_services else "not_this_newsletter"


def _field_check(name):
    """fields text -> whether it lists `name`; an audience has only a few distinct texts."""
    known = {}

    def check(fields):
        found = known.get(fields)
        if found is None:
            found = known[fields] = name in fields.split(",")
        return found

    return check


def _reasons(about_existing_services):
    """decide() for one audience, remembered per distinct input: it depends only on the ledger
    state, the enrolment's fields and legal basis and whether the address and an ongoing access
    enrolment exist, and an audience has only a handful of those combinations."""
    gives_email = _field_check("email")
    known = {}
    marker = b""  # decide() only asks whether the address is there

    def reason_of(state, fields, no_email, basis, no_access):
        key = (state, fields, no_email, basis, no_access)
        reason = known.get(key)
        if reason is None:
            reason = known[key] = decide(
                state,
                gives_email(fields),
                None if no_email else marker,
                basis,
                None if no_access else 0,
                about_existing_services,
            )
        return reason

    return reason_of


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
    # all() fetches each chunk in one go: iterating the result fetches row by row, which costs
    # about as much as running the query.
    rows = [
        row
        for chunk in chunks
        for row in connection.execute(_candidates_query(now, chunk, tuple(narrow))).all()
    ]
    return rows, _suppressed_hashes(), _undeliverable_indexes()


def judge(candidates, about_existing_services, *, addresses=False):
    """Decide each candidate. Addresses are checked against the suppression list by the hash
    stored beside them, so only included members' addresses are decrypted, and only when the
    sender needs them (addresses) or an address has no stored hash (then it is hashed here).
    An included address that cannot be decrypted (damaged, noted) can be neither checked nor
    mailed: it counts as no newsletter address. (Without decrypting, a damaged address is only
    found when the sender judges again with addresses: it then cancels that delivery.)

    Rows are unpacked by position (the columns of _candidates_query, in order): for an audience
    of tens of thousands, reading a row's columns by name costs more than deciding it."""
    rows, suppressed, undeliverable = candidates
    audience = Audience()
    counts = audience.counts
    recipients = audience.recipients
    gives_name = _field_check("first_name")
    check = bool(suppressed)
    # The key ring is looked up once for the whole audience, not per address.
    read_email = store.reader("email") if addresses or check else None
    read_name = store.reader("first_name") if addresses else None
    suppression_hash = consent.address_hasher() if check else None
    reason_of = _reasons(about_existing_services)
    for row in rows:
        (member_id, public_id, language, email_enc, name_enc, email_bidx, hashed, basis, fields,
         state, access_id) = row  # fmt: skip
        reason = reason_of(state, fields, email_enc is None, basis, access_id is None)
        if reason not in INCLUDED:
            counts[reason] += 1
            continue
        if undeliverable and email_bidx in undeliverable:
            counts["undeliverable"] += 1
            continue
        email = None
        if addresses or (check and hashed is None):
            email = read_email(public_id, email_enc)
            if email is None:
                counts["no_newsletter_email"] += 1
                continue
        if check:
            if hashed is None:  # written before the hash was kept, or by a path that missed it
                hashed = suppression_hash(email)
            if hashed in suppressed:
                counts["suppressed"] += 1
                continue
        if not addresses:
            email = None
        name = None
        if read_name is not None and gives_name(fields):
            name = read_name(public_id, name_enc)
        counts[reason] += 1
        recipients.append(Recipient(member_id, public_id, email, name, language, reason))
    return audience


def _suppressed_hashes():
    """Every suppressed address hash (the list is small; one query beats one per member)."""
    return set(db.session.scalars(select(Suppression.address_hash)))


def _undeliverable_indexes():
    """The blind indexes of every address marked undeliverable (a short list)."""
    return set(db.session.scalars(select(UndeliverableAddress.address_bidx)))
