"""Sign-up: consent per purpose with the exact wording, no duplicates, no enumeration, bad input."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.privacy import consent
from clubsite.privacy import fields as store
from clubsite.privacy.models import ConsentEvent, ConsentWording, Member
from tests.public.helpers import (
    ANNA,
    all_members,
    english,
    links_in,
    member_with_email,
    news_state,
    sign_up,
    signup_data,
)
from tests.support.mailbox import text_body


def _count_members():
    return db.session.scalar(select(func.count()).select_from(Member))


def test_nothing_is_ticked_by_default(client):
    """Neither the choices nor the consent box come ticked, even when a link preselects news."""
    assert "checked" not in client.get("/pieteikties").get_data(as_text=True)
    page = client.get("/pieteikties?choices=newsletter").get_data(as_text=True)
    box = re.search(r"<input[^>]*name=\"consent_newsletter\"[^>]*>", page).group(0)
    assert "checked" not in box
    assert 'data-shown-for="newsletter" hidden' not in page  # the box is shown, unticked


def test_consent_is_recorded_with_the_exact_wording_and_source(client, mailbox):
    """The ledger holds 'given' from the sign-up, with the hash of the words the page showed."""
    english(client)
    page = client.get("/pieteikties?choices=newsletter").get_data(as_text=True)
    wording = consent.wording_text("newsletter", "en")
    assert wording in page  # the box's label is the exact wording
    response = sign_up(client, ["newsletter"], {"email": ANNA["email"]})
    assert response.status_code == 302
    member = member_with_email(ANNA["email"])
    assert member.language == "en"
    (event,) = db.session.scalars(select(ConsentEvent).where(ConsentEvent.member_id == member.id))
    assert (event.kind, event.source, event.actor) == ("given", "signup", "member")
    # The ledger keeps the consent wording with the age confirmation ticked beside it.
    recorded = wording + "\nI confirm that I am at least 13 years old."
    assert event.wording_hash == consent.wording_hash(recorded)
    assert db.session.get(ConsentWording, event.wording_hash).text == recorded
    assert news_state(member) == "pending"
    keep_until = as_utc(member.purpose("newsletter").keep_until)
    assert timedelta(days=6, hours=23) < keep_until - utcnow() <= timedelta(days=7)
    message = mailbox.wait_for(1)[0]["message"]
    assert "confirm" in message["Subject"].lower()


def test_news_without_the_consent_box_is_refused_and_keeps_what_was_typed(client):
    """Choosing news but leaving the box empty stores nothing and asks for the tick."""
    english(client)
    response = sign_up(
        client,
        ["newsletter"],
        {"email": "maris@example.lv", "first_name": "Māris"},
        consent_given=False,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "tick the box to give your consent" in page
    assert 'value="maris@example.lv"' in page and 'value="Māris"' in page
    assert _count_members() == 0


def test_a_changed_consent_wording_is_not_taken_as_agreed(client):
    """A box ticked under other words (an old page) is not recorded as consent to the new ones."""
    english(client)
    data = signup_data(client, ["newsletter"], {"email": "old@example.lv"})
    data["consent_newsletter_hash"] = "0" * 64
    page = client.post("/pieteikties", data=data).get_data(as_text=True)
    assert "The consent text has changed" in page
    assert _count_members() == 0


def test_no_choice_is_refused(client):
    """Sending the form without any choice asks for one and stores nothing."""
    english(client)
    page = sign_up(client, [], {"email": "x@example.lv"}).get_data(as_text=True)
    assert "Choose at least one" in page
    assert _count_members() == 0


def test_existing_person_is_not_revealed_and_not_duplicated(client, mailbox):
    """The second sign-up looks the same as the first; the person gets an 'already with us' mail."""
    english(client)
    first = sign_up(client, ["membership"], ANNA)
    mailbox.wait_for(1)
    second = sign_up(client, ["membership", "newsletter"], ANNA)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    thanks = [client.get(r.headers["Location"]).get_data(as_text=True) for r in (first, second)]
    assert thanks[0] == thanks[1]
    assert len(all_members()) == 1
    member = all_members()[0]
    # Nothing typed was stored; the news consent ticked waits for the mailed link (double opt-in).
    assert [p.purpose for p in member.purposes] == ["access", "fees", "newsletter"]
    assert news_state(member) == "pending"
    messages = mailbox.wait_for(2)
    assert [m["to"] for m in messages] == [[ANNA["email"]], [ANNA["email"]]]
    body = text_body(messages[1]["message"])
    assert "You are already with us, so nothing was changed." in body
    assert any("/mani-dati/atvert/" in url for url in links_in(messages[1]["message"]))


def test_a_family_sharing_a_phone_signs_up_as_two_people(client, mailbox):
    """A shared phone is no proof of identity: the daughter signing up with the family's phone
    becomes a member of her own (the same answer on screen), gets her own mail, and the
    mother's record and mailbox are left alone."""
    english(client)
    first = sign_up(client, ["membership", "bookings"], ANNA)
    mailbox.wait_for(1)
    daughter = {
        "first_name": "Zane",
        "last_name": "Kalniņa",
        "email": "zane.kalnina@example.lv",
        "phone": "26120001",  # the family's number, typed another way
    }
    second = sign_up(client, ["membership", "bookings"], daughter)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    members = all_members()
    assert len(members) == 2
    zane = member_with_email(daughter["email"])
    assert zane is not None
    assert sorted(p.purpose for p in zane.purposes) == ["access", "bookings", "fees"]
    assert store.read(zane, ["phone"]) == {"phone": "+37126120001"}
    messages = mailbox.wait_for(2)
    assert [m["to"] for m in messages] == [[ANNA["email"]], [daughter["email"]]]
    assert "already with us" not in text_body(messages[1]["message"])
    assert len(mailbox.to(ANNA["email"])) == 1


