"""`PORT=… make run` serves the site there, and the links it mails point there too.

Runs the Makefile's `run` recipe for real (gunicorn, a fresh instance folder of its own, mail to
the file outbox) on a free port of 127.0.0.1, signs up through HTTP and reads the mail.
"""

import email
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from email import policy
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"https?://[^\s\"'<>]+")


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(check, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def _healthy(base):
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310 (http://127.0.0.1)
            return response.status == 200
    except OSError:
        return False


def _hidden(page, name):
    match = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', page)
    assert match, f"no {name} on the sign-up page"
    return match.group(1)


def _sign_up(base, address):
    """Sign up for the newsletter the way a browser does (cookie, CSRF token, consent box)."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(base + "/pieteikties", timeout=10) as response:
        page = response.read().decode()
    form = {
        "csrf_token": _hidden(page, "csrf_token"),
        "consent_newsletter_hash": _hidden(page, "consent_newsletter_hash"),
        "choices": "newsletter",
        "step": "submit",
        "website": "",
        "email": address,
        "consent_newsletter": "y",
        "age_confirmed": "y",
    }
    body = urllib.parse.urlencode(form).encode()
    with opener.open(base + "/pieteikties", data=body, timeout=10) as response:
        assert response.status == 200  # after the redirect to "check your mail"
        assert "/pieteikties" in response.url  # not an error page elsewhere


def _mail_in(outbox):
    messages = sorted(outbox.glob("*.eml")) if outbox.is_dir() else []
    return messages[0] if messages else None


@pytest.fixture
def make_run(tmp_path):
    """Start `make run` with PORT set and an instance folder of its own; stop it afterwards."""
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    port = _free_port()
    instance = tmp_path / "instance"
    env = {name: value for name, value in os.environ.items() if not name.startswith("CLUBSITE_")}
    env.update(PORT=str(port), HOST="127.0.0.1", CLUBSITE_INSTANCE_PATH=str(instance))
    log = tmp_path / "make-run.log"
    with log.open("wb") as out:
        # -o: the test runs the recipe itself; the venv and the catalogs are the suite's.
        process = subprocess.Popen(
            ["make", "--no-print-directory", "-o", ".venv/bin/activate", "-o", "translations"]
            + ["run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _healthy(base) or process.poll() is not None, 45, "make run to serve")
        assert process.poll() is None, log.read_text(errors="replace")
        yield base, instance, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def test_mailed_links_follow_the_port_make_run_serves(make_run):
    """A sign-up confirmation mailed by `PORT=… make run` links to that port, not to 8000."""
    base, instance, log = make_run
    assert f"{base}/office/setup/" in log.read_text(errors="replace")  # the first-admin link

    _sign_up(base, "make.run@example.lv")
    path = _wait_for(lambda: _mail_in(instance / "outbox"), 20, "the confirmation mail")
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    links = [link for link in LINK.findall(text) if "/apstiprinat/" in link]
    assert links, text
    assert all(link.startswith(f"{base}/apstiprinat/") for link in links)
