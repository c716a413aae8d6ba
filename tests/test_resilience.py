"""Resilience: on SQLite, reception, the accountant, sign-ups and the newsletter sender write at
the same time without "database is locked"; with the mail server down the site keeps serving."""

import socket
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from clubsite.access.models import CheckIn
from clubsite.access.service import check_in
from clubsite.extensions import db
from clubsite.fees import service as fees
from clubsite.fees.models import Invoice, Plan
from clubsite.members.service import enrol_member
from clubsite.newsletter import service as newsletter
from clubsite.newsletter.models import Delivery
from clubsite.newsletter.sender import Sender
from clubsite.outbox import send_due
from clubsite.outbox.models import OutboxMessage
from clubsite.privacy import fields as store
from clubsite.privacy.models import Member
from clubsite.staff.models import StaffUser
from tests.conftest import csrf_token
from tests.privacy.factories import enrol

ROUNDS = 12


def _person(tag, i):
    return {"first_name": "Inese", "last_name": f"Kalna{tag}", "email": f"{tag}{i}@example.lv"}


def _worker(app, errors, job):
    """Run job(i) ROUNDS times in this thread's own app context, one commit each."""
    with app.app_context():
        for i in range(ROUNDS):
            try:
                job(i)
                db.session.commit()
            except OperationalError as exc:
                db.session.rollback()
                errors.append(f"{job.__name__}: {exc.orig}")
            finally:
                db.session.remove()


@pytest.fixture
def busy_club(app, make_staff):
    """Members for the door and the desk, a plan, and a newsletter queued to 40 readers."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the locking behaviour under test is SQLite's")
    staff = {role: make_staff(role).public_id for role in ("reception", "accountant", "marketing")}
    door = [enrol(_person("door", i), ["access", "fees"]) for i in range(ROUNDS)]
    cards = [store.read(m, ["card_number"])["card_number"] for m in door]
    desk = [enrol(_person("desk", i), ["fees"]).public_id for i in range(ROUNDS)]
    for i in range(40):
        enrol({"email": f"reader{i}@example.lv"}, ["newsletter"])
    plan = fees.create_plan("Mēneša abonements", 3500, "month")
    marketer = db.session.scalar(select(StaffUser).where(StaffUser.public_id == staff["marketing"]))
    draft = newsletter.save_draft(
        None, {"subject_lv": "Jaunumi", "body_lv": "Sveiki!"}, staff=marketer
    )
    db.session.flush()
    newsletter.queue_newsletter(draft, staff=marketer)
    db.session.commit()
    return staff, cards, desk, plan.id


def test_concurrent_writers_never_hit_database_is_locked(app, busy_club):
    """Check-ins, invoicing, sign-ups and sending run together; every write lands."""
    staff, cards, desk, plan_id = busy_club
    db.session.commit()  # this thread must not hold SQLite's write lock while the others work
    errors = []

    def door(i):
        user = db.session.scalar(select(StaffUser).where(StaffUser.public_id == staff["reception"]))
        check_in(cards[i], user=user)

    def accountant(i):
        member = db.session.scalar(select(Member).where(Member.public_id == desk[i]))
        plan = db.session.get(Plan, plan_id)
        fees.sell_membership(member, plan, actor=f"staff:{staff['accountant']}")

    def signups(i):
        enrol_member(_person("web", i), ["fees"], source="signup", actor="member")

    def sender(_i):
        Sender(rate=0, batch_size=4).run_batch()

    threads = [
        threading.Thread(target=_worker, args=(app, errors, job))
        for job in (door, accountant, signups, sender)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == ROUNDS
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == ROUNDS
    sent = db.session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.status == "sent")
    )
    assert sent == 40


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_site_keeps_serving_while_the_mail_server_is_down(app, client, client_for):
    """Health check, back-office pages and a sign-up all answer with the mail server down."""
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{_closed_port()}"
    assert client.get("/healthz").status_code == 200
    admin = client_for("admin")
    assert admin.get("/office/").status_code == 200
    assert admin.get("/office/backups").status_code == 200
    assert admin.get("/office/audit").status_code == 200

    from tests.public.helpers import sign_up

    response = sign_up(client, ["newsletter"], {"email": "offline@example.lv"})
    assert response.status_code in (200, 302, 303)
    assert db.session.scalar(
        select(Member).where(Member.email_bidx == store.index_value("email", "offline@example.lv"))
    )
    assert client.get("/").status_code == 200
    assert csrf_token(client, "/pieteikties")
    # The confirmation waits in the outbox for the server to come back (tests/outbox).
    assert send_due()["retry"] == 1
    assert db.session.scalar(select(OutboxMessage.status)) == "queued"
