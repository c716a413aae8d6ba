"""Staff login, lock-out, sessions held on the server, timeouts and password changes."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.privacy.audit import AuditEvent
from clubsite.staff.models import StaffSession
from tests.conftest import STAFF_PASSWORD, AuthActions, csrf_token


def test_login_success_lands_on_home(client, auth, make_staff):
    """A correct login redirects to the back-office home, which greets the staff member."""
    user = make_staff("reception")
    response = auth.login(user.email)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/office/")
    page = client.get("/office/")
    assert page.status_code == 200
    assert "Anna Bērziņa" in page.get_data(as_text=True)


def test_wrong_password_and_unknown_email_get_the_same_answer(client, auth, make_staff):
    """The form does not reveal which addresses have accounts."""
    user = make_staff("admin")
    wrong = auth.login(user.email, "not the password at all")
    unknown = auth.login("nobody@klubs.lv", "not the password at all")
    assert wrong.status_code == unknown.status_code == 200

    def strip(r):
        return r.get_data(as_text=True).replace(user.email, "").replace("nobody@klubs.lv", "")  # noqa: E731

    assert _without_tokens(strip(wrong)) == _without_tokens(strip(unknown))
    assert "E-pasts vai parole nav pareiza" in wrong.get_data(as_text=True)


def _without_tokens(html):
    import re

    return re.sub(r'value="[^"]{40,}"', "", html)


def test_lockout_after_repeated_failures_and_admin_unlock(
    app, client, auth, make_staff, client_for
):
    """Five failures lock the login for minutes, even with the right password; an admin lifts it."""
    user = make_staff("reception")
    for _ in range(5):
        auth.login(user.email, "wrong password number x")
    locked = auth.login(user.email)
    assert locked.status_code == 200
    assert "Pārāk daudz neveiksmīgu mēģinājumu" in locked.get_data(as_text=True)
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("login.failed") == 5 and "login.locked" in actions

    admin = client_for("admin")
    token = csrf_token(admin, f"/office/staff/{user.public_id}")
    assert (
        admin.post(f"/office/staff/{user.public_id}/unlock", data={"csrf_token": token}).status_code
        == 302
    )
    assert auth.login(user.email).status_code == 302


def test_unknown_email_is_locked_the_same_way(client, auth):
    """Unknown addresses are throttled exactly like known ones."""
    for _ in range(5):
        auth.login("ghost@klubs.lv", "wrong password number x")
    assert "Pārāk daudz" in auth.login("ghost@klubs.lv").get_data(as_text=True)


def test_session_is_rotated_on_login(client, auth, make_staff):
    """The session cookie before login is not the one after it."""
    user = make_staff("admin")
    client.get("/office/login")
    before = client.get_cookie("clubsite_session").value
    auth.login(user.email)
    after = client.get_cookie("clubsite_session").value
    assert before != after
    assert db.session.scalar(select(db.func.count(StaffSession.token_hash))) == 1


def test_copied_cookie_stops_working_after_logout(app, client, auth, make_staff):
    """Logout ends the session on the server: a copy of the cookie is useless."""
    user = make_staff("admin")
    auth.login(user.email)
    stolen = client.get_cookie("clubsite_session").value
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("clubsite_session", stolen)
    response = thief.get("/office/")
    assert response.status_code == 302 and "/office/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("column", "age"),
    [("last_seen_at", timedelta(minutes=31)), ("created_at", timedelta(hours=12, minutes=1))],
)
def test_idle_and_absolute_timeouts(client, auth, make_staff, column, age):
    """30 minutes idle or 12 hours in all end the session."""
    user = make_staff("admin")
    auth.login(user.email)
    assert client.get("/office/").status_code == 200
    db.session.execute(update(StaffSession).values({column: utcnow() - age}))
    db.session.commit()
    assert client.get("/office/").status_code == 302
    assert db.session.scalar(select(db.func.count(StaffSession.token_hash))) == 0


def test_password_change_ends_other_sessions(app, client, auth, make_staff):
    """Changing the password logs out every other browser but keeps this one."""
    user = make_staff("admin")
    other = app.test_client()
    AuthActions(other).login(user.email)
    auth.login(user.email)
    token = csrf_token(client, "/office/account/password")
    new = "a whole new passphrase for 2027"
    response = client.post(
        "/office/account/password",
        data={
            "csrf_token": token,
            "current_password": STAFF_PASSWORD,
            "password": new,
            "confirm": new,
        },
    )
    assert response.status_code == 302
    assert client.get("/office/").status_code == 200
    assert other.get("/office/").status_code == 302
    assert AuthActions(app.test_client()).login(user.email, new).status_code == 302


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "vismaz 12"),
        ("password1234", "pārāk viegli uzminēt"),
        ("x" * 129, "ne vairāk kā 128"),
    ],
)
def test_weak_passwords_are_refused(client, auth, make_staff, password, message):
    """Too short, common, or too long passwords are refused with a clear Latvian message."""
    user = make_staff("admin")
    auth.login(user.email)
    token = csrf_token(client, "/office/account/password")
    response = client.post(
        "/office/account/password",
        data={
            "csrf_token": token,
            "current_password": STAFF_PASSWORD,
            "password": password,
            "confirm": password,
        },
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_deactivation_ends_sessions(app, client, auth, make_staff, client_for):
    """A deactivated staff member's open session stops working at once."""
    user = make_staff("reception")
    auth.login(user.email)
    admin = client_for("admin")
    token = csrf_token(admin, f"/office/staff/{user.public_id}")
    admin.post(f"/office/staff/{user.public_id}/deactivate", data={"csrf_token": token})
    assert client.get("/office/").status_code == 302


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_login_redirect_stays_on_site(client, make_staff, target):
    """next= only ever leads to a page of this site."""
    user = make_staff("admin")
    token = csrf_token(client, "/office/login")
    response = client.post(
        "/office/login",
        data={"email": user.email, "password": STAFF_PASSWORD, "csrf_token": token, "next": target},
    )
    assert response.headers["Location"].endswith("/office/")


def test_login_without_csrf_token_is_refused(client, make_staff):
    """A form posted without its CSRF token changes nothing."""
    user = make_staff("admin")
    response = client.post("/office/login", data={"email": user.email, "password": STAFF_PASSWORD})
    assert response.status_code == 400
    assert "Veidlapa" in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(StaffSession.token_hash))) == 0


def test_login_page_is_rate_limited(client):
    """More than 10 login posts a minute from one address get 429."""
    token = csrf_token(client, "/office/login")
    codes = [
        client.post(
            "/office/login",
            data={"email": f"x{i}@klubs.lv", "password": "p" * 12, "csrf_token": token},
        ).status_code
        for i in range(12)
    ]
    assert codes[-1] == 429 and 429 not in codes[:10]
