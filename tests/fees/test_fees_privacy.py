"""Erasure keeps invoices for their legal period and nothing else; retention ends them."""

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from clubsite.access.models import CheckIn
from clubsite.access.service import check_in
from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.fees import invoices
from clubsite.fees.models import Invoice, Membership, Payment
from clubsite.i18n import CLUB_TZ
from clubsite.members import service as members
from clubsite.privacy.models import Member, MemberPurpose
from clubsite.privacy.retention import run_retention
from clubsite.privacy.subject_access import gather
from tests.fees.helpers import MEMBER, TODAY, card_of, make_member, make_plan, pay, sell


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_erasure_leaves_invoices_for_their_legal_period_and_nothing_else(app, make_staff):
    """The member, memberships and check-ins go; invoices and payments stay, with the buyer."""
    reception = make_staff("reception")
    member = make_member(personal_code="010190-12349")
    _, invoice = sell(member, make_plan())
    pay(invoice, 1000, today=TODAY)
    check_in(card_of(member), user=reception)
    db.session.commit()
    members.erase_member(member, actor="system")
    db.session.commit()
    db.session.expire_all()
    assert _count(Member) == 0 and _count(MemberPurpose) == 0
    assert _count(Membership) == 0 and _count(CheckIn) == 0
    invoice = db.session.scalar(select(Invoice))
    assert invoice.member_id is None
    assert invoice.keep_until == date(2031, 12, 31)
    assert _count(Payment) == 1
    assert invoices.buyer_details(invoice)["buyer_name"] == "Jānis Bērziņš"


def test_invoice_copies_personal_code_only_when_given_for_fees(app):
    """The personal code is printed only if the member gave it for fee administration."""
    with_code = make_member(personal_code="010190-12349")
    without = make_member({**MEMBER, "email": "no-code@example.lv", "postal_address": ""})
    plan = make_plan()
    first = sell(with_code, plan)[1]
    second = sell(without, plan)[1]
    assert invoices.buyer_details(first)["buyer_personal_code"] == "010190-12349"
    assert invoices.buyer_details(second) == {"buyer_name": "Jānis Bērziņš"}


def test_retention_deletes_invoices_past_their_legal_period(app):
    """Invoices of 2026 go on 1 January 2032 with their payments; younger ones stay."""
    plan = make_plan()
    old_member = make_member()
    _, old = sell(old_member, plan)
    pay(old, today=TODAY)
    young = sell(make_member({**MEMBER, "email": "y@example.lv"}), plan, today=date(2027, 2, 1))[1]
    before = datetime(2031, 12, 31, 12, tzinfo=CLUB_TZ)
    assert run_retention(now=before, dry_run=True).tasks["invoices"] == 0
    report = run_retention(now=datetime(2032, 1, 1, 12, tzinfo=CLUB_TZ))
    assert report.tasks["invoices"] == 1
    assert db.session.scalars(select(Invoice.number)).all() == [young.number]
    assert _count(Payment) == 0


def test_open_invoice_holds_the_fees_purpose(app):
    """The membership is over, but an unpaid invoice keeps the fee purpose (and the contact)."""
    member = make_member()
    public_id = member.public_id  # the row goes with the erasure
    membership, invoice = sell(member, make_plan())
    from clubsite.fees import service

    service.end_membership(membership, member, expected_version=membership.version, actor="system")
    db.session.commit()
    later = utcnow() + timedelta(days=400)
    report = run_retention(now=later)
    ended = {purpose for _pid, purpose, _fields in report.ended}
    assert ended == {"access"}
    db.session.expire_all()
    assert db.session.get(Member, member.id).purpose("fees") is not None
    invoice = db.session.get(Invoice, invoice.id)
    pay(invoice, today=TODAY)
    report = run_retention(now=later)
    assert report.erased_members == [public_id]
    assert _count(Invoice) == 1


def test_subject_access_export_lists_invoices_payments_and_check_ins(app, make_staff):
    """The member's export shows their invoices with payments, memberships and check-ins."""
    member = make_member()
    _, invoice = sell(member, make_plan())
    pay(invoice, 500, today=TODAY)
    check_in(card_of(member), user=make_staff("reception"))
    db.session.commit()
    export = gather(member, language="en")
    assert export["invoices"][0]["number"] == invoice.number
    assert export["invoices"][0]["payments"][0]["amount_cents"] == 500
    assert export["invoices"][0]["buyer"]["buyer_name"] == "Jānis Bērziņš"
    assert export["memberships"][0]["status"] == "active"
    assert len(export["check_ins"]) == 1


def test_key_rotation_re_encrypts_invoice_buyers(app):
    """Invoices are registered with key rotation: their buyer copy moves to the new key."""
    from clubsite.privacy import keys
    from clubsite.privacy.crypto import key_id_of

    _, invoice = sell(make_member(), make_plan())
    ring = app.config["KEY_RING"].with_new_active_key()
    app.config["KEY_RING"] = ring
    assert keys.reencrypt_all(ring) >= 2
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    assert key_id_of(invoice.buyer_name_enc) == ring.active_id
    assert invoices.buyer_details(invoice)["buyer_name"] == "Jānis Bērziņš"
