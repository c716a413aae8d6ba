"""`make run` starts the job runner beside gunicorn, and stopping `make run` stops both."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.test_make_run import _free_port, _healthy, _wait_for

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _session_processes(session):
    """Command lines of the live processes in a session (the make run and all it started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(cmdline)
    return found


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_make_run_runs_the_job_runner_and_stopping_it_stops_both(tmp_path, stop):
    """Ctrl-C (SIGINT to the terminal's group) or SIGTERM: gunicorn and the runner both end."""
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    port = _free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("CLUBSITE_")}
    env.update(PORT=str(port), CLUBSITE_INSTANCE_PATH=str(tmp_path / "instance"))
    process = subprocess.Popen(
        ["make", "--no-print-directory", "-o", ".venv/bin/activate", "-o", "translations", "run"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for(lambda: _healthy(f"http://127.0.0.1:{port}"), 90, "make run to serve")
        _wait_for(
            lambda: any("jobs run" in cmd for cmd in _session_processes(process.pid)),
            30, "the job runner",
        )  # fmt: skip
        os.killpg(process.pid, stop)
        process.wait(timeout=60)
        deadline = time.monotonic() + 10
        while _session_processes(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _session_processes(process.pid) == []
    finally:
        if process.poll() is None or _session_processes(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
