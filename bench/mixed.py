"""A newsletter going out while the back office is in use, on the 100,000-member bench data.

    .venv/bin/python -m bench.mixed          # BENCH_MIXED_RECIPIENTS=30000, BENCH_SECONDS=10

On a fresh copy of the bench instance (BENCH_DIR/mixed; the demo members' own newsletter
audience, trimmed to BENCH_MIXED_RECIPIENTS deliveries), with gunicorn (2 workers x 4 threads)
on 127.0.0.1 and a local aiosmtpd sink (bench/newsletter/sink.py) on 127.0.0.1, in one run:

1. /healthz at 8 connections (BENCH_SECONDS / 2);
2. the back office alone: 8 connections from bench/loadgen.py (scenario "office": the member
   list's first page, page 2000 and searches by email, name prefix, phone and card number, in
   turn), BENCH_SECONDS;
3. the sender alone: one campaign sent by `flask --app wsgi newsletter send-queued --rate 0
   --batch-size 500` (the real command, a process of its own) into the sink;
4. a second campaign to the same recipients, sent the same way while the same 8 connections load
   the back office, from a second before the sender starts until it has finished.

The sender's rate is read off the sink (messages / time from first to last arrival), so the
command's start-up is not counted; its wall time is shown beside. The back office "under load"
counts the requests that started between the first and the last message's arrival. Goals: the
sender under load at least 70 % of its rate alone, the back office's p95 under load at most
100 ms, no errors. The sink checks each campaign arrived once per recipient with its one-click
unsubscribe headers.
"""

import json
import multiprocessing
import os
import re
import select
import subprocess
import sys
import time

from bench.common import BENCH_DIR, ROOT, bench_app, copy_instance, ensure_demo, instance_env
from bench.http_bench import (
    CONNECTIONS,
    SECONDS,
    load,
    load_command,
    sample_values,
    start_server,
    stop_server,
)
from bench.loadgen import summary
from bench.newsletter.bench import queue_campaign, start_sinks, stop_sinks

MIXED = BENCH_DIR / "mixed"
RECIPIENTS = int(os.environ.get("BENCH_MIXED_RECIPIENTS", "30000"))
PORT = int(os.environ.get("BENCH_MIXED_PORT", "8766"))
BASE = f"http://127.0.0.1:{PORT}"
BATCH = 500
SEND_TIMEOUT = 900  # seconds; 30,000 messages take well under a minute alone
SENDER_GOAL, P95_GOAL = 0.70, 100.0


def prepare(values_path):
    """A fresh copy of the bench instance with its app; members, deep page id (and values)."""
    ensure_demo()
    copy_instance(MIXED)
    bench_app(MIXED)
    return sample_values(values_path)


def queue(subject, wanted):
    """Press Send on a new campaign; keep its first `wanted` deliveries. (recipients, seconds)"""
    from sqlalchemy import delete, select

    from clubsite.extensions import db
    from clubsite.newsletter.models import Delivery

    newsletter, freeze = queue_campaign(subject)
    ids = select(Delivery.id).where(Delivery.newsletter_id == newsletter.id)
    cut = db.session.scalar(ids.order_by(Delivery.id).offset(wanted).limit(1))
    if cut is not None:  # more lawful recipients than wanted: the rest are not part of the bench
        db.session.execute(
            delete(Delivery).where(Delivery.newsletter_id == newsletter.id, Delivery.id >= cut)
        )
        newsletter.recipients_count = wanted
    count = newsletter.recipients_count
    db.session.commit()
    db.session.remove()  # no transaction left open beside the sender
    return count, freeze


def send(sink_port):
    """Run `newsletter send-queued` once, to the end; its summary line and wall seconds."""
    env = instance_env(MIXED)
    env["CLUBSITE_MAIL_URL"] = f"smtp://127.0.0.1:{sink_port}"
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "newsletter", "send-queued",
               "--rate", "0", "--batch-size", str(BATCH), "--quiet"]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=SEND_TIMEOUT
    )
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"send-queued failed: {done.stderr.strip()[-2000:]}")
    line = done.stdout.strip().splitlines()[-1]
    sent = re.search(r"sent (\d+), failed (\d+)", line)
    return {"line": line, "sent": int(sent.group(1)), "failed": int(sent.group(2)), "wall": wall}


