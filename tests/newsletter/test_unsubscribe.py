"""One-click unsubscribe: POST leaves at once, GET changes nothing, forged tokens change nothing."""

from datetime import timedelta

import pytest
from itsdangerous import Signer
from sqlalchemy import func, select

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.newsletter import tokens
from clubsite.newsletter.audience import audience_for
from clubsite.newsletter.models import Delivery
from clubsite.privacy import consent, fields
from clubsite.privacy.models import ConsentEvent, Member
from tests.conftest import csrf_token
from tests.public.helpers import links_in


def _delivery(campaign, member):
    return db.session.scalar(
        select(Delivery).where(
            Delivery.newsletter_id == campaign.id, Delivery.member_id == member.id
        )
    )


def _path(delivery):
    return "/u/" + tokens.make_token(delivery.public_id)


def _ledger_size():
    return db.session.scalar(select(func.count()).select_from(ConsentEvent))


@pytest.fixture
def member_and_link(enrol, queued):
    """A member with consent and another purpose (so they stay a member), and their link."""
    member = enrol(["access", "newsletter"], email="liga@example.lv")
    campaign = queued()
    return member, campaign, _path(_delivery(campaign, member))


def test_get_shows_a_button_and_changes_nothing(client, member_and_link):
    """Link scanners that open the URL do not unsubscribe anyone."""
    member, _campaign, path = member_and_link
    before = _ledger_size()
    page = client.get(path)
    assert page.status_code == 200
    assert 'method="post"' in page.get_data(as_text=True)
    db.session.expire_all()
    assert consent.state(member, "newsletter") == "active"
    assert _ledger_size() == before and not consent.is_suppressed("liga@example.lv")


def test_one_click_post_withdraws_consent_and_suppresses(client, member_and_link):
    """RFC 8058 POST without cookies or CSRF token: withdrawn in the ledger, address suppressed."""
    member, campaign, path = member_and_link
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.session.expire_all()
    assert consent.state(member, "newsletter") == "withdrawn"
    assert member.purpose("newsletter") is None and member.purpose("access") is not None
    assert consent.is_suppressed("liga@example.lv")
    assert _delivery(campaign, member).unsubscribed_at is not None
    assert member.id not in {r.member_id for r in audience_for(True).recipients}
    again = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200  # idempotent
    events = consent.events(member, "newsletter")
    assert [e.kind for e in events].count("withdrawn") == 1


def test_soft_opt_in_unsubscribe_is_an_objection(client, soft_member, queued):
    """Without a consent to withdraw, leaving is recorded as an objection."""
    member = soft_member(email="soft@example.lv")
    campaign = queued(soft=True)
    response = client.post(_path(_delivery(campaign, member)))
    assert response.status_code == 200
    db.session.expire_all()
    assert [e.kind for e in consent.events(member, "newsletter")] == ["objected"]
    assert consent.is_suppressed("soft@example.lv")
    assert member.purpose("access") is not None


def test_erasure_leaves_the_suppression_behind(client, enrol, queued):
    """The keyed hash outlives the member: a later soft opt-in with that address is not mailed."""
    member = enrol(["newsletter"], email="once@example.lv")
    campaign = queued()
    client.post(_path(_delivery(campaign, member)))
    assert db.session.scalar(select(func.count()).select_from(Member)) == 0
    assert consent.is_suppressed("once@example.lv")
    again = enrol(["access", "newsletter"], email="once@example.lv", basis="legitimate_interest")
    assert again.id not in {r.member_id for r in audience_for(True).recipients}
    assert audience_for(True).summary()["suppressed"] == 1


@pytest.mark.parametrize("forgery", ["tampered", "foreign", "garbage", "long"])
def test_forged_tokens_change_nothing(app, client, member_and_link, forgery):
    """A token not signed with this club's key, or altered, is refused on GET and POST."""
    member, campaign, path = member_and_link
    public_id = _delivery(campaign, member).public_id
    token = path.removeprefix("/u/")
    bad = {
        "tampered": token[:-10] + ("xy" if token[-10:-8] != "xy" else "zz") + token[-8:],
        "foreign": Signer("another club's secret", salt="unsubscribe").sign(public_id).decode(),
        "garbage": "not-a-token",
        "long": "a" * 200,
    }[forgery]
    before = _ledger_size()
    assert client.get("/u/" + bad).status_code == 404
    assert client.post("/u/" + bad, data={"List-Unsubscribe": "One-Click"}).status_code == 404
    db.session.expire_all()
    assert _ledger_size() == before
    assert consent.state(member, "newsletter") == "active"
    assert fields.read(member, ["email"]) == {"email": "liga@example.lv"}
    assert not consent.is_suppressed("liga@example.lv")