def test_honeypot_stores_and_sends_nothing(client, mailbox):
    """A filled-in spam trap gets the normal answer and nothing happens."""
    response = sign_up(client, ["membership"], {**ANNA, "website": "http://spam.example"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/pieteikties/paldies")
    assert _count_members() == 0
    sign_up(client, ["newsletter"], {"email": "real@example.lv"})
    mailbox.wait_for(1)
    assert [m["to"] for m in mailbox.messages] == [["real@example.lv"]]


HOSTILE = [
    ("first_name", "<script>alert(1)</script>"),
    ("first_name", "Anna\r\nBcc: victim@example.lv"),
    ("last_name", "\u202eanilaK"),
    ("last_name", "Kalniņa\u200b"),
    ("email", "anna@example.lv\r\nBcc: victim@example.lv"),
    ("email", '"<img src=x onerror=alert(1)>"@example.lv'),
]


def test_hostile_input_is_refused_and_shown_escaped(client, mailbox):
    """Scripts, control, bidi and header-injection characters are refused; the echo is inert."""
    english(client)
    for name, value in HOSTILE:
        response = sign_up(client, ["membership"], {**ANNA, name: value})
        page = response.get_data(as_text=True)
        assert response.status_code == 200, (name, value)
        assert 'class="field-error"' in page
        assert "<script>alert" not in page and "<img src=x" not in page
        # Kept only inside its own input's value, where it cannot reorder the page around it.
        assert "\u202e" not in re.sub(r'value="[^"]*"', "", page)
    assert _count_members() == 0
    mailbox.flush()  # what the outbox holds goes out: nothing
    assert mailbox.messages == []


def test_invalid_personal_code_keeps_everything_typed(client):
    """A wrong personal code is explained, and every typed value stays in the form."""
    english(client)
    values = {**ANNA, "personal_code": "010190-12340", "postal_address": "Brīvības iela 10, Rīga"}
    page = sign_up(client, ["membership"], values).get_data(as_text=True)
    assert "personal code is not valid" in page
    for value in ("Anna", "Kalniņa", ANNA["email"], "010190-12340", "Brīvības iela 10, Rīga"):
        assert f'value="{value}"' in page
    assert _count_members() == 0


def test_sign_up_is_rate_limited_per_address(client):
    """Many sign-ups with one address get 'too many attempts' before they reach the service."""
    statuses = [
        sign_up(client, ["newsletter"], {"email": "flood@example.lv"}).status_code for _ in range(6)
    ]
    assert statuses[:5] == [302] * 5
    assert statuses[5] == 429
    assert len(all_members()) == 1
