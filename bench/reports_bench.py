"""Report pages in-process at 100,000 demo members (Flask test client), beside /healthz.

    .venv/bin/python -m bench.reports_bench

Seeds its own instance (BENCH_DIR, default /tmp/clubsite-reports-bench) with `demo seed` once
(bench.common.ensure_demo), logs in as a trained admin and times each report page: cold (the
sections' short memory, clubsite.reports.cache, emptied before every request, so each request
counts everything) and warm (a page opened again within REPORTS_CACHE_SECONDS). The goal is
200 ms per page. Each cold request's CPU time in this process is shown beside its wall time
(on the shared 2-core host the wall clock mostly measures the work running beside it).

With BENCH_POSTGRES_URL set (postgresql://postgres@127.0.0.1:5432/postgres), the same pages are
then timed on PostgreSQL, in a second process: the bench database is copied once
(`db copy-to`) into a database named clubsite_reports_bench (BENCH_REPORTS_POSTGRES_DB), kept
and reused while it holds the same number of members, and VACUUM ANALYZE'd as autovacuum would.
Prints Markdown and writes BENCH_DIR/results-reports.json (results-reports-postgres.json).
"""

import json
import os
import re
import subprocess
import sys
import time

os.environ.setdefault("BENCH_DIR", "/tmp/clubsite-reports-bench")  # noqa: S108 (a bench folder)

from bench.common import (
    ADMIN_EMAIL,
    BENCH_DIR,
    MEMBERS,
    PASSWORD,
    ROOT,
    bench_app,
    ensure_demo,
    stats,
)

REPEAT = int(os.environ.get("BENCH_REPEAT", "15"))
PAGES = ["members", "attendance", "fees", "newsletter", "privacy"]
GOAL_MS = 200
PG_URL = os.environ.get("BENCH_POSTGRES_URL")
PG_NAME = os.environ.get("BENCH_REPORTS_POSTGRES_DB", "clubsite_reports_bench")


def logged_in(app):
    """A test client logged in as the bench admin."""
    client = app.test_client()
    page = client.get("/office/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {"email": ADMIN_EMAIL, "password": PASSWORD, "csrf_token": token}
    response = client.post("/office/login", data=form)
    assert response.status_code == 302, "bench admin cannot log in"
    return client


def sample(client, url, repeat, before=None, cpu=None):
    """Milliseconds of `repeat` GETs of url (each answered 200), before() run ahead of each;
    the CPU milliseconds of this process for each are appended to `cpu` when given."""
    out = []
    for _ in range(repeat):
        if before:
            before()
        started, used = time.perf_counter(), time.process_time()
        response = client.get(url)
        out.append((time.perf_counter() - started) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - used) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return out


def measure(app, database):
    """Time /healthz and every page, cold and warm, in this process; the results."""
    from clubsite.reports import cache

    client = logged_in(app)
    results = {"members": MEMBERS, "repeat": REPEAT, "database": database, "pages": {}}
    results["load"] = os.getloadavg()
    client.get("/healthz")  # warm-up
    results["healthz"] = stats(sample(client, "/healthz", REPEAT * 4))
    for name in PAGES:
        url = f"/office/reports/{name}"
        sample(client, url, 1, before=cache.forget)  # warm-up: the database's page cache
        cpu = []
        cold = stats(sample(client, url, REPEAT, before=cache.forget, cpu=cpu))
        warm = stats(sample(client, url, REPEAT))
        results["pages"][name] = {"cold": cold, "cold_cpu": stats(cpu), "warm": warm}
    results["load_after"] = os.getloadavg()
    return results


def table(results):
    """The Markdown table of one database's results."""
    health = results["healthz"]
    lines = [
        f"Reports at {results['members']:,} members, {results['database']}, in-process, "
        f"{results['repeat']} runs (median / p95, ms)\n",
        "| page | cold median | cold p95 | cold CPU median | warm median | goal |",
        "|---|---|---|---|---|---|",
        f"| /healthz | {health['median']} | {health['p95']} | – | – | – |",
    ]
    for name, figures in results["pages"].items():
        cold, cpu, warm = figures["cold"], figures["cold_cpu"], figures["warm"]
        verdict = "ok" if cold["median"] <= GOAL_MS else "missed"
        lines.append(
            f"| {name} | {cold['median']} | {cold['p95']} | {cpu['median']} | "
            f"{warm['median']} | {verdict} |"
        )
    lines.append(f"\nload average before/after: {results['load']} / {results['load_after']}")
    return "\n".join(lines)


def postgres_database():
    """The PostgreSQL copy of the bench database (copied once, then reused); its URL."""
    import sqlalchemy as sa

    admin_url = PG_URL.replace("postgresql://", "postgresql+psycopg://")
    url = PG_URL.rsplit("/", 1)[0] + "/" + PG_NAME
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    query = sa.text("SELECT 1 FROM pg_database WHERE datname = :name")
    with admin.connect() as conn:
        exists = conn.scalar(query, {"name": PG_NAME})
    held = None
    if exists:
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            with engine.connect() as conn:
                held = conn.scalar(sa.text("SELECT count(*) FROM member"))
        except sa.exc.DBAPIError:
            held = None
        engine.dispose()
    if held != MEMBERS:
        from bench import postgres_bench

        postgres_bench.NAME = PG_NAME
        fresh = postgres_bench.fresh_database()
        seconds = postgres_bench.copy_to(fresh)
        print(f"copied the bench database to PostgreSQL in {seconds} s", file=sys.stderr)
    admin.dispose()
    engine = sa.create_engine(
        url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    return url


def on_postgres():
    """The PostgreSQL part, in its own process (the app reads its database URL at start)."""
    from bench.common import copy_instance_files

    url = postgres_database()
    folder = copy_instance_files(BENCH_DIR / "postgres-reports")
    os.environ["CLUBSITE_DATABASE_URL"] = url
    app = bench_app(folder)  # the bench admin came along with the copy
    return measure(app, "PostgreSQL")


def main(argv=None):
    """Measure SQLite (and PostgreSQL when BENCH_POSTGRES_URL is set); print Markdown."""
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--postgres"]:
        results = on_postgres()
        (BENCH_DIR / "results-reports-postgres.json").write_text(json.dumps(results, indent=2))
        print(table(results))
        return 0
    ensure_demo()
    results = measure(bench_app(), "SQLite")
    (BENCH_DIR / "results-reports.json").write_text(json.dumps(results, indent=2))
    print(table(results))
    if PG_URL:
        print(flush=True)
        command = [sys.executable, "-m", "bench.reports_bench", "--postgres"]
        subprocess.run(command, cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
