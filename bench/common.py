"""Shared by the benchmark scripts: the bench instance, its app, its demo data, and statistics.

The bench runs against its own instance folder (BENCH_DIR, default /tmp/clubsite-bench): keys,
a SQLite database with the demo members, and backups, never the developer's instance/.
"""

import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(os.environ.get("BENCH_DIR", "/tmp/clubsite-bench"))  # noqa: S108
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "100000"))
PASSWORD = "bench horse battery staple 42"  # noqa: S105  (a throw-away bench account)
ADMIN_EMAIL = "bench-admin@klubs.lv"
# The instance's secrets and settings a copy of it needs to read the same data.
INSTANCE_FILES = ("data_keys.json", "secret_key", "backup_key", "audit_key", "config.py")


def instance_env(instance=None):
    """Environment for flask/gunicorn processes on the bench instance."""
    env = dict(os.environ)
    env["CLUBSITE_INSTANCE_PATH"] = str(instance or BENCH_DIR)
    env.setdefault("PYTHONPATH", str(ROOT))
    return env


def flask(*args, instance=None, check=True):
    """Run `flask --app wsgi ...` on the bench instance."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    return subprocess.run(
        command, cwd=ROOT, env=instance_env(instance), check=check, capture_output=True, text=True
    )


def copy_instance_files(target, source=None):
    """A fresh folder `target` with the bench instance's keys and config.py (not its data)."""
    source = Path(source or BENCH_DIR)
    target = Path(target)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(mode=0o700, parents=True)
    for name in INSTANCE_FILES:
        if (source / name).exists():  # audit_key: made on first start by newer versions
            shutil.copy(source / name, target / name)
    return target


def copy_instance(target, source=None):
    """A consistent copy of the bench instance (keys and SQLite database) in `target`, so that
    destructive or growing runs leave the original as it was."""
    source = Path(source or BENCH_DIR)
    copy_instance_files(target, source)
    original = sqlite3.connect(source / "clubsite.sqlite3")
    copied = sqlite3.connect(Path(target) / "clubsite.sqlite3")
    original.backup(copied)
    original.close()
    copied.close()
    return Path(target)


def port_is_free(port):
    """True when nothing listens on 127.0.0.1:port (a stale server would answer for us)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn: TIME_WAIT is ok
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_instance_config(instance=None):
    """Rate limits off (the bench would measure 429 answers), mail to files."""
    folder = Path(instance or BENCH_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.py").write_text(
        "# Written by bench/common.py: benchmarks must not be throttled.\n"
        "RATELIMIT_ENABLED = False\n"
        "NEWSLETTER_INLINE_SENDER = False\n"
        "BACKUP_INTERVAL_HOURS = 0  # no automatic backup in the middle of a measurement\n"
    )


def bench_app(instance=None):
    """The app on the bench instance (or another folder), with its context pushed."""
    os.environ["CLUBSITE_INSTANCE_PATH"] = str(instance or BENCH_DIR)
    sys.path.insert(0, str(ROOT))
    from clubsite import create_app

    app = create_app(instance_path=str(instance or BENCH_DIR))
    app.test_client_class = _fresh_context_client()
    app.app_context().push()
    return app


def _fresh_context_client():
    from flask.testing import FlaskClient

    from clubsite.extensions import db

    class FreshContextClient(FlaskClient):
        """Each request in its own app context, as in production (g is not shared)."""

        def open(self, *args, **kwargs):
            db.session.commit()
            with self.application.app_context():
                return super().open(*args, **kwargs)

    return FreshContextClient


def ensure_demo(members=MEMBERS):
    """Migrate the bench database and fill it with demo members once (kept between runs)."""
    write_instance_config()
    upgraded = flask("db", "upgrade", check=False)
    if upgraded.returncode:
        raise SystemExit(
            f"{upgraded.stderr.strip()[-1500:]}\nThe bench database in {BENCH_DIR} cannot be "
            "migrated (made before a new migration, whose tables create_all made early?): "
            "delete that folder and run again."
        )
    # Tables whose migration is not written yet (features being built): as the tests do.
    subprocess.run(
        [sys.executable, "-c", "from wsgi import app\nfrom clubsite.extensions import db\n"
         "with app.app_context(): db.create_all()"],
        cwd=ROOT, env=instance_env(), check=True,
    )  # fmt: skip
    counted = flask("demo", "seed", "--members", str(members), check=False)
    if counted.returncode == 0:
        print(counted.stdout.strip(), file=sys.stderr)
    elif "already holds" not in counted.stderr:
        raise SystemExit(counted.stderr)
    ensure_admin()


def ensure_admin():
    """A trained admin for the back-office pages (no two-factor: it is not required by default)."""
    app = bench_app()
    from clubsite.extensions import db
    from clubsite.privacy.policy import mark_trained
    from clubsite.staff import service

    user = service.find_by_email(ADMIN_EMAIL)
    if user is None:
        user = service.create_staff(ADMIN_EMAIL, "Bench Admin", ["admin"], PASSWORD)
        mark_trained(user)
        db.session.commit()
    db.session.remove()
    return app


def stats(samples_ms):
    """median, p95 and p99 of a list of milliseconds."""
    ordered = sorted(samples_ms)
    if not ordered:
        return {"n": 0, "median": None, "p95": None, "p99": None}

    def pick(q):
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "n": len(ordered),
        "median": round(statistics.median(ordered), 3),
        "p95": round(pick(0.95), 3),
        "p99": round(pick(0.99), 3),
    }


def timed(func, repeat):
    """Call func repeat times; return the list of durations in milliseconds."""
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        out.append((time.perf_counter() - started) * 1000)
    return out
