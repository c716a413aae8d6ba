"""Two-factor sign-in: set-up with a QR code, the login's second step, single-use codes, the
throttle on wrong codes, per-role requirement, turning it off and the admin reset."""

import re
import time
from datetime import timedelta

import pyotp
from sqlalchemy import select, update

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.privacy import keys
from clubsite.privacy.audit import AuditEvent
from clubsite.privacy.crypto import decrypt_field
from clubsite.staff import twofactor
from clubsite.staff.models import StaffSession
from tests.conftest import csrf_token


def _english(client):
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})


def _enable(user):
    """Set two-factor up through the service; return the secret."""
    secret = twofactor.new_secret()
    twofactor.enable(user, secret, pyotp.TOTP(secret).now())
    db.session.commit()
    return secret


def _next_code(secret):
    """The code of the next 30-second step (accepted within the window, not yet spent)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def _actions():
    return db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()


def _post_code(client, code):
    token = csrf_token(client, "/office/login/code")
    return client.post("/office/login/code", data={"code": code, "csrf_token": token})


def test_setup_shows_a_local_qr_code_and_stores_the_secret_encrypted(client_for, app):
    """The QR code is inline SVG without style attributes; the secret is stored encrypted."""
    client = client_for("reception")
    user = client.staff_user
    page = client.get("/office/account/two-factor").get_data(as_text=True)
    assert '<div class="qr"><svg' in page
    svg = page.split('<div class="qr">')[1].split("</svg>")[0]
    assert "style=" not in svg and "<script" not in svg
    secret = re.search(r'<span class="code">([A-Z2-7 ]+)</span>', page).group(1).replace(" ", "")
    # The same secret stays while the staff member scans and types.
    assert secret.replace(" ", "") in client.get("/office/account/two-factor").get_data(
        as_text=True
    ).replace(" ", "")

    token = csrf_token(client, "/office/account/two-factor")
    wrong = client.post("/office/account/two-factor", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 200
    db.session.refresh(user)
    assert user.totp_secret is None

    code = pyotp.TOTP(secret).now()
    done = client.post("/office/account/two-factor", data={"code": code, "csrf_token": token})
    # The answer shows the recovery codes, once (tests/staff/test_recovery_codes.py).
    assert done.status_code == 200 and 'class="recovery-codes"' in done.get_data(as_text=True)
    db.session.refresh(user)
    assert user.totp_secret is not None and secret.encode() not in user.totp_secret
    ring = app.config["KEY_RING"]
    stored = decrypt_field(
        ring, user.totp_secret, table="staff_user", column="totp_secret", row_id=user.public_id
    )
    assert stored == secret
    assert "staff.two_factor_enabled" in _actions()
    # This browser stays logged in after turning it on.
    assert client.get("/office/").status_code == 200


def test_secret_is_registered_for_key_rotation():
    """`flask keys rotate` re-encrypts the TOTP secret too."""
    assert any(
        spec.table == "staff_user" and spec.columns.get("totp_secret") == "totp_secret"
        for spec in keys.REGISTRY
    )


def test_login_needs_the_code_after_the_password(client, auth, make_staff):
    """With two-factor on, the password alone logs nobody in; the code completes the login."""
    user = make_staff("admin")
    secret = _enable(user)
    response = auth.login(user.email)
    assert response.status_code == 302 and "/office/login/code" in response.headers["Location"]
    blocked = client.get("/office/")
    assert blocked.status_code == 302 and "/office/login" in blocked.headers["Location"]
    pending = db.session.scalars(select(StaffSession)).all()
    assert [s.second_factor_done for s in pending] == [False]

    done = _post_code(client, _next_code(secret))
    assert done.status_code == 302 and done.headers["Location"].endswith("/office/")
    assert client.get("/office/").status_code == 200
    sessions = db.session.scalars(select(StaffSession)).all()
    assert [s.second_factor_done for s in sessions] == [True]  # the waiting one is gone
    assert "login" in _actions()


def test_each_code_works_once(client, auth, make_staff):
    """A code already used (here: to confirm the set-up) is refused at login."""
    user = make_staff("admin")
    secret = twofactor.new_secret()
    used = pyotp.TOTP(secret).now()
    twofactor.enable(user, secret, used)
    db.session.commit()
    _english(client)
    auth.login(user.email)
    again = _post_code(client, used)
    assert again.status_code == 200
    assert "already been used" in again.get_data(as_text=True)
    assert client.get("/office/").status_code == 302
    code = _next_code(secret)
    assert _post_code(client, code).status_code == 302
    # And the code that just logged in is spent too.
    assert not twofactor.verify_code(user, code)


def test_wrong_codes_are_throttled_and_a_password_does_not_reset_the_count(
    client, auth, make_staff
):
    """Five wrong codes lock the second step, even with the right code and a fresh password."""
    user = make_staff("reception")
    secret = _enable(user)
    _english(client)
    auth.login(user.email)
    for _ in range(3):
        assert _post_code(client, "111111").status_code == 200
    auth.login(user.email)  # a right password must not wipe the wrong codes
    assert _post_code(client, "111111").status_code == 200
    locked = _post_code(client, "111111")
    assert locked.status_code == 302  # sent back to the login page
    actions = _actions()
    assert actions.count("login.code.failed") == 5 and "login.code.locked" in actions
    auth.login(user.email)
    refused = _post_code(client, _next_code(secret))
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/office/login")
    assert "Too many failed attempts" in client.get("/office/login").get_data(as_text=True)
    assert client.get("/office/").status_code == 302


def test_admin_unlock_lifts_a_code_lock(client, auth, make_staff, client_for):
    """The admin's "lift the login lock" also clears a lock from wrong codes."""
    user = make_staff("reception")
    secret = _enable(user)
    auth.login(user.email)
    for _ in range(5):
        _post_code(client, "222222")
    admin = client_for("admin")
    token = csrf_token(admin, f"/office/staff/{user.public_id}")
    admin.post(f"/office/staff/{user.public_id}/unlock", data={"csrf_token": token})
    auth.login(user.email)
    assert _post_code(client, _next_code(secret)).status_code == 302
    assert client.get("/office/").status_code == 200


