"""Staff work at sites: the admin assigns them on the staff page; their check-in, bookings and
home panels show their sites by default; the header's switch (kept in the session, never in a
URL) shows another site or all of them."""

import re

import pytest
from sqlalchemy import select

from clubsite.access.models import CheckIn
from clubsite.extensions import db
from clubsite.i18n import today_local
from clubsite.privacy.audit import AuditEvent
from clubsite.privacy.models import Member
from clubsite.staff.models import StaffUser
from clubsite.staff.sites import set_staff_sites
from tests.bookings.conftest import book, card_number
from tests.conftest import AuthActions, csrf_token

DAY_LIST = "/office/bookings"


@pytest.fixture
def admin(client_for, english):
    """An English-speaking admin client."""
    return english(client_for("admin"))


@pytest.fixture
def two_sites_booked(site, second_site, hall, twin_hall, reception):
    """A visitor booked today at each site's "Lielā zāle"."""
    today = today_local()
    book(reception, hall, today, "21:00", "22:00", name="Centra Viesis", now=None)
    book(reception, twin_hall, today, "21:00", "22:00", name="Purvciema Viesis", now=None)


def _works_at(client, *sites):
    """Assign the client's staff member to these sites (as the admin would) and commit."""
    user = db.session.get(StaffUser, client.staff_user.id)
    set_staff_sites(user, [s.public_id for s in sites])
    db.session.commit()
    return client


def _switch(client, choice, next_url=DAY_LIST):
    token = csrf_token(client, "/office/")
    return client.post("/office/site", data={"site": choice, "next": next_url, "csrf_token": token})


def _selected(html):
    match = re.search(r'<option value="([^"]+)" selected>', html)
    return match.group(1) if match else None


def test_admin_assigns_a_staff_member_to_sites(admin, site, second_site, make_staff):
    """Ticked sites are saved and audited; a made-up site is refused and changes nothing."""
    rita = make_staff("reception", name="Rita Reģistratūra")
    url = f"/office/staff/{rita.public_id}"
    page = admin.get(url).get_data(as_text=True)
    assert f'value="{site.public_id}"' in page and f'value="{second_site.public_id}"' in page
    token = csrf_token(admin, url)
    both = [site.public_id, second_site.public_id]
    saved = admin.post(f"{url}/sites", data={"sites": both, "csrf_token": token})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(url)
    db.session.expire_all()
    assert [s.name for s in db.session.get(StaffUser, rita.id).sites] == ["Centrs", "Purvciems"]
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "staff.sites_changed")
    ).one()
    assert event.subject_id == rita.public_id and event.fields == "sites"
    assert "Sites saved." in admin.get(url).get_data(as_text=True)
    made_up = "00000000-0000-4000-8000-000000000000"
    refused = admin.post(
        f"{url}/sites", data={"sites": [site.public_id, made_up], "csrf_token": token}
    )
    assert refused.status_code == 200
    assert "Choose the sites from the list." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.get(StaffUser, rita.id).sites) == 2
    cleared = admin.post(f"{url}/sites", data={"csrf_token": token})
    assert cleared.status_code == 302
    db.session.expire_all()
    assert db.session.get(StaffUser, rita.id).sites == []


def test_staff_site_page_is_admin_only(client_for, site, make_staff):
    """Reception cannot assign itself (or anyone) to a site."""
    rita = make_staff("reception")
    desk = client_for("reception")
    token = csrf_token(desk, "/office/")
    answer = desk.post(
        f"/office/staff/{rita.public_id}/sites",
        data={"sites": [site.public_id], "csrf_token": token},
    )
    assert answer.status_code == 403
    db.session.expire_all()
    assert db.session.get(StaffUser, rita.id).sites == []


