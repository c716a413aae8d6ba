"""The club's activity for demo members: memberships with invoices and payments, check-ins at
the door in the last 30 days, and hall bookings on the day each booking enrolment names.

Invoices carry their own encrypted buyer name (as fees.invoices writes it), numbers run on from
the year's counter, and halls are booked one slot at a time so no two bookings overlap.
"""

import random
import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, inspect, select

from clubsite.access.models import CheckIn
from clubsite.backup.tables import insert_rows
from clubsite.bookings.models import Booking, Hall
from clubsite.extensions import db
from clubsite.fees.invoices import DEFAULT_DUE_DAYS, legal_keep_until
from clubsite.fees.models import (
    PAYMENT_METHODS,
    PERIOD_MONTHS,
    Invoice,
    InvoiceCounter,
    Membership,
    Payment,
    Plan,
)
from clubsite.fees.service import create_plan
from clubsite.fees.terms import add_months, period_containing
from clubsite.i18n import CLUB_TZ, to_local
from clubsite.locations import Location
from clubsite.privacy.crypto import encrypt_field
from clubsite.privacy.fields import display_name

PLANS = (("Mēneša abonements", 3500, "month", 0.6), ("Ceturkšņa abonements", 9500, "quarter", 0.25),
         ("Gada abonements", 32000, "year", 0.15))  # fmt: skip
HALLS = ("Lielā zāle", "Mazā zāle", "Jogas studija")
INVOICED_MONTHS = 6  # invoices of the last half year per membership (older ones add nothing)
DEMO_STAFF = "demo"  # stands for the staff member who recorded a payment or booking
OPEN_HOURS = range(8, 22)

MEMBERSHIP_COLUMNS = ["id", "public_id", "member_id", "plan_id", "starts_on", "ends_on", "status",
                      "created_at", "ended_at", "version"]  # fmt: skip
INVOICE_COLUMNS = ["id", "public_id", "number", "member_id", "membership_id", "description",
                   "issued_on", "period_start", "period_end", "due_on", "amount_cents",
                   "paid_cents", "status", "keep_until", "buyer_name_enc",
                   "buyer_personal_code_enc", "buyer_address_enc", "created_at",
                   "version"]  # fmt: skip
PAYMENT_COLUMNS = ["public_id", "invoice_id", "amount_cents", "method", "paid_on", "recorded_by",
                   "recorded_at"]  # fmt: skip
CHECKIN_COLUMNS = ["member_id", "at", "allowed", "reason", "location_id", "staff_id"]
BOOKING_COLUMNS = ["public_id", "hall_id", "starts_at", "ends_at", "member_id", "created_by",
                   "created_at", "version", "status"]  # fmt: skip


def _next_id(model):
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _local_moment(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), CLUB_TZ).astimezone(UTC)


