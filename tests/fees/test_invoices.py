"""Selling memberships, issuing and generating invoices, payments and purposes kept in step."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from clubsite.database import as_utc
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.fees import invoices, service
from clubsite.fees.models import Invoice, Membership
from clubsite.i18n import CLUB_TZ
from clubsite.members import service as members
from clubsite.privacy.audit import AuditEvent
from tests.fees.helpers import MEMBER, TODAY, make_member, make_plan, pay, sell


def test_selling_creates_membership_first_invoice_and_buyer_copy(app):
    """The first period is invoiced at once; the invoice holds its own copy of the buyer."""
    member = make_member(personal_code="")
    membership, invoice = sell(member, make_plan())
    assert (membership.starts_on, membership.ends_on) == (TODAY, date(2026, 4, 9))
    assert invoice.number == "2026-000001"
    assert (invoice.period_start, invoice.period_end) == (TODAY, date(2026, 4, 9))
    assert invoice.due_on == TODAY + timedelta(days=14)
    assert invoice.amount_cents == 3500
    assert invoice.keep_until == date(2031, 12, 31)
    assert invoices.buyer_details(invoice) == {
        "buyer_name": "Jānis Bērziņš",
        "buyer_address": MEMBER["postal_address"],
    }


def test_selling_adds_club_access_with_a_card_when_missing(app):
    """A member enrolled only for fees gets the access purpose (and a card) with the contract."""
    member = make_member(purposes=("fees",))
    sell(member, make_plan())
    db.session.refresh(member)
    assert member.purpose("access") is not None
    assert member.card_number_bidx is not None


def test_selling_needs_the_fees_purpose_and_one_active_membership(app):
    """Without fee administration there is nobody to invoice; a second active one is refused."""
    plan = make_plan()
    access_only = make_member(purposes=("access",))
    with pytest.raises(service.FeesError, match="not enrolled for fee administration"):
        service.sell_membership(access_only, plan, actor="system", today=TODAY)
    db.session.rollback()
    member = make_member({**MEMBER, "email": "other@example.lv"})
    sell(member, plan)
    with pytest.raises(service.FeesError, match="already has an active membership"):
        service.sell_membership(member, plan, actor="system", today=TODAY)


def test_numbers_are_sequential_per_year(app):
    """Each year starts again at 000001; numbers never repeat."""
    plan = make_plan()
    numbers = []
    for index, today in enumerate([TODAY, TODAY, date(2027, 1, 2)]):
        member = make_member({**MEMBER, "email": f"m{index}@example.lv"})
        numbers.append(sell(member, plan, today=today)[1].number)
    assert numbers == ["2026-000001", "2026-000002", "2027-000001"]


def test_generation_is_idempotent_per_member_and_period(app):
    """Generating a month twice issues its invoices once and extends the membership."""
    plan = make_plan()
    member = make_member()
    membership, _first = sell(member, plan)
    april = (date(2026, 4, 1), date(2026, 4, 30))
    issued = invoices.generate_invoices(*april, today=date(2026, 4, 1))
    db.session.commit()
    assert [(i.period_start, i.period_end) for i in issued] == [
        (date(2026, 4, 10), date(2026, 5, 9))
    ]
    assert invoices.generate_invoices(*april, today=date(2026, 4, 1)) == []
    db.session.commit()
    db.session.refresh(membership)
    assert membership.ends_on == date(2026, 5, 9)
    assert db.session.scalar(select(func.count(Invoice.id))) == 2


def test_ended_memberships_are_not_invoiced(app):
    """Ending stops renewal; generation leaves the membership alone."""
    member = make_member()
    membership, _ = sell(member, make_plan())
    service.end_membership(membership, member, expected_version=membership.version, actor="system")
    db.session.commit()
    assert invoices.generate_invoices(date(2026, 4, 1), date(2026, 4, 30)) == []


def test_partial_payments_add_up_and_overpaying_is_refused(app):
    """Two partial payments mark the invoice paid; more than is due changes nothing."""
    member = make_member()
    _, invoice = sell(member, make_plan())
    pay(invoice, 1000, today=TODAY)
    assert (invoice.status, invoice.paid_cents) == ("open", 1000)
    with pytest.raises(service.FeesError, match="more than is still due"):
        invoices.record_payment(
            invoice,
            2501,
            "cash",
            actor=Actor.staff("x"),
            expected_version=invoice.version,
            today=TODAY,
        )
    db.session.rollback()
    pay(invoice, 2500, today=TODAY)
    assert (invoice.status, invoice.paid_cents, len(invoice.payments)) == ("paid", 3500, 2)


def test_payment_in_a_later_year_extends_the_legal_keep(app):
    """Kept 5 years after the end of the latest financial year it touches."""
    member = make_member()
    _, invoice = sell(member, make_plan(), today=date(2026, 12, 20))
    pay(invoice, today=date(2027, 1, 5))
    assert invoice.keep_until == date(2032, 12, 31)


def test_stale_version_is_refused_and_changes_nothing(app):
    """A form showing an older version of the invoice cannot record a payment."""
    member = make_member()
    _, invoice = sell(member, make_plan())
    stale = invoice.version
    pay(invoice, 500, today=TODAY)
    with pytest.raises(service.FeesError, match="Someone else changed this record"):
        invoices.record_payment(
            invoice, 500, "cash", actor=Actor.staff("x"), expected_version=stale, today=TODAY
        )
    db.session.rollback()
    assert invoice.paid_cents == 500


def test_void_keeps_the_number_and_refuses_paid_invoices(app):
    """A void invoice keeps its number; an invoice with payments cannot be voided."""
    member = make_member()
    _, invoice = sell(member, make_plan())
    pay(invoice, 100, today=TODAY)
    with pytest.raises(service.FeesError, match="without payments"):
        invoices.void_invoice(invoice, expected_version=invoice.version)
    db.session.rollback()
    other = make_member({**MEMBER, "email": "void@example.lv"})
    _, second = sell(other, make_plan("Baseins"))
    invoices.void_invoice(second, expected_version=second.version)
    db.session.commit()
    assert (second.status, second.number) == ("void", "2026-000002")


def test_ending_sets_access_and_fees_retention(app):
    """Access is kept 30 days after the last valid day, fees until it (while nothing is open)."""
    member = make_member()
    membership, _ = sell(member, make_plan())
    assert member.purpose("access").keep_until is None
    service.end_membership(
        membership,
        member,
        ends_on=date(2026, 3, 31),
        expected_version=membership.version,
        actor="system",
    )
    db.session.commit()
    db.session.expire_all()
    access_keep = as_utc(member.purpose("access").keep_until)
    fees_keep = as_utc(member.purpose("fees").keep_until)
    assert access_keep == datetime(2026, 5, 1, tzinfo=CLUB_TZ)
    assert fees_keep == datetime(2026, 4, 1, tzinfo=CLUB_TZ)
    assert as_utc(member.purpose("access").ends_at) == fees_keep


def test_plan_changes_are_checked(app):
    """Unique names, a stale form refused, the period fixed while members hold the plan."""
    plan = make_plan()
    other = make_plan("Baseins")
    with pytest.raises(service.FeesError, match="already exists"):
        service.update_plan(
            other,
            name=plan.name,
            price_cents=100,
            period="month",
            active=True,
            expected_version=other.version,
        )
    db.session.rollback()
    sell(make_member(), plan)
    with pytest.raises(service.FeesError, match="period cannot change"):
        service.update_plan(
            plan,
            name=plan.name,
            price_cents=100,
            period="year",
            active=True,
            expected_version=plan.version,
        )
    db.session.rollback()
    with pytest.raises(service.FeesError, match="Someone else changed"):
        service.update_plan(
            plan, name="X", price_cents=100, period="month", active=True, expected_version=0
        )


def test_erasing_a_member_deletes_memberships(app):
    """Memberships go with the member; the invoice stays, detached."""
    member = make_member()
    _, invoice = sell(member, make_plan())
    members.erase_member(member, actor="system")
    db.session.commit()
    assert db.session.scalar(select(func.count(Membership.id))) == 0
    db.session.refresh(invoice)
    assert invoice.member_id is None and invoice.membership_id is None


def test_the_months_run_writes_what_issuing_one_by_one_would(app):
    """The set-based run: gapless numbers after the ones taken before it, each invoice with its
    buyer copy (personal code and address only where given for fees), its own audit event,
    the membership extended; members without those fields get none on their invoice."""
    plan = make_plan()
    full = make_member(
        {**MEMBER, "personal_code": "010190-10001", "postal_address": "Ausekļa iela 3, Rīga"}
    )
    plain = make_member({"first_name": "Ieva", "last_name": "Liepa", "email": "ieva@example.lv"})
    sold = [sell(member, plan) for member in (full, plain)]  # 10.03.-09.04.; numbers 1 and 2
    issued = invoices.generate_invoices(date(2026, 4, 1), date(2026, 4, 30), today=date(2026, 4, 1))
    db.session.commit()
    assert [i.number for i in issued] == ["2026-000003", "2026-000004"]
    by_member = {i.member_id: db.session.get(Invoice, i.id) for i in issued}
    copy = invoices.buyer_details(by_member[full.id])
    assert copy == {
        "buyer_name": f"{MEMBER['first_name']} {MEMBER['last_name']}",
        "buyer_personal_code": "010190-10001",
        "buyer_address": "Ausekļa iela 3, Rīga",
    }
    assert invoices.buyer_details(by_member[plain.id]) == {"buyer_name": "Ieva Liepa"}
    for invoice in by_member.values():
        assert (invoice.status, invoice.amount_cents, invoice.version) == ("open", 3500, 1)
        assert invoice.due_on == date(2026, 4, 24) and invoice.keep_until == date(2031, 12, 31)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "fees.invoice_issued").order_by(AuditEvent.id)
    ).all()
    assert [e.detail for e in events][-2:] == ["2026-000003", "2026-000004"]
    assert events[-2].fields == "first_name,last_name,personal_code,postal_address"
    assert events[-1].subject_id == plain.public_id
    for membership, _first in sold:
        db.session.refresh(membership)
        assert (membership.ends_on, membership.version) == (date(2026, 5, 9), 2)
    assert invoices.next_number(2026) == "2026-000005"
