"""Fixtures for the bookings tests: halls, a reception user, members, and booking helpers."""

from datetime import UTC, date, datetime, timedelta

import pytest

from clubsite.bookings import halls, service, sites
from clubsite.extensions import db
from clubsite.i18n import today_local
from tests.conftest import csrf_token
from tests.privacy.factories import enrol

# A fixed "now" for service tests: Monday 14 January 2030, 12:00 in Riga (UTC+2 in winter).
NOW = datetime(2030, 1, 14, 10, 0, tzinfo=UTC)
DAY = date(2030, 1, 15)

MARTA = {"first_name": "Marta", "last_name": "Kalniņa"}
VISITOR = "Pēteris Visitors"


def add_site(name, **values):
    """An open site, added through the sites service, and committed."""
    created = sites.add_site({"name": name, **values})
    db.session.commit()
    return created


def add_hall(name, site, **values):
    """A hall of a site, added through the halls service, and committed."""
    created = halls.add_hall({"name": name, "location": site.public_id, **values})
    db.session.commit()
    return created


@pytest.fixture
def site(app):
    """The club's first site."""
    return add_site("Centrs", address="Brīvības iela 1, Rīga", opening_hours="P.–Pk. 7:00–22:00")


@pytest.fixture
def hall(site):
    """An active hall of the first site."""
    return add_hall("Lielā zāle", site, capacity="30")


@pytest.fixture
def small_hall(site):
    """A second active hall of the first site."""
    return add_hall("Mazā zāle", site)


@pytest.fixture
def second_site(site):
    """A second site, opened after the first."""
    return add_site("Purvciems", address="Zemitāna iela 2, Rīga")


@pytest.fixture
def twin_hall(second_site):
    """A hall of the second site with the same name as `hall` at the first."""
    return add_hall("Lielā zāle", second_site)


@pytest.fixture
def reception(make_staff):
    """A trained reception staff member."""
    return make_staff("reception", name="Rita Reģistratūra")


@pytest.fixture
def member(app):
    """A club member (access purpose: names and a card number)."""
    return enrol(MARTA, ["access"], source="staff", actor="system")


def card_number(member):
    """The member's card number, read the way the test needs it (not through a view)."""
    from clubsite.privacy import fields

    return fields.read(member, ["card_number"])["card_number"]


def book(
    user, hall, day, start, end, *, member=None, name=VISITOR, contact="+371 2000 0001", now=NOW
):
    """Book through the service as the form would, and commit."""
    raw = {
        "hall": hall.public_id,
        "day": day.isoformat() if isinstance(day, date) else day,
        "start": start,
        "end": end,
        "who": "member" if member else "visitor",
        "member": member.public_id if member else "",
        "visitor_name": "" if member else name,
        "contact": contact,
    }
    booking = service.book(user, raw, now=now)
    db.session.commit()
    return booking


def tomorrow():
    """Tomorrow in Riga, for tests that go through the real clock."""
    return today_local() + timedelta(days=1)


@pytest.fixture
def english():
    """Switch a test client to English so tests can read the messages."""

    def switch(client):
        token = csrf_token(client, "/")
        client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": token})
        return client

    return switch


@pytest.fixture(autouse=True)
def _english_domain_messages(domain_messages_in_english):
    """Every test here: service messages in English (threads without a request: Latvian)."""
