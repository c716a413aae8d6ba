"""Latency under load: gunicorn (2 workers) on the 100,000-member bench database, loaded by
bench/loadgen.py in a second process with 8 connections; each figure beside /healthz measured
just before it in the same run.

    .venv/bin/python -m bench.http_bench            # BENCH_SECONDS=10 by default
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request

from bench.common import (
    ADMIN_EMAIL,
    BENCH_DIR,
    PASSWORD,
    ROOT,
    bench_app,
    ensure_demo,
    instance_env,
)

PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = 8


def sample_values(path):
    """Real search terms from 300 random demo members (written 0600, removed afterwards)."""
    from sqlalchemy import func, select

    from clubsite.extensions import db
    from clubsite.members import fields as store
    from clubsite.members.models import Member

    total = db.session.scalar(select(func.count()).select_from(Member))
    rnd = random.Random(7)
    values = {"email": [], "phone": [], "card_number": [], "name": []}
    ids = db.session.scalars(select(Member.id)).all()
    for member_id in rnd.sample(ids, 300):
        wanted = ["email", "phone", "card_number", "last_name"]
        found = store.read(db.session.get(Member, member_id), wanted)
        for kind in ("email", "phone", "card_number"):
            if kind in found:
                values[kind].append(found[kind])
        if "last_name" in found:
            values["name"].append(found["last_name"][: rnd.randint(3, 5)])
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(values, handle)
    deep = db.session.scalar(
        select(Member.id).order_by(Member.id.desc()).offset(50 * 1999).limit(1)
    )
    db.session.remove()
    return total, deep


def start_server():
    """gunicorn with 2 worker processes of 4 threads each, on the bench data."""
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{PORT}", "--workers", "2",
         "--threads", "4", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=instance_env(),
    )  # fmt: skip
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"{BASE}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def load(label, scenario, *extra, login=False, seconds=SECONDS):
    """One loadgen run in its own process; returns its JSON summary."""
    command = [sys.executable, str(ROOT / "bench" / "loadgen.py"), "--base", BASE,
               "--scenario", scenario, "--connections", str(CONNECTIONS),
               "--seconds", str(seconds), "--label", label, *extra]  # fmt: skip
    if login:
        command += ["--login", "--email", ADMIN_EMAIL, "--password", PASSWORD]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def scenarios(values_path, deep):
    """(label, scenario, extra args, needs login)."""
    search = ["--values", str(values_path)]
    return [
        ("search: email (exact)", "search", [*search, "--kind", "email"], True),
        ("search: phone (exact)", "search", [*search, "--kind", "phone"], True),
        ("search: card (exact)", "search", [*search, "--kind", "card_number"], True),
        ("search: name prefix", "search", [*search, "--kind", "name"], True),
        ("member list, first page", "page", ["--path", "/office/members"], True),
        ("member list, page 2000", "page", ["--path", f"/office/members?before={deep}"], True),
        ("sign-up POST (newsletter)", "signup", [], False),
    ]


def main():
    """Run every scenario with its baseline and print a Markdown table."""
    ensure_demo()
    bench_app()
    values_path = BENCH_DIR / "search-values.json"
    total, deep = sample_values(values_path)
    server = start_server()
    rows = []
    try:
        for label, scenario, extra, needs_login in scenarios(values_path, deep):
            base = load("/healthz", "healthz", seconds=SECONDS / 2)
            result = load(label, scenario, *extra, login=needs_login)
            rows.append((result, base))
            print(json.dumps({"result": result, "baseline": base}), file=sys.stderr)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        values_path.unlink(missing_ok=True)
    print(f"\n{total} members, gunicorn 2 workers x 4 threads, {CONNECTIONS} connections, "
          f"{SECONDS:.0f} s per run\n")  # fmt: skip
    print(
        "| scenario | req/s | median ms | p95 ms | p99 ms | statuses "
        "| /healthz req/s (p95 ms) | share of /healthz |"
    )
    print("|---|---:|---:|---:|---:|---|---:|---:|")
    for result, base in rows:
        share = result["rps"] / base["rps"] * 100 if base["rps"] else 0
        print(
            f"| {result['label']} | {result['rps']} | {result['median_ms']} | {result['p95_ms']} "
            f"| {result['p99_ms']} | {result['statuses']} | {base['rps']} ({base['p95_ms']}) "
            f"| {share:.0f} % |"
        )
    (BENCH_DIR / "results-http.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
