"""Double opt-in end to end over real SMTP: the link confirms once; expired or forged links fail."""

from datetime import timedelta

from sqlalchemy import func, select

from clubsite.database import utcnow
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.members.service import erase_member
from clubsite.privacy.models import ConsentEvent, ErasureJournal, Member
from clubsite.privacy.retention import run_retention
from clubsite.public import tokens
from clubsite.public.models import UsedToken
from tests.conftest import csrf_token
from tests.public.helpers import (
    ANNA,
    english,
    links_in,
    member_with_email,
    news_state,
    path_of,
    sign_up,
)


def _events(member):
    return db.session.scalar(
        select(func.count()).select_from(ConsentEvent).where(ConsentEvent.member_id == member.id)
    )


def _post(client, path):
    return client.post(path, data={"csrf_token": csrf_token(client, "/pieteikties")})


def test_confirmation_link_confirms_once(client, mailbox):
    """Mail arrives; opening shows a button (scanners confirm nothing); the click counts once."""
    english(client)
    sign_up(client, ["newsletter"], {"email": ANNA["email"], "first_name": "Anna"})
    message = mailbox.wait_for(1)[0]["message"]
    assert message["To"] == ANNA["email"]
    assert message.get_body(preferencelist=("html",)) is not None
    confirm = next(path_of(u) for u in links_in(message) if "/apstiprinat/" in u)
    member = member_with_email(ANNA["email"])

    landing = client.get(confirm)
    assert landing.status_code == 200 and "Yes, confirm" in landing.get_data(as_text=True)
    assert news_state(member) == "pending"

    done = _post(client, confirm)
    assert done.status_code == 200
    assert "Subscription confirmed" in done.get_data(as_text=True)
    assert news_state(member) == "active"
    db.session.refresh(member)
    assert member.purpose("newsletter").keep_until is None
    event = db.session.scalars(select(ConsentEvent).where(ConsentEvent.kind == "confirmed")).one()
    assert (event.source, event.actor) == ("email-link", "member")

    count = _events(member)
    again = _post(client, confirm)
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)
    assert client.get(confirm).status_code == 410
    assert _events(member) == count


def test_expired_link_changes_nothing(client):
    """A link older than its 7 days gives a clear page and leaves the consent pending."""
    english(client)
    sign_up(client, ["newsletter"], {"email": ANNA["email"]})
    member = member_with_email(ANNA["email"])
    old = tokens.issue("confirm", member, issued_at=utcnow() - timedelta(days=7, minutes=1))
    for response in (client.get(f"/apstiprinat/{old}"), _post(client, f"/apstiprinat/{old}")):
        assert response.status_code == 410
        assert "This link has expired" in response.get_data(as_text=True)
    assert news_state(member) == "pending"


def test_tampered_or_wrong_kind_link_is_refused(client):
    """A changed character, or a "My data" link used to confirm, is not valid."""
    english(client)
    sign_up(client, ["newsletter"], {"email": ANNA["email"]})
    member = member_with_email(ANNA["email"])
    good = tokens.issue("confirm", member)
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    wrong_kind = tokens.issue("access", member)
    for token in (tampered, wrong_kind, "x" * 500, "not-a-token"):
        response = _post(client, f"/apstiprinat/{token}")
        assert response.status_code == 400
        assert "This link is not valid" in response.get_data(as_text=True)
    assert news_state(member) == "pending"


def test_unconfirmed_sign_ups_are_erased_after_seven_days(client):
    """Retention erases a news-only sign-up nobody confirmed; a member keeps their membership."""
    sign_up(client, ["newsletter"], {"email": "lazy@example.lv"})
    sign_up(client, ["membership", "newsletter"], ANNA)
    sign_up(client, ["newsletter"], {"email": "keen@example.lv"})
    keen = member_with_email("keen@example.lv")
    token = tokens.issue("confirm", keen)
    _post(client, f"/apstiprinat/{token}")
    lazy_id = member_with_email("lazy@example.lv").public_id

    run_retention(now=utcnow() + timedelta(days=6))
    assert member_with_email("lazy@example.lv") is not None

    run_retention(now=utcnow() + timedelta(days=7, hours=1))
    db.session.expire_all()
    assert member_with_email("lazy@example.lv") is None
    assert db.session.scalar(select(ErasureJournal).where(ErasureJournal.public_id == lazy_id))
    anna = member_with_email(ANNA["email"])
    assert [p.purpose for p in anna.purposes] == ["access", "fees"]
    assert member_with_email("keen@example.lv").purpose("newsletter") is not None
    assert db.session.scalar(select(func.count()).select_from(Member)) == 2


def test_used_link_ids_are_forgotten_once_no_link_can_carry_them(app):
    """The retention run prunes old redeemed-link hashes and keeps recent ones."""
    now = utcnow()
    db.session.add_all(
        [
            UsedToken(token_hash="a" * 64, used_at=now - timedelta(days=30)),
            UsedToken(token_hash="b" * 64, used_at=now - timedelta(days=1)),
        ]
    )
    db.session.commit()
    report = run_retention(now=now)
    assert report.tasks["used_links"] == 1
    assert [t.token_hash for t in db.session.scalars(select(UsedToken))] == ["b" * 64]


def test_one_link_cannot_be_hammered(client):
    """Clicks on one link are limited, whatever their outcome."""
    sign_up(client, ["newsletter"], {"email": ANNA["email"]})
    token = tokens.issue("confirm", member_with_email(ANNA["email"]))
    statuses = [_post(client, f"/apstiprinat/{token}").status_code for _ in range(11)]
    assert statuses == [200] + [410] * 9 + [429]


def test_link_of_an_erased_member_is_refused_and_stays_unused(client):
    """A confirmation click for someone erased meanwhile confirms nothing and uses up nothing."""
    english(client)
    sign_up(client, ["newsletter"], {"email": ANNA["email"]})
    member = member_with_email(ANNA["email"])
    token = tokens.issue("confirm", member)
    erase_member(member, actor=Actor.system(), reason="test")
    db.session.commit()
    response = _post(client, f"/apstiprinat/{token}")
    assert response.status_code == 400
    assert "This link is not valid" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(UsedToken)) == 0
