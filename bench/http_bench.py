"""Latency under load: gunicorn (2 workers) on the 100,000-member bench database, loaded by
bench/loadgen.py in a second process with 8 connections; each figure beside /healthz measured
just before it in the same run.

    .venv/bin/python -m bench.http_bench            # BENCH_SECONDS=10 by default

Scenarios: exact search by email, phone and card number, name-prefix search, the member list's
first page and page 2000, each at 8 connections and again at 1 connection (each run right after
a /healthz run with as many connections), so that rate(8)/rate(1) shows whether the back office
serves requests side by side (goal ≥ 1.5); then the newsletter sign-up POST at 8 connections.
Every row counts errors: answers other than 200 (302 for the sign-up), or no answer at all.
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
    port_is_free,
)

PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = 8
SCALING_GOAL = 1.5  # rate at 8 connections / rate at 1 connection


def sample_values(path):
    """Real search terms from 300 random demo members (written 0600, removed afterwards)."""
    from sqlalchemy import func, select

    from clubsite.extensions import db
    from clubsite.privacy import fields as store
    from clubsite.privacy.models import Member

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


def start_server(workers=2, threads=4, port=PORT, env=None):
    """gunicorn with `workers` processes of `threads` threads each, on the bench data (or on
    what `env` points at), bound to 127.0.0.1:port only."""
    if not port_is_free(port):
        raise SystemExit(f"port {port} is in use (another bench still running?): set BENCH_PORT")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
         str(workers), "--threads", str(threads), "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env or instance_env(),
    )  # fmt: skip
    for _ in range(150):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}")
        try:
            url = f"http://127.0.0.1:{port}/healthz"
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit("gunicorn did not start")


def stop_server(server):
    """Stop the gunicorn this script started (its master; the workers follow)."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def load_command(
    label, scenario, *extra, login=False, seconds=SECONDS, connections=CONNECTIONS, base=BASE
):
    """The command line of one loadgen run."""
    command = [sys.executable, str(ROOT / "bench" / "loadgen.py"), "--base", base,
               "--scenario", scenario, "--connections", str(connections),
               "--seconds", str(seconds), "--label", label, *extra]  # fmt: skip
    if login:
        command += ["--login", "--email", ADMIN_EMAIL, "--password", PASSWORD]
    return command


def load(label, scenario, *extra, login=False, seconds=SECONDS, connections=CONNECTIONS, base=BASE):
    """One loadgen run in its own process; returns its JSON summary."""
    command = load_command(label, scenario, *extra, login=login, seconds=seconds,
                           connections=connections, base=base)  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode:
        raise SystemExit(f"loadgen failed ({label}): {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def with_baseline(
    label, scenario, *extra, login=False, connections=CONNECTIONS, base=BASE, seconds=SECONDS
):
    """A /healthz run with as many connections, then the scenario: (result, baseline)."""
    baseline = load("/healthz", "healthz", seconds=seconds / 2, connections=connections,
                    base=base)  # fmt: skip
    result = load(label, scenario, *extra, login=login, seconds=seconds,
                  connections=connections, base=base)  # fmt: skip
    print(json.dumps({"result": result, "baseline": baseline}), file=sys.stderr)
    return result, baseline


def scenarios(values_path, deep):
    """(label, scenario, extra args, needs login, also at 1 connection)."""
    search = ["--values", str(values_path)]
    deep_page = f"/office/members?before={deep}"
    return [
        ("search: email (exact)", "search", [*search, "--kind", "email"], True, True),
        ("search: phone (exact)", "search", [*search, "--kind", "phone"], True, True),
        ("search: card (exact)", "search", [*search, "--kind", "card_number"], True, True),
        ("search: name prefix", "search", [*search, "--kind", "name"], True, True),
        ("member list, first page", "page", ["--path", "/office/members"], True, True),
        ("member list, page 2000", "page", ["--path", deep_page], True, True),
        ("sign-up POST (newsletter)", "signup", [], False, False),
    ]


def statuses(result):
    """'223 × 200, 1 × 500' from a loadgen summary."""
    counts = sorted(result["statuses"].items(), key=lambda item: -item[1])
    return ", ".join(f"{count} × {status}" for status, count in counts)


def load_table(rows):
    """Markdown lines: one row per (result, baseline) with the baseline's share."""
    lines = [
        "| scenario | conns | req/s | median ms | p95 ms | p99 ms | answers | errors "
        "| /healthz req/s (p95 ms), same run | share of /healthz |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for result, base in rows:
        share = result["rps"] / base["rps"] * 100 if base["rps"] else 0
        lines.append(
            f"| {result['label']} | {result['connections']} | {result['rps']} "
            f"| {result['median_ms']} | {result['p95_ms']} | {result['p99_ms']} "
            f"| {statuses(result)} | {result['errors']} | {base['rps']} ({base['p95_ms']}) "
            f"| {share:.0f} % |"
        )
    return lines


def scaling_table(pairs, goal=SCALING_GOAL):
    """Markdown lines: rate at 8 connections against 1 connection, each beside /healthz."""
    lines = [
        f"| scenario | req/s, 1 conn (/healthz) | req/s, {CONNECTIONS} conns (/healthz) "
        f"| rate({CONNECTIONS}) / rate(1) | /healthz {CONNECTIONS} / 1 | goal ≥ {goal} |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for (many, many_base), (one, one_base) in pairs:
        ratio = many["rps"] / one["rps"] if one["rps"] else 0
        base_ratio = many_base["rps"] / one_base["rps"] if one_base["rps"] else 0
        mark = "✔" if ratio >= goal and not (many["errors"] or one["errors"]) else "✘"
        lines.append(
            f"| {many['label']} | {one['rps']} ({one_base['rps']}) "
            f"| {many['rps']} ({many_base['rps']}) | **{ratio:.2f}** | {base_ratio:.2f} | {mark} |"
        )
    return lines


def main():
    """Run every scenario with its baseline (and at 1 connection) and print Markdown tables."""
    ensure_demo()
    bench_app()
    values_path = BENCH_DIR / "search-values.json"
    total, deep = sample_values(values_path)
    server = start_server()
    rows, pairs = [], []
    started = time.time()
    try:
        for label, scenario, extra, needs_login, also_one in scenarios(values_path, deep):
            many = with_baseline(label, scenario, *extra, login=needs_login)
            rows.append(many)
            if also_one:
                one = with_baseline(label, scenario, *extra, login=needs_login, connections=1)
                pairs.append((many, one))
    finally:
        stop_server(server)
        values_path.unlink(missing_ok=True)
    print(f"\nHTTP: {total} members, gunicorn 2 workers x 4 threads, loadgen in a second "
          f"process, {SECONDS:g} s per run (/healthz {SECONDS / 2:g} s just before each), "
          f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(started))}, load average "
          f"{os.getloadavg()[0]:.2f} after the runs\n")  # fmt: skip
    print("\n".join(load_table(rows + [one for _many, one in pairs])))
    print(f"\nSide by side: the same scenarios at {CONNECTIONS} connections and at 1\n")
    print("\n".join(scaling_table(pairs)))
    (BENCH_DIR / "results-http.json").write_text(
        json.dumps({"runs": rows, "one_connection": [one for _many, one in pairs]}, indent=1)
    )


if __name__ == "__main__":
    main()
