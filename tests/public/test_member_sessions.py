"""A "My data" session lives on the server: closing it, idling, its age, an address change and
erasure end it, and a copied cookie is then worth nothing."""

from datetime import timedelta

from sqlalchemy import func, select, update

from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.public.models import MemberSession
from tests.conftest import csrf_token
from tests.public.helpers import ANNA, english, enrol, links_in, open_my_data, path_of

COOKIE = "clubsite_session"


def _copy_cookie(client):
    """A second browser with the first one's session cookie (a stolen or copied cookie)."""
    thief = client.application.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    english(thief)
    return thief


def _sees_data(client):
    return "Kalniņa" in client.get("/mani-dati").get_data(as_text=True)


def _sessions(member=None):
    query = select(func.count()).select_from(MemberSession)
    if member is not None:
        query = query.where(MemberSession.member_id == member.id)
    return db.session.scalar(query)


def _age(**values):
    db.session.execute(update(MemberSession).values(**values))
    db.session.commit()


def test_close_my_data_ends_the_session_for_a_copied_cookie(client):
    """After "Close my data" the cookie, copied before, opens nothing."""
    english(client)
    member = enrol(ANNA, ["access", "fees"])
    open_my_data(client, member)
    thief = _copy_cookie(client)
    assert _sees_data(thief)  # a copy works while the session is open
    client.post("/mani-dati/iziet", data={"csrf_token": csrf_token(client, "/mani-dati")})
    assert not _sees_data(client)
    assert not _sees_data(thief)
    assert thief.get("/mani-dati/dati.json").status_code == 302
    assert _sessions() == 0


def test_an_idle_session_ends(client):
    """Fifteen minutes without a request end the session on the server."""
    english(client)
    member = enrol(ANNA, ["access", "fees"])
    open_my_data(client, member)
    _age(last_seen_at=utcnow() - timedelta(minutes=14))
    assert _sees_data(client)  # and the visit counts as activity
    seen = as_utc(db.session.scalar(select(MemberSession.last_seen_at)))
    assert utcnow() - seen < timedelta(minutes=1)
    _age(last_seen_at=utcnow() - timedelta(minutes=16))
    assert not _sees_data(client)
    assert _sessions() == 0


def test_a_session_ends_thirty_minutes_after_it_opened(client):
    """However active, a session opened more than 30 minutes ago ends (the server decides,
    whatever the cookie says)."""
    english(client)
    member = enrol(ANNA, ["access", "fees"])
    open_my_data(client, member)
    _age(created_at=utcnow() - timedelta(minutes=31), last_seen_at=utcnow())
    assert not _sees_data(client)


def test_an_address_change_ends_every_session(client, mailbox):
    """Once a new address is confirmed, every browser that had "My data" open must open it
    again; the browser that confirmed has a new session."""
    english(client)
    member = enrol(ANNA, ["access", "fees"])
    other = client.application.test_client()
    english(other)
    open_my_data(other, member)
    open_my_data(client, member)
    client.post(
        "/mani-dati/labot",
        data={**ANNA, "email": "anna.jauna@example.lv", "csrf_token": csrf_token(client, "/")},
    )
    mailbox.wait_for(1)
    [mail] = mailbox.to("anna.jauna@example.lv")
    path = next(path_of(u) for u in links_in(mail["message"]) if "/jauna-adrese/" in u)
    assert _sees_data(other)
    confirm = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert confirm.status_code == 302
    assert not _sees_data(other)
    assert _sees_data(client)
    assert _sessions(member) == 1


def test_erasure_takes_the_sessions_with_it(client):
    """Erasing everything leaves no session behind, and the copied cookie opens nothing."""
    english(client)
    member = enrol(ANNA, ["bookings"])
    open_my_data(client, member)
    thief = _copy_cookie(client)
    response = client.post(
        "/mani-dati/dzest",
        data={"understood": "y", "csrf_token": csrf_token(client, "/mani-dati")},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/dzests")
    assert _sessions() == 0
    assert not _sees_data(thief)


def test_the_cookie_holds_a_random_token_not_a_key_to_the_member(client):
    """Two links open two sessions with different tokens; the server keeps only hashes."""
    member = enrol(ANNA, ["access", "fees"])
    open_my_data(client, member)
    first = client.get_cookie(COOKIE).value
    open_my_data(client, member)  # the browser's earlier session is replaced, not kept
    assert client.get_cookie(COOKIE).value != first
    assert _sessions(member) == 1
    with client.session_transaction() as session:
        token = session["member_sid"]
    assert token not in {row.token_hash for row in db.session.scalars(select(MemberSession))}
