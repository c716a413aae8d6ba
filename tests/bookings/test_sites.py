"""Sites through the back-office pages: add, rename, close and reopen; halls unique per site and
always named with their site; only the admin reaches the site pages."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clubsite.bookings import schedule
from clubsite.bookings.models import Booking, Hall
from clubsite.extensions import db
from clubsite.i18n import today_local
from clubsite.locations import Location
from clubsite.privacy.audit import AuditEvent
from clubsite.privacy.roles import ROLES
from tests.bookings.conftest import VISITOR, book, tomorrow
from tests.conftest import csrf_token

SITES = "/office/sites"
HALLS = "/office/bookings/halls"
NEW = "/office/bookings/new"


@pytest.fixture
def admin(client_for, english):
    """An English-speaking admin client."""
    return english(client_for("admin"))


@pytest.fixture
def desk(client_for, english):
    """An English-speaking reception client, not tied to a site."""
    return english(client_for("reception"))


def _post(client, url, form_page=None, **data):
    data["csrf_token"] = csrf_token(client, form_page or url)
    return client.post(url, data=data)


def _actions():
    return db.session.scalars(select(AuditEvent.action)).all()


def _options(html):
    """The labels of the hall choices on a booking form."""
    select_html = re.search(r'<select[^>]*name="hall".*?</select>', html, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select_html)


def test_admin_adds_a_site_with_address_and_opening_hours(admin):
    """The new site is open, listed with its address and hours, and the addition is audited."""
    response = _post(
        admin,
        SITES,
        name="Purvciems",
        address="Zemitāna iela 2, Rīga",
        opening_hours="P.–Sv. 8:00–21:00",
    )
    site = db.session.scalar(select(Location))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{SITES}/{site.public_id}")
    assert (site.name, site.address, site.opening_hours, site.active) == (
        "Purvciems",
        "Zemitāna iela 2, Rīga",
        "P.–Sv. 8:00–21:00",
        True,
    )
    page = admin.get(SITES).get_data(as_text=True)
    assert "Purvciems" in page and "Zemitāna iela 2, Rīga" in page and "P.–Sv. 8:00–21:00" in page
    assert "Site open" in page
    assert "site.created" in _actions()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Please fill this in."),
        ("  centrs ", "There is already a site with this name."),
        ("C" * 101, "at most 100 characters"),
    ],
)
def test_bad_site_input_keeps_what_was_typed_and_adds_nothing(admin, site, name, message):
    """A clear message on the form, the typed address still there, no second site."""
    response = _post(admin, SITES, name=name, address="Ausekļa iela 5", opening_hours="9–17")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html and 'value="Ausekļa iela 5"' in html and 'value="9–17"' in html
    assert db.session.scalar(select(func.count(Location.id))) == 1


def test_admin_renames_a_site_and_every_hall_label_follows(admin, desk, site, hall):
    """The site page lists its halls; after a rename the halls carry the new site name."""
    url = f"{SITES}/{site.public_id}"
    page = admin.get(url).get_data(as_text=True)
    assert "Lielā zāle — Centrs" in page and 'value="Brīvības iela 1, Rīga"' in page
    response = _post(
        admin, url, name="Rīga – centrs", address=site.address, opening_hours=site.opening_hours
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Location, site.id).name == "Rīga – centrs"
    assert _options(desk.get(NEW).get_data(as_text=True)) == ["Lielā zāle — Rīga – centrs"]
    assert "site.changed" in _actions()


def test_a_site_with_bookings_ahead_is_not_closed(admin, site, second_site, hall, reception):
    """Closing is refused with the number of bookings and their halls; the site stays open."""
    book(reception, hall, tomorrow(), "18:00", "19:00", now=None)
    url = f"{SITES}/{site.public_id}"
    response = _post(admin, f"{url}/close", form_page=url)
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    page = admin.get(url).get_data(as_text=True)
    assert (
        "Centrs has 1 upcoming bookings (Lielā zāle — Centrs). "
        "Move or cancel them before closing the site."
    ) in page
    db.session.expire_all()
    assert db.session.get(Location, site.id).active is True
    assert "site.closed" not in _actions()


def test_the_last_open_site_is_not_closed(admin, site):
    """A club cannot close its only open site: there would be nowhere to book or check in."""
    url = f"{SITES}/{site.public_id}"
    _post(admin, f"{url}/close", form_page=url)
    assert "the club&#39;s only open site" in admin.get(url).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Location, site.id).active is True


def test_a_closed_sites_halls_cannot_be_booked_until_it_reopens(
    admin, desk, site, second_site, hall, twin_hall
):
    """Closing hides the site's halls from the booking form and refuses them; reopening
    undoes it."""
    url = f"{SITES}/{site.public_id}"
    assert _post(admin, f"{url}/close", form_page=url).status_code == 302
    db.session.expire_all()
    assert db.session.get(Location, site.id).active is False
    assert "site.closed" in _actions()
    assert _options(desk.get(NEW).get_data(as_text=True)) == ["Lielā zāle — Purvciems"]
    refused = _post(
        desk,
        NEW,
        hall=hall.public_id,
        day=tomorrow().isoformat(),
        start="18:00",
        end="19:00",
        who="visitor",
        visitor_name=VISITOR,
        contact="+371 2000 0001",
        submit="1",
    )
    assert "Choose a hall from the list." in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Booking.id))) == 0
    assert "Site closed" in admin.get(HALLS).get_data(as_text=True)
    assert "Reopen the site" in admin.get(url).get_data(as_text=True)
    assert _post(admin, f"{url}/reopen", form_page=url).status_code == 302
    assert "Lielā zāle — Centrs" in _options(desk.get(NEW).get_data(as_text=True))
    assert "site.reopened" in _actions()


def test_hall_names_are_unique_per_site_not_across_the_club(admin, site, second_site, hall):
    """The same name at another site is fine, at the same site (any case) it is refused, and a
    hall's page saved unchanged is accepted although another site has a hall of that name."""
    added = _post(admin, HALLS, name="Lielā zāle", location=second_site.public_id)
    assert added.status_code == 302
    twin = db.session.scalar(select(Hall).where(Hall.location_id == second_site.id))
    assert twin.name == "Lielā zāle"
    again = _post(admin, HALLS, name="LIELĀ ZĀLE", capacity="12", location=second_site.public_id)
    html = again.get_data(as_text=True)
    assert "There is already a hall with this name at this site." in html
    assert 'value="LIELĀ ZĀLE"' in html and 'value="12"' in html
    assert db.session.scalar(select(func.count(Hall.id))) == 2
    detail = f"{HALLS}/{hall.public_id}"
    unchanged = _post(admin, detail, name="Lielā zāle", capacity="30", location=site.public_id)
    assert unchanged.status_code == 302