def arrived(pipe, subject, expected):
    """What the sink got for a subject: messages, rate (first to last arrival), checks."""
    pipe.send("report")
    report = pipe.recv()
    got = report["received"].get(subject, {})
    first, last = report["arrived"].get(subject, (0.0, 0.0))
    messages = sum(got.values())
    span = last - first
    return {
        "messages": messages,
        "seconds": round(span, 2),
        "rate": round((messages - 1) / span, 1) if span > 0 else 0.0,
        "once_each": all(n == 1 for n in got.values()) and len(got) == expected,
        "headers_intact": report["broken"].get(subject, 0) == 0,
        "window": (first, last),
    }


def within(records_path, window):
    """loadgen's summary of the requests that started while the messages arrived."""
    first, last = window
    with open(records_path) as handle:
        records = [r for r in json.load(handle) if first <= r[3] <= last]
    seconds = max(last - first, 1e-9)
    out = {"label": "back office, while sending", "connections": CONNECTIONS,
           "seconds": round(seconds, 2), **summary(records, {"200"}, seconds)}  # fmt: skip
    kinds = sorted({r[0] for r in records})
    out["by_kind"] = {
        k: summary([r for r in records if r[0] == k], {"200"}, seconds) for k in kinds
    }
    return out


def office_args(values_path, deep):
    """loadgen's arguments for the back office as staff use it (scenario "office")."""
    return ["--values", str(values_path), "--path", f"/office/members?before={deep}"]


