"""The purpose registry drives everything: a purpose added to PURPOSES appears on the sign-up
form, in the privacy notice, in staff access, in retention and in the Art. 30 record (CLI and
page), and the retention periods the code erases by are the registry's numbers."""

import dataclasses
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from clubsite.access.hooks import prune_check_ins
from clubsite.access.models import CheckIn
from clubsite.bookings.times import erase_after, local_day
from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.fees.invoices import legal_keep_until
from clubsite.privacy import access
from clubsite.privacy.models import ErasureJournal, Member
from clubsite.privacy.purposes import PURPOSES, SIGNUP_CHOICES, Retention, SignupChoice
from clubsite.privacy.retention import run_retention
from tests.privacy.factories import JANIS, enrol
from tests.public.helpers import english, sign_up

VALUES = {"first_name": "Pēteris", "last_name": "Kalns", "phone": "+371 2655 5123"}


@pytest.fixture
def lessons(app):
    """A purpose the registry did not have: swimming lessons, seen by reception, kept 9 days."""
    added = dataclasses.replace(
        PURPOSES["bookings"],
        id="lessons",
        name="Swimming lessons",
        description="To teach you to swim in the club's pool.",
        legal_bases=("contract",),
        required=("first_name", "last_name", "phone"),
        optional=(),
        any_of=(),
        system_fields=(),
        staff_roles=("reception", "admin"),
        retention=Retention("Until the course ends, plus %(days_after_end)d days.", 9),
        signup=SignupChoice("lessons", "Swimming lessons", "Learn to swim with a coach.", 40),
        data_subjects="Members who take swimming lessons",
        recipients="The coach's insurer.",
        needs_consent=False,
    )
    PURPOSES["lessons"] = added
    yield added
    del PURPOSES["lessons"]


def _with_retention(monkeypatch, purpose_id, **numbers):
    """Replace a purpose's retention numbers in the registry for one test."""
    declared = PURPOSES[purpose_id]
    changed = dataclasses.replace(declared.retention, **numbers)
    monkeypatch.setitem(PURPOSES, purpose_id, dataclasses.replace(declared, retention=changed))


def test_a_new_purpose_is_on_the_sign_up_form_and_enrols(client, lessons):
    """Its box, label and hint are on the form; choosing it asks its fields and enrols."""
    english(client)
    page = client.get("/pieteikties").get_data(as_text=True)
    assert 'value="lessons"' in page
    assert "Swimming lessons" in page and "Learn to swim with a coach." in page
    assert SIGNUP_CHOICES["lessons"] == ("lessons",)
    response = sign_up(client, ["lessons"], VALUES)
    assert response.status_code == 302, response.get_data(as_text=True)
    member = db.session.scalar(select(Member))
    assert [p.purpose for p in member.purposes] == ["lessons"]
    assert set(member.purpose("lessons").field_list) == {"first_name", "last_name", "phone"}


def test_a_new_purpose_is_in_the_privacy_notice(client, lessons):
    """Name, description, retention (with its number) and recipients."""
    english(client)
    page = client.get("/privatums").get_data(as_text=True)
    assert "Swimming lessons" in page and "To teach you to swim" in page
    assert "Until the course ends, plus 9 days." in page
    assert "The coach&#39;s insurer." in page


def test_staff_see_a_new_purpose_by_its_roles(client_for, lessons):
    """Reception (in its roles) sees the member and the phone; the accountant does not."""
    member = enrol(VALUES, ["lessons"], source="staff", actor="system")
    reception = client_for("reception")
    english(reception)
    assert "lessons" in access.covered_purposes(reception.staff_user)
    page = reception.get(f"/office/members/{member.public_id}").get_data(as_text=True)
    assert "Swimming lessons" in page and "+37126555123" in page
    assert "Until the course ends, plus 9 days." in page
    accountant = client_for("accountant")
    assert "lessons" not in access.covered_purposes(accountant.staff_user)
    assert accountant.get(f"/office/members/{member.public_id}").status_code == 404