class Activity:
    """Adds activity batch by batch, after the members of the batch were written."""

    def __init__(self, now, rnd, ring):
        self.now, self.rnd, self.ring = now, rnd, ring
        self.today = to_local(now).date()
        self.plans = self._plans()
        self.halls = self._halls()
        self.booked = set()  # (hall id, day, hour)
        self.locations = list(db.session.scalars(select(Location.id)))
        self.ids = {m: _next_id(m) for m in (Membership, Invoice)}
        self.counters = {c.year: c.last_number for c in db.session.scalars(select(InvoiceCounter))}

    def _plans(self):
        existing = {p.name: p for p in db.session.scalars(select(Plan))}
        for name, price, period, _share in PLANS:
            if name not in existing:
                existing[name] = create_plan(name, price, period)
        db.session.flush()
        return [(existing[name], share) for name, _p, _period, share in PLANS]

    def _halls(self):
        halls = list(db.session.scalars(select(Hall).where(Hall.active.is_(True))))
        if not halls:
            for location_id in db.session.scalars(select(Location.id)):
                for name in HALLS:
                    db.session.add(Hall(name=name, location_id=location_id, capacity=30))
            db.session.flush()
            halls = list(db.session.scalars(select(Hall)))
        return [h.id for h in halls]

    def add(self, written):
        """Memberships, invoices, payments, check-ins and bookings of one batch of members."""
        rows = {"membership": [], "invoice": [], "payment": [], "checkin": [], "booking": []}
        for member_id, person in written:
            for purpose, _basis, _source, used, ends, _keep in person.enrolments:
                if purpose == "fees":
                    self._membership(member_id, person, used, ends, rows)
                elif purpose == "bookings":
                    self._booking(member_id, person, ends, rows)
        conn = db.session.connection()
        insert_rows(conn, Membership.__table__, MEMBERSHIP_COLUMNS, rows["membership"])
        insert_rows(conn, Invoice.__table__, INVOICE_COLUMNS, rows["invoice"])
        insert_rows(conn, Payment.__table__, PAYMENT_COLUMNS, rows["payment"])
        insert_rows(conn, CheckIn.__table__, CHECKIN_COLUMNS, rows["checkin"])
        insert_rows(conn, Booking.__table__, BOOKING_COLUMNS, rows["booking"])

    def _membership(self, member_id, person, used, ends, rows):
        rnd = self.rnd
        plan = rnd.choices([p for p, _s in self.plans], [s for _p, s in self.plans])[0]
        starts_on = to_local(person.created_at).date()
        last_day = (to_local(ends).date() - timedelta(days=1)) if ends else self.today
        last_day = max(last_day, starts_on)
        period_end = period_containing(starts_on, plan.period, last_day)[1]
        membership_id = self.ids[Membership]
        self.ids[Membership] += 1
        rows["membership"].append(
            [membership_id, str(uuid.uuid4()), member_id, plan.id, starts_on,
             last_day if ends else period_end, "ended" if ends else "active",
             person.created_at, ends, 1]
        )  # fmt: skip
        first = max(starts_on, add_months(self.today, -INVOICED_MONTHS))
        start, end = period_containing(starts_on, plan.period, first)
        given = {f: person.values.get(f) for f in ("personal_code", "postal_address") if f in used}
        buyer = {
            "buyer_name": display_name(person.values),
            "buyer_personal_code": given.get("personal_code"),
            "buyer_address": given.get("postal_address"),
        }
        months = PERIOD_MONTHS[plan.period]
        index = ((start.year - starts_on.year) * 12 + start.month - starts_on.month) // months
        while start <= last_day:
            self._invoice(member_id, membership_id, plan, (start, end), buyer, rows)
            index += 1
            start = add_months(starts_on, index * months)
            end = add_months(starts_on, (index + 1) * months) - timedelta(days=1)
        if not ends and rnd.random() < 0.25:
            self._visits(member_id, rows)

    def _invoice(self, member_id, membership_id, plan, period, buyer, rows):
        rnd = self.rnd
        issued = min(period[0], self.today)
        due = issued + timedelta(days=DEFAULT_DUE_DAYS)
        paid = rnd.random() < (0.95 if due < self.today else 0.6)
        invoice_id, public_id = self.ids[Invoice], str(uuid.uuid4())
        self.ids[Invoice] += 1
        self.counters[issued.year] = self.counters.get(issued.year, 0) + 1
        sealed = [
            encrypt_field(self.ring, value, table="invoice", column=column, row_id=public_id)
            if value
            else None
            for column, value in buyer.items()
        ]
        created = _local_moment(issued, 9)
        rows["invoice"].append(
            [invoice_id, public_id, f"{issued.year}-{self.counters[issued.year]:06d}", member_id,
             membership_id, plan.name, issued, period[0], period[1], due, plan.price_cents,
             plan.price_cents if paid else 0, "paid" if paid else "open",
             legal_keep_until(issued), *sealed, created, 1]
        )  # fmt: skip
        if paid:
            paid_on = min(issued + timedelta(days=rnd.randint(0, DEFAULT_DUE_DAYS)), self.today)
            rows["payment"].append(
                [str(uuid.uuid4()), invoice_id, plan.price_cents, rnd.choice(PAYMENT_METHODS),
                 paid_on, DEMO_STAFF, _local_moment(paid_on, 12)]
            )  # fmt: skip

    def _visits(self, member_id, rows):
        location = self.rnd.choice(self.locations) if self.locations else None
        for _ in range(self.rnd.randint(1, 10)):
            day = self.today - timedelta(days=self.rnd.randint(0, 29))
            at = min(
                _local_moment(day, self.rnd.choice(OPEN_HOURS), self.rnd.randint(0, 59)), self.now
            )
            rows["checkin"].append([member_id, at, True, "allowed", location, DEMO_STAFF])

    def _booking(self, member_id, person, day_moment, rows):
        """One hour in a free hall on the booking's day (a full day gets no booking)."""
        day = to_local(day_moment).date()
        for hall in self.rnd.sample(self.halls, len(self.halls)):
            free = [h for h in OPEN_HOURS if (hall, day, h) not in self.booked]
            if free:
                hour = self.rnd.choice(free)
                self.booked.add((hall, day, hour))
                starts = _local_moment(day, hour)
                rows["booking"].append(
                    [str(uuid.uuid4()), hall, starts, starts + timedelta(hours=1), member_id,
                     DEMO_STAFF, min(person.created_at, starts), 1, "confirmed"]
                )  # fmt: skip
                return

    def finish(self):
        """Unknown cards at the door, and the invoice counters the next invoice continues from."""
        rows = []
        for _ in range(max(1, len(self.booked) // 50)):
            day = self.today - timedelta(days=self.rnd.randint(0, 29))
            at = min(_local_moment(day, self.rnd.choice(OPEN_HOURS)), self.now)
            rows.append([None, at, False, "unknown_card", None, DEMO_STAFF])
        insert_rows(db.session.connection(), CheckIn.__table__, CHECKIN_COLUMNS, rows)
        for year, last in self.counters.items():
            counter = db.session.get(InvoiceCounter, year)
            if counter is None:
                db.session.add(InvoiceCounter(year=year, last_number=last))
            else:
                counter.last_number = last


def make_activity(now, rnd, ring):
    """The activity writer, or None while the fees, access or bookings tables do not exist."""
    inspector = inspect(db.session.connection())
    needed = ("membership", "invoice", "payment", "check_in", "booking", "hall", "plan")
    if not all(inspector.has_table(name) for name in needed):
        return None
    return Activity(now, random.Random(rnd.random()), ring)
