"""Scheduled sending: at its time (Riga) through the job runner, once, to the audience of that
moment; two runners or two freezes at once still send each recipient one mail."""

import threading
from collections import Counter
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.i18n import CLUB_TZ
from clubsite.jobs.runner import run_due
from clubsite.newsletter import schedule
from clubsite.newsletter.models import Delivery, Newsletter
from clubsite.privacy import fields
from tests.conftest import csrf_token
from tests.newsletter.conftest import withdraw_in_ledger

JOBS = ["newsletter_schedule", "newsletter"]


def _address(member):
    return fields.read(member, ["email"])["email"]


def _reload(campaign):
    db.session.expire_all()
    return db.session.get(Newsletter, campaign.id)


def _in_threads(app, work, count=2):
    """Run work(index) in `count` threads at once, each in its own app context."""
    start, errors = threading.Barrier(count), []

    def run(index):
        with app.app_context():
            try:
                start.wait()
                work(index)
            except Exception as exc:  # noqa: BLE001  (reported below)
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors


def test_a_scheduled_campaign_goes_out_at_its_time_once_with_two_runners(
    app, subscriber, newsletter, marketer, mailbox
):
    """Nothing before its time; at its time two runners side by side send each recipient one
    mail, to the audience of that moment (a new subscriber yes, one who withdrew no)."""
    early, leaving = subscriber(), subscriber()
    draft = newsletter()
    now = utcnow()
    schedule.schedule(draft, now + timedelta(hours=2), staff=marketer)
    db.session.commit()

    assert all(o.ok for o in run_due(now + timedelta(hours=1), names=JOBS, owner="runner-a"))
    mailbox.flush()
    assert mailbox.messages == [] and _reload(draft).status == "scheduled"
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0

    late = subscriber()  # joins after it was scheduled: the audience is frozen when it goes out
    withdraw_in_ledger(leaving)
    due = now + timedelta(hours=2, minutes=1)
    _in_threads(app, lambda i: run_due(due, names=JOBS, owner=f"runner-{i}"))
    run_due(due + timedelta(minutes=5), names=JOBS, owner="runner-c")  # a later look: nothing

    received = Counter(r for m in mailbox.messages for r in m["to"])
    assert received == Counter({_address(early): 1, _address(late): 1})
    campaign = _reload(draft)
    assert campaign.status == "sent" and campaign.recipients_count == 2
    assert as_utc(campaign.queued_at) == due
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 2


def test_two_freezes_at_the_same_moment_queue_each_recipient_once(
    app, subscriber, newsletter, marketer
):
    """Even two runners that both picked the campaign freeze it once (one conditional UPDATE)."""
    for _ in range(4):
        subscriber()
    draft = newsletter()
    now = utcnow()
    schedule.schedule(draft, now + timedelta(minutes=10), staff=marketer)
    db.session.commit()
    results = {}
    due = now + timedelta(minutes=11)
    _in_threads(app, lambda i: results.setdefault(i, schedule.start_scheduled(due)))
    assert sorted(r["started"] for r in results.values()) == [0, 1]
    assert sum(r["recipients"] for r in results.values()) == 4
    members = db.session.scalars(select(Delivery.member_id)).all()
    assert len(members) == 4 and len(set(members)) == 4


def test_a_campaign_no_one_may_receive_at_its_time_finishes_and_says_so(
    app, client_for, subscriber, newsletter, marketer
):
    """Scheduled while someone could receive it; by its time no one can: it ends with 0."""
    reader = subscriber()
    draft = newsletter()
    now = utcnow()
    schedule.schedule(draft, now + timedelta(minutes=5), staff=marketer)
    db.session.commit()
    withdraw_in_ledger(reader)
    assert schedule.start_scheduled(now + timedelta(minutes=6))["empty"] == 1
    campaign = _reload(draft)
    assert (campaign.status, campaign.recipients_count) == ("sent", 0)
    client = client_for("marketing")
    _english(client)
    page = client.get(f"/office/newsletter/{draft.public_id}").get_data(as_text=True)
    assert "No one could receive it when it went out" in page


def _english(client):
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})


def test_schedule_on_the_page_in_riga_time_then_back_to_draft_or_cancel(
    app, client_for, subscriber, newsletter
):
    """The form takes a Riga date and time; mistakes keep what was typed; the campaign can be
    taken back to a draft or cancelled while it waits."""
    subscriber()
    draft = newsletter()
    client = client_for("marketing")
    _english(client)
    page_url = f"/office/newsletter/{draft.public_id}"
    token = csrf_token(client, page_url)

    past = (datetime.now(CLUB_TZ) - timedelta(days=1)).date().isoformat()
    response = client.post(
        f"{page_url}/schedule", data={"csrf_token": token, "day": past, "at": "09:15"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Choose a moment in the future." in page
    assert f'value="{past}"' in page and 'value="09:15"' in page
    response = client.post(
        f"{page_url}/schedule", data={"csrf_token": token, "day": "31.02.", "at": "25:00"}
    )
    page = response.get_data(as_text=True)
    assert "Enter a valid date." in page and "Enter a time such as 18:30." in page
    assert _reload(draft).status == "draft"

    day = (datetime.now(CLUB_TZ) + timedelta(days=40)).date()
    response = client.post(
        f"{page_url}/schedule",
        data={"csrf_token": token, "day": day.isoformat(), "at": "18:30"},
    )
    assert response.status_code == 302
    campaign = _reload(draft)
    expected = datetime.combine(day, time(18, 30), tzinfo=CLUB_TZ).astimezone(UTC)
    assert campaign.status == "scheduled" and as_utc(campaign.scheduled_at) == expected
    page = client.get(page_url).get_data(as_text=True)
    assert f"Goes out on {day:%d.%m.%Y} 18:30 (Riga time)." in page
    assert client.get(f"{page_url}/edit").status_code == 302  # not editable while it waits

    client.post(f"{page_url}/unschedule", data={"csrf_token": token})
    campaign = _reload(draft)
    assert campaign.status == "draft" and campaign.scheduled_at is None
    client.post(
        f"{page_url}/schedule", data={"csrf_token": token, "day": day.isoformat(), "at": "18:30"}
    )
    client.post(f"{page_url}/cancel", data={"csrf_token": token})
    campaign = _reload(draft)
    assert campaign.status == "cancelled"
    assert schedule.start_scheduled(expected + timedelta(minutes=1))["started"] == 0
