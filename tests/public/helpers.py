"""Helpers for the public-side tests: sign up through the real form, open "My data", read mails."""

import re

from sqlalchemy import select

from clubsite.extensions import db
from clubsite.privacy import consent
from clubsite.privacy import fields as store
from clubsite.privacy.models import Member
from clubsite.public import tokens
from tests.conftest import csrf_token
from tests.support.mailbox import text_body

ANNA = {
    "first_name": "Anna",
    "last_name": "Kalniņa",
    "email": "anna.kalnina@example.lv",
    "phone": "+371 2612 0001",
}
ANY_LINK = re.compile(r"https?://\S+")


def english(client):
    """Switch the client's session to English (the default is Latvian)."""
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})


def signup_data(
    client, choices, values=None, *, consent_given=None, age_confirmed=None, step="submit"
):
    """The form data a visitor's browser sends for these choices and values (the age box is
    ticked with the consent box unless age_confirmed says otherwise)."""
    page = client.get("/pieteikties").get_data(as_text=True)
    data = {
        "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1),
        "choices": list(choices),
        "step": step,
        "website": "",
        "consent_newsletter_hash": re.search(
            r'name="consent_newsletter_hash" type="hidden" value="([0-9a-f]{64})"', page
        ).group(1),
    }
    if consent_given if consent_given is not None else "newsletter" in choices:
        data["consent_newsletter"] = "y"
        if age_confirmed is not False:
            data["age_confirmed"] = "y"
    elif age_confirmed:
        data["age_confirmed"] = "y"
    data.update(values or {})
    return data


def sign_up(client, choices, values=None, **kwargs):
    """POST the sign-up form; returns the response."""
    return client.post("/pieteikties", data=signup_data(client, choices, values, **kwargs))


def member_with_email(email):
    """The member with this email address, or None."""
    return db.session.scalar(
        select(Member).where(Member.email_bidx == store.index_value("email", email))
    )


def all_members():
    """Every member row, fresh from the database."""
    db.session.expire_all()
    return db.session.scalars(select(Member)).all()


def open_my_data(client, member, kind="access"):
    """Open the member's "My data" session through a real link; returns the response."""
    token = tokens.issue(kind, member)
    prefix = "/mani-dati/parbaudit/" if kind == "reverify" else "/mani-dati/atvert/"
    return client.post(prefix + token, data={"csrf_token": csrf_token(client, prefix + token)})


def links_in(message):
    """The links in a mail's text part, in order."""
    return ANY_LINK.findall(text_body(message))


def path_of(url):
    """The path (and query) of an absolute link in a mail."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def news_state(member):
    """The member's newsletter consent state from the ledger."""
    db.session.expire_all()
    return consent.state(member, "newsletter")


def enrol(values, purposes, *, confirmed=True, bases=None, language="en"):
    """A member enrolled through the real service and committed."""
    from clubsite.members import service

    member, created = service.enrol_member(
        dict(values),
        list(purposes),
        source="signup",
        actor="member",
        language=language,
        legal_bases=bases,
        consent_confirmed=confirmed,
    )
    assert created
    db.session.commit()
    return member
