"""PostgreSQL at 100,000 members: `db copy-to` from the SQLite bench database, the search over
HTTP with 1 and with 2 gunicorn workers, then a backup (logical dump in one REPEATABLE READ
transaction), its verification and a restore.

    BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.postgres_bench

A database named clubsite_bench (BENCH_POSTGRES_DB) is created (and dropped first if it exists)
on that server. The search runs as in bench/http_bench.py (loadgen in a second process,
8 connections, BENCH_SECONDS per run, each right after a /healthz run): exact email and name
prefix, on gunicorn with 1 worker x 8 threads (as `make run`) and with 2 workers x 4 threads,
the same 8 threads in all; goal: rate(2 workers) / rate(1 worker) ≥ 1.6.
"""

import json
import os
import subprocess
import sys
import time

import sqlalchemy as sa

from bench.common import BENCH_DIR, ROOT, copy_instance_files, ensure_demo, flask, instance_env
from bench.http_bench import (
    CONNECTIONS,
    SECONDS,
    load_table,
    sample_values,
    start_server,
    stop_server,
    with_baseline,
)

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NAME = os.environ.get("BENCH_POSTGRES_DB", "clubsite_bench")
PG_DIR = BENCH_DIR / "postgres"
PORT = int(os.environ.get("BENCH_POSTGRES_PORT", "8767"))
BASE = f"http://127.0.0.1:{PORT}"
SERVERS = ((1, 8), (2, 4))  # (workers, threads per worker)
WORKERS_GOAL = 1.6


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


def pg_app(url):
    """The bench instance's keys in PG_DIR, and an app on PostgreSQL (context pushed)."""
    copy_instance_files(PG_DIR)
    os.environ["CLUBSITE_DATABASE_URL"] = url
    from bench.common import bench_app

    return bench_app(PG_DIR)


def http_search(url):
    """Search at 8 connections on gunicorn with 1 and with 2 workers, each beside /healthz."""
    values_path = PG_DIR / "search-values.json"
    sample_values(values_path)
    env = instance_env(PG_DIR)
    env["CLUBSITE_DATABASE_URL"] = url
    search = ["--values", str(values_path)]
    runs = {}
    try:
        for workers, threads in SERVERS:
            server = start_server(workers, threads, port=PORT, env=env)
            try:
                for label, kind in (("email (exact)", "email"), ("name prefix", "name")):
                    result, base = with_baseline(
                        f"search: {label}, {workers} worker(s) x {threads} threads",
                        "search", *search, "--kind", kind, login=True, base=BASE,
                    )  # fmt: skip
                    runs[(workers, kind)] = (result, base)
            finally:
                stop_server(server)
    finally:
        values_path.unlink(missing_ok=True)
    return runs


def workers_table(runs):
    """Markdown lines: rate with 2 workers against 1 worker, each beside /healthz."""
    (one, _), (two, _) = SERVERS
    lines = [
        f"| search | req/s, {one} worker (/healthz) | req/s, {two} workers (/healthz) "
        f"| rate({two}) / rate({one}) | /healthz {two} / {one} | goal ≥ {WORKERS_GOAL} |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for kind, label in (("email", "email (exact)"), ("name", "name prefix")):
        (a, a_base), (b, b_base) = runs[(one, kind)], runs[(two, kind)]
        ratio = b["rps"] / a["rps"] if a["rps"] else 0
        base_ratio = b_base["rps"] / a_base["rps"] if a_base["rps"] else 0
        good = ratio >= WORKERS_GOAL and not (a["errors"] or b["errors"])
        lines.append(
            f"| {label} | {a['rps']} ({a_base['rps']}) | {b['rps']} ({b_base['rps']}) "
            f"| **{ratio:.2f}** | {base_ratio:.2f} | {'✔' if good else '✘'} |"
        )
    return lines


def backup_cycle():
    """Backup, verify and restore on PostgreSQL, in the app on it (pg_app)."""
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
    """Copy, search over HTTP, back up, verify, restore; print Markdown (and save JSON)."""
    ensure_demo()
    url = fresh_database()
    results = {"copy-to s": copy_to(url)}
    pg_app(url)
    runs = http_search(url)
    results.update(backup_cycle())
    print(
        f"\nPostgreSQL ({url.rsplit('@', 1)[-1]}), search over HTTP: loadgen in a second "
        f"process, {CONNECTIONS} connections, {SECONDS:g} s per run (/healthz "
        f"{SECONDS / 2:g} s just before each), load average {os.getloadavg()[0]:.2f}\n"
    )
    print("\n".join(load_table(list(runs.values()))))
    print()
    print("\n".join(workers_table(runs)))
    print("\n| PostgreSQL | |\n|---|---:|")
    print(f"| `db copy-to` | {results['copy-to s']} s |")
    for label, name, unit in (
        ("backup file", "backup MB", "MB"),
        ("dump (before compression)", "dump MB", "MB"),
        ("`backup create`", "create s", "s"),
        ("`backup verify`", "verify s", "s"),
        ("`backup restore`", "restore s", "s"),
    ):
        print(f"| {label} | {results[name]} {unit} |")
    results["search"] = [
        {"workers": w, "kind": k, "result": r, "baseline": b} for (w, k), (r, b) in runs.items()
    ]
    (BENCH_DIR / "results-postgres.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
