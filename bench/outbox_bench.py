"""Outbox throughput: 1,000 transactional mails through the real outbox into a local aiosmtpd
sink, beside a raw smtplib loop sending 1,000 similar pre-built messages to the same sink.

    .venv/bin/python -m bench.outbox_bench [--mails 1000] [--rounds 3]

Each round renders the mails with the product's own template ("My data" link), writes them with
`outbox.enqueue` in one transaction, then drains the outbox with the outbox job (`send_due`: the
lease-and-mark sender) in a process of its own that starts on a signal after its app is built,
so start-up is not counted. Raw loops run before, between and after; each outbox run is
compared with the mean of the raw runs just before and after it (the shared host's speed
drifts). Its own instance folder (BENCH_DIR/outbox) holds a SQLite database with nothing but
the outbox rows. The sink checks that every outbox mail arrived exactly once.
"""

import argparse
import multiprocessing
import os
import smtplib
import statistics
import sys
import time
from pathlib import Path

from bench.common import free_port
from bench.newsletter.bench import start_sinks, stop_sinks

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(os.environ.get("BENCH_DIR", "/tmp/clubsite-bench")) / "outbox"  # noqa: S108
DOMAIN = "bench.klubs.lv"
GOAL = 0.8


def make_app(port=None):
    """The app on the outbox bench instance (mail to the sink when a port is given)."""
    sys.path.insert(0, str(ROOT))
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    config = {"BASE_URL": "https://klubs.lv", "RATELIMIT_ENABLED": False}
    config["MAIL_URL"] = f"smtp://127.0.0.1:{port or free_port()}"
    from clubsite import create_app

    app = create_app(config, instance_path=str(BENCH_DIR))
    app.app_context().push()
    return app


def prepare_database():
    """Migrate the bench database and empty its outbox (left over from an earlier run)."""
    from flask_migrate import upgrade
    from sqlalchemy import delete

    from clubsite.extensions import db
    from clubsite.outbox.models import OutboxMessage

    upgrade()
    db.create_all()  # tables whose migrations are not written yet
    db.session.execute(delete(OutboxMessage))
    db.session.commit()


def render(addresses):
    """A "My data" link mail per address, rendered by the product's template and mail code."""
    from flask import current_app

    from clubsite.mail import link_context, render_mail

    config = current_app.config
    messages = []
    with link_context():
        for number, address in enumerate(addresses):
            messages.append(
                render_mail(
                    "my_data_link",
                    to=address,
                    language="lv",
                    name="Anna",
                    purposes=[],
                    club_name=config["CLUB_NAME"],
                    club_email=config["CLUB_EMAIL"],
                    my_data_url="https://klubs.lv/mani-dati?lang=lv",
                    url=f"https://klubs.lv/mani-dati/atvert/{number:08d}{os.urandom(12).hex()}",
                )
            )
    return messages


def enqueue(messages):
    """Write the mails into the outbox in one transaction, as actions do; seconds taken."""
    from datetime import timedelta

    from clubsite import outbox
    from clubsite.extensions import db

    started = time.perf_counter()
    for message in messages:
        outbox.enqueue(message, kind="my_data_link", valid_for=timedelta(minutes=30))
    db.session.commit()
    return time.perf_counter() - started


def raw_loop(port, messages):
    """Send pre-built messages over one smtplib connection; (messages per second, CPU seconds
    of this process)."""
    from clubsite.mail import MAIL_POLICY

    prepared = [(m["To"], m.as_bytes(policy=MAIL_POLICY)) for m in messages]
    smtp = smtplib.SMTP("127.0.0.1", port)
    smtp.ehlo()
    started, cpu = time.perf_counter(), time.process_time()
    for address, data in prepared:
        smtp.sendmail("klubs@localhost", [address], data)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    smtp.quit()
    return len(prepared) / elapsed, cpu


def sender_worker(port, ready, go, results):
    """Process entry point: build the app, wait for the start signal, run the outbox job."""
    make_app(port)
    from clubsite.mail import _tls_context
    from clubsite.outbox import send_due

    _tls_context()  # made once per process (CA store and all), as in a long-running runner
    ready.set()
    go.wait()
    started, cpu = time.perf_counter(), time.process_time()
    try:
        report = dict(send_due())
    except Exception as exc:  # shown by the parent instead of a silent hang
        report = {"sent": 0, "error": repr(exc)}
    report["cpu s"] = time.process_time() - cpu  # the sender process's own CPU
    results.put((report, time.perf_counter() - started))


