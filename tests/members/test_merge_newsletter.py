"""A merge never moves a newsletter consent to an address that did not give it.

Both ledgers are kept, each event still naming the address it was given for; the merged member
is mailed only at the address it keeps, and only once that address itself has confirmed. The
merge page says beforehand, for each choice of record to keep, where news will go.
"""

from datetime import timedelta

from sqlalchemy import select

from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.members import duplicates, service
from clubsite.newsletter.audience import audience_for
from clubsite.privacy import consent
from clubsite.privacy.models import ConsentEvent
from tests.conftest import csrf_token
from tests.public.helpers import english, enrol, links_in, path_of

MAIN = "janis@example.lv"
NEWS = "janis.news@example.lv"


def _recipients():
    """The addresses an ordinary newsletter would go to now."""
    db.session.expire_all()
    return sorted(r.email for r in audience_for(False, addresses=True).recipients)


def _ledger(member_id):
    rows = db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.member_id == member_id).order_by(ConsentEvent.id)
    ).all()
    return [(e.id, e.purpose, e.kind, e.source, e.address_hash, e.wording_hash) for e in rows]


def _two_records():
    """One person twice: a member paying fees at MAIN, and a confirmed subscriber at NEWS."""
    member = enrol(
        {"first_name": "Jānis", "last_name": "Bērziņš", "email": MAIN}, ["access", "fees"]
    )
    subscriber = enrol({"first_name": "Jānis", "email": NEWS}, ["newsletter"], confirmed=True)
    return member, subscriber


def _merge(admin, a, b, keep):
    url = f"/office/members/duplicates/merge?a={a.public_id}&b={b.public_id}"
    data = {
        "keep": keep,
        "confirm": "y",
        "a_version": str(a.version),
        "b_version": str(b.version),
        "csrf_token": csrf_token(admin, url),
    }
    return admin.post(url, data=data)


def test_keeping_the_other_address_needs_its_own_confirmation(client, client_for, mailbox):
    """Keeping the fees record (MAIN) does not mail MAIN on NEWS's consent: the page warns,
    the consent for MAIN is pending, a confirmation goes to MAIN only, and news follow its
    click. NEWS's events stay on the ledger with NEWS's address; NEWS is not mailed again."""
    member, subscriber = _two_records()
    assert _recipients() == [NEWS]
    before = _ledger(member.id) + _ledger(subscriber.id)
    admin = client_for("admin")
    english(admin)
    url = f"/office/members/duplicates/merge?a={member.public_id}&b={subscriber.public_id}"
    page = admin.get(url).get_data(as_text=True)
    assert "What happens to the newsletter" in page
    assert f"The news consent was given for {NEWS}, not for {MAIN}" in page
    assert f"News go to {NEWS}: this address confirmed its consent." in page
    mailbox.flush()
    sent_before = len(mailbox.messages)

    done = _merge(admin, member, subscriber, keep="a")
    assert done.status_code == 302 and member.public_id in done.headers["Location"]

    kept = service.member_by_public_id(member.public_id)
    assert _recipients() == []
    summary = audience_for(False).summary()
    assert summary["pending"] == 1 and summary["consent"] == 0
    assert consent.state(kept, "newsletter") == "pending"
    assert as_utc(kept.purpose("newsletter").keep_until) <= utcnow() + timedelta(days=7)
    ledger = _ledger(kept.id)
    assert ledger[: len(before)] == sorted(before)  # both ledgers, row by row
    added = ledger[len(before) :]
    assert [(kind, source) for _i, _p, kind, source, _a, _w in added] == [
        ("withdrawn", "merge"),
        ("given", "merge"),
    ]
    assert added[0][4] == consent.address_hash(NEWS)  # NEWS's consent ends, on NEWS
    assert added[1][4] == consent.address_hash(MAIN)  # MAIN's is only given, not confirmed
    news_given = next(e for e in before if e[2] == "given" and e[4] == consent.address_hash(NEWS))
    assert added[1][5] == news_given[5]  # the words the person agreed to
    assert consent.is_suppressed(NEWS)

    messages = mailbox.wait_for(sent_before + 1)[sent_before:]
    assert [m["to"] for m in messages] == [[MAIN]]
    assert not mailbox.to(NEWS)[1:]  # NEWS got its own confirmation long ago, nothing since
    link = next(path_of(u) for u in links_in(messages[0]["message"]) if "/apstiprinat/" in u)
    confirmed = client.post(link, data={"csrf_token": csrf_token(client, link)})
    assert confirmed.status_code == 200
    assert _recipients() == [MAIN]


def test_keeping_the_consented_address_keeps_the_news(client_for, mailbox):
    """Keeping the subscriber's record keeps NEWS and its confirmed consent; nothing is added
    to the ledger and no mail goes out; MAIN was never mailed and is not now."""
    member, subscriber = _two_records()
    before = _ledger(member.id) + _ledger(subscriber.id)
    admin = client_for("admin")
    english(admin)
    url = f"/office/members/duplicates/merge?a={member.public_id}&b={subscriber.public_id}"
    page = admin.get(url).get_data(as_text=True)
    assert f"News go to {NEWS}: this address confirmed its consent." in page
    assert _merge(admin, member, subscriber, keep="b").status_code == 302
    kept = service.member_by_public_id(subscriber.public_id)
    assert _recipients() == [NEWS]
    assert consent.state(kept, "newsletter") == "active"
    assert _ledger(kept.id) == sorted(before)
    mailbox.flush()
    assert not mailbox.to(MAIN)[1:]


def test_a_record_without_an_address_takes_the_consented_one(app):
    """The kept record has no email: it gains NEWS with NEWS's own consent, unchanged."""
    caller = enrol(
        {"first_name": "Jānis", "last_name": "Bērziņš", "phone": "26123456"}, ["bookings"]
    )
    subscriber = enrol({"first_name": "Jānis", "email": NEWS}, ["newsletter"], confirmed=True)
    before = _ledger(subscriber.id)
    outcome = duplicates.newsletter_outcome(caller, subscriber)
    assert (outcome.address_from, outcome.state, outcome.moved, outcome.confirm) == (
        "remove",
        "active",
        False,
        False,
    )
    duplicates.merge_members(caller, subscriber, actor="system")
    db.session.commit()
    assert _ledger(caller.id) == before
    assert _recipients() == [NEWS]


def test_a_later_no_on_either_record_stops_the_news(app):
    """Consent at MAIN, then consent and a withdrawal at NEWS: the person's latest word was no,
    so after the merge nobody is mailed, whichever address is kept."""
    member = enrol({"first_name": "Jānis", "email": MAIN}, ["newsletter"], confirmed=True)
    later = enrol(
        {"first_name": "Jānis", "last_name": "B", "email": NEWS},
        ["bookings", "newsletter"],
        confirmed=True,
    )
    service.end_purpose(later, "newsletter", actor="member", reason="self-service")
    db.session.commit()
    assert _recipients() == [MAIN]
    assert duplicates.newsletter_outcome(member, later).state == "withdrawn"
    duplicates.merge_members(member, later, actor="system")
    db.session.commit()
    assert _recipients() == []