def test_the_database_refuses_two_halls_of_one_name_at_one_site(app, site, hall):
    """The constraint is (site, name): a second row with both the same fails."""
    db.session.add(Hall(name="Lielā zāle", location_id=site.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_hall_needs_an_open_site(admin, site, second_site):
    """No site, or a closed one, is refused on the form; the typed name stays."""
    no_site = _post(admin, HALLS, name="Jogas studija", location="")
    html = no_site.get_data(as_text=True)
    assert "Choose a site from the list." in html and 'value="Jogas studija"' in html
    second_site.active = False
    db.session.commit()
    closed = _post(admin, HALLS, name="Jogas studija", location=second_site.public_id)
    assert "Choose a site from the list." in closed.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Hall.id))) == 0


def test_without_sites_the_halls_page_says_to_add_a_site_first(admin):
    """A fresh club is led to the sites page before its first hall."""
    page = admin.get(HALLS).get_data(as_text=True)
    assert "Every hall belongs to a site." in page and f'href="{SITES}"' in page


def test_every_page_that_names_a_hall_names_its_site(
    admin, client_for, english, desk, site, second_site, hall, twin_hall, reception, member
):
    """Booking form, day and week lists, a booking, the home panels, occupancy and the hall
    pages all say "Lielā zāle — Centrs" or "Lielā zāle — Purvciems", never the bare name."""
    today = today_local().isoformat()
    booking = book(reception, hall, today, "21:00", "22:00", member=member, now=None)
    book(reception, twin_hall, today, "21:00", "22:00", now=None)
    guard = english(client_for("staff"))
    pages = {
        "booking form": desk.get(NEW),
        "day list": desk.get(f"/office/bookings?day={today}"),
        "week": desk.get(f"/office/bookings/week?day={today}"),
        "home (reception)": desk.get("/office/"),
        "home (guard)": guard.get("/office/"),
        "occupancy": guard.get("/office/occupancy"),
    }
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert "Lielā zāle — Centrs" in html and "Lielā zāle — Purvciems" in html, name
    rows = re.findall(r"<tr>(.*?)</tr>", admin.get(HALLS).get_data(as_text=True), re.S)
    halls_rows = [re.sub(r"<[^>]+>|\s+", " ", row).split() for row in rows if "Lielā zāle" in row]
    assert [row[:3] for row in halls_rows] == [
        ["Lielā", "zāle", "Centrs"],
        ["Lielā", "zāle", "Purvciems"],
    ]  # the hall list has a site column, sorted by site
    # A booking ahead (whatever the hour now), so its page offers the change form's hall list.
    tomorrow = (today_local() + timedelta(days=1)).isoformat()
    ahead = book(reception, hall, tomorrow, "10:00", "11:00", member=member, now=None)
    assert "Lielā zāle — Centrs" in desk.get(f"/office/bookings/{booking.public_id}").get_data(
        as_text=True
    )
    one = desk.get(f"/office/bookings/{ahead.public_id}").get_data(as_text=True)
    assert "Lielā zāle — Centrs" in one and "Lielā zāle — Purvciems" in _options(one)
    hall_page = admin.get(f"{HALLS}/{hall.public_id}").get_data(as_text=True)
    assert "<h1>Lielā zāle — Centrs</h1>" in hall_page


