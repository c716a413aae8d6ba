"""The GDPR registers: subject requests due in one month, breaches with their 72-hour clock,
complaints; create, edit, close with optimistic locking; formula-safe CSV exports; audit."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.i18n import CLUB_TZ
from clubsite.privacy.audit import AuditEvent
from clubsite.registers import breaches, complaints, requests, service
from clubsite.registers.models import Breach, Complaint, SubjectRequest
from tests.conftest import csrf_token

MEMBER_ID = "0b5c3f1e-2a4d-4c8e-9f10-1234567890ab"


def _english(client):
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})


@pytest.fixture
def admin(client_for):
    """A trained admin's client, in English."""
    client = client_for("admin")
    _english(client)
    return client


def _actions():
    return db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()


def _riga(*args):
    return datetime(*args, tzinfo=CLUB_TZ)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (_riga(2026, 1, 31, 10, 0), (2026, 2, 28)),
        (_riga(2028, 1, 31, 10, 0), (2028, 2, 29)),
        (_riga(2026, 3, 15, 23, 30), (2026, 4, 15)),
        (_riga(2026, 12, 31, 9, 0), (2027, 1, 31)),
    ],
)
def test_requests_are_due_one_month_after_receipt(received, due):
    """The same day next month, or that month's last day (Art. 12(3)); counted in Riga time."""
    due_at = service.one_month_after(received)
    assert due_at.astimezone(CLUB_TZ).date() == datetime(*due).date()
    assert due_at.utcoffset() == timedelta(0)  # stored in UTC (SQLite keeps no zone)


def test_record_a_request_at_the_desk_and_close_it(admin):
    """A request is filed with its due date, its details encrypted; closing needs an outcome."""
    url = "/office/registers/requests/new"
    response = admin.post(
        url,
        data={
            "kind": "access",
            "received_at": "2026-01-31",
            "source": "desk",
            "member_public_id": MEMBER_ID,
            "details": "Wants a copy of everything after moving to Liepāja.",
            "csrf_token": csrf_token(admin, url),
        },
    )
    assert response.status_code == 302
    entry = db.session.scalar(select(SubjectRequest))
    assert entry.kind == "access" and entry.member_public_id == MEMBER_ID
    assert as_utc(entry.due_at).astimezone(CLUB_TZ).date() == datetime(2026, 2, 28).date()
    assert b"Liep" not in entry.details_enc
    assert service.read_text(entry, "details").startswith("Wants a copy")

    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Wants a copy" in page and "Overdue" in page  # received in January
    read = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("register.%"))).all()
    assert any(
        e.action == "register.requests_read" and e.fields == "details,extension_reason,outcome"
        for e in read
    )

    edit = response.headers["Location"]
    token = csrf_token(admin, edit)
    version = str(entry.version)
    refused = admin.post(
        edit, data={"status": "done", "details": "x", "version": version, "csrf_token": token}
    )
    assert "Say what was done" in refused.get_data(as_text=True)
    db.session.refresh(entry)
    assert entry.status == "open" and entry.closed_at is None
    done = admin.post(
        edit,
        data={
            "status": "done",
            "details": "Wants a copy.",
            "outcome": "Copy sent by post on 12.02.2026.",
            "version": version,
            "csrf_token": token,
        },
    )
    assert done.status_code == 302
    db.session.refresh(entry)
    assert entry.status == "done" and entry.closed_at is not None
    assert "register.request_updated" in _actions()


def test_stale_form_changes_nothing(admin):
    """Optimistic locking: a form made before someone else's change is refused with a message."""
    entry = service.record_subject_request(
        {"kind": "access", "source": "email", "details": "Copy of my data, please."}
    )
    db.session.commit()
    url = f"/office/registers/requests/{entry.public_id}"
    token = csrf_token(admin, url)
    old_version = str(entry.version)
    requests.update_subject_request(
        entry,
        {"status": "in_progress", "details": "Copy of my data.", "outcome": "Sent by mail."},
        version=entry.version,
    )
    db.session.commit()
    response = admin.post(
        url,
        data={
            "status": "refused",
            "details": "mine",
            "outcome": "mine",
            "version": old_version,
            "csrf_token": token,
        },
    )
    assert "Someone else changed this entry" in response.get_data(as_text=True)
    db.session.refresh(entry)
    assert entry.status == "in_progress"
    assert service.read_text(entry, "outcome") == "Sent by mail."


def test_bad_input_is_refused_and_kept(admin):
    """A future date and a malformed member id give clear messages; what was typed stays."""
    url = "/office/registers/complaints/new"
    tomorrow = (utcnow() + timedelta(days=2)).astimezone(CLUB_TZ).date().isoformat()
    response = admin.post(
        url,
        data={
            "received_at": tomorrow,
            "channel": "email",
            "summary": "Got a newsletter after unsubscribing.",
            "csrf_token": csrf_token(admin, url),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "This date is in the future." in page
    assert "Got a newsletter after unsubscribing." in page
    response = admin.post(
        url,
        data={
            "received_at": "2026-11-01",
            "channel": "email",
            "member_public_id": "Jānis Bērziņš",
            "summary": "Complaint",
            "csrf_token": csrf_token(admin, url),
        },
    )
    assert "Enter the member id as shown" in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(Complaint.id))) == 0


