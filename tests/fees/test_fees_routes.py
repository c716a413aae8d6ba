"""The accountant's pages: bad amounts and stale forms change nothing; payments open the door;
the bookkeeper's CSV neutralises formulas; only fee staff reach any of it."""

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clubsite.extensions import db
from clubsite.fees import service, terms
from clubsite.fees.models import Invoice, Membership, Plan
from clubsite.fees.standing import decide
from clubsite.i18n import today_local
from clubsite.privacy.audit import AuditEvent
from tests.conftest import csrf_token
from tests.fees.helpers import MEMBER, english, make_member, make_overdue, make_plan, sell


@pytest.fixture
def accountant(client_for):
    """A logged-in, trained accountant seeing English."""
    return english(client_for("accountant"))


@pytest.fixture
def overdue_member(app):
    """A member whose first invoice is unpaid well past the grace period."""
    member = make_member()
    _, invoice = sell(member, make_plan(), today=today_local())
    make_overdue(invoice, app.config["ACCESS_GRACE_DAYS"] + 3)
    return member, invoice


def _version(page):
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("-5", "The amount cannot be negative."),
        ("12,505", "Write the amount like 12,50 or 1 234,50."),
        ("abc", "Write the amount like 12,50 or 1 234,50."),
        ("", "Enter an amount, for example 12,50."),
    ],
)
def test_bad_plan_price_is_refused_and_keeps_what_was_typed(accountant, price, message):
    """A clear message, the typed values kept, no plan created."""
    token = csrf_token(accountant, "/office/fees/plans")
    data = {"name": "Baseins", "price": price, "period": "month", "csrf_token": token}
    page = accountant.post("/office/fees/plans", data=data).get_data(as_text=True)
    assert message in page
    assert 'value="Baseins"' in page
    assert db.session.scalar(select(func.count(Plan.id))) == 0


def test_plan_is_created_from_a_latvian_amount(accountant):
    """1 234,50 becomes 123450 cents."""
    token = csrf_token(accountant, "/office/fees/plans")
    data = {"name": "Gads", "price": "1 234,50", "period": "year", "csrf_token": token}
    assert accountant.post("/office/fees/plans", data=data).status_code == 302
    plan = db.session.scalar(select(Plan))
    assert (plan.price_cents, plan.period) == (123450, "year")


def test_stale_plan_form_is_refused(accountant, app):
    """Another accountant saved meanwhile: a clear message, their change stays."""
    plan = make_plan()
    url = f"/office/fees/plans/{plan.public_id}"
    page = accountant.get(url).get_data(as_text=True)
    token, version = csrf_token(accountant, url), _version(page)
    service.update_plan(
        plan,
        name="Zāle",
        price_cents=4000,
        period="month",
        active=True,
        expected_version=plan.version,
    )
    db.session.commit()
    data = {
        "name": "Mine",
        "price": "10",
        "period": "month",
        "version": version,
        "csrf_token": token,
    }
    page = accountant.post(url, data=data).get_data(as_text=True)
    assert "Someone else changed this record" in page
    db.session.refresh(plan)
    assert (plan.name, plan.price_cents) == ("Zāle", 4000)


def test_payment_refuses_bad_amounts_and_stale_forms(accountant, overdue_member):
    """Negative, malformed and stale payments change nothing."""
    _member, invoice = overdue_member
    url = f"/office/fees/invoices/{invoice.public_id}"
    page = accountant.get(url).get_data(as_text=True)
    token, version = csrf_token(accountant, url), _version(page)
    base = {"method": "cash", "paid_on": today_local().isoformat(), "csrf_token": token}
    for amount, message in [("-3500", "cannot be negative"), ("35,0,0", "Write the amount")]:
        page = accountant.post(url, data={**base, "amount": amount, "version": version})
        assert message in page.get_data(as_text=True)
    page = accountant.post(url, data={**base, "amount": "35", "version": str(int(version) - 1)})
    assert "Someone else changed this record" in page.get_data(as_text=True)
    db.session.refresh(invoice)
    assert (invoice.paid_cents, invoice.status, invoice.payments) == (0, "open", [])


def test_recording_a_payment_opens_the_door_at_once(accountant, overdue_member):
    """The member is denied for the unpaid invoice; after the payment, allowed."""
    member, invoice = overdue_member
    assert decide(member, today_local()).reason == "unpaid"
    url = f"/office/fees/invoices/{invoice.public_id}"
    page = accountant.get(url).get_data(as_text=True)
    data = {
        "amount": "35,00",
        "method": "card",
        "paid_on": today_local().isoformat(),
        "version": _version(page),
        "csrf_token": csrf_token(accountant, url),
    }
    assert accountant.post(url, data=data).status_code == 302
    db.session.refresh(invoice)
    assert invoice.status == "paid"
    assert decide(member, today_local()).allowed
    page = accountant.get(f"/office/fees/members/{member.public_id}").get_data(as_text=True)
    assert "Access allowed" in page


