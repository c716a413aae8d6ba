"""Report pages in-process at 100,000 demo members (Flask test client), beside /healthz.

    .venv/bin/python -m bench.reports_bench

Seeds its own instance (BENCH_DIR, default /tmp/clubsite-reports-bench) with `demo seed` once
(bench.common.ensure_demo), logs in as a trained admin and times each report page: cold (the
sections' short memory, clubsite.reports.cache, emptied before every request, so each request
counts everything) and warm (a page opened again within REPORTS_CACHE_SECONDS). The goal is
200 ms per page. Prints Markdown and writes BENCH_DIR/results-reports.json.
"""

import json
import os
import re
import sys
import time

os.environ.setdefault("BENCH_DIR", "/tmp/clubsite-reports-bench")  # noqa: S108 (a bench folder)

from bench.common import ADMIN_EMAIL, BENCH_DIR, MEMBERS, PASSWORD, bench_app, ensure_demo, stats

REPEAT = int(os.environ.get("BENCH_REPEAT", "15"))
PAGES = ["members", "attendance", "fees", "newsletter", "privacy"]
GOAL_MS = 200


def logged_in(app):
    """A test client logged in as the bench admin."""
    client = app.test_client()
    page = client.get("/office/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {"email": ADMIN_EMAIL, "password": PASSWORD, "csrf_token": token}
    response = client.post("/office/login", data=form)
    assert response.status_code == 302, "bench admin cannot log in"
    return client


def sample(client, url, repeat, before=None):
    """Milliseconds of `repeat` GETs of url (each answered 200), before() run ahead of each."""
    out = []
    for _ in range(repeat):
        if before:
            before()
        started = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return out


def main():
    """Measure and print."""
    ensure_demo()
    app = bench_app()
    from clubsite.reports import cache

    client = logged_in(app)
    results = {"members": MEMBERS, "repeat": REPEAT, "load": os.getloadavg(), "pages": {}}
    client.get("/healthz")  # warm-up
    results["healthz"] = stats(sample(client, "/healthz", REPEAT * 4))
    for name in PAGES:
        url = f"/office/reports/{name}"
        sample(client, url, 1, before=cache.forget)  # warm-up: SQLite's page cache
        cold = stats(sample(client, url, REPEAT, before=cache.forget))
        warm = stats(sample(client, url, REPEAT))
        results["pages"][name] = {"cold": cold, "warm": warm}
    results["load_after"] = os.getloadavg()
    (BENCH_DIR / "results-reports.json").write_text(json.dumps(results, indent=2))
    print(f"Reports at {MEMBERS:,} members, in-process, {REPEAT} runs (median / p95, ms)\n")
    print("| page | cold median | cold p95 | warm median | goal |")
    print("|---|---|---|---|---|")
    health = results["healthz"]
    print(f"| /healthz | {health['median']} | {health['p95']} | – | – |")
    for name, figures in results["pages"].items():
        cold, warm = figures["cold"], figures["warm"]
        verdict = "ok" if cold["median"] <= GOAL_MS else "missed"
        print(f"| {name} | {cold['median']} | {cold['p95']} | {warm['median']} | {verdict} |")
    print(f"\nload average before/after: {results['load']} / {results['load_after']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
