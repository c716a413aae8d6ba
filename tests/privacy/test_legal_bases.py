"""Legal bases are checked by the domain, from the purpose registry, whoever calls it: each
purpose only on the bases it lists, and the newsletter's soft opt-in (legitimate interest) only
for a current member of a club service."""

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.members import service
from clubsite.members.service import MemberError
from clubsite.privacy.models import Member
from clubsite.privacy.purposes import CLUB_SERVICES, MARKETING, PURPOSES
from tests.privacy.consent_flows import desk_add
from tests.privacy.factories import JANIS, enrol
from tests.public.helpers import english

VALUES = {"first_name": "Jānis", "last_name": "Bērziņš", "email": "janis@example.lv"}


def _members():
    db.session.expire_all()
    return db.session.scalars(select(Member)).all()


@pytest.mark.parametrize(
    ("purposes", "bases", "refused"),
    [
        (["newsletter"], {"newsletter": "contract"}, "newsletter_basis"),
        (["newsletter"], {"newsletter": "legal_obligation"}, "newsletter_basis"),
        (["newsletter"], {"newsletter": "legitimate_interest"}, "newsletter_basis"),
        (["bookings", "newsletter"], {"newsletter": "legitimate_interest"}, "newsletter_basis"),
        (["access"], {"access": "consent"}, "access_basis"),
        (["bookings"], {"bookings": "legitimate_interest"}, "bookings_basis"),
        (["fees"], {"fees": "made_up"}, "fees_basis"),
        (["newsletter", "access"], {"newsletter": "legitimate_interest"}, None),
        (["fees", "newsletter"], {"newsletter": "legitimate_interest"}, None),
        (["fees"], {"fees": "legal_obligation"}, None),
        (["newsletter"], {"newsletter": "consent"}, None),
    ],
)
def test_enrol_member_takes_only_the_bases_the_registry_allows(app, purposes, bases, refused):
    """A refused basis is a MemberError on its purpose's basis field and nothing is written."""
    if refused is None:
        member, created = service.enrol_member(
            dict(VALUES), purposes, source="staff", actor="system", legal_bases=bases
        )
        assert created
        assert {p.purpose: p.legal_basis for p in member.purposes}.items() >= {
            pid: bases.get(pid, PURPOSES[pid].legal_bases[0]) for pid in purposes
        }.items()
        return
    with pytest.raises(MemberError) as error:
        service.enrol_member(
            dict(VALUES), purposes, source="staff", actor="system", legal_bases=bases
        )
    assert list(error.value.errors) == [refused]
    db.session.rollback()
    assert _members() == []


def test_the_refusal_says_why(app):
    """The message names the purpose and the basis (in the reader's language)."""
    with pytest.raises(MemberError) as error, force_locale("en"):
        service.enrol_member(
            {"email": "x@example.lv"}, ["newsletter"], source="staff", actor="system",
            legal_bases={"newsletter": "contract"},
        )  # fmt: skip
    with force_locale("en"):
        message = str(error.value.errors["newsletter_basis"])
    basis = "Contract (GDPR Art. 6(1)(b))"
    assert message == f"“News and offers” cannot rest on the legal basis “{basis}”."


def test_add_purpose_soft_opt_in_needs_a_current_membership(app):
    """Adding the newsletter on legitimate interest: refused once the membership has ended and
    for someone who only books halls; allowed for a current member."""
    member = enrol(JANIS, ["access", "fees"])
    booker = enrol({"first_name": "Anna", "last_name": "Ozola", "phone": "+371 2600 0001"},
                   ["bookings"])  # fmt: skip

    def add(who, email):
        return service.add_purpose(
            who, "newsletter", {"email": email}, basis="legitimate_interest", source="staff",
            actor="system",
        )  # fmt: skip

    for enrolment in member.purposes:
        enrolment.ends_at = utcnow() - timedelta(days=1)
    with pytest.raises(MemberError):
        add(member, JANIS["email"])
    db.session.rollback()
    with pytest.raises(MemberError):
        add(booker, "anna@example.lv")
    db.session.rollback()
    member.purpose("access").ends_at = utcnow() + timedelta(days=20)  # ends later: current
    assert add(member, JANIS["email"]).legal_basis == "legitimate_interest"
    db.session.commit()


def test_the_desk_shows_the_domain_refusal(client_for):
    """Through the desk form: the registry's refusal on the basis field, nothing written."""
    staff = client_for("admin")
    english(staff)
    page = desk_add(
        staff, ["bookings", "newsletter"], {**VALUES, "phone": "+371 2600 0002"},
        basis="legitimate_interest",
    ).get_data(as_text=True)  # fmt: skip
    assert "“News and offers” on legitimate interest is only for current members" in page
    assert _members() == []


def test_the_registry_says_which_purposes_are_marketing_and_club_services():
    """The data the special cases were replaced by."""
    assert MARKETING == ("newsletter",)
    assert CLUB_SERVICES == ("access", "fees")
    assert PURPOSES["newsletter"].soft_opt_in_basis == "legitimate_interest"