def test_selling_a_membership_from_the_member_page(accountant, app):
    """The accountant chooses a plan; membership and first invoice are created."""
    member = make_member()
    plan = make_plan()
    url = f"/office/fees/members/{member.public_id}"
    page = accountant.get(url).get_data(as_text=True)
    assert "Jānis Bērziņš" in page and "No membership." in page
    data = {
        "plan": plan.public_id,
        "starts_on": today_local().isoformat(),
        "csrf_token": csrf_token(accountant, url),
    }
    assert accountant.post(url, data=data).status_code == 302
    assert db.session.scalar(select(func.count(Membership.id))) == 1
    page = accountant.get(url).get_data(as_text=True)
    assert db.session.scalar(select(Invoice.number)) in page
    assert "Access allowed" in page


def test_accountant_cannot_open_members_outside_fees(accountant):
    """A member enrolled only for bookings or access is none of the accountant's business."""
    member = make_member(purposes=("access",))
    assert accountant.get(f"/office/fees/members/{member.public_id}").status_code == 404


def test_generate_and_overdue_list(accountant, overdue_member):
    """The overdue list shows the buyer; generating a month twice issues once."""
    member, invoice = overdue_member
    page = accountant.get("/office/fees/overdue").get_data(as_text=True)
    assert invoice.number in page and "Jānis Bērziņš" in page
    token = csrf_token(accountant, "/office/fees")
    month = terms.add_months(today_local().replace(day=1), 1).strftime("%Y-%m")
    for expected in ("1 invoices issued: 1 sent by email", "0 invoices issued: 0 sent"):
        accountant.post("/office/fees/generate", data={"month": month, "csrf_token": token})
        assert expected in accountant.get("/office/fees").get_data(as_text=True)


def test_csv_export_neutralises_formulas(accountant):
    """A plan named like a formula is exported as text; semicolons, decimal commas."""
    member = make_member({**MEMBER, "email": "csv@example.lv"})
    sell(member, make_plan('=HYPERLINK("http://evil")'), today=today_local())
    day = today_local().isoformat()
    from tests.support.exports import plain_export  # the plain file, after the warning

    response = plain_export(accountant, f"/office/fees/export?kind=invoices&from={day}&to={day}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert rows[0][0] == "number"
    assert rows[1][5] == '\'=HYPERLINK("http://evil")'
    assert rows[1][6] == "Jānis Bērziņš"
    assert rows[1][9] == "35,00"


@pytest.mark.parametrize("role", ["reception", "marketing", "staff"])
def test_other_roles_cannot_reach_fees(client_for, role):
    """Fees are the accountant's and the admin's."""
    client = client_for(role)
    for url in ("/office/fees", "/office/fees/export", "/office/fees/overdue"):
        assert client.get(url).status_code == 403


def test_accountant_home_panel_shows_overdue(accountant, overdue_member):
    """The accountant's home page counts overdue invoices and what is still due on them."""
    page = accountant.get("/office/").get_data(as_text=True)
    assert "1 overdue invoice" in page
    assert "35,00" in page


def test_accountant_finds_a_member_by_name(accountant):
    """The search on the fees page leads to the member's memberships and statement."""
    member = make_member()
    page = accountant.get("/office/fees?q=Bērz").get_data(as_text=True)
    assert f"/office/fees/members/{member.public_id}" in page
    assert "Jānis Bērziņš" in page


def test_void_and_end_membership_from_their_pages(accountant):
    """A stale void and an end date past the paid-through date are refused with a message and
    change nothing; the current ones go through, recorded under the accountant."""
    member = make_member()
    membership, invoice = sell(member, make_plan(), today=today_local())
    url = f"/office/fees/invoices/{invoice.public_id}"
    token = csrf_token(accountant, url)
    stale = {"version": str(invoice.version - 1), "csrf_token": token}
    page = accountant.post(f"{url}/void", data=stale, follow_redirects=True).text
    assert "Someone else changed this record" in page
    db.session.refresh(invoice)
    assert invoice.status == "open"
    current = {"version": str(invoice.version), "csrf_token": token}
    assert "The invoice is void." in accountant.post(
        f"{url}/void", data=current, follow_redirects=True
    ).get_data(as_text=True)
    db.session.refresh(invoice)
    assert invoice.status == "void"

    end = f"/office/fees/memberships/{membership.public_id}/end"
    later = (membership.ends_on + timedelta(days=1)).isoformat()
    data = {"version": str(membership.version), "csrf_token": token}
    page = accountant.post(end, data={**data, "ends_on": later}, follow_redirects=True).text
    assert "The end date cannot be after the valid-until date." in page
    db.session.refresh(membership)
    assert membership.status == "active"
    page = accountant.post(end, data=data, follow_redirects=True).get_data(as_text=True)
    assert "The membership will not be renewed." in page
    db.session.refresh(membership)
    assert membership.status == "ended"
    actors = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_type).where(
            AuditEvent.action.in_(["fees.invoice_voided", "fees.membership_ended"])
        )
    ).all()
    assert sorted(actors) == [("fees.invoice_voided", "staff"), ("fees.membership_ended", "staff")]