def test_home_page_keeps_same_named_halls_of_two_sites_apart(
    client_for, english, site, second_site, hall, twin_hall, reception
):
    """Bookings of the two "Lielā zāle" halls show under their own hall, not as one hall's
    overlapping bookings."""
    today = today_local()
    book(reception, hall, today, "21:00", "22:00", now=None)
    book(reception, twin_hall, today, "21:30", "22:30", now=None)
    slots = schedule.occupancy_day(today)
    assert [(s.starts_at.hour, s.starts_at.minute) for s in slots["Lielā zāle — Centrs"]] == [
        (21, 0)
    ]
    assert [(s.starts_at.hour, s.starts_at.minute) for s in slots["Lielā zāle — Purvciems"]] == [
        (21, 30)
    ]
    html = english(client_for("staff")).get("/office/").get_data(as_text=True)
    centre = html.split("<h3>Lielā zāle — Centrs</h3>")[1].split("</ul>")[0]
    other = html.split("<h3>Lielā zāle — Purvciems</h3>")[1].split("</ul>")[0]
    assert "21:00–22:00" in centre and "21:30–22:30" not in centre
    assert "21:30–22:30" in other and "21:00–22:00" not in other


@pytest.mark.parametrize("role", sorted(ROLES))
def test_only_the_admin_reaches_the_site_pages(client_for, site, second_site, role):
    """Every role but the admin gets 403 on each site route, and a forbidden close changes
    nothing; the admin's requests go through."""
    client = client_for(role)
    token = csrf_token(client, "/office/")
    url = f"{SITES}/{second_site.public_id}"
    answers = [
        client.get(SITES).status_code,
        client.post(SITES, data={"name": "Ziepniekkalns", "csrf_token": token}).status_code,
        client.get(url).status_code,
        client.post(url, data={"name": "Cits", "csrf_token": token}).status_code,
        client.post(f"{url}/close", data={"csrf_token": token}).status_code,
    ]
    db.session.expire_all()
    names = {s.name: s.active for s in db.session.scalars(select(Location))}
    if role == "admin":
        assert 403 not in answers
        assert names == {"Centrs": True, "Cits": False, "Ziepniekkalns": True}
    else:
        assert answers == [403] * 5
        assert names == {"Centrs": True, "Purvciems": True}