def under_load(command, sink_port):
    """Start the back-office load, start the sender a second later, stop the load when the
    sender is done; (sender result, load summary)."""
    loader = subprocess.Popen(
        [*command, "--announce"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        # "loading": logged in, every connection running (loadgen prints nothing before it)
        readable, _w, _x = select.select([loader.stdout], [], [], 120)
        line = loader.stdout.readline() if readable else ""
        if line.strip() != "loading":
            loader.terminate()
            loader.wait(30)
            raise SystemExit(f"loadgen did not start: {loader.stderr.read().strip()[-2000:]}")
        time.sleep(1.0)
        sender = send(sink_port)
    finally:
        if loader.poll() is None:
            loader.terminate()  # loadgen stops its connections and prints its summary
        out, err = loader.communicate(timeout=120)
    if loader.returncode:
        raise SystemExit(f"loadgen failed: {err.strip()[-2000:]}")
    return sender, json.loads(out.strip().splitlines()[-1])


def kind_rows(alone, loaded):
    """Markdown rows per kind of back-office request: under load beside alone."""
    rows = []
    for kind in sorted(set(alone["by_kind"]) | set(loaded["by_kind"])):
        a, b = alone["by_kind"].get(kind), loaded["by_kind"].get(kind)
        if not (a and b):
            continue
        rows.append(
            f"| {kind} | {b['rps']} | {b['median_ms']} | {b['p95_ms']} | {b['p99_ms']} "
            f"| {b['errors']} | {a['rps']} | {a['median_ms']} | {a['p95_ms']} | {a['errors']} |"
        )
    return rows


def report(total, health, alone, solo, loaded, whole, busy, checks, freeze):
    """The results as Markdown lines."""
    ratio = busy["rate"] / solo["rate"] if solo["rate"] else 0.0
    p95 = loaded["p95_ms"]
    ok = all(c["once_each"] and c["headers_intact"] for c in checks)

    def mark(good):
        return "✔" if good else "✘"

    return [
        f"\nMixed: {total} members, newsletter to {solo['messages']} recipients by `newsletter "
        f"send-queued --rate 0 --batch-size {BATCH}` into one aiosmtpd sink process, while "
        f"{CONNECTIONS} connections use the back office through gunicorn 2 workers x 4 threads "
        f"({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.2f} after the run; Send pressed: up to {freeze:.2f} s)\n",
        "| figure | under load | baseline, same run | goal |",
        "|---|---:|---:|---|",
        f"| sender, messages/s (sink, first to last) | {busy['rate']} | {solo['rate']} (alone, "
        f"just before) | ≥ {SENDER_GOAL:.0%} of alone: **{ratio:.0%}** "
        f"{mark(ratio >= SENDER_GOAL)} |",
        f"| sender, wall time of the command | {busy['wall']:.1f} s | {solo['wall']:.1f} s | |",
        f"| back office, p95 ms | **{p95}** | {alone['p95_ms']} (no sending) "
        f"| ≤ {P95_GOAL:g} ms {mark(p95 is not None and p95 <= P95_GOAL)} |",
        f"| back office, median / p99 ms | {loaded['median_ms']} / {loaded['p99_ms']} "
        f"| {alone['median_ms']} / {alone['p99_ms']} | |",
        f"| back office, req/s | {loaded['rps']} | {alone['rps']} | |",
        f"| back office, errors | **{loaded['errors']}** of {loaded['requests']} (whole load "
        f"{whole['errors']} of {whole['requests']}) | {alone['errors']} of {alone['requests']} "
        f"| 0 {mark(loaded['errors'] == 0 and whole['errors'] == 0)} |",
        f"| sender, failed | {busy['failed']} | {solo['failed']} | 0 |",
        f"| /healthz req/s (p95 ms), {CONNECTIONS} connections | | {health['rps']} "
        f"({health['p95_ms']}) | |",
        "",
        "| back-office request | req/s | median ms | p95 ms | p99 ms | errors "
        "| alone: req/s | median ms | p95 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *kind_rows(alone, loaded),
        "",
        f"Sink check, both campaigns: every recipient once, one-click headers intact: "
        f"{'yes' if ok else 'NO ' + json.dumps(checks)}.",
    ]


def main():
    """Copy, start gunicorn and the sink, run the four steps, print Markdown."""
    values_path = MIXED.parent / "mixed-search-values.json"
    records_path = MIXED.parent / "mixed-requests.json"
    total, deep = prepare(values_path)
    ctx = multiprocessing.get_context("spawn")
    sinks = start_sinks(ctx, 1)
    sink_port, pipe = sinks[0][0], sinks[0][1]
    server = start_server(port=PORT, env=instance_env(MIXED))
    try:
        health = load("/healthz", "healthz", seconds=SECONDS / 2, base=BASE)
        office = office_args(values_path, deep)
        alone = load("back office", "office", *office, login=True, seconds=SECONDS, base=BASE)
        subjects, checks, freezes = ["Bench mixed: alone", "Bench mixed: under load"], [], []
        count, freeze = queue(subjects[0], RECIPIENTS)
        freezes.append(freeze)
        sender = send(sink_port)
        solo = {**arrived(pipe, subjects[0], count), **sender}
        checks.append(solo)
        print(json.dumps({"healthz": health, "alone": alone, "sender alone": solo}),
              file=sys.stderr)  # fmt: skip
        count, freeze = queue(subjects[1], RECIPIENTS)
        freezes.append(freeze)
        command = load_command(
            "back office", "office", *office, "--records", str(records_path), login=True,
            seconds=SEND_TIMEOUT, base=BASE,
        )  # fmt: skip
        sender, whole = under_load(command, sink_port)
        busy = {**arrived(pipe, subjects[1], count), **sender}
        checks.append(busy)
        loaded = within(records_path, busy["window"])
        print(json.dumps({"under load": loaded, "load window": whole, "sender under load": busy}),
              file=sys.stderr)  # fmt: skip
    finally:
        stop_server(server)
        stop_sinks(sinks)
        values_path.unlink(missing_ok=True)
        records_path.unlink(missing_ok=True)
    lines = report(total, health, alone, solo, loaded, whole, busy, checks, max(freezes))
    print("\n".join(lines))
    results = {"healthz": health, "office alone": alone, "sender alone": solo,
               "office under load": loaded, "office, whole load window": whole,
               "sender under load": busy}  # fmt: skip
    (BENCH_DIR / "results-mixed.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
