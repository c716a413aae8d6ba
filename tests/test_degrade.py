"""With the rate-limit store (Redis) unreachable the site degrades instead of failing.

Every test of this module runs against an app whose CLUBSITE_RATELIMIT_STORAGE_URL points at a
closed local port: sign-up, login and "My data" still answer, the limits still hold (counted in
this process's memory), one warning is logged, and the admin's home page shows it.
"""

import logging
import socket

import pytest

from clubsite import create_app
from clubsite.extensions import db, rate_limits_degraded
from tests.conftest import STAFF_PASSWORD, FreshContextClient, _config, csrf_token
from tests.public.helpers import ANNA, english, member_with_email, sign_up

WARNING_START = "The rate-limit store (CLUBSITE_RATELIMIT_STORAGE_URL) does not answer."


def _closed_port():
    """A local port nothing listens on (bound once, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def app(database_url, tmp_path):
    """The suite's app, with its rate-limit store on Redis at a port where nothing answers."""
    instance = tmp_path / "instance"
    instance.mkdir()
    config = _config(instance, database_url)
    config["RATELIMIT_STORAGE_URL"] = f"redis://127.0.0.1:{_closed_port()}/0"
    application = create_app(config, instance_path=str(instance))
    application.test_client_class = FreshContextClient
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def limiter_log(caplog):
    """Flask-Limiter's log records (the in-process Alembic run of the suite disables loggers)."""
    logger = logging.getLogger("flask-limiter")
    was_disabled, logger.disabled = logger.disabled, False
    caplog.set_level(logging.WARNING, logger="flask-limiter")
    yield caplog
    logger.disabled = was_disabled


def _ask_for_link(client, email):
    token = csrf_token(client, "/mani-dati")
    return client.post("/mani-dati", data={"csrf_token": token, "email": email})


def _log_in(client, email, password=None):
    token = csrf_token(client, "/office/login")
    return client.post(
        "/office/login", data={"email": email, "password": password or "wrong", "csrf_token": token}
    )


def test_sign_up_login_and_my_data_answer_with_the_store_down(client, make_staff, limiter_log):
    """No 500: the forms work as usual, and the fallback is logged once."""
    assert not rate_limits_degraded()

    assert _ask_for_link(client, "nobody@example.lv").status_code == 302
    assert rate_limits_degraded()

    response = sign_up(client, ["newsletter"], {"email": ANNA["email"]})
    assert response.status_code == 302
    assert member_with_email(ANNA["email"]) is not None

    admin = make_staff("admin")
    assert _log_in(client, admin.email, STAFF_PASSWORD).status_code == 302
    assert client.get("/office/").status_code == 200

    warnings = [
        record
        for record in limiter_log.records
        if record.name == "flask-limiter" and record.levelno == logging.WARNING
    ]
    assert len(warnings) == 1
    assert "unreachable" in warnings[0].getMessage()


def test_limits_still_hold_per_process_with_the_store_down(client):
    """The limits count in memory: the sixth link for one address, the eleventh login, say 429."""
    answers = [_ask_for_link(client, "same@example.lv").status_code for _ in range(6)]
    assert answers == [302] * 5 + [429]

    logins = [_log_in(client, f"guess{n}@klubs.lv").status_code for n in range(11)]
    assert 429 not in logins[:10]
    assert logins[10] == 429

    signups = [
        sign_up(client, ["newsletter"], {"email": "again@example.lv"}).status_code for _ in range(6)
    ]
    assert 429 not in signups[:5]
    assert signups[5] == 429


def test_the_admin_home_says_the_limits_count_per_process(client_for):
    """The admin's home warns while the store is down; other roles see no such panel."""
    admin = client_for("admin")  # its login went through the limiter: the store is found down
    assert rate_limits_degraded()
    assert "CLUBSITE_RATELIMIT_STORAGE_URL" in admin.get("/office/").get_data(as_text=True)
    english(admin)
    assert WARNING_START in admin.get("/office/").get_data(as_text=True)
    reception = client_for("reception")
    assert "CLUBSITE_RATELIMIT_STORAGE_URL" not in reception.get("/office/").get_data(as_text=True)


def test_a_new_app_starts_with_its_store_healthy(app, client, tmp_path, database_url):
    """The limiter is shared by every app of a process: a new app does not inherit the outage."""
    assert _ask_for_link(client, "nobody@example.lv").status_code == 302
    assert rate_limits_degraded()
    other = tmp_path / "other"
    other.mkdir()
    create_app(_config(other, database_url), instance_path=str(other))
    assert not rate_limits_degraded()
