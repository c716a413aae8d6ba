"""Members, plans and memberships built through the real services, for fees and access tests."""

from datetime import date, timedelta

from sqlalchemy import select

from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.fees import invoices, service
from clubsite.fees.models import Invoice
from clubsite.i18n import today_local
from clubsite.members import service as members
from clubsite.privacy import fields as store

MEMBER = {
    "first_name": "Jānis",
    "last_name": "Bērziņš",
    "email": "janis.berzins@example.lv",
    "postal_address": "Brīvības iela 10-5, Rīga, LV-1010",
}
TODAY = date(2026, 3, 10)


def make_member(values=None, purposes=("access", "fees"), **extra):
    """A member enrolled at the desk (committed)."""
    raw = dict(values or MEMBER, **extra)
    member, created = members.enrol_member(raw, list(purposes), source="staff", actor="system")
    assert created
    db.session.commit()
    return member


def make_plan(name="Trenažieru zāle", price_cents=3500, period="month"):
    """A plan on sale (committed)."""
    plan = service.create_plan(name, price_cents, period)
    db.session.commit()
    return plan


def sell(member, plan, *, starts_on=None, today=None):
    """Sell a membership (committed); returns (membership, its first invoice)."""
    today = today or starts_on or TODAY
    membership = service.sell_membership(
        member, plan, starts_on=starts_on or today, actor="system", today=today
    )
    db.session.commit()
    invoice = db.session.scalar(
        select(Invoice).where(Invoice.membership_id == membership.id).order_by(Invoice.id)
    )
    return membership, invoice


def pay(invoice, cents=None, *, today=None):
    """Record a payment of the rest of an invoice (committed)."""
    payment = invoices.record_payment(
        invoice,
        cents or invoice.remaining_cents,
        "cash",
        paid_on=today,
        actor=Actor.staff("00000000-0000-4000-8000-000000000001"),
        expected_version=invoice.version,
        today=today,
    )
    db.session.commit()
    return payment


def make_overdue(invoice, days):
    """Move an invoice's due date into the past (committed)."""
    invoice.due_on = today_local() - timedelta(days=days)
    db.session.commit()


def card_of(member):
    """The member's card number, decrypted."""
    return store.read(member, ["card_number"])["card_number"]


def english(client):
    """Switch a test client's UI to English."""
    from tests.conftest import csrf_token

    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})
    return client
