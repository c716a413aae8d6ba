"""Self-service rights: withdraw or object in one POST, end a purpose, erase, or file a request."""

from datetime import timedelta

from sqlalchemy import select

from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.privacy import consent
from clubsite.privacy import fields as store
from clubsite.privacy.audit import AuditEvent
from clubsite.privacy.models import ConsentEvent, ErasureJournal
from clubsite.public import signup
from clubsite.registers.models import SubjectRequest
from tests.conftest import csrf_token
from tests.public.helpers import ANNA, english, enrol, member_with_email, news_state, open_my_data


def _post(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/mani-dati"), **data})


def test_withdrawal_is_one_post_and_effective_at_once(client):
    """One click: consent withdrawn in the ledger, purpose ended, address never mailed again."""
    english(client)
    member = enrol(ANNA, ["access", "fees", "newsletter"])
    assert news_state(member) == "active"
    open_my_data(client, member)
    response = _post(client, "/mani-dati/atteikties")
    assert response.status_code == 302
    assert news_state(member) == "withdrawn"
    db.session.refresh(member)
    assert member.purpose("newsletter") is None
    assert consent.is_suppressed(ANNA["email"])
    assert store.read(member, ["email"])["email"] == ANNA["email"]  # fees still needs it
    last = db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.id.desc())).first()
    assert (last.kind, last.actor) == ("withdrawn", "member")
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "self_service.withdrawn")
    ).one()
    assert (audit.actor_type, audit.actor_id) == ("member", member.public_id)
    page = client.get("/mani-dati").get_data(as_text=True)
    assert "You will receive no more news and offers from us." in page


def test_objection_to_soft_opt_in_news(client):
    """Under legitimate interest the same click is recorded as an objection."""
    member = enrol(ANNA, ["access", "newsletter"], bases={"newsletter": "legitimate_interest"})
    open_my_data(client, member)
    _post(client, "/mani-dati/atteikties")
    kinds = db.session.scalars(select(ConsentEvent.kind).order_by(ConsentEvent.id)).all()
    assert kinds[-1] == "objected"
    assert consent.is_suppressed(ANNA["email"])


def test_withdrawing_the_only_purpose_erases_the_member(client):
    """A news-only member who withdraws is erased; the session ends."""
    member = enrol({"email": ANNA["email"]}, ["newsletter"])
    public_id = member.public_id
    open_my_data(client, member)
    response = _post(client, "/mani-dati/atteikties")
    assert response.headers["Location"].endswith("/mani-dati/dzests")
    assert member_with_email(ANNA["email"]) is None
    assert db.session.scalar(select(ErasureJournal).where(ErasureJournal.public_id == public_id))
    assert consent.is_suppressed(ANNA["email"])
    assert "Nosūtīt man saiti" in client.get("/mani-dati").get_data(as_text=True)


def test_ending_a_purpose_erases_what_only_it_needed(client):
    """Ending hall bookings drops the phone; the membership's fields stay."""
    member = enrol(ANNA, ["access", "fees", "bookings"])
    open_my_data(client, member)
    assert member.has_field("phone")
    _post(client, "/mani-dati/beigt/bookings")
    db.session.expire_all()
    assert member.purpose("bookings") is None
    assert not member.has_field("phone")
    assert member.has_field("last_name") and member.has_field("email")


def test_ending_fee_administration_is_filed_for_the_club(client):
    """Invoices come first: a request due in a month, and the member is told so."""
    english(client)
    member = enrol(ANNA, ["access", "fees"])
    open_my_data(client, member)
    _post(client, "/mani-dati/beigt/fees")
    _post(client, "/mani-dati/beigt/fees")  # asking twice files one request
    request = db.session.scalars(select(SubjectRequest)).one()
    assert (request.kind, request.source, request.member_public_id) == (
        "erasure",
        "self-service",
        member.public_id,
    )
    due = as_utc(request.due_at) - utcnow()
    assert timedelta(days=27) < due < timedelta(days=32)
    db.session.expire_all()
    assert member.purpose("fees") is not None  # nothing erased yet
    page = client.get("/mani-dati").get_data(as_text=True)
    assert "We have received your request." in page
    assert request.due_at.strftime("%d.%m.%Y") in page


def test_erase_everything_at_once(client):
    """Without fee administration everything goes now; only the journal's public id stays."""
    member = enrol(ANNA, ["bookings", "newsletter"])
    public_id = member.public_id
    open_my_data(client, member)
    refused = _post(client, "/mani-dati/dzest")  # the box not ticked
    assert refused.status_code == 200 and member_with_email(ANNA["email"]) is not None
    response = _post(client, "/mani-dati/dzest", understood="y")
    assert response.headers["Location"].endswith("/mani-dati/dzests")
    assert member_with_email(ANNA["email"]) is None
    assert db.session.scalar(select(ErasureJournal).where(ErasureJournal.public_id == public_id))
    assert consent.is_suppressed(ANNA["email"])
    assert (
        db.session.scalars(
            select(AuditEvent.actor_id).where(AuditEvent.action == "self_service.erased")
        ).one()
        == public_id
    )


def test_erase_with_fee_administration_stops_news_now_and_files_the_rest(client):
    """News stop at once; the erasure itself is a request the club answers within a month."""
    member = enrol(ANNA, ["access", "fees", "newsletter"])
    open_my_data(client, member)
    _post(client, "/mani-dati/dzest", understood="y")
    assert news_state(member) == "withdrawn"
    assert db.session.scalars(select(SubjectRequest.kind)).all() == ["erasure"]
    assert member_with_email(ANNA["email"]) is not None


def test_subscribing_from_my_data(client):
    """A member without news can give consent with the exact wording; it counts at once."""
    member = enrol(ANNA, ["access", "fees"])
    open_my_data(client, member)
    page = client.get("/mani-dati").get_data(as_text=True)
    digest = consent.wording_hash(consent.wording_text("newsletter", member.language))
    assert digest in page
    refused = _post(client, "/mani-dati/jaunumi", consent_newsletter_hash=digest)
    assert refused.status_code == 200 and news_state(member) == "none"
    _post(
        client,
        "/mani-dati/jaunumi",
        consent_newsletter="y",
        consent_newsletter_hash=digest,
        age_confirmed="y",
    )
    assert news_state(member) == "active"
    given = db.session.scalars(select(ConsentEvent).where(ConsentEvent.kind == "given")).one()
    recorded = signup.recorded_wording(member.language)  # the wording and the age confirmation
    assert (given.source, given.wording_hash) == ("self-service", consent.wording_hash(recorded))


def test_actions_need_an_open_session(client):
    """Without the emailed link no action reaches anyone's data."""
    member = enrol(ANNA, ["access", "fees", "newsletter"])
    for path in ("/mani-dati/atteikties", "/mani-dati/dzest", "/mani-dati/beigt/access"):
        response = _post(client, path, understood="y")
        assert response.status_code == 302
    assert news_state(member) == "active"
    assert len(member_with_email(ANNA["email"]).purposes) == 3


def test_subscribing_under_a_changed_wording_is_refused_on_the_box(client):
    """A box ticked under other words stores nothing; the page says why, next to the box."""
    english(client)
    member = enrol(ANNA, ["access", "fees"])
    open_my_data(client, member)
    refused = _post(
        client, "/mani-dati/jaunumi", consent_newsletter="y", consent_newsletter_hash="0" * 64
    )
    assert refused.status_code == 200
    assert "The consent text has changed" in refused.get_data(as_text=True)
    assert news_state(member) == "none"
    assert member_with_email(ANNA["email"]).purpose("newsletter") is None