def test_breach_clock_counts_72_hours_from_detection():
    """Computed on the server: time left, overdue after 72 hours, stopped once notified."""
    now = utcnow()
    fresh = Breach(detected_at=now - timedelta(hours=10))
    clock = breaches.countdown(fresh, now=now)
    assert (clock.hours, clock.minutes, clock.overdue) == (62, 0, False)
    late = Breach(detected_at=now - timedelta(hours=80, minutes=30))
    clock = breaches.countdown(late, now=now)
    assert clock.overdue and (clock.hours, clock.minutes) == (8, 30)
    notified = Breach(
        detected_at=now - timedelta(hours=80), authority_notified_at=now - timedelta(hours=30)
    )
    clock = breaches.countdown(notified, now=now)
    assert clock.notified and not clock.overdue and clock.hours == 22


def test_breach_pages_show_the_countdown_and_the_home_panel(admin):
    """An overdue breach is marked on the list and on the admin's home page."""
    url = "/office/registers/breaches/new"
    detected = (utcnow() - timedelta(hours=75)).astimezone(CLUB_TZ).strftime("%Y-%m-%dT%H:%M")
    response = admin.post(
        url,
        data={
            "detected_at": detected,
            "description": "A printed booking list was left in the changing room.",
            "categories": ["names", "bookings"],
            "people_count": "12",
            "risk": "medium",
            "status": "open",
            "csrf_token": csrf_token(admin, url),
        },
    )
    assert response.status_code == 302
    breach = db.session.scalar(select(Breach))
    assert breach.category_list == ["names", "bookings"] and breach.people_count == 12
    assert b"changing room" not in breach.description_enc
    listing = admin.get("/office/registers/breaches").get_data(as_text=True)
    assert 'class="countdown countdown-overdue"' in listing and "Overdue by 3 h" in listing
    assert "js/countdown.js" in listing
    home = admin.get("/office/").get_data(as_text=True)
    assert "Registers: deadlines" in home and "countdown-overdue" in home

    edit = f"/office/registers/breaches/{breach.public_id}"
    notified = utcnow().astimezone(CLUB_TZ).strftime("%Y-%m-%dT%H:%M")
    admin.post(
        edit,
        data={
            "detected_at": detected,
            "description": "A printed booking list was left in the changing room.",
            "categories": ["names", "bookings"],
            "people_count": "12",
            "risk": "medium",
            "authority_notified_at": notified,
            "people_informed": "y",
            "measures": "Lists are no longer printed.",
            "status": "contained",
            "version": str(breach.version),
            "csrf_token": csrf_token(admin, edit),
        },
    )
    db.session.refresh(breach)
    assert breach.authority_notified_at is not None and breach.people_informed_at is not None
    assert "Notified late" in admin.get("/office/registers/breaches").get_data(as_text=True)


def test_overview_lists_open_items_with_deadlines(admin):
    """Open requests (overdue ones marked), breaches and complaints appear on the overview."""
    service.record_subject_request(
        {"kind": "access", "source": "letter", "details": "Letter received."},
        now=utcnow(),
    )
    old = service.record_subject_request(
        {"kind": "objection", "source": "desk", "details": "Stop the offers."}
    )
    old.received_at = utcnow() - timedelta(days=40)
    old.due_at = service.one_month_after(old.received_at)
    complaints.record_complaint(
        {"received_at": utcnow(), "channel": "phone", "summary": "Rude at the desk."}
    )
    db.session.commit()
    page = admin.get("/office/registers").get_data(as_text=True)
    assert "Objection" in page and "Access (a copy of their data)" in page
    assert page.count("Overdue") == 1
    assert "No open breaches." in page and "No open complaints." not in page


@pytest.mark.parametrize("kind", ["requests", "breaches", "complaints"])
def test_csv_exports_neutralise_formulas(admin, kind):
    """Every cell starting with =, +, - or @ is prefixed so a spreadsheet does not run it."""
    evil = '=HYPERLINK("http://x","click")'
    if kind == "requests":
        service.record_subject_request({"kind": "access", "source": "email", "details": evil})
    elif kind == "breaches":
        breaches.record_breach(
            {
                "detected_at": utcnow(),
                "description": evil,
                "measures": "+SUM(1,2)",
                "risk": "low",
            }
        )
    else:
        complaints.record_complaint(
            {"channel": "email", "summary": "@cmd", "outcome": "-2+3", "received_at": utcnow()}
        )
    db.session.commit()
    from tests.support.exports import plain_export  # the plain file, after the warning

    response = plain_export(admin, f"/office/registers/{kind}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert cells and not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert any(cell.startswith("'") for cell in cells)
    export = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "register.exported"))
    assert export.detail == f"{kind} rows=1"


def test_registers_are_for_admins_only(client_for):
    """Reception gets 403 on the registers and their exports."""
    reception = client_for("reception")
    assert reception.get("/office/registers").status_code == 403
    assert reception.get("/office/registers/breaches/export.csv").status_code == 403
