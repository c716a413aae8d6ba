"""Bench data: the lawful audience and, beside it, every kind of member who must not be mailed."""

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.members import service as members
from clubsite.privacy import consent
from clubsite.privacy.models import Member

DOMAIN = "bench.klubs.lv"


def lawful_address(number):
    """The address of lawful recipient number n."""
    return f"reader{number:05d}@{DOMAIN}"


def _enrol(email, purposes, **kwargs):
    values = {"email": email, "first_name": "Anna", "last_name": "Ozola"}
    # A confirmed consent is the person's own act (a sign-up confirmed by its mailed link);
    # the service refuses it from anyone else.
    confirmed = kwargs.get("consent_confirmed")
    member, _created = members.enrol_member(
        values,
        purposes,
        source="signup" if confirmed else "import",
        actor=Actor.member() if confirmed else Actor.system(),
        **kwargs,
    )
    return member


def _left_out(kind, email):
    """One member of a kind the audience rule must leave out."""
    if kind == "pending":
        return _enrol(email, ["newsletter"])
    if kind in ("withdrawn", "suppressed", "erased"):
        member = _enrol(email, ["newsletter"], consent_confirmed=True)
        if kind == "withdrawn":
            consent.record(member, "newsletter", "withdrawn", source="staff", actor="system")
        elif kind == "suppressed":
            consent.suppress(email, "bounced")
        else:
            db.session.flush()
            members.erase_member(member, actor="system")
        return member
    if kind in ("soft_only", "soft_objected"):
        bases = {"newsletter": "legitimate_interest"}
        member = _enrol(email, ["access", "newsletter"], legal_bases=bases)
        if kind == "soft_objected":
            consent.record(member, "newsletter", "objected", source="staff", actor="system")
        return member
    if kind == "fees_only":
        return _enrol(email, ["access", "fees"])
    return _enrol(email, ["bookings"])


KINDS = (
    "pending", "withdrawn", "suppressed", "erased", "soft_only", "soft_objected", "fees_only",
    "bookings_only",
)  # fmt: skip


def seed_members(recipients, unlawful_each):
    """Fill an empty bench database (or keep a filled one); returns the lawful addresses."""
    from flask_migrate import upgrade

    from clubsite.staff import service as staff

    lawful = {lawful_address(n) for n in range(recipients)}
    try:
        upgrade()
    except OperationalError:
        raise SystemExit(
            "the bench database cannot be migrated (made before a new migration?): delete "
            f"{current_app.instance_path} and run again"
        ) from None
    db.create_all()  # tables whose migrations are not written yet
    existing = db.session.scalar(select(func.count()).select_from(Member))
    expected = recipients + unlawful_each * (len(KINDS) - 1)
    if existing == expected:
        return lawful
    if existing:
        raise SystemExit(f"bench database holds {existing} members, not {expected}: delete it")
    staff.create_staff("bench-newsletter@klubs.lv", "Bench Marketing", ["marketing"], None)
    for number in range(recipients):
        _enrol(lawful_address(number), ["newsletter"], consent_confirmed=True)
        if number % 1000 == 999:
            db.session.commit()
    for kind in KINDS:
        for number in range(unlawful_each):
            _left_out(kind, f"{kind}{number:04d}@{DOMAIN}")
        db.session.commit()
    db.session.commit()
    return lawful
