"""Members built through the real enrolment service, for privacy tests."""

from clubsite.extensions import db
from clubsite.members import service

JANIS = {
    "first_name": "Jānis",
    "last_name": "Bērziņš",
    "email": "janis.berzins@example.lv",
    "phone": "+371 2612 3456",
    "postal_address": "Brīvības iela 10-5, Rīga, LV-1010",
    "personal_code": "",
    "iban": "LV80BANK0000435195001",
}
LIGA = {
    "first_name": "Līga",
    "last_name": "Ozoliņa",
    "email": "liga.ozolina@example.lv",
    "phone": "+371 2911 1111",
}


def enrol(values, purposes, *, confirmed=True, source="signup", actor="member"):
    """Enrol and commit; newsletter consent confirmed unless told otherwise."""
    member, created = service.enrol_member(
        dict(values), list(purposes), source=source, actor=actor, consent_confirmed=confirmed
    )
    assert created
    db.session.commit()
    return member
