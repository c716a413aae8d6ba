"""The desk: reception sells a plan to someone who signed up online and lets them in at once,
takes cash or a card, renews, and pauses a membership (the paid term moves on by the pause);
the desk's pages never show the fees purpose's fields."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.fees import desk
from clubsite.fees.invoices import generate_invoices, invoices_of
from clubsite.fees.models import Invoice, Membership, Payment
from clubsite.fees.standing import decide
from clubsite.fees.terms import FeesError
from clubsite.i18n import today_local
from clubsite.privacy.audit import AuditEvent
from tests.conftest import csrf_token
from tests.fees.bank_helpers import lv_iban
from tests.fees.helpers import card_of, english, make_member, make_plan, sell
from tests.public.helpers import member_with_email, sign_up

STAFF = Actor.staff("00000000-0000-4000-8000-000000000001")
FEES_VALUES = {
    "first_name": "Līga",
    "last_name": "Ozoliņa",
    "email": "liga.ozolina@example.lv",
    "personal_code": "010190-10001",
    "postal_address": "Ausekļa iela 3-7, Rīga, LV-1010",
    "iban": lv_iban(77),
}


@pytest.fixture
def reception(client_for):
    """A trained reception desk seeing English."""
    return english(client_for("reception"))


def _check_in(client, card):
    token = csrf_token(client, "/office/checkin")
    return client.post("/office/checkin", data={"card": card, "csrf_token": token})


def _post(client, url, page, **data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)})


def test_online_member_bought_at_the_desk_is_let_in_at_once(client, reception):
    """Signed up online for a membership: refused ("no membership"), the answer links to the
    desk, reception sells a plan paid in cash, and the next scan lets them in."""
    sign_up(
        client, ["membership"], {k: FEES_VALUES[k] for k in ("first_name", "last_name", "email")}
    )
    member = member_with_email(FEES_VALUES["email"])
    plan = make_plan("Trenažieru zāle", 3500)
    card = card_of(member)
    refused = _check_in(reception, card).get_data(as_text=True)
    assert "No membership." in refused and f"/office/desk/{member.public_id}" in refused
    page_url = f"/office/desk/{member.public_id}"
    page = reception.get(page_url).get_data(as_text=True)
    assert "Trenažieru zāle" in page and "35,00" in page
    response = _post(reception, page_url + "/sell", page_url, plan=plan.public_id, method="cash")
    assert response.status_code == 302
    allowed = _check_in(reception, card).get_data(as_text=True)
    assert "Access allowed" in allowed
    invoice = db.session.scalar(select(Invoice).where(Invoice.member_id == member.id))
    assert invoice.status == "paid"
    assert db.session.scalar(select(Payment.method)) == "cash"


def test_desk_pages_never_show_fees_fields(reception):
    """Email, personal code, postal address and IBAN stay off the desk, and off its audit."""
    member = make_member(FEES_VALUES)
    sell(member, make_plan(), today=today_local())
    url = f"/office/desk/{member.public_id}"
    page = reception.get(url).get_data(as_text=True)
    assert "Līga Ozoliņa" in page and "Unpaid" in page
    for name in ("email", "personal_code", "postal_address", "iban"):
        assert FEES_VALUES[name] not in page, name
    assert lv_iban(77)[-4:] not in page
    for label in ("Email", "Personal code", "Postal address", "IBAN"):
        assert label not in page
    read = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "fees.desk_read"))
    assert read.fields == "first_name,last_name"


def test_accountant_and_marketing_have_no_desk(client_for):
    """The desk permission is reception's (and the manager's) by default."""
    member = make_member()
    for role in ("accountant", "marketing", "staff"):
        assert client_for(role).get(f"/office/desk/{member.public_id}").status_code == 403


def test_take_payment_checks_the_sum_shown(reception):
    """The sum the page showed is taken; a changed sum (paid meanwhile) records nothing."""
    member = make_member()
    _m, invoice = sell(member, make_plan(price_cents=3500), today=today_local())
    url = f"/office/desk/{member.public_id}"
    stale = _post(reception, url + "/pay", url, method="card", expected="2000")
    assert stale.status_code == 302
    assert db.session.scalar(select(Payment.id)) is None
    odd = _post(reception, url + "/pay", url, method="card", expected="²")
    assert odd.status_code == 302
    assert db.session.scalar(select(Payment.id)) is None
    _post(reception, url + "/pay", url, method="card", expected="3500")
    db.session.refresh(invoice)
    assert (invoice.status, invoice.payments[0].method) == ("paid", "card")


def test_renew_at_the_desk_invoices_the_next_period():
    """Near its end, renewing invoices the following period and moves the valid-until date."""
    member = make_member()
    today = today_local()
    membership, invoice = sell(member, make_plan(), today=today - timedelta(days=25))
    desk._pay_open(member, "cash", actor=STAFF, today=today)
    end = membership.ends_on
    desk.renew_at_desk(membership, member, "card", actor=STAFF, today=today)
    db.session.commit()
    assert membership.ends_on > end
    newest = invoices_of(member)[0]
    assert newest.period_start == end + timedelta(days=1) and newest.status == "paid"
    with pytest.raises(FeesError, match="more than a month ahead"):
        desk.renew_at_desk(membership, member, "cash", actor=STAFF, today=today)


def test_pause_denies_entry_and_moves_the_paid_term_on(reception):
    """Ten paused days: no entry on them; valid-until, cover and the next period move by ten."""
    member = make_member()
    today = today_local()
    membership, invoice = sell(member, make_plan(), today=today)
    desk._pay_open(member, "cash", actor=STAFF, today=today)
    db.session.commit()
    end = membership.ends_on
    url = f"/office/desk/{member.public_id}"
    response = _post(
        reception,
        url + "/pause",
        url,
        membership=membership.public_id,
        starts_on=today.isoformat(),
        ends_on=(today + timedelta(days=9)).isoformat(),
        reason="travel",
    )
    assert response.status_code == 302
    db.session.expire_all()
    membership = db.session.get(Membership, membership.id)
    assert membership.ends_on == end + timedelta(days=10)
    assert membership.agreed_until == end + timedelta(days=10)
    decision = decide(member, today)
    assert (decision.allowed, decision.reason) == (False, "paused")
    assert decide(member, today + timedelta(days=10)).allowed
    after = membership.ends_on + timedelta(days=1)
    issued = generate_invoices(after, after + timedelta(days=27), today=today)
    assert [i.period_start for i in issued][:1] == [after]  # the paid days are not billed again


@pytest.mark.parametrize(
    ("start", "length", "reason", "message"),
    [
        (0, 100, "travel", "at most 92 days"),
        (0, 5, "illness", "Choose a reason"),
        (-40, 5, "travel", "at most a month ago"),
        (60, 5, "travel", "by the day after the valid-until date"),
    ],
)
def test_bad_pauses_are_refused(start, length, reason, message):
    """Too long, a reason not on the list (no free text), too far back, beyond the term."""
    member = make_member()
    today = today_local()
    membership, _i = sell(member, make_plan(), today=today - timedelta(days=5))
    with pytest.raises(FeesError, match=message):
        desk.pause_membership(
            membership,
            member,
            starts_on=today + timedelta(days=start),
            ends_on=today + timedelta(days=start + length - 1),
            reason=reason,
            actor=STAFF,
            today=today,
        )


def test_overlapping_pause_is_refused():
    """Two pauses of one membership cannot share a day."""
    member = make_member()
    today = today_local()
    membership, _i = sell(member, make_plan(), today=today)
    desk.pause_membership(
        membership,
        member,
        starts_on=today,
        ends_on=today + timedelta(days=4),
        reason="personal",
        actor=STAFF,
        today=today,
    )
    with pytest.raises(FeesError, match="already paused"):
        desk.pause_membership(
            membership,
            member,
            starts_on=today + timedelta(days=4),
            ends_on=today + timedelta(days=6),
            reason="personal",
            actor=STAFF,
            today=today,
        )
