"""The members list: a total for the filters shown, a visible order (joined, last change), and
filters by purpose, status and site, all within what the role may list and without decrypting."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.locations import Location
from clubsite.members import listing
from clubsite.privacy.models import Member, MemberPurpose
from tests.privacy.factories import enrol
from tests.public.helpers import english

URL = "/office/members"


def _person(first, last, number):
    return {
        "first_name": first,
        "last_name": last,
        "email": f"{first.lower()}.{number}@example.lv",
        "phone": f"+371 2612 {number:04d}",
    }


@pytest.fixture
def people(app):
    """Access-only, fees-only, bookings-only, newsletter-only and an ended access member."""
    made = {
        "anna": enrol(_person("Anna", "Kalniņa", 1), ["access"]),
        "juris": enrol(
            {**_person("Juris", "Liepa", 2), "postal_address": "Rīgas iela 1, Rīga, LV-1010"},
            ["fees"],
        ),
        "liga": enrol(_person("Līga", "Ozola", 3), ["bookings"]),
        "maris": enrol({"email": "maris@example.lv"}, ["newsletter"]),
        "ilze": enrol(_person("Ilze", "Vītola", 5), ["access"]),
    }
    db.session.execute(
        update(MemberPurpose)
        .where(MemberPurpose.member_id == made["ilze"].id)
        .values(ends_at=utcnow() - timedelta(days=3))
    )
    db.session.commit()
    return made


def _names(page):
    return re.findall(r'/office/members/[0-9a-f-]{36}">([^<]+)</a>', page)


def _count(page):
    return int(re.search(r'id="member-count">\s*<strong>(\d+)', page).group(1))


def test_the_total_and_the_order_are_shown(client_for, people):
    """Admin sees all five, newest first, and the page says so."""
    admin = client_for("admin")
    english(admin)
    page = admin.get(URL).get_data(as_text=True)
    assert _count(page) == 5 and "5 members" in page
    assert "Order: Joined, newest first" in page
    assert _names(page)[:2] == ["Ilze Vītola", "(no name given)"]
    assert 'aria-sort="descending"' in page


def test_oldest_first_and_last_change(client_for, people):
    """Joined oldest first starts with Anna; last change puts the member changed last on top."""
    admin = client_for("admin")
    english(admin)
    assert _names(admin.get(f"{URL}?sort=joined_oldest").get_data(as_text=True))[0] == (
        "Anna Kalniņa"
    )
    db.session.execute(
        update(Member)
        .where(Member.id == people["anna"].id)
        .values(updated_at=utcnow() + timedelta(minutes=1))
    )
    page = admin.get(f"{URL}?sort=changed").get_data(as_text=True)
    assert _names(page)[0] == "Anna Kalniņa"
    assert "Order: Last change, newest first" in page


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", {"Anna Kalniņa", "Juris Liepa", "Līga Ozola", "(no name given)", "Ilze Vītola"}),
        ("reception", {"Anna Kalniņa", "Līga Ozola", "Ilze Vītola"}),  # access and bookings
        ("accountant", {"Juris Liepa"}),  # fees
    ],
)
def test_each_role_counts_only_the_members_it_may_list(client_for, people, role, expected):
    """The total never counts a member the role cannot see in the list."""
    client = client_for(role)
    english(client)
    page = client.get(URL).get_data(as_text=True)
    assert set(_names(page)) == expected
    assert _count(page) == len(expected)


@pytest.mark.parametrize("role", ["marketing", "staff"])
def test_roles_without_personal_data_get_no_list_whatever_the_filters(client_for, people, role):
    """Filters open nothing: 403, and no count."""
    response = client_for(role).get(f"{URL}?purpose=newsletter&status=current&sort=changed")
    assert response.status_code == 403
    assert "member-count" not in response.get_data(as_text=True)


def test_filters_by_purpose_and_status(client_for, people):
    """Purpose access: Anna and Ilze; current: Anna; ended: Ilze."""
    admin = client_for("admin")
    page = admin.get(f"{URL}?purpose=access").get_data(as_text=True)
    assert set(_names(page)) == {"Anna Kalniņa", "Ilze Vītola"} and _count(page) == 2
    page = admin.get(f"{URL}?purpose=access&status=current").get_data(as_text=True)
    assert _names(page) == ["Anna Kalniņa"] and _count(page) == 1
    page = admin.get(f"{URL}?status=ended").get_data(as_text=True)
    assert _names(page) == ["Ilze Vītola"] and _count(page) == 1
    page = admin.get(f"{URL}?status=current").get_data(as_text=True)
    assert _count(page) == 4 and "Ilze Vītola" not in _names(page)


def test_a_purpose_the_role_does_not_cover_is_ignored(client_for, people):
    """Reception asking for fee members gets its usual list, not the fee-only member."""
    page = client_for("reception").get(f"{URL}?purpose=fees").get_data(as_text=True)
    assert "Juris Liepa" not in page and _count(page) == 3
    assert 'value="fees"' not in page  # not offered either


def test_filter_by_site(client_for, people):
    """Members recorded at a site, counted and listed alone."""
    site = Location(name="Purvciems")
    db.session.add(site)
    db.session.flush()
    db.session.execute(
        update(Member).where(Member.id == people["liga"].id).values(location_id=site.id)
    )
    db.session.commit()
    page = client_for("admin").get(f"{URL}?location={site.id}").get_data(as_text=True)
    assert _names(page) == ["Līga Ozola"] and _count(page) == 1


def _bulk_access_members(count):
    """Members with an access enrolment and no fields (nothing to encrypt), in one insert each."""
    ids = []
    for _ in range(count):
        member = Member()
        db.session.add(member)
        db.session.flush()
        db.session.add(
            MemberPurpose(
                member_id=member.id, purpose="access", legal_basis="contract", source="staff"
            )
        )
        ids.append(member.id)
    db.session.commit()
    return ids


def test_pages_follow_the_chosen_order(app, make_staff, people):
    """Two to a page in each order: the next page goes on after the last row shown."""
    admin = make_staff("admin")
    for sort, expected in (
        ("joined_oldest", ["anna", "juris", "liga", "maris", "ilze"]),
        ("joined", ["ilze", "maris", "liga", "juris", "anna"]),
    ):
        seen, before = [], None
        while True:
            query = listing.ListQuery.of(admin, sort=sort, before_id=before)
            page = listing.list_page(admin, query, limit=2)
            if not page:
                break
            seen += [m.id for m in page]
            before = page[-1].id
        assert seen == [people[name].id for name in expected]
    for offset, name in enumerate(["juris", "anna", "liga"]):
        db.session.execute(
            update(Member)
            .where(Member.id == people[name].id)
            .values(updated_at=utcnow() + timedelta(minutes=5 - offset))
        )
    db.session.commit()
    first = listing.list_page(admin, listing.ListQuery.of(admin, sort="changed"), limit=2)
    assert [m.id for m in first] == [people["juris"].id, people["anna"].id]
    query = listing.ListQuery.of(admin, sort="changed", before_id=first[-1].id)
    assert listing.list_page(admin, query, limit=1)[0].id == people["liga"].id


def test_the_next_page_link_keeps_the_filters_and_order(client_for, people):
    """A full page links on with the same purpose, status and order."""
    _bulk_access_members(listing.PAGE_SIZE)
    admin = client_for("admin")
    page = admin.get(f"{URL}?purpose=access&status=current&sort=joined_oldest").get_data(
        as_text=True
    )
    assert _count(page) == listing.PAGE_SIZE + 1  # Anna and the fifty; Ilze's access ended
    link = re.search(r'<nav class="pagination"[^>]*><a href="([^"]+)"', page).group(1)
    link = link.replace("&amp;", "&")
    for part in ("purpose=access", "status=current", "sort=joined_oldest", "before="):
        assert part in link
    second = admin.get(link).get_data(as_text=True)
    assert len(_names(second)) == 1 and _count(second) == listing.PAGE_SIZE + 1


def test_counting_and_filtering_decrypt_nothing(app, make_staff, people):
    """Count, filters and order run on plain columns: with every ciphertext unreadable they
    still give the right members (decrypting any of them would fail)."""
    db.session.execute(
        update(Member).values(
            first_name_enc=b"x", last_name_enc=b"x", email_enc=b"x", phone_enc=b"x"
        )
    )
    db.session.commit()
    admin = make_staff("admin")
    query = listing.ListQuery.of(admin, purpose="access", status="current", sort="changed")
    assert listing.count_members(admin, query) == 1
    assert [m.id for m in listing.list_page(admin, query)] == [people["anna"].id]
