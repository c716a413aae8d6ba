"""The door's answer for each case, each attempt logged, and the log pruned after 30 days."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from clubsite.access.models import CheckIn
from clubsite.access.service import check_in
from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.fees import service
from clubsite.fees.invoices import invoices_of
from clubsite.fees.standing import decide
from clubsite.i18n import today_local
from clubsite.privacy.retention import run_retention
from tests.fees.helpers import card_of, make_member, make_overdue, make_plan, pay, sell


@pytest.fixture
def reception(make_staff):
    """A trained reception staff member."""
    return make_staff("reception")


@pytest.fixture
def member():
    """A member with a running membership that started today."""
    member = make_member()
    sell(member, make_plan(), today=today_local())
    return member


def _log():
    return db.session.execute(
        select(CheckIn.member_id, CheckIn.allowed, CheckIn.reason).order_by(CheckIn.id)
    ).all()


def test_allowed_shows_the_first_name_and_is_logged(app, reception, member):
    """A valid membership with nothing overdue: allowed, with the first name."""
    result = check_in(card_of(member), user=reception)
    db.session.commit()
    assert result.decision.allowed and result.decision.reason == "allowed"
    assert result.first_name == "Jānis"
    assert _log() == [(member.id, True, "allowed")]


def test_card_typed_with_spaces_is_recognised(app, reception, member):
    """People read card numbers in groups; spaces do not matter."""
    card = card_of(member)
    spaced = " ".join(card[i : i + 4] for i in range(0, len(card), 4))
    assert check_in(spaced, user=reception).decision.allowed


@pytest.mark.parametrize("text", ["770000000000", "hello", "1" * 40])
def test_unknown_card_is_denied_and_logged_without_the_number(app, reception, member, text):
    """Unknown cards are denied; the log keeps the outcome, never the number typed."""
    result = check_in(text, user=reception)
    db.session.commit()
    assert (result.decision.allowed, result.decision.reason, result.first_name) == (
        False,
        "unknown_card",
        "",
    )
    assert _log() == [(None, False, "unknown_card")]


def test_expired_membership_is_denied_without_a_name(app, reception, member):
    """After the valid-until date the door says expired, and shows no name."""
    membership = service.memberships_of(member)[0]
    service.end_membership(
        membership,
        member,
        ends_on=today_local() - timedelta(days=1),
        expected_version=membership.version,
        actor="system",
    )
    db.session.commit()
    result = check_in(card_of(member), user=reception)
    db.session.commit()
    assert (result.decision.reason, result.first_name) == ("expired", "")
    assert result.decision.day == today_local() - timedelta(days=1)
    assert _log() == [(member.id, False, "expired")]


def test_no_membership_is_denied(app, reception):
    """A card holder who never bought a membership."""
    member = make_member()
    assert check_in(card_of(member), user=reception).decision.reason == "no_membership"


def test_unpaid_invoice_past_the_grace_period_is_denied(app, reception, member):
    """Within the grace period still allowed; past it denied; paying lets them in at once."""
    invoice = invoices_of(member)[0]
    grace = app.config["ACCESS_GRACE_DAYS"]
    make_overdue(invoice, grace)
    assert decide(member, today_local()).allowed
    make_overdue(invoice, grace + 1)
    result = check_in(card_of(member), user=reception)
    db.session.commit()
    assert (result.decision.reason, result.decision.day) == ("unpaid", invoice.due_on)
    pay(invoice)
    assert check_in(card_of(member), user=reception).decision.allowed
    db.session.commit()
    assert [row.reason for row in _log()] == ["unpaid", "allowed"]


def test_untrained_staff_see_no_name(app, make_staff, member):
    """The access policy decides: without the current training no name is decrypted."""
    untrained = make_staff("reception", trained=False)
    result = check_in(card_of(member), user=untrained)
    assert result.decision.allowed and result.first_name == ""


def test_log_is_pruned_after_30_days(app, reception, member):
    """The retention run deletes check-ins older than 30 days and keeps younger ones."""
    check_in(card_of(member), user=reception, now=utcnow() - timedelta(days=31))
    check_in(card_of(member), user=reception, now=utcnow() - timedelta(days=29))
    db.session.commit()
    report = run_retention()
    assert report.tasks["checkins"] == 1
    remaining = db.session.scalars(select(CheckIn.at)).all()
    assert len(remaining) == 1
