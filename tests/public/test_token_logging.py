"""The tokens of mailed links stay out of the logs: gunicorn runs with a logger that masks them
(Makefile `run`, docs/deploy.md), and the pages they open send no Referer anywhere."""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from clubsite.newsletter import tokens as unsubscribe_tokens
from clubsite.public import tokens
from clubsite.web.accesslog import TokenMaskingLogger, mask_tokens
from tests.conftest import KEY_RING_JSON
from tests.public.helpers import ANNA, enrol
from tests.support.mailbox import free_port

ROOT = Path(__file__).resolve().parents[2]
LOGGER = "clubsite.web.accesslog.TokenMaskingLogger"


def _gunicorn_flags(text):
    """The options of the gunicorn command in a Makefile recipe or a systemd unit."""
    command = re.search(r"gunicorn (.*?)wsgi:app", text.replace("\\\n", " "), re.S).group(1)
    return shlex.split(command.replace("$(HOST):$(PORT)", "127.0.0.1:8000"))


def _config(flags, **settings):
    """A gunicorn configuration from command-line flags, as gunicorn builds its own."""
    cfg = Config()
    parsed = cfg.parser().parse_args([*flags, "wsgi:app"])
    for name, value in vars(parsed).items():
        if value is not None and name in cfg.settings:
            cfg.set(name.lower(), value)
    for name, value in settings.items():
        cfg.set(name, value)
    return cfg


def _tokens(member):
    return {
        "/apstiprinat/": tokens.issue("confirm", member),
        "/mani-dati/atvert/": tokens.issue("access", member),
        "/mani-dati/parbaudit/": tokens.issue("reverify", member),
        "/mani-dati/jauna-adrese/": tokens.issue("email", member, address="jauna@example.lv"),
        "/pieteikties/pievienot/": tokens.issue("purpose", member, purposes=["bookings"]),
        "/u/": unsubscribe_tokens.make_member_token(member.public_id),
        "/office/setup/": "Qm9iLXNldHVwLXRva2VuLTEyMzQ1Njc4OTAtYWJj",
    }


def test_make_run_and_the_deploy_guide_run_gunicorn_with_the_masking_logger():
    """Both start gunicorn with the masking logger class and the same access-log format."""
    makefile = _gunicorn_flags((ROOT / "Makefile").read_text())
    guide = _gunicorn_flags((ROOT / "docs" / "deploy.md").read_text())
    for flags in (makefile, guide):
        cfg = _config(flags)
        assert cfg.logger_class is TokenMaskingLogger
        assert '"%(m)s %(U)s"' in cfg.access_log_format
    assert _config(makefile).access_log_format == _config(guide).access_log_format


def test_the_logger_masks_every_link_token_in_a_request_line(app, tmp_path):
    """A sample request per kind of mailed link, logged with the Makefile's flags: the path
    stays readable, the token is gone (also from the referrer and the request line)."""
    member = enrol(ANNA, ["access", "fees", "newsletter"])
    flags = _gunicorn_flags((ROOT / "Makefile").read_text())
    log = tmp_path / "access.log"
    cfg = _config(flags, accesslog=str(log), access_log_format='%(r)s %(U)s %(q)s "%(f)s"')
    logger = cfg.logger_class(cfg)
    for prefix, token in _tokens(member).items():
        path = prefix + token
        environ = {
            "REQUEST_METHOD": "POST",
            "RAW_URI": path + "?lang=lv",
            "PATH_INFO": path,
            "QUERY_STRING": "lang=lv",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_REFERER": "http://localhost" + path,
            "REMOTE_ADDR": "127.0.0.1",
        }
        response = SimpleNamespace(status="302 FOUND", sent=0, headers=[])
        request = SimpleNamespace(headers=[("Referer", environ["HTTP_REFERER"])])
        logger.access(response, request, environ, timedelta(milliseconds=12))
    for handler in logger.access_log.handlers:
        handler.flush()
    lines = log.read_text().splitlines()
    assert len(lines) == len(_tokens(member))
    for line, (prefix, token) in zip(lines, _tokens(member).items(), strict=True):
        assert token not in line and token[:20] not in line
        assert f"POST {prefix}…?lang=lv HTTP/1.1 {prefix}… lang=lv" in line
        assert f'"http://localhost{prefix}…"' in line


def test_word_paths_and_short_values_stay_readable():
    """The site's own paths and short parameters are not masked; tokens in a query are."""
    for text in (
        "GET /mani-dati/saite-nosutita HTTP/1.1",
        "/static/css/app.css",
        "/office/members?page=2&lang=lv",
        "/pieteikties/paldies",
    ):
        assert mask_tokens(text) == text
    assert mask_tokens("/x?token=AbCdEfGhIjKlMnOpQrStUv12") == "/x?token=…"


def test_error_log_messages_are_masked_too(app, tmp_path):
    """gunicorn's "Error handling request <uri>" names the path: the token goes there too."""
    member = enrol(ANNA, ["access", "fees"])
    token = tokens.issue("access", member)
    log = tmp_path / "error.log"
    cfg = _config(_gunicorn_flags((ROOT / "Makefile").read_text()), errorlog=str(log))
    logger = cfg.logger_class(cfg)
    logger.error("Error handling request %s", f"/mani-dati/atvert/{token}")
    for handler in logger.error_log.handlers:
        handler.flush()
    text = log.read_text()
    assert "Error handling request /mani-dati/atvert/…" in text and token not in text


def test_pages_opened_from_mailed_links_send_no_referrer(client):
    """Whatever such a page links to learns nothing of the token in its address."""
    member = enrol(ANNA, ["access", "fees", "newsletter"])
    for prefix, token in _tokens(member).items():
        if prefix == "/office/setup/":
            continue
        response = client.get(prefix + token)
        assert response.status_code == 200, prefix
        assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.slow
def test_gunicorn_started_as_make_run_starts_it_logs_no_token(tmp_path, sqlite_template):
    """The real thing: gunicorn with the Makefile's flags, one request to a link's path."""
    port = free_port()
    flags = _gunicorn_flags((ROOT / "Makefile").read_text())
    flags[flags.index("--bind") + 1] = f"127.0.0.1:{port}"
    database = tmp_path / "clubsite.sqlite3"
    shutil.copy(sqlite_template, database)
    env = {name: value for name, value in os.environ.items() if not name.startswith("CLUBSITE_")}
    env.update(
        CLUBSITE_INSTANCE_PATH=str(tmp_path / "instance"),
        CLUBSITE_DATABASE_URL=f"sqlite:///{database}",
        CLUBSITE_DATA_KEYS=KEY_RING_JSON,
        CLUBSITE_MAIL_URL=f"file://{tmp_path}/outbox",
    )
    out = tmp_path / "gunicorn.log"
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    with out.open("wb") as sink:
        process = subprocess.Popen(
            [gunicorn, *flags, "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    token = "eyJtIjoiYWJjIiwiaiI6Inh5eiJ9.Zx1234.AbCdEfGhIjKlMnOpQrStUvWxYz0"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/apstiprinat/{token}", timeout=2)  # noqa: S310
            except urllib.error.HTTPError as exc:
                assert exc.code == 400  # a forged token: "this link does not work"
                break
            except OSError:
                assert process.poll() is None, out.read_text(errors="replace")
                assert time.monotonic() < deadline, out.read_text(errors="replace")
                time.sleep(0.3)
        time.sleep(0.5)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    text = out.read_text(errors="replace")
    assert '"GET /apstiprinat/…" 400' in text, text
    assert token not in text and token[:20] not in text