def run_sender(ctx, port):
    """The outbox job in a process of its own; (report, seconds)."""
    ready, go, results = ctx.Event(), ctx.Event(), ctx.Queue()
    process = ctx.Process(target=sender_worker, args=(port, ready, go, results))
    process.start()
    if not ready.wait(120):
        raise SystemExit("the sender process did not start")
    go.set()
    report, seconds = results.get(timeout=600)
    process.join()
    if "error" in report:
        raise SystemExit(f"the outbox sender failed: {report['error']}")
    return report, seconds


def outbox_state():
    """Rows by status, and how many final rows still hold an address or a body."""
    from sqlalchemy import func, select

    from clubsite.extensions import db
    from clubsite.outbox.models import OutboxMessage as M

    db.session.rollback()
    by_status = dict(db.session.execute(select(M.status, func.count()).group_by(M.status)).all())
    left = db.session.scalar(
        select(func.count()).where(M.status == "sent", M.body_enc.is_not(None))
    )
    return by_status, left


def main():
    """Raw, then (outbox run, raw) per round; verify what arrived; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    sinks = start_sinks(ctx, 1)
    port = sinks[0][0]
    make_app(port)
    prepare_database()
    raws, raw_cpus, runs, expected = [], [], [], {}

    def raw():
        tag = f"raw{len(raws) + 1}"
        addresses = [f"{tag}-{n:05d}@{DOMAIN}" for n in range(args.mails)]
        rate, cpu = raw_loop(port, render(addresses))
        raws.append(rate)
        raw_cpus.append(cpu)

    raw()
    size = len(render([f"size@{DOMAIN}"])[0].as_bytes())
    for number in range(args.rounds):
        addresses = [f"outbox{number + 1}-{n:05d}@{DOMAIN}" for n in range(args.mails)]
        expected.update(dict.fromkeys(addresses, 1))
        enqueue_seconds = enqueue(render(addresses))
        from clubsite.extensions import db

        db.session.remove()
        report, seconds = run_sender(ctx, port)
        raw()
        rate = report["sent"] / seconds
        runs.append((rate, rate / statistics.mean(raws[-2:]), enqueue_seconds, report))
    state, left = outbox_state()
    [sink] = stop_sinks(sinks)
    got = {}
    for counts in sink["received"].values():
        for address, count in counts.items():
            if address.startswith("outbox"):
                got[address] = got.get(address, 0) + count
    exact = got == expected
    median = statistics.median(ratio for _rate, ratio, _e, _r in runs)
    raw_cpu_ms = statistics.median(raw_cpus) * 1000 / args.mails
    sender_cpu_ms = statistics.median(rep.pop("cpu s") for *_, rep in runs) * 1000 / args.mails
    load = os.getloadavg()[0]
    lines = [
        f"`.venv/bin/python -m bench.outbox_bench --mails {args.mails} --rounds {args.rounds}` "
        f"({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, load average {load:.2f} "
        f"after the run; SQLite; stock aiosmtpd sink in its own process; messages of {size} "
        "bytes, text and HTML; the sender in its own process, start-up not counted).",
        "",
        f"| run ({args.mails:,} mails each) | msgs/s per round | vs raw per round | median "
        "| goal |",
        "|---|---:|---:|---:|---|",
        f"| raw smtplib loop, one connection, pre-built messages | "
        f"{' / '.join(f'{r:.0f}' for r in raws)} | 1.00 | 1.00 | (baseline) |",
        f"| outbox job (`send_due`: claim, renew, send, mark sent) | "
        f"{' / '.join(f'{rate:.0f}' for rate, *_ in runs)} | "
        f"{' / '.join(f'{ratio:.2f}' for _r, ratio, *_ in runs)} | **{median:.2f}** | "
        f"≥ {GOAL:.2f} {'✔' if median >= GOAL else '✘'} |",
        "",
        f"CPU per mail (median, the sending process's own): outbox job {sender_cpu_ms:.2f} ms, "
        f"raw loop {raw_cpu_ms:.2f} ms (the ratio falls with load when the sender needs more).",
        "Writing the mails into the outbox (enqueue and commit, not counted above): "
        + " / ".join(f"{e:.2f} s" for _r, _ratio, e, _rep in runs)
        + f" per {args.mails:,}.",
        f"Sender reports: {', '.join(str(rep) for *_, rep in runs)}; outbox rows by status "
        f"after the runs: {state}; sent rows still holding a body: {left}.",
        f"Sink check: every outbox mail arrived exactly once: {'yes' if exact else 'NO'}"
        + (
            ""
            if exact
            else f" ({len(got)} of {len(expected)} addresses, "
            f"{sum(1 for n in got.values() if n > 1)} more than once)"
        )  # fmt: skip
        + ".",
    ]
    print("\n".join(lines))
    if not exact:
        sys.exit(1)  # a lost or doubled mail is a failure, not a figure


if __name__ == "__main__":
    main()
