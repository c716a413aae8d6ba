"""Recovery codes for two-factor sign-in: ten shown once when it is turned on, stored as keyed
hashes, each working once instead of the app's code (also against two logins at once),
audited, throttled like wrong codes, renewable, and gone with `staff reset-2fa EMAIL`."""

import hashlib
import re
import threading
import time

import pyotp
from sqlalchemy import func, select

from clubsite import unit_of_work
from clubsite.extensions import db
from clubsite.privacy.audit import AuditEvent
from clubsite.staff import recovery, twofactor
from clubsite.staff.models import RecoveryCode, StaffSession, StaffUser
from tests.conftest import AuthActions, csrf_token
from tests.staff.test_twofactor import _english, _next_code, _post_code
from tests.support.htmlcheck import problems

CODE_RE = re.compile(r'<span class="code">([0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5})</span>')


def _enable(user):
    """Two-factor sign-in on through the service: (secret, recovery codes)."""
    secret = twofactor.new_secret()
    codes = twofactor.enable(user, secret, pyotp.TOTP(secret).now())
    db.session.commit()
    return secret, codes


def _unused(user):
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.staff_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


def _events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_turning_it_on_shows_ten_codes_once_and_stores_keyed_hashes(client_for):
    """The answer to the set-up lists ten distinct codes; the database holds none of them, not
    even as a plain SHA-256; the account page later shows only how many are left."""
    client = client_for("reception")
    user = client.staff_user
    _english(client)
    page = client.get("/office/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<span class="code">([A-Z2-7 ]+)</span>', page).group(1).replace(" ", "")
    token = csrf_token(client, "/office/account/two-factor")
    shown = client.post(
        "/office/account/two-factor",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": token},
    ).get_data(as_text=True)
    codes = CODE_RE.findall(shown)
    assert len(codes) == recovery.COUNT == len(set(codes)) == 10
    stored = db.session.scalars(select(RecoveryCode).where(RecoveryCode.staff_id == user.id)).all()
    assert len(stored) == 10 and all(row.used_at is None for row in stored)
    hashes = {row.code_hash for row in stored}
    for code in codes:
        plain = code.replace("-", "")
        assert hashlib.sha256(plain.encode()).hexdigest() not in hashes
        assert all(plain not in value and code not in value for value in hashes)
    assert [e.detail for e in _events("staff.recovery_codes_created")] == ["count=10"]

    again = client.get("/office/account/two-factor").get_data(as_text=True)
    assert not CODE_RE.search(again)
    assert "You have 10 unused recovery codes." in again
    assert problems(shown) == [] and problems(again) == []  # two forms, no duplicate ids


def test_a_recovery_code_logs_in_once_and_says_how_many_are_left(client, auth, make_staff):
    """Typed in lower case with a space, a code completes the login; the next page says nine
    are left; the same code is refused afterwards and counts as a wrong code."""
    user = make_staff("admin")
    _secret, codes = _enable(user)
    _english(client)
    auth.login(user.email)
    typed = codes[0].lower().replace("-", " ")
    done = _post_code(client, typed)
    assert done.status_code == 302 and done.headers["Location"].endswith("/office/")
    home = client.get("/office/").get_data(as_text=True)
    assert "You logged in with a recovery code. 9 unused codes are left." in home
    assert _unused(user) == 9
    [used] = _events("staff.recovery_code_used")
    assert used.subject_id == user.public_id and used.detail == "remaining=9"
    sessions = db.session.scalars(select(StaffSession).where(StaffSession.staff_id == user.id))
    assert [s.second_factor_done for s in sessions] == [True]

    auth.logout()
    auth.login(user.email)
    again = _post_code(client, codes[0])
    assert again.status_code == 200 and client.get("/office/").status_code == 302
    assert len(_events("login.code.failed")) == 1 and _unused(user) == 9


def test_when_few_codes_are_left_the_staff_member_is_told_to_make_new_ones(
    client, auth, make_staff
):
    """With two codes left after the login, the message says to make new ones."""
    user = make_staff("marketing")
    _secret, codes = _enable(user)
    for code in codes[:7]:
        with unit_of_work.write():
            assert recovery.use(user, code) is not None
    _english(client)
    auth.login(user.email)
    assert _post_code(client, codes[7]).status_code == 302
    home = client.get("/office/").get_data(as_text=True)
    assert "2 unused codes are left." in home and "Make new recovery codes" in home
    assert "2 unused recovery codes left." in home  # the two-factor panel says it too


def test_wrong_recovery_codes_are_throttled_like_wrong_app_codes(client, auth, make_staff):
    """Five wrong codes of the recovery form lock the step; then even a right one is refused and
    stays unused."""
    user = make_staff("reception")
    _secret, codes = _enable(user)
    auth.login(user.email)
    for _ in range(5):
        _post_code(client, "AAAAA-BBBBB")
    assert "login.code.locked" in db.session.scalars(select(AuditEvent.action)).all()
    auth.login(user.email)
    refused = _post_code(client, codes[0])
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/office/login")
    assert _unused(user) == 10


def test_two_logins_with_the_same_code_at_once_spend_it_once(app, make_staff):
    """While one login's transaction holds a code it has just spent, a second login with the
    same code waits for it and then finds the code used: exactly one of them logs in."""
    user = make_staff("admin")
    _secret, codes = _enable(user)
    staff_id = user.id
    db.session.rollback()  # this thread holds no transaction while the two logins run
    spent = threading.Event()
    results = {}

    def first():
        with app.app_context():
            with unit_of_work.write():
                results["first"] = recovery.use(db.session.get(StaffUser, staff_id), codes[3])
                spent.set()
                time.sleep(0.5)  # the second login arrives while this transaction is open
            db.session.remove()

    def second():
        with app.app_context():
            assert spent.wait(10)
            with unit_of_work.write():
                results["second"] = recovery.use(db.session.get(StaffUser, staff_id), codes[3])
            db.session.remove()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert results == {"first": 9, "second": None}
    db.session.expire_all()
    assert _unused(user) == 9 and len(_events("staff.recovery_code_used")) == 1


def test_new_codes_need_an_app_code_and_void_the_old_set(client, auth, make_staff):
    """From the account page, with a current app code: ten new codes, shown once; the old ones
    no longer work. A wrong app code changes nothing."""
    user = make_staff("accountant")
    secret, old = _enable(user)
    _english(client)
    auth.login(user.email)
    _post_code(client, _next_code(secret))
    user.totp_last_step = None  # let the current step count again
    db.session.commit()
    token = csrf_token(client, "/office/account/two-factor")

    def renew(code):
        return client.post(
            "/office/account/two-factor/recovery-codes",
            data={"renew-code": code, "renew-csrf_token": token},
        )

    wrong = renew("000000")
    assert wrong.status_code == 302
    db.session.expire_all()
    assert _unused(user) == 10
    assert "already been used" in client.get("/office/account/two-factor").get_data(as_text=True)
    page = renew(pyotp.TOTP(secret).now()).get_data(as_text=True)
    new = CODE_RE.findall(page)
    assert len(new) == 10 and not set(new) & set(old)
    db.session.expire_all()
    with unit_of_work.write():
        assert recovery.use(user, old[0]) is None
        assert recovery.use(user, new[0]) == 9


def test_turning_it_off_removes_the_codes(make_staff):
    """Off with a current code: the secret and the recovery codes are gone."""
    user = make_staff("marketing")
    secret, _codes = _enable(user)
    user.totp_last_step = None
    twofactor.disable(user, pyotp.TOTP(secret).now())
    db.session.commit()
    assert user.totp_secret is None and _unused(user) == 0


def test_cli_reset_removes_secret_codes_and_sessions(app, runner, make_staff):
    """`staff reset-2fa EMAIL`: secret, codes and sessions gone, audited, said on the terminal;
    the staff member then logs in with the password alone."""
    user = make_staff("reception")
    secret, _codes = _enable(user)
    browser = app.test_client()
    AuthActions(browser).login(user.email)
    _post_code(browser, _next_code(secret))
    assert browser.get("/office/").status_code == 200

    result = runner.invoke(args=["staff", "reset-2fa", user.email.upper()])
    assert result.exit_code == 0, result.output
    assert f"Two-factor sign-in removed for {user.email}." in result.output
    assert "Recovery codes deleted: 10 unused." in result.output
    assert "Sessions ended: 1." in result.output
    db.session.expire_all()
    user = db.session.get(StaffUser, user.id)
    assert user.totp_secret is None and user.totp_last_step is None
    assert db.session.scalar(select(func.count(RecoveryCode.id))) == 0
    assert browser.get("/office/").status_code == 302
    [event] = _events("staff.two_factor_reset")
    assert event.subject_id == user.public_id and event.actor_type == "system"
    assert event.detail == "cli"
    login = AuthActions(browser).login(user.email)
    assert login.headers["Location"].endswith("/office/")


def test_cli_reset_of_an_unknown_address_fails_clearly(runner, make_staff):
    """An address without an account: a clear error and a non-zero exit code."""
    make_staff("admin")
    result = runner.invoke(args=["staff", "reset-2fa", "nobody@klubs.lv"])
    assert result.exit_code != 0
    assert "no staff account with the email nobody@klubs.lv" in result.output
    assert _events("staff.two_factor_reset") == []
