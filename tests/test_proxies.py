"""X-Forwarded-* headers count only when CLUBSITE_TRUSTED_PROXIES says a proxy stands in front.

Without it (the default, as under `make run`) a client that rotates X-Forwarded-For is still one
client to the rate limits; behind one trusted proxy, the proxy's header names the client.
"""

import pytest

from clubsite import create_app
from clubsite.extensions import db
from tests.conftest import FreshContextClient, _config, csrf_token

LOGIN_LIMIT = 10  # per minute, per client (backoffice/auth_routes.py)


def _log_in_from(client, address):
    token = csrf_token(client, "/office/login")
    return client.post(
        "/office/login",
        data={"email": "guess@klubs.lv", "password": "wrong", "csrf_token": token},
        headers={"X-Forwarded-For": address},
    )


def _logins(client, addresses):
    return [_log_in_from(client, address).status_code for address in addresses]


@pytest.fixture
def behind_one_proxy(database_url, tmp_path, monkeypatch):
    """The app as the deployment guide runs it: CLUBSITE_TRUSTED_PROXIES=1 in the environment."""
    instance = tmp_path / "proxied"
    instance.mkdir()
    config = _config(instance, database_url)
    del config["TRUSTED_PROXIES"]  # from the environment, as on the server
    monkeypatch.setenv("CLUBSITE_TRUSTED_PROXIES", "1")
    application = create_app(config, instance_path=str(instance))
    application.test_client_class = FreshContextClient
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def test_a_rotated_forwarded_for_is_ignored_by_default(app, client):
    """One client, a new X-Forwarded-For on every try: the eleventh login is still refused."""
    assert app.config["TRUSTED_PROXIES"] == 0
    answers = _logins(client, [f"203.0.113.{n}" for n in range(LOGIN_LIMIT + 1)])
    assert 429 not in answers[:LOGIN_LIMIT]
    assert answers[LOGIN_LIMIT] == 429


def test_forwarded_proto_is_ignored_by_default(client):
    """A client claiming HTTPS through X-Forwarded-Proto does not make the request secure."""
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers


def test_behind_a_trusted_proxy_its_headers_name_the_client(behind_one_proxy):
    """With one trusted proxy, each forwarded address is a client of its own, and HTTPS counts."""
    client = behind_one_proxy.test_client()
    answers = _logins(client, [f"203.0.113.{n}" for n in range(LOGIN_LIMIT + 1)])
    assert 429 not in answers

    same = _logins(client, ["198.51.100.7"] * (LOGIN_LIMIT + 1))
    assert same[LOGIN_LIMIT] == 429

    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in response.headers
