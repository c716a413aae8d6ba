"""Start `flask jobs run` processes against a test's database, each with an instance of its own."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from clubsite.extensions import db

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")
SHARED = (
    "DATABASE_URL", "SECRET_KEY", "DATA_KEYS", "BACKUP_KEY", "AUDIT_KEY", "MAIL_URL", "BASE_URL",
)  # fmt: skip


class RunnerProcesses:
    """Job runner processes for one test; the ones still running are killed at the end."""

    def __init__(self, app, folder):
        self.app = app
        self.folder = folder
        self.processes = []

    def env(self, **settings):
        """An environment whose instance folder points at the test's database and mail server."""
        # A folder per process: clubsite.config.ensure_instance probes its folder on start.
        folder = self.folder / f"runner-{len(self.processes)}-{time.monotonic_ns()}"
        folder.mkdir()
        config = {name: self.app.config[name] for name in SHARED}
        config |= {"JOBS_LEASE_SECONDS": 1, "JOBS_POLL_SECONDS": 0.2, **settings}
        (folder / "config.py").write_text("".join(f"{k} = {v!r}\n" for k, v in config.items()))
        return {**os.environ, "CLUBSITE_INSTANCE_PATH": str(folder), "PYTHONPATH": str(ROOT)}

    def start(self, *args, **settings):
        """`flask jobs run ARGS` with these settings; the test's session is committed first."""
        db.session.commit()  # hold no transaction (on SQLite: no lock) while the process works
        process = subprocess.Popen(
            [FLASK, "--app", "tests.jobs.runner_app", "jobs", "run", *args],
            cwd=ROOT, env=self.env(**settings), text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        self.processes.append(process)
        return process

    def stop(self, process, timeout=30):
        """SIGTERM, then wait for a clean exit; returns (returncode, stdout, stderr)."""
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=timeout)
        return process.returncode, out, err

    def close(self):
        """Kill whatever is still running."""
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.communicate()


def wait_until(condition, *, timeout=20, processes=(), what="the condition"):
    """Poll until condition() is true; fail early if one of the processes died."""
    deadline = time.monotonic() + timeout
    while not condition():
        for process in processes:
            assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
