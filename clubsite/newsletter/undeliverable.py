"""Addresses mail cannot reach: a newsletter delivery refused for good (5xx) marks the address.

Chosen: a mark keyed by the address's blind index (UndeliverableAddress), not a flag on the
member. The mark belongs to the address, not to the person: correcting the address (by staff,
or by the member on My data once the new address confirmed itself) gives the member another
index, so the mark no longer applies and no correction path needs to know about marks; the
outbox can check any recipient right before sending, so mails of every purpose (invoices, links,
newsletters) stop bouncing, also those still waiting for the old address; and the row holds no
address, only the same keyed index the member row already has. It goes with the member
(CASCADE on erasure); a daily retention task deletes marks whose member's address has changed.

Staff who may correct the address see the member on a home panel; the member sees a notice on
My data. Pressing "My data is correct" there clears the mark (the member opened My data through
the link we mailed, so the address works again), and so does staff's "the address is right".
Links a person asks for by typing the address themselves (My data, sign-up and address
confirmations, a fresh unsubscribe link) still go out: they are how the address gets corrected.
"""

import time

from flask import current_app
from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite

from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.jobs.lease import short_read
from clubsite.newsletter.models import UndeliverableAddress
from clubsite.outbox.models import OutboxMessage
from clubsite.privacy import audit
from clubsite.privacy import fields as store
from clubsite.privacy.access import AccessDenied, field_visible_condition
from clubsite.privacy.models import Member
from clubsite.privacy.retention import retention_task

U = UndeliverableAddress
CODE = "undeliverable"  # the outbox's error code for a message it did not send because of a mark
REQUESTED_KINDS = frozenset(
    {"my_data_link", "signup_confirm", "address_confirm", "unsubscribe_link"}
)
PANEL_LIMIT = 20
CACHE_SECONDS = 1.0
_CACHE = "clubsite.newsletter.undeliverable_marks"


def is_permanent_refusal(code):
    """True for an SMTP reply code that says the address cannot receive mail (5xx)."""
    return code is not None and 500 <= code < 600


def mark_statement(dialect_name):
    """INSERT of a mark that replaces an older mark of the same address (run by the sender on
    its own connection: clubsite.newsletter.store.DeliveryStore.mark_undeliverable)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(U.__table__)
    return statement.on_conflict_do_update(
        index_elements=["address_bidx"],
        set_={
            "member_id": statement.excluded.member_id,
            "code": statement.excluded.code,
            "marked_at": statement.excluded.marked_at,
            "newsletter_id": statement.excluded.newsletter_id,
        },
    )


def mark_values(email, member_id, code, newsletter_id, now):
    """The row marking a member's address as undeliverable."""
    return {
        "address_bidx": store.index_value("email", email),
        "member_id": member_id,
        "code": code[:12],
        "marked_at": now,
        "newsletter_id": newsletter_id,
    }


def _current(member_column=Member.id, index_column=Member.email_bidx):
    """The mark applies: it is of this member and of the address the member has now."""
    return and_(U.member_id == member_column, U.address_bidx == index_column)


def is_marked(member):
    """True if mail to the member's current address was refused for good."""
    if member is None or member.email_bidx is None:
        return False
    query = select(exists().where(_current(member.id, member.email_bidx)))
    return bool(db.session.scalar(query))


def clear(member, *, actor):
    """Forget the member's marks (the address was checked, or works again); True if one went."""
    gone = db.session.execute(
        delete(U).where(U.member_id == member.id).execution_options(synchronize_session=False)
    ).rowcount
    if gone:
        audit.record("member.undeliverable_cleared", subject=member.public_id, actor=actor)
        forget_cached_marks()
    return bool(gone)


def clear_by_staff(member, staff):
    """Staff checked the address with the member: clear its mark (only for those who see it)."""
    from_staff = Actor.staff(staff)
    if member is None or not _staff_sees_address(staff, member):
        raise AccessDenied("edit")
    return clear(member, actor=from_staff)


def _staff_sees_address(staff, member):
    try:
        condition = field_visible_condition(staff, ["email"])
    except AccessDenied:
        return False
    visible = select(Member.id).where(Member.id == member.id, condition)
    return staff.can("members.edit") and db.session.scalar(visible) is not None


def members_to_correct(user, limit=PANEL_LIMIT):
    """(members, how many in all) whose current address is marked and whose address this staff
    member may see, the newest marks first; ([], 0) for staff who see no addresses."""
    try:
        condition = field_visible_condition(user, ["email"])
    except AccessDenied:
        return [], 0
    base = select(Member).join(U, _current()).where(condition)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    if not total:
        return [], 0
    members = db.session.scalars(base.order_by(U.marked_at.desc()).limit(limit)).all()
    return members, total


def outbox_refusal(recipient, message_id):
    """The outbox's check (clubsite.outbox.refusals): CODE for a marked address, else None.

    The marks (a short list) are read at most once a second, on a connection of their own: a
    query per message would cost about as much as sending it. A mark another process writes
    is seen within that second, one written here at once. Only for a marked address is the
    message's kind read, to let a link the person asked for go out.
    """
    try:
        digest = store.index_value("email", recipient)
    except (KeyError, ValueError):
        return None
    if digest not in _marked_indexes():
        return None
    kind = short_read(select(OutboxMessage.kind).where(OutboxMessage.id == message_id))
    if kind and kind[0][0] in REQUESTED_KINDS:
        return None
    return CODE


def _marked_indexes():
    """Every marked address's index, as read within the last CACHE_SECONDS."""
    kept = current_app.extensions.get(_CACHE)
    if kept is None or time.monotonic() - kept[0] > CACHE_SECONDS:
        kept = (time.monotonic(), frozenset(row[0] for row in short_read(select(U.address_bidx))))
        current_app.extensions[_CACHE] = kept
    return kept[1]


def forget_cached_marks():
    """Read the marks afresh on the next check (after this process changed them)."""
    current_app.extensions.pop(_CACHE, None)


@retention_task("undeliverable_marks")
def prune_stale_marks(now, dry_run):
    """Delete marks of addresses their member no longer has (corrected): nothing left to stop."""
    holder = select(Member.id).where(Member.id == U.member_id, Member.email_bidx == U.address_bidx)
    stale = ~exists(holder)
    if dry_run:
        return db.session.scalar(select(func.count()).select_from(U).where(stale))
    return db.session.execute(
        delete(U).where(stale).execution_options(synchronize_session=False)
    ).rowcount
