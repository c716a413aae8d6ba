"""PostgreSQL at 100,000 members: `db copy-to` from the SQLite bench database, then a backup
(logical dump in one REPEATABLE READ transaction), its verification and a restore.

    BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.postgres_bench

A database named clubsite_bench is created (and dropped first if it exists) on that server.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import sqlalchemy as sa

from bench.common import BENCH_DIR, ROOT, ensure_demo, flask, instance_env

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NAME = "clubsite_bench"
PG_DIR = BENCH_DIR / "postgres"


def fresh_database():
    """An empty database on the server; its URL."""
    admin = sa.create_engine(
        ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{NAME}"'))
    admin.dispose()
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + NAME


def prepare(url):
    """Migrate the target and build tables whose migration is not written yet (as the tests
    do); without them copy-to refuses, naming the missing table."""
    env = instance_env()
    env["CLUBSITE_DATABASE_URL"] = url
    code = (
        "from flask_migrate import upgrade\nfrom wsgi import app\n"
        "from clubsite.extensions import db\n"
        "with app.app_context():\n    upgrade()\n    db.create_all()"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True)


def copy_to(url):
    """Seconds for `flask --app wsgi db copy-to URL` from the bench SQLite database."""
    prepare(url)
    started = time.perf_counter()
    done = flask("db", "copy-to", url, check=False)
    if done.returncode:
        raise SystemExit(done.stderr)
    print(done.stdout.strip().splitlines()[0], file=sys.stderr)
    return round(time.perf_counter() - started, 1)


def backup_cycle(url):
    """Backup, verify and restore on PostgreSQL, in an app whose database is url."""
    shutil.rmtree(PG_DIR, ignore_errors=True)
    PG_DIR.mkdir(parents=True)
    for name in ("data_keys.json", "secret_key", "backup_key", "config.py"):
        shutil.copy(BENCH_DIR / name, PG_DIR / name)
    os.environ["CLUBSITE_DATABASE_URL"] = url
    from bench.common import bench_app

    bench_app(PG_DIR)
    from clubsite.backup import service
    from clubsite.backup.restore import restore_backup
    from clubsite.extensions import db

    started = time.perf_counter()
    result = service.create_backup()
    db.session.commit()
    created = time.perf_counter() - started
    started = time.perf_counter()
    service.verify_backup(result.path)
    verified = time.perf_counter() - started
    report = restore_backup(result.path, safety_backup=False)
    return {
        "backup MB": round(result.path.stat().st_size / 1e6, 1),
        "dump MB": round(result.manifest["payload_bytes"] / 1e6, 1),
        "create s": round(created, 2),
        "verify s": round(verified, 2),
        "restore s": round(report.seconds, 2),
    }


def main():
    """Copy, back up, verify, restore; print JSON."""
    ensure_demo()
    url = fresh_database()
    results = {"copy-to s": copy_to(url)}
    results.update(backup_cycle(url))
    print(json.dumps(results, indent=1))
    (BENCH_DIR / "results-postgres.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
