"""Fixtures for the newsletter: members in every consent situation, campaigns, a sender."""

import uuid
from datetime import timedelta

import pytest

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.members import service as members
from clubsite.newsletter import service
from clubsite.newsletter.sender import Sender
from clubsite.privacy import consent


def _email(tag):
    return f"{tag}-{uuid.uuid4().hex[:8]}@example.lv"


@pytest.fixture
def enrol(app):
    """Enrol a member in purposes; returns the member (committed)."""

    def make(purposes, *, email=None, first_name="Anna", last_name="Kalniņa", phone=None,
             basis=None, confirmed=True, language="lv", tag="m"):  # fmt: skip
        raw = {"first_name": first_name, "last_name": last_name, "email": email or _email(tag)}
        if phone:
            raw["phone"] = phone
        member, created = members.enrol_member(
            raw,
            purposes,
            source="staff",
            # Only the person confirms a consent (double opt-in); unconfirmed: the desk adds it.
            actor="member" if confirmed else "system",
            language=language,
            legal_bases={"newsletter": basis} if basis else None,
            consent_confirmed=confirmed,
        )
        assert created
        db.session.commit()
        return member

    return make


@pytest.fixture
def subscriber(enrol):
    """A member with a confirmed newsletter consent (email and first name given for it)."""

    def make(*, language="lv", first_name="Anna", tag="sub", **kwargs):
        return enrol(["newsletter"], first_name=first_name, language=language, tag=tag, **kwargs)

    return make


@pytest.fixture
def soft_member(enrol):
    """A current member enrolled in the newsletter on legitimate interest (soft opt-in)."""

    def make(**kwargs):
        return enrol(["access", "newsletter"], basis="legitimate_interest", tag="soft", **kwargs)

    return make


@pytest.fixture
def marketer(make_staff):
    """A trained marketing staff member."""
    return make_staff("marketing", name="Līga Mārketinga")


@pytest.fixture
def newsletter(app, marketer):
    """Make a saved draft."""

    def make(*, lv=("Jaunumi", "Sveiki! **Ziemas** sezona."), en=None, soft=False):
        raw = {"subject_lv": lv[0] if lv else "", "body_lv": lv[1] if lv else ""}
        raw |= {"subject_en": en[0] if en else "", "body_en": en[1] if en else ""}
        raw["about_existing_services"] = soft
        draft = service.save_draft(None, raw, staff=marketer)
        db.session.commit()
        return draft

    return make


@pytest.fixture
def queued(newsletter, marketer):
    """Make a newsletter and press Send."""

    def make(**kwargs):
        draft = newsletter(**kwargs)
        service.queue_newsletter(draft, staff=marketer)
        db.session.commit()
        return draft

    return make


@pytest.fixture
def drain(app):
    """Run a sender in this process until nothing is due (optionally at a later clock)."""

    def run(*, later=0, **kwargs):
        clock = (lambda: utcnow() + timedelta(seconds=later)) if later else utcnow
        db.session.commit()  # the sender writes on a connection of its own (SQLite: one writer)
        report = Sender(rate=0, clock=clock, **kwargs).run()
        db.session.expire_all()
        return report

    return run


def withdraw_in_ledger(member, kind="withdrawn"):
    """Record a withdrawal or objection in the ledger only (the enrolment stays)."""
    consent.record(member, "newsletter", kind, source="staff", actor="system")
    db.session.commit()
