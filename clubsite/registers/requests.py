"""Working on a subject request: its status and outcome, the erasure it orders, a later deadline.

- Completing an erasure request ("done") erases the member in the same write, through
  clubsite.members.service.erase_member: the register cannot say "done" while the member is
  still there. A member erased before (in the erasure journal) completes it as it is.
- Refusing an erasure request needs its ground, one of GDPR Art. 17(3) (or that the club holds
  no data about the person), and the note in "what was done".
- A request is due one month after receipt; Art. 12(3) allows up to two further months where
  necessary, decided (and told to the person, with the reasons) within that first month. The
  extension moves the due date; it is never taken back.

Functions change the session only; the unit of work commits once.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite.database import as_utc, utcnow
from clubsite.domain import as_actor
from clubsite.extensions import db
from clubsite.members.service import erase_member, member_by_public_id
from clubsite.privacy import audit
from clubsite.privacy.models import ErasureJournal
from clubsite.registers.models import (
    ERASURE_REFUSAL_GROUNDS,
    MAX_EXTENSION_MONTHS,
    REQUEST_STATUSES,
)
from clubsite.registers.service import (
    RegisterError,
    check_choice,
    check_version,
    clean_long_text,
    clean_member_id,
    close_if_final,
    months_after,
    read_text,
    set_text,
)

FINAL = ("done", "refused")
NEEDS_MEMBER = _l(
    "Completing an erasure request erases the member: enter their member id first. If the club "
    "holds no data about the person, refuse the request with that reason."
)
UNKNOWN_MEMBER = _l("No member has this id, and none with it was erased.")
STAYS_DONE = _l("The member has been erased: the request stays done.")
NEEDS_GROUND = _l("Choose why the erasure is refused.")
EXTEND_WHY = _l("Give the reasons for the later deadline (tell them to the person as well).")
EXTEND_LATE = _l("The deadline can be extended only within one month of receiving the request.")
EXTEND_MAX = _l("The deadline can be extended by two further months at most.")
EXTEND_BACK = _l("An extension already told to the person cannot be taken back.")
EXTEND_CLOSED = _l("A closed request needs no later deadline.")
EXTEND_HOW_LONG = _l("Choose by how many months the deadline is extended.")


def update_subject_request(request, data, *, version, now=None, actor=None):
    """Change a request's status, member, details and what was done (optimistic locking).

    An erasure request becoming "done" erases its member; one becoming "refused" needs a
    ground. An extension (data["extended_months"], with data["extension_reason"]) moves the
    due date.
    """
    check_version(request, version)
    now, actor = now or utcnow(), as_actor(actor)
    was = request.status
    status = check_choice(data.get("status"), REQUEST_STATUSES, "status")
    if request.kind == "erasure" and was == "done" and status != "done":
        raise RegisterError(STAYS_DONE, "status")
    if "member_public_id" in data and was not in FINAL:
        request.member_public_id = clean_member_id(data.get("member_public_id"))
    request.status = status
    set_text(request, "details", clean_long_text(data.get("details"), "details", max_len=2000))
    set_text(request, "outcome", clean_long_text(data.get("outcome"), "outcome"))
    if status in FINAL and not read_text(request, "outcome"):
        raise RegisterError(_l("Say what was done before closing the request."), "outcome")
    _refusal(request, data.get("refusal_ground"))
    if "extended_months" in data:
        _extend(request, data, now=now, actor=actor)
    if request.kind == "erasure" and status == "done" and was != "done":
        _erase(request, actor)
    close_if_final(request, FINAL, now)
    audit.record(
        "register.request_updated",
        subject=request.member_public_id,
        fields=["status", "details", "outcome"],
        detail=request.public_id,
        actor=actor,
    )
    return request


def _refusal(request, ground):
    """A refused erasure keeps its ground; anything else has none."""
    if request.kind != "erasure" or request.status != "refused":
        request.refusal_ground = None
        return
    if not ground:
        raise RegisterError(NEEDS_GROUND, "refusal_ground")
    request.refusal_ground = check_choice(ground, ERASURE_REFUSAL_GROUNDS, "refusal_ground")


def _months(value):
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        raise RegisterError(EXTEND_HOW_LONG, "extended_months") from None


def _extend(request, data, *, now, actor):
    """Art. 12(3): move the deadline by up to two further months, for reasons given in time."""
    months = _months(data.get("extended_months"))
    reason = clean_long_text(data.get("extension_reason"), "extension_reason", max_len=2000)
    if months == request.extended_months:
        if months and not reason:
            raise RegisterError(EXTEND_WHY, "extension_reason")
        if reason and not months:
            raise RegisterError(EXTEND_HOW_LONG, "extended_months")
        if reason:
            set_text(request, "extension_reason", reason)
        return
    if months < request.extended_months:
        raise RegisterError(EXTEND_BACK, "extended_months")
    if months > MAX_EXTENSION_MONTHS:
        raise RegisterError(EXTEND_MAX, "extended_months")
    if request.status in FINAL:
        raise RegisterError(EXTEND_CLOSED, "extended_months")
    if as_utc(now) > months_after(request.received_at, 1):
        raise RegisterError(EXTEND_LATE, "extended_months")
    if not reason:
        raise RegisterError(EXTEND_WHY, "extension_reason")
    request.extended_months = months
    request.extended_at = now
    request.due_at = months_after(request.received_at, 1 + months)
    set_text(request, "extension_reason", reason)
    audit.record(
        "register.request_extended",
        subject=request.member_public_id,
        fields=["extension_reason"],
        detail=f"{request.public_id} months={months}",
        actor=actor,
    )


def _erase(request, actor):
    """Carry out the erasure the request asks for (or find it done already)."""
    if not request.member_public_id:
        raise RegisterError(NEEDS_MEMBER, "member_public_id")
    member = member_by_public_id(request.member_public_id)
    if member is not None:
        erase_member(member, actor=actor, reason="request")
        return
    erased = db.session.scalar(
        select(ErasureJournal.id).where(ErasureJournal.public_id == request.member_public_id)
    )
    if erased is None:
        raise RegisterError(UNKNOWN_MEMBER, "member_public_id")