def test_reception_sees_its_own_site_first_and_switches_in_the_session(
    client_for, english, two_sites_booked, site, second_site
):
    """By default the day list, the home panels and occupancy show the staff member's site;
    the switch shows all sites or another one, and no choice appears in any URL."""
    desk = _works_at(english(client_for("reception")), second_site)
    day = desk.get(DAY_LIST).get_data(as_text=True)
    assert "Purvciema Viesis" in day and "Centra Viesis" not in day
    assert "Site: Purvciems" in day and _selected(day) == second_site.public_id
    home = desk.get("/office/").get_data(as_text=True)
    assert "Purvciema Viesis" in home and "Centra Viesis" not in home
    assert "Lielā zāle — Purvciems" in home and "Lielā zāle — Centrs" not in home
    form = desk.get("/office/bookings/new").get_data(as_text=True)
    assert form.index("Lielā zāle — Purvciems") < form.index("Lielā zāle — Centrs")

    switched = _switch(desk, "all", next_url=f"{DAY_LIST}?day={today_local().isoformat()}")
    assert switched.status_code == 302
    assert switched.headers["Location"] == f"{DAY_LIST}?day={today_local().isoformat()}"
    every = desk.get(switched.headers["Location"]).get_data(as_text=True)
    assert "Purvciema Viesis" in every and "Centra Viesis" in every
    assert "All sites" in every and _selected(every) == "all"

    _switch(desk, site.public_id)
    centre = desk.get(DAY_LIST).get_data(as_text=True)
    assert "Centra Viesis" in centre and "Purvciema Viesis" not in centre
    occupancy = desk.get("/office/occupancy").get_data(as_text=True)
    assert "Lielā zāle — Centrs" in occupancy and "Lielā zāle — Purvciems" not in occupancy


def test_an_unknown_or_closed_site_is_refused_by_the_switch(
    client_for, english, two_sites_booked, site, second_site
):
    """The choice stays as it was and the page says why."""
    desk = _works_at(english(client_for("reception")), second_site)
    answer = _switch(desk, "00000000-0000-4000-8000-000000000000")
    assert answer.status_code == 302
    day = desk.get(DAY_LIST).get_data(as_text=True)
    assert "Choose a site from the list." in day and "Site: Purvciems" in day


def test_the_choice_lasts_until_logout_then_the_default_returns(
    app, english, make_staff, two_sites_booked, second_site
):
    """Logging in again starts from the staff member's own sites."""
    rita = make_staff("reception", email="rita@klubs.lv")
    set_staff_sites(rita, [second_site.public_id])
    db.session.commit()
    client = english(app.test_client())
    auth = AuthActions(client)
    auth.login("rita@klubs.lv")
    _switch(client, "all")
    assert "Centra Viesis" in client.get(DAY_LIST).get_data(as_text=True)
    auth.logout()
    auth.login("rita@klubs.lv")
    again = client.get(DAY_LIST).get_data(as_text=True)
    assert "Centra Viesis" not in again and "Purvciema Viesis" in again


def test_a_staff_member_of_two_sites_sees_both_by_default(
    client_for, english, two_sites_booked, site, second_site
):
    """ "My sites" is the default and a choice of the switch for someone at several sites."""
    desk = _works_at(english(client_for("reception")), site, second_site)
    day = desk.get(DAY_LIST).get_data(as_text=True)
    assert "Centra Viesis" in day and "Purvciema Viesis" in day
    assert "Sites: Centrs, Purvciems" in day and _selected(day) == "mine"
    assert '<option value="mine" selected>My sites</option>' in day


def test_check_in_is_recorded_at_the_chosen_site(client_for, english, site, second_site, member):
    """A check-in is logged with the one site shown; "all sites" records none and says so;
    the home panel of recent check-ins shows the chosen site's only."""
    desk = _works_at(english(client_for("reception")), second_site)
    card = card_number(member)
    db.session.commit()
    page = desk.get("/office/checkin").get_data(as_text=True)
    assert "Check-ins are recorded at Purvciems." in page
    desk.post("/office/checkin", data={"card": card, "csrf_token": csrf_token(desk, "/office/")})
    _switch(desk, "all")
    page = desk.get("/office/checkin").get_data(as_text=True)
    assert "Choose your site at the top of the page" in page
    desk.post("/office/checkin", data={"card": card, "csrf_token": csrf_token(desk, "/office/")})
    places = db.session.scalars(select(CheckIn.location_id).order_by(CheckIn.id)).all()
    assert places == [second_site.id, None]
    _switch(desk, site.public_id)
    home = desk.get("/office/").get_data(as_text=True)
    assert "No check-ins in the last 24 hours." in home
    _switch(desk, second_site.public_id)
    home = desk.get("/office/").get_data(as_text=True)
    assert "No check-ins in the last 24 hours." not in home


def test_a_member_added_at_the_desk_belongs_to_the_desks_site(client_for, english, second_site):
    """One member database for all sites; the member's site is where they were added."""
    desk = _works_at(english(client_for("reception")), second_site)
    url = "/office/members/new"
    answer = desk.post(
        url,
        data={
            "csrf_token": csrf_token(desk, url),
            "purposes": ["bookings"],
            "step": "submit",
            "language": "lv",
            "first_name": "Anna",
            "last_name": "Liepa",
            "phone": "+371 2000 0002",
        },
    )
    assert answer.status_code == 302
    assert db.session.scalar(select(Member.location_id)) == second_site.id
