"""Subject requests end in what they ask: a completed erasure request erases the member in the
same write, a refused one names its GDPR Art. 17(3) ground, and a deadline moves only as Art.
12(3) allows (by up to two further months, decided within the first month, with reasons)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.i18n import CLUB_TZ
from clubsite.members.service import erase_member, member_by_public_id
from clubsite.privacy.audit import AuditEvent
from clubsite.privacy.models import ErasureJournal
from clubsite.registers import export, service
from clubsite.registers.models import SubjectRequest
from tests.conftest import csrf_token
from tests.privacy.factories import JANIS, enrol

UNKNOWN_ID = "0b5c3f1e-2a4d-4c8e-9f10-1234567890ab"


def _english(client):
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})
    return client


@pytest.fixture
def admin(client_for):
    """A trained admin's client, in English."""
    return _english(client_for("admin"))


def _file(member_public_id, *, kind="erasure", received=None):
    entry = service.record_subject_request(
        {
            "kind": kind,
            "source": "desk",
            "member_public_id": member_public_id,
            "details": "Erase everything, please.",
        },
        now=received,
    )
    if received is not None:
        entry.received_at = received
        entry.due_at = service.one_month_after(received)
    db.session.commit()
    return entry


def _post(client, entry, **changes):
    url = f"/office/registers/requests/{entry.public_id}"
    data = {
        "status": "open",
        "member_public_id": entry.member_public_id or "",
        "details": "Erase everything, please.",
        "outcome": "",
        "refusal_ground": "",
        "extended_months": str(entry.extended_months),
        "extension_reason": "",
        "version": str(entry.version),
        "csrf_token": csrf_token(client, url),
    }
    data.update(changes)
    return client.post(url, data=data)


def _local_day(moment):
    return as_utc(moment).astimezone(CLUB_TZ).date()


def test_completing_an_erasure_request_erases_the_member(admin):
    """The member's page lists the pending request; marking it done erases them there and then,
    and the register shows the erasure."""
    member = enrol(JANIS, ["access", "fees", "newsletter"])
    public_id = member.public_id
    entry = _file(public_id)
    page = admin.get(f"/office/members/{public_id}").get_data(as_text=True)
    assert 'id="pending-requests"' in page and "Erasure" in page
    assert f"/office/registers/requests/{entry.public_id}" in page

    response = _post(admin, entry, status="done", outcome="Erased; letter sent on 12.02.")
    assert response.status_code == 302
    db.session.expire_all()
    assert member_by_public_id(public_id) is None
    journal = db.session.scalar(select(ErasureJournal).where(ErasureJournal.public_id == public_id))
    assert journal is not None and journal.reason == "request"
    entry = db.session.get(SubjectRequest, entry.id)
    assert entry.status == "done" and entry.closed_at is not None
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.index("member.erased") < actions.index("register.request_updated")

    listing = admin.get("/office/registers/requests").get_data(as_text=True)
    assert 'data-outcome="erased"' in listing and "Member erased" in listing
    # Reopening an erasure that was carried out is refused.
    page = _post(admin, entry, status="open", outcome="x").get_data(as_text=True)
    assert "the request stays done" in page
    assert db.session.get(SubjectRequest, entry.id).status == "done"


@pytest.mark.parametrize(
    ("member_id", "message"),
    [("", "enter their member id first"), (UNKNOWN_ID, "No member has this id")],
)
def test_an_erasure_request_is_not_done_without_its_member(admin, member_id, message):
    """Without a member, or with an id nobody has (or had), "done" is refused: nothing changes."""
    entry = _file(member_id or None)
    page = _post(admin, entry, status="done", outcome="Done.").get_data(as_text=True)
    assert message in page
    db.session.expire_all()
    entry = db.session.get(SubjectRequest, entry.id)
    assert entry.status == "open" and entry.closed_at is None


def test_linking_the_member_later_then_completing_erases_them(admin):
    """A request taken without the id: staff add it on the request's page, and done erases."""
    public_id = enrol(JANIS, ["access"]).public_id
    entry = _file(None)
    response = _post(admin, entry, status="done", member_public_id=public_id, outcome="Erased.")
    assert response.status_code == 302
    db.session.expire_all()
    assert member_by_public_id(public_id) is None
    assert db.session.get(SubjectRequest, entry.id).member_public_id == public_id