def test_retention_ends_a_new_purpose(runner, lessons):
    """Past its keep-until date the purpose ends like any other: the dry run lists it, the run
    erases the member it was the only purpose of."""
    member = enrol(VALUES, ["lessons"], source="staff", actor="system")
    public_id = member.public_id
    member.purpose("lessons").keep_until = utcnow() - timedelta(days=1)
    db.session.commit()
    result = runner.invoke(args=["privacy", "retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"{public_id}: purpose lessons would end" in result.output
    report = run_retention()
    assert (public_id, "lessons") in {(pid, p) for pid, p, _f in report.ended}
    assert db.session.scalar(select(ErasureJournal).where(ErasureJournal.public_id == public_id))


def test_a_new_purpose_is_in_the_record_of_processing(runner, client_for, lessons):
    """`flask privacy ropa` and the ROPA page list it with its subjects, roles and retention."""
    result = runner.invoke(args=["privacy", "ropa", "--language", "en"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Swimming lessons: To teach you to swim" in text
    assert "Members who take swimming lessons" in text
    assert re.search(r"Staff with access: Reception, Manager \(admin\)", text)
    assert "Until the course ends, plus 9 days." in text
    admin = client_for("admin")
    english(admin)
    page = admin.get("/office/ropa").get_data(as_text=True)
    assert "Swimming lessons" in page and "Members who take swimming lessons" in page


def test_check_ins_are_kept_as_long_as_the_access_purpose_says(
    domain_messages_in_english, monkeypatch
):
    """Five days in the registry: a six-day-old check-in goes, a four-day-old one stays."""
    _with_retention(monkeypatch, "access", record_days=5)
    now = utcnow()
    for days in (4, 6):
        db.session.add(CheckIn(at=now - timedelta(days=days), allowed=False, reason="unknown"))
    db.session.commit()
    assert prune_check_ins(now, False) == 1
    [kept] = db.session.scalars(select(CheckIn)).all()
    assert as_utc(kept.at) == now - timedelta(days=4)
    assert "check-in records 5 days" in str(PURPOSES["access"].retention)


def test_bookings_are_kept_as_long_as_the_bookings_purpose_says(
    domain_messages_in_english, monkeypatch
):
    """Three days in the registry: a booking's data goes at the start of its fourth day after."""
    _with_retention(monkeypatch, "bookings", record_days=3)
    starts = utcnow()
    assert local_day(erase_after(starts)) == local_day(starts) + timedelta(days=4)
    assert str(PURPOSES["bookings"].retention).startswith("3 days after")


def test_unconfirmed_sign_ups_expire_as_the_newsletter_purpose_says(app, monkeypatch):
    """Two days in the registry: an unconfirmed newsletter consent is erased after two days."""
    _with_retention(monkeypatch, "newsletter", unconfirmed_days=2)
    member = enrol(JANIS, ["newsletter"], confirmed=False)
    keep = as_utc(member.purpose("newsletter").keep_until)
    assert abs(keep - (utcnow() + timedelta(days=2))) < timedelta(minutes=5)


def test_invoices_are_kept_as_long_as_the_fees_purpose_says(
    domain_messages_in_english, monkeypatch
):
    """Seven years in the registry: an invoice of 2026 is kept through 2033."""
    assert legal_keep_until(date(2026, 3, 10)) == date(2031, 12, 31)
    _with_retention(monkeypatch, "fees", legal_years=7)
    assert legal_keep_until(date(2026, 3, 10)) == date(2033, 12, 31)
    assert "invoices and payments 7 years" in str(PURPOSES["fees"].retention)


def test_sign_up_labels_come_from_the_registry(client, monkeypatch):
    """The sign-up boxes' labels are the registry's: changing one changes the page."""
    declared = PURPOSES["bookings"]
    monkeypatch.setitem(
        PURPOSES,
        "bookings",
        dataclasses.replace(
            declared, signup=dataclasses.replace(declared.signup, hint="Book the big hall.")
        ),
    )
    english(client)
    page = client.get("/pieteikties").get_data(as_text=True)
    assert "Book the big hall." in page
    assert "Book a hall; we contact you about the booking." not in page
