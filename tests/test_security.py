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


# --- The database file is private, like the keys ---------------------------------------------


def test_a_new_sqlite_database_and_its_wal_files_are_mode_0600(tmp_path):
    """A fresh instance: the database file, -wal and -shm are readable by the owner only."""
    from flask_migrate import upgrade

    from clubsite.extensions import db

    instance = tmp_path / "inst"
    previous = os.umask(0o022)  # the usual umask: files 0644 unless made private on purpose
    try:
        app = create_app({"TESTING": True}, instance_path=str(instance))
        with app.app_context():
            upgrade()
    finally:
        os.umask(previous)
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))
        path = instance / "clubsite.sqlite3"
        for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            assert name.exists(), name
            assert stat.S_IMODE(os.stat(name).st_mode) == 0o600, name
        db.session.remove()
        db.engine.dispose()


def test_an_existing_world_readable_database_is_made_private(tmp_path):
    """A database file created 0644 before this check is set to 0600 on the next start."""
    from clubsite.extensions import db

    path = tmp_path / "old.sqlite3"
    path.write_bytes(b"")
    os.chmod(path, 0o644)
    app = create_app({"DATABASE_URL": f"sqlite:///{path}"}, instance_path=str(tmp_path / "i"))
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        db.session.remove()
        db.engine.dispose()


# --- A search matches only on fields the role may see (no oracle) ----------------------------

ILZE = {
    "first_name": "Ilze",
    "last_name": "Vītola",
    "email": "ilze.vitola@example.lv",
    "personal_code": "150385-10009",
}


@pytest.fixture
def ilze(app):
    """A fees-only member with her personal code on the invoices."""
    from tests.privacy.factories import enrol

    return enrol(ILZE, ["fees"])


def _search(client, query):
    from tests.conftest import csrf_token

    token = csrf_token(client, "/office/members")
    return client.post("/office/members", data={"q": query, "csrf_token": token})


@pytest.mark.parametrize("query", [ILZE["personal_code"], "15038510009", ILZE["email"], "Vītola"])
def test_reception_cannot_find_a_fees_only_member(client_for, ilze, query):
    """Neither her personal code nor her fees email (nor her name) finds her for reception."""
    page = _search(client_for("reception"), query).get_data(as_text=True)
    assert "Ilze" not in page and ilze.public_id not in page


@pytest.mark.parametrize("query", [ILZE["personal_code"], ILZE["email"], "Vītola"])
def test_the_accountant_and_the_admin_still_find_her(client_for, ilze, query):
    """Roles that see the fees fields find her by each of them."""
    for role in ("accountant", "admin"):
        page = _search(client_for(role), query).get_data(as_text=True)
        assert ilze.public_id in page, (role, query)


def test_a_field_of_an_uncovered_purpose_does_not_match_a_visible_member(client_for, app):
    """Reception sees Jānis (club access) but not his fees personal code: it does not find him;
    his bookings email, a field reception sees, does."""
    from tests.privacy.factories import enrol

    values = {**ILZE, "first_name": "Jānis", "email": "janis.b@example.lv"}
    member = enrol(values, ["access", "fees"])
    reception = client_for("reception")
    assert member.public_id in _search(reception, "Jānis").get_data(as_text=True)
    assert member.public_id not in _search(reception, ILZE["personal_code"]).get_data(as_text=True)
    assert member.public_id not in _search(reception, "janis.b@example.lv").get_data(as_text=True)
    booker = enrol({"first_name": "Līga", "last_name": "Ozola", "email": "l@example.lv"},
                   ["bookings"])  # fmt: skip
    assert booker.public_id in _search(reception, "l@example.lv").get_data(as_text=True)


def _add(client, purposes, values):
    from tests.conftest import csrf_token

    data = {
        "csrf_token": csrf_token(client, "/office/members/new"),
        "purposes": purposes,
        "step": "submit",
        "language": "en",
        "newsletter_basis": "consent",
        **values,
    }
    return client.post("/office/members/new", data=data)


@pytest.mark.parametrize(
    ("purposes", "values"),
    [
        (["bookings"], {"first_name": "Ilze", "last_name": "V", "email": ILZE["email"]}),
        (
            ["fees"],
            {"first_name": "I", "last_name": "V", "email": "other@example.lv",
             "personal_code": ILZE["personal_code"]},
        ),
    ],
)  # fmt: skip
def test_add_member_says_nothing_about_a_record_reception_may_not_see(
    client_for, ilze, purposes, values
):
    """No "already a member", no link: the desk learns nothing about the fees-only member."""
    from tests.public.helpers import english

    reception = client_for("reception")
    english(reception)
    response = _add(reception, purposes, values)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "already a member" not in page and ilze.public_id not in page
    assert "cannot be saved from this page" in page


def test_add_member_still_says_already_a_member_when_the_match_is_visible(client_for, app):
    """Reception typing the bookings email of a member it sees is told, with the link."""
    from tests.privacy.factories import enrol
    from tests.public.helpers import english

    booker = enrol({"first_name": "Līga", "last_name": "Ozola", "email": "l@example.lv"},
                   ["bookings"])  # fmt: skip
    reception = client_for("reception")
    english(reception)
    page = _add(
        reception, ["bookings"], {"first_name": "Līga", "last_name": "O", "email": "l@example.lv"}
    ).get_data(as_text=True)
    assert "already a member" in page and booker.public_id in page


def test_member_search_is_rate_limited_per_staff_account(client_for, app):
    """Past the limit a staff account's searches answer 429; a colleague's are not counted."""
    app.config["MEMBER_SEARCH_RATE_LIMIT"] = "3 per minute"
    first, second = client_for("reception"), client_for("reception")
    statuses = [_search(first, "Anna").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert _search(second, "Anna").status_code == 200
    assert first.get("/office/members").status_code == 200  # the list itself is not limited
