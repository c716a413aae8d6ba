"""One-click unsubscribe: POST leaves at once, GET changes nothing, forged tokens change nothing."""

import pytest
from itsdangerous import Signer
from sqlalchemy import func, select

from clubsite.extensions import db
from clubsite.newsletter import tokens
from clubsite.newsletter.audience import audience_for
from clubsite.newsletter.models import Delivery
from clubsite.privacy import consent, fields
from clubsite.privacy.models import ConsentEvent, Member


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
