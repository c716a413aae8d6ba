"""Security headers, error pages, health check and the configuration's first start."""

import os
import stat
import subprocess
import sys

import pytest

from clubsite import create_app


def test_security_headers_on_every_page(client):
    """CSP without inline script or style, nosniff, no referrer, no framing, no caching."""
    for url in ["/", "/office/login", "/privatums", "/no-such-page"]:
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in headers


def test_hsts_only_over_https(client):
    """HSTS is sent when the request came over HTTPS."""
    assert (
        "max-age"
        in client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"]
    )


def test_static_files_may_be_cached(client):
    """The stylesheet is the one thing a browser may keep."""
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"


def test_404_page_is_translated_and_leaks_nothing(client):
    """A custom 404 in Latvian with no traceback or path echo."""
    response = client.get("/office/../secret<script>")
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Lapa nav atrasta" in body
    assert "<script>" not in body and "Traceback" not in body


def test_healthz_answers_without_a_session(client):
    """200 with no cookie and no personal data."""
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_first_start_creates_instance_secrets_with_mode_0600(tmp_path):
    """Secret key and data keys are created once, private, and never overwritten."""
    instance = tmp_path / "inst"
    create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/a.db"}, instance_path=str(instance))
    keys = (instance / "data_keys.json").read_text()
    for name in ["secret_key", "data_keys.json", "backup_key"]:
        assert stat.S_IMODE(os.stat(instance / name).st_mode) == 0o600
    create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/a.db"}, instance_path=str(instance))
    assert (instance / "data_keys.json").read_text() == keys


def _run_flask(env_extra, tmp_path):
    env = {**os.environ, **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "routes"],
        capture_output=True,
        text=True,
        env=env,
        cwd=os.getcwd(),
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CLUBSITE_DATA_KEYS": "not json"}, "data keys"),
        (
            {
                "CLUBSITE_DATA_KEYS": (
                    '{"active": "k1", "keys": {"k1": "c2hvcnQ="}, "index_key": "c2hvcnQ="}'
                )
            },
            "data keys",
        ),
    ],
)
def test_malformed_keys_give_one_clear_line(tmp_path, env, expected):
    """A malformed key gives a one-line error naming the problem, not a stack trace."""
    result = _run_flask({**env, "CLUBSITE_INSTANCE_PATH": str(tmp_path / "i")}, tmp_path)
    assert result.returncode != 0
    assert "configuration error" in result.stderr and expected in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_instance_names_the_path(tmp_path):
    """An instance folder that cannot be written gives a one-line error with its path."""
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    result = _run_flask({"CLUBSITE_INSTANCE_PATH": str(blocked / "inst")}, tmp_path)
    assert result.returncode != 0
    assert str(blocked / "inst") in result.stderr and "Traceback" not in result.stderr


def test_500_page_leaks_nothing(app, caplog):
    """An unexpected error shows the calm error page; the log names only the exception type."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom():
        raise RuntimeError("secret value janis@example.lv")

    app.add_url_rule("/boom", view_func=boom)
    response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Radās kļūda" in body
    assert "janis@example.lv" not in body and "Traceback" not in body
    assert response.headers["Cache-Control"] == "no-store"