def test_waiting_for_the_code_expires(client, auth, make_staff):
    """The step after the password lives a few minutes only."""
    user = make_staff("admin")
    _enable(user)
    auth.login(user.email)
    db.session.execute(update(StaffSession).values(created_at=utcnow() - timedelta(minutes=6)))
    db.session.commit()
    response = client.get("/office/login/code")
    assert response.status_code == 302 and response.headers["Location"].endswith("/office/login")
    assert db.session.scalar(select(db.func.count(StaffSession.token_hash))) == 0


def test_role_requirement_sends_staff_to_set_up_first(client_for):
    """When an admin requires it for reception, a receptionist without it is sent to set it up."""
    admin = client_for("admin")
    token = csrf_token(admin, "/office/staff/two-factor")
    saved = admin.post(
        "/office/staff/two-factor", data={"roles": ["reception"], "csrf_token": token}
    )
    assert saved.status_code == 302
    assert twofactor.required_roles() == {"reception"}

    reception = client_for("reception")
    home = reception.get("/office/")
    assert home.status_code == 302
    assert "/office/account/two-factor?next=/office/" in home.headers["Location"]
    assert reception.get("/office/policy").status_code == 302
    page = reception.get("/office/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<span class="code">([A-Z2-7 ]+)</span>', page).group(1).replace(" ", "")
    token = csrf_token(reception, "/office/account/two-factor")
    reception.post(
        "/office/account/two-factor",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": token},
    )
    assert reception.get("/office/").status_code == 200
    # Other roles are not affected.
    assert client_for("accountant").get("/office/").status_code == 200


def test_turning_off_needs_a_code_and_is_refused_when_the_role_requires_it(
    client, auth, make_staff
):
    """A staff member turns it off with a current code, unless their role requires it."""
    user = make_staff("marketing")
    secret = _enable(user)
    auth.login(user.email)
    _post_code(client, _next_code(secret))
    # Let the current step count again (the clock may not have moved on since the login).
    user.totp_last_step = None
    db.session.commit()
    token = csrf_token(client, "/office/account/two-factor")

    def turn_off(code):
        client.post("/office/account/two-factor/off", data={"code": code, "csrf_token": token})
        db.session.refresh(user)
        return user.totp_secret is None

    assert not turn_off("333333")
    twofactor.set_required_roles(["marketing"])
    db.session.commit()
    assert not turn_off(pyotp.TOTP(secret).now())
    twofactor.set_required_roles([])
    db.session.commit()
    assert turn_off(pyotp.TOTP(secret).now())
    assert user.totp_last_step is None
    assert "staff.two_factor_disabled" in _actions()


def test_admin_resets_a_lost_phone(client_for, make_staff, client, auth):
    """The admin removes the secret; the staff member's sessions end and they log in by password."""
    user = make_staff("reception")
    _enable(user)
    admin = client_for("admin")
    token = csrf_token(admin, f"/office/staff/{user.public_id}")
    response = admin.post(
        f"/office/staff/{user.public_id}/two-factor/reset", data={"csrf_token": token}
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.totp_secret is None
    assert "staff.two_factor_reset" in _actions()
    assert auth.login(user.email).headers["Location"].endswith("/office/")
