"""The do-not-mail list cannot be undone quietly: every way a newsletter consent ends suppresses
the address, and only the person's own confirmed opt-in lifts it. Staff (desk) consents are
always pending until the person confirms by mail."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from clubsite.database import utcnow
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.members import service
from clubsite.members.service import MemberError
from clubsite.privacy import consent
from clubsite.privacy.models import Member, Suppression
from clubsite.privacy.retention import run_retention
from tests.privacy.consent_flows import (
    confirm_by_mail,
    desk_add,
    ledger,
    recipients,
    staff_end_purpose,
    staff_erase,
)
from tests.privacy.factories import JANIS, enrol
from tests.public.helpers import ANNA, english, member_with_email

EMAIL = "edgars.kalns@example.lv"


def _suppression(email):
    db.session.expire_all()
    entry = db.session.get(Suppression, consent.address_hash(email))
    return entry.reason if entry is not None else None


def test_staff_erasure_suppresses_and_the_desk_cannot_lift_it(client, client_for, mailbox):
    """Erased by staff: suppressed. Added again at the desk with a paper proof: still
    suppressed, pending, no news; a confirmation mail goes out, and only the person's click on
    it lifts the suppression and lets news through."""
    admin = client_for("admin")
    first = enrol({"email": EMAIL, "first_name": "Edgars"}, ["newsletter"])
    assert recipients() == [EMAIL]
    assert staff_erase(admin, first).status_code == 302
    assert _suppression(EMAIL) == "withdrawn"

    response = desk_add(
        admin, ["newsletter"], {"email": EMAIL, "first_name": "Edgars"}, proof="paper form"
    )
    assert response.status_code == 302
    again = member_with_email(EMAIL)
    assert consent.state(again, "newsletter") == "pending"
    assert _suppression(EMAIL) == "withdrawn"
    assert recipients() == []
    message = mailbox.wait_for(1)[0]["message"]
    assert message["To"] == EMAIL and "/apstiprinat/" in message.get_body().get_content()

    assert confirm_by_mail(client, mailbox, EMAIL).status_code == 200
    assert consent.state(member_with_email(EMAIL), "newsletter") == "active"
    assert _suppression(EMAIL) is None
    assert recipients() == [EMAIL]


def test_a_soft_opt_in_added_at_the_desk_never_reaches_a_suppressed_address(client_for):
    """Legitimate interest needs no confirmation, but the suppression list still wins."""
    consent.suppress(ANNA["email"], "objected")
    db.session.commit()
    admin = client_for("admin")
    desk_add(admin, ["access", "newsletter"], dict(ANNA), basis="legitimate_interest")
    assert member_with_email(ANNA["email"]).purpose("newsletter") is not None
    assert recipients(about_existing_services=True) == []
    assert _suppression(ANNA["email"]) == "objected"


def test_staff_ending_the_newsletter_suppresses(client_for):
    """Staff end the newsletter purpose: withdrawn on the ledger, address suppressed."""
    member = enrol(JANIS, ["access", "newsletter"])
    admin = client_for("admin")
    assert staff_end_purpose(admin, member, "newsletter").status_code == 302
    db.session.expire_all()
    assert db.session.get(Member, member.id).purposes[0].purpose == "access"  # still a member
    assert _suppression(JANIS["email"]) == "withdrawn"
    kinds = [(e.kind, e.source) for e in ledger(consent.address_hash(JANIS["email"]))]
    assert kinds[-1] == ("withdrawn", "staff")


def test_staff_erasing_a_soft_opt_in_member_suppresses_as_an_objection(client_for):
    """Erasure ends a soft opt-in too: an objection on the ledger, the address suppressed."""
    member = enrol(JANIS, ["access", "fees"])
    service.add_purpose(
        member, "newsletter", {"email": JANIS["email"]}, basis="legitimate_interest",
        source="staff", actor="system",
    )  # fmt: skip
    db.session.commit()
    assert staff_erase(client_for("admin"), member).status_code == 302
    assert _suppression(JANIS["email"]) == "objected"
    assert [e.kind for e in ledger(consent.address_hash(JANIS["email"]))] == ["objected"]


def test_retention_suppresses_partial_and_whole_exits_in_one_insert(app):
    """Unconfirmed newsletters end by retention: for a member who keeps their membership (a
    partial exit) and for people who had only the newsletter (whole erasures). All of them are
    suppressed; an address already on the list is skipped; one INSERT per chunk."""
    kept = enrol(JANIS, ["access", "newsletter"], confirmed=False, source="staff", actor="system")
    gone = [enrol({"email": f"n{i}@example.lv"}, ["newsletter"], confirmed=False) for i in range(4)]
    gone_ids = sorted(m.public_id for m in gone)
    consent.suppress("n0@example.lv", "complaint")
    db.session.commit()
    inserts = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO SUPPRESSION"):
            inserts.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        report = run_retention(now=utcnow() + timedelta(days=8))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert sorted(report.erased_members) == gone_ids
    db.session.expire_all()
    assert [p.purpose for p in db.session.get(Member, kept.id).purposes] == ["access"]
    assert _suppression(JANIS["email"]) == "withdrawn"
    assert [_suppression(f"n{i}@example.lv") for i in range(4)] == ["complaint"] + ["withdrawn"] * 3
    assert len(inserts) == 2  # the partial exits' chunk, the whole erasures' chunk
    last = ledger(consent.address_hash("n1@example.lv"))[-1]
    assert (last.kind, last.source, last.member_id) == ("withdrawn", "unconfirmed", None)


def test_only_the_person_confirms_a_consent(app, make_staff):
    """The domain refuses a staff or system confirmation, whoever calls it; so a staff
    enrolment can never take an address off the suppression list."""
    staff = Actor.staff(make_staff("admin"))
    with pytest.raises(MemberError) as refused:
        service.enrol_member(
            {"email": EMAIL}, ["newsletter"], source="staff", actor=staff, consent_confirmed=True
        )
    assert "consent_proof" in refused.value.errors
    db.session.rollback()
    member, _ = service.enrol_member({"email": EMAIL}, ["newsletter"], source="staff", actor=staff)
    consent.suppress(EMAIL, "withdrawn")
    db.session.commit()
    for actor in (staff, Actor.system()):
        with pytest.raises(MemberError):
            service.confirm_consent(member, "newsletter", source="staff", actor=actor)
        db.session.rollback()
    assert consent.state(member, "newsletter") == "pending"
    assert consent.is_suppressed(EMAIL)
    assert service.confirm_consent(member, "newsletter", source="email-link", actor="member")
    db.session.commit()
    assert not consent.is_suppressed(EMAIL)


def test_the_desk_form_says_the_person_confirms(client_for):
    """Staff are told that a recorded consent still waits for the person's confirmation."""
    staff = client_for("reception")
    english(staff)
    page = staff.get("/office/members/new").get_data(as_text=True)
    assert "The person always gets a mail to confirm" in page