def test_a_member_erased_before_completes_the_request(admin):
    """Erased already (say, at the desk): the journal shows it, so done is accepted."""
    member = enrol(JANIS, ["access"])
    entry = _file(member.public_id)
    erase_member(member, actor="system", reason="staff")
    db.session.commit()
    assert _post(admin, entry, status="done", outcome="Erased at the desk.").status_code == 302
    assert db.session.get(SubjectRequest, entry.id).status == "done"


def test_refusing_an_erasure_needs_an_article_17_3_ground(admin):
    """Refused without a ground: an error. With one and a note: refused, the member stays, and
    the register shows the ground."""
    member = enrol(JANIS, ["access", "fees"])
    entry = _file(member.public_id)
    page = _post(admin, entry, status="refused", outcome="Invoices are kept.").get_data(
        as_text=True
    )
    assert "Choose why the erasure is refused." in page
    assert db.session.get(SubjectRequest, entry.id).status == "open"

    response = _post(
        admin,
        entry,
        status="refused",
        refusal_ground="legal_obligation",
        outcome="Unpaid invoices: the accounting law keeps them; told the member on 03.02.",
    )
    assert response.status_code == 302
    db.session.expire_all()
    entry = db.session.get(SubjectRequest, entry.id)
    assert (entry.status, entry.refusal_ground) == ("refused", "legal_obligation")
    assert member_by_public_id(member.public_id) is not None
    listing = admin.get("/office/registers/requests").get_data(as_text=True)
    assert 'data-outcome="refused"' in listing and "GDPR Art. 17(3)(b)" in listing
    assert "legal_obligation" in export.export_csv("requests", actor="system")


def test_the_deadline_moves_by_up_to_two_months_with_reasons(admin):
    """Within the first month, with reasons: due two months later; never more, never back."""
    received = utcnow() - timedelta(days=10)
    entry = _file(None, kind="access", received=received)
    page = _post(admin, entry, extended_months="2").get_data(as_text=True)
    assert "Give the reasons for the later deadline" in page
    assert db.session.get(SubjectRequest, entry.id).extended_months == 0

    reason = "Archive boxes in Liepāja must be searched."
    assert _post(admin, entry, extended_months="2", extension_reason=reason).status_code == 302
    db.session.expire_all()
    entry = db.session.get(SubjectRequest, entry.id)
    assert entry.extended_months == 2 and entry.extended_at is not None
    assert _local_day(entry.due_at) == _local_day(service.months_after(received, 3))
    assert b"Liep" not in entry.extension_reason_enc
    assert service.read_text(entry, "extension_reason") == reason
    page = admin.get(f"/office/registers/requests/{entry.public_id}").get_data(as_text=True)
    assert 'data-extended="2"' in page and reason in page
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "register.request_extended" in actions

    page = _post(admin, entry, extended_months="1", extension_reason=reason).get_data(as_text=True)
    assert "cannot be taken back" in page
    assert db.session.get(SubjectRequest, entry.id).extended_months == 2


def test_an_extension_after_the_first_month_is_refused(admin):
    """Art. 12(3): the person must hear of an extension within one month of the request."""
    received = utcnow() - timedelta(days=40)
    entry = _file(None, kind="access", received=received)
    due = entry.due_at
    page = _post(admin, entry, extended_months="1", extension_reason="Too busy.").get_data(
        as_text=True
    )
    assert "only within one month of receiving the request" in page
    db.session.expire_all()
    entry = db.session.get(SubjectRequest, entry.id)
    assert entry.extended_months == 0 and as_utc(entry.due_at) == as_utc(due)


def test_more_than_two_further_months_is_refused(domain_messages_in_english):
    """The service refuses three months whatever the page sends."""
    from clubsite.registers.requests import update_subject_request
    from clubsite.registers.service import RegisterError

    entry = _file(None, kind="access")
    with pytest.raises(RegisterError, match="two further months at most"):
        update_subject_request(
            entry,
            {
                "status": "open",
                "details": "x",
                "extended_months": 3,
                "extension_reason": "Many archives.",
            },
            version=entry.version,
        )