def test_unsubscribe_cancels_queued_mail_of_other_newsletters(client, enrol, queued):
    """Once someone leaves, nothing else still in the queue goes to them."""
    member = enrol(["access", "newsletter"])
    first = queued()
    second = queued(lv=("Otrā", "Teksts"))
    client.post(_path(_delivery(first, member)))
    db.session.expire_all()
    assert _delivery(second, member).status == "cancelled"


def _sent_days_ago(campaign, member, days):
    delivery = _delivery(campaign, member)
    delivery.sent_at = utcnow() - timedelta(days=days)
    db.session.commit()
    return delivery


def test_a_link_works_for_400_days_after_the_mail_went_out(client, member_and_link):
    """On day 399 the link still unsubscribes; an expired one changes nothing, on GET or on
    the one-click POST, and its page offers to mail a fresh link instead."""
    member, campaign, path = member_and_link
    _sent_days_ago(campaign, member, 401)
    before = _ledger_size()
    page = client.get(path)
    assert page.status_code == 410
    text = page.get_data(as_text=True)
    assert 'name="email"' in text and "/jaunumi/atteikties" in text
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 410
    db.session.expire_all()
    assert _ledger_size() == before and consent.state(member, "newsletter") == "active"
    assert not consent.is_suppressed("liga@example.lv")
    _sent_days_ago(campaign, member, 399)
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    db.session.expire_all()
    assert consent.state(member, "newsletter") == "withdrawn"


def _ask(client, email):
    token = csrf_token(client, "/jaunumi/atteikties")
    return client.post("/jaunumi/atteikties", data={"email": email, "csrf_token": token})


def test_the_expired_page_mails_a_fresh_one_click_link(client, mailbox, member_and_link):
    """Typing the address: the same answer for every address; a mail only to one that gets
    the news; its link unsubscribes with one click."""
    member, _campaign, _path = member_and_link
    answers = [_ask(client, email) for email in ("nobody@example.lv", "liga@example.lv")]
    assert {a.status_code for a in answers} == {302}
    assert len({a.headers["Location"] for a in answers}) == 1
    [mail] = mailbox.wait_for(1)
    mailbox.flush()
    assert [m["to"] for m in mailbox.messages] == [["liga@example.lv"]]
    link = next(u for u in links_in(mail["message"]) if "/u/" in u)
    fresh = "/u/" + link.rsplit("/u/", 1)[1]
    assert client.get(fresh).status_code == 200
    assert client.post(fresh, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    db.session.expire_all()
    assert consent.state(member, "newsletter") == "withdrawn"
    assert consent.is_suppressed("liga@example.lv")


def test_a_typed_address_without_the_news_gets_no_mail(client, mailbox, enrol):
    """A member who does not receive the news (and a typo) get no link; a typo is pointed out."""
    enrol(["access", "fees"], email="ieva@example.lv")
    assert _ask(client, "ieva@example.lv").status_code == 302
    assert _ask(client, "ieva(at)example.lv").status_code == 200
    mailbox.flush()
    assert mailbox.messages == []


def test_a_fresh_link_works_for_seven_days(client, member_and_link):
    """The mailed link has a life of its own, also finite."""
    member, _campaign, _path = member_and_link
    late = tokens.make_member_token(member.public_id, issued_at=utcnow() - timedelta(days=8))
    assert client.get("/u/" + late).status_code == 410
    assert client.post("/u/" + late, data={"List-Unsubscribe": "One-Click"}).status_code == 410
    db.session.expire_all()
    assert consent.state(member, "newsletter") == "active"
    forged = late[:-4] + ("abcd" if not late.endswith("abcd") else "efgh")
    assert client.get("/u/" + forged).status_code == 404


def test_requests_for_a_fresh_link_are_rate_limited_per_address(client):
    """A flood of requests for one address is stopped."""
    statuses = [_ask(client, "target@example.lv").status_code for _ in range(4)]
    assert statuses == [302] * 3 + [429]
