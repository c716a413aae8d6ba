"""Newsletter throughput: 10,000 recipients through the real sender to a local aiosmtpd sink,
beside a raw smtplib loop over one connection sending pre-built messages to the same sink.

    .venv/bin/python -m bench.newsletter.bench [--recipients 10000] [--write]

Its own instance folder (BENCH_DIR/newsletter) holds a SQLite database with the lawful audience
plus members who must NOT be mailed (unconfirmed, withdrawn, objected, soft opt-in only, fees
only, suppressed, erased); it is seeded once and kept. Each sender runs in its own process and
starts on a signal after its app is built, so start-up is not counted. --write records the
figures in bench/RESULTS.md under "## Newsletter".
"""

import argparse
import multiprocessing
import os
import smtplib
import socket
import statistics
import sys
import time
from pathlib import Path

from bench.newsletter.seed import KINDS
from bench.newsletter.sink import run_sink

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = Path(os.environ.get("BENCH_DIR", "/tmp/clubsite-bench")) / "newsletter"  # noqa: S108
UNLAWFUL_EACH = 150
BATCH = 500
# A newsletter of an ordinary length (about a printed page): with it the raw loop runs at the
# 1,100-1,300 messages/s the issue names for this machine.
BODY = "\n\n".join(
    [
        "# Ziemas sezona sākas",
        "Mīļie klubiņa draugi! No **1. decembra** slidotava strādā katru dienu no 8:00 līdz "
        "22:00, un pirtī ir jauns *ekspresa* laiks pirms darba. Ģērbtuves ir izremontētas, "
        "un pie ieejas ir jauns skapīšu bloks ar kodu slēdzenēm.",
        "## Kas jauns",
        "- Slidu noma bērniem bez maksas darbdienās līdz plkst. 16:00\n"
        "- Jauna grupa iesācējiem ceturtdienās 19:00, trenere Ilze Kalniņa\n"
        "- Ģimenes abonements ar 15 % atlaidi līdz gada beigām\n"
        "- Sestdienās no 10:00 līdz 12:00 hokeja treniņi jauniešiem (10-14 gadi)\n"
        "- Svētdienas vakaros diskoslidošana ar dīdžeju",
        "## Pirts un baseins",
        "Pirts ir atvērta katru dienu no 7:00 līdz 22:00. Piektdienās un sestdienās pēc 18:00 "
        "pirtī strādā pirtnieks, pieteikties var reģistratūrā vai pa tālruni. Baseins "
        "decembrī būs slēgts no 8. līdz 10. datumam tehniskās apkopes dēļ; atvainojamies par "
        "neērtībām un pagarināsim baseina abonementus par šīm dienām.",
        "## Svētku grafiks",
        "1. 24. decembrī klubs strādā līdz 15:00\n2. 25. un 26. decembrī klubs ir slēgts\n"
        "3. 31. decembrī klubs strādā līdz 16:00\n4. 1. janvārī klubs ir slēgts",
        "Vairāk lasiet mūsu lapā: [klubs.lv/ziema](https://klubs.lv/ziema). Jautājumus varat "
        "uzdot reģistratūrā, pa tālruni +371 6700 0000 vai rakstot uz info@klubs.lv.",
        "Uz tikšanos klubā un priecīgus svētkus!",
    ]
)


def free_port():
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_app(port=None):
    """The app on the bench instance (mail to the sink when a port is given), context pushed."""
    sys.path.insert(0, str(ROOT))
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    config = {"NEWSLETTER_INLINE_SENDER": False, "BASE_URL": "https://klubs.lv"}
    if port:
        config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
    from clubsite import create_app

    app = create_app(config, instance_path=str(BENCH_DIR))
    app.app_context().push()
    return app


def seed(recipients):
    """Create the members once: the lawful audience and every kind that must be left out."""
    from bench.newsletter.seed import seed_members

    make_app()
    return seed_members(recipients, UNLAWFUL_EACH)


def prebuilt(subject, addresses):
    """Messages for the raw loop: rendered by the newsletter's own code, before timing."""
    from clubsite.newsletter.message import prepare
    from clubsite.newsletter.models import Newsletter

    draft = Newsletter(subject_lv=subject, body_lv=BODY, subject_en="", body_en="")
    prepared = prepare(draft, "lv", "consent")
    return [(a, prepared.personalise(a, "Anna", f"raw{n:013d}")) for n, a in enumerate(addresses)]


def raw_loop(port, messages):
    """Send pre-built messages over one smtplib connection; messages per second."""
    smtp = smtplib.SMTP("127.0.0.1", port)
    smtp.ehlo()
    started = time.perf_counter()
    for address, data in messages:
        smtp.sendmail("klubs@localhost", [address], data)
    elapsed = time.perf_counter() - started
    smtp.quit()
    return len(messages) / elapsed


def sender_worker(port, ready, go, results):
    """Process entry point: build the app, wait for the start signal, drain the queue."""
    make_app(port)
    from clubsite.newsletter.sender import Sender

    sender = Sender(rate=0, batch_size=BATCH)
    ready.set()
    go.wait()
    started = time.perf_counter()
    try:
        report = dict(sender.run())
    except Exception as exc:  # shown by the parent instead of a silent hang
        report = {"sent": 0, "error": repr(exc)}
    results.put((report, started, time.perf_counter()))


def queue_campaign(subject):
    """Compose and press Send; returns (newsletter, seconds the freeze took)."""
    from clubsite.extensions import db
    from clubsite.newsletter import service
    from clubsite.newsletter.models import Newsletter
    from clubsite.staff.models import StaffUser

    for leftover in db.session.query(Newsletter).filter(
        Newsletter.status.in_(("sending", "paused"))
    ):
        service.cancel(leftover)  # from an interrupted run: it must not share the queue

    staff = db.session.query(StaffUser).first()
    draft = service.save_draft(None, {"subject_lv": subject, "body_lv": BODY}, staff=staff)
    db.session.commit()
    started = time.perf_counter()
    service.queue_newsletter(draft, staff=staff)
    db.session.commit()
    return draft, time.perf_counter() - started


def run_senders(ctx, ports):
    """One sender process per sink port, started together; messages sent and wall seconds."""
    ready = [ctx.Event() for _ in ports]
    go, results = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=sender_worker, args=(port, r, go, results))
        for port, r in zip(ports, ready, strict=True)
    ]
    for proc, event in zip(procs, ready, strict=True):
        # One at a time: clubsite.config.ensure_instance probes the instance folder with a fixed
        # file name, which processes starting at the same moment would race for.
        proc.start()
        if not event.wait(120):
            raise SystemExit("a sender process did not start")
    started = time.perf_counter()
    go.set()
    reports = [results.get(timeout=600) for _ in procs]
    errors = [r["error"] for r, _s, _e in reports if "error" in r]
    if errors:
        raise SystemExit(f"a sender failed: {errors}")
    for proc in procs:
        proc.join()
    ended = max(end for _r, _s, end in reports)
    first = min(start for _r, start, _e in reports)
    sent = sum(r.get("sent", 0) for r, _s, _e in reports)
    return sent, max(ended - first, 1e-9), [r.get("sent", 0) for r, _s, _e in reports], started


def verify(reports, subject, lawful):
    """The sink processes together got exactly the lawful audience, once each, headers intact."""
    got, broken = {}, 0
    for report in reports:
        for address, count in report["received"].get(subject, {}).items():
            got[address] = got.get(address, 0) + count
        broken += report["broken"].get(subject, 0)
    return {
        "exact_audience": set(got) == lawful,
        "once_each": all(n == 1 for n in got.values()),
        "headers_intact": broken == 0,
        "messages": sum(got.values()),
    }


def start_sinks(ctx, count):
    """`count` sink processes, each on a port of its own; returns [(port, pipe, process)]."""
    sinks = []
    for _ in range(count):
        port = free_port()
        parent, child = ctx.Pipe()
        process = ctx.Process(target=run_sink, args=(port, child), daemon=True)
        process.start()
        assert parent.recv() == "ready"
        sinks.append((port, parent, process))
    return sinks


def stop_sinks(sinks):
    """Collect each sink's report and stop it."""
    reports = []
    for _port, pipe, process in sinks:
        pipe.send("report")
        reports.append(pipe.recv())
        pipe.send("stop")
        process.join(10)
    return reports


def write_results(lines):
    """Put the figures under '## Newsletter' in bench/RESULTS.md, leaving other sections be."""
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    section = "## Newsletter\n\n" + "\n".join(lines) + "\n"
    start = text.find("## Newsletter\n")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1 :] if end != -1 else "")
    path.write_text(text)


def report_lines(args, raws, results, freeze, checks, size):
    """The results as Markdown lines: every round, and the median per kind of run."""
    ok = all(
        c["exact_audience"] and c["once_each"] and c["headers_intact"] for c in checks.values()
    )
    rows = []
    for kind, label, goal in (
        (1, "newsletter sender, one connection", 0.8),
        (2, "newsletter sender, two connections (two sender processes)", 1.6),
    ):
        mine = [(rate, ratio) for k, rate, ratio in results if k == kind]
        median = statistics.median(ratio for _rate, ratio in mine)
        rows.append(
            f"| {label} | {' / '.join(f'{rate:.0f}' for rate, _r in mine)} | "
            f"{' / '.join(f'{ratio:.2f}' for _rate, ratio in mine)} | **{median:.2f}** | "
            f"≥ {goal:.2f} {'✔' if median >= goal else '✘'} |"
        )
    load = os.getloadavg()[0]
    return [
        f"`.venv/bin/python -m bench.newsletter.bench --recipients {args.recipients} "
        f"--rounds {args.rounds}` ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
        f"load average {load:.2f} after the run; SQLite; stock aiosmtpd sink, one process per "
        f"connection; messages of {size} bytes; batch {BATCH}; rate limit off; "
        f"{UNLAWFUL_EACH} members of each of {len(KINDS)} kinds that must not be mailed beside "
        f"the {args.recipients} lawful recipients).",
        "",
        f"| run ({args.recipients:,} messages each) | msgs/s per round | vs raw per round "
        "| median | goal |",
        "|---|---:|---:|---:|---|",
        f"| raw smtplib loop, one connection, pre-built messages | "
        f"{' / '.join(f'{r:.0f}' for r in raws)} | 1.00 | 1.00 | (baseline) |",
        *rows,
        "",
        "Raw loops run before, between and after the sender runs; each sender run is compared "
        "with the mean of the raw runs just before and after it (the shared host's speed drifts).",
        f"Freezing the audience into deliveries (Send pressed): {freeze:.2f} s for "
        f"{args.recipients} recipients among {args.recipients + UNLAWFUL_EACH * len(KINDS)} "
        "members.",
        f"Sink check, every run: exactly the lawful audience, each message once, every "
        f"List-Unsubscribe and List-Unsubscribe-Post header intact: {'yes' if ok else 'NO'}"
        + "".join(f"; {s}: {c}" for s, c in checks.items() if not ok)
        + ".",
    ]


def main():
    """Seed; raw, then (sender run, raw) per round and kind; verify; print (and write)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="one- and two-connection runs each")
    parser.add_argument("--write", action="store_true", help="record in bench/RESULTS.md")
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    lawful = seed(args.recipients)
    from clubsite.extensions import db

    sinks = start_sinks(ctx, 2)
    ports = [port for port, _pipe, _process in sinks]
    subjects, raws, results, freezes = [], [], [], []

    def raw():
        subjects.append(f"Bench raw {len(raws) + 1}")
        messages = prebuilt(subjects[-1], sorted(lawful))
        raws.append(raw_loop(ports[0], messages))
        return len(messages[0][1])

    size = raw()
    for number, kind in enumerate([1, 2] * args.rounds):
        subjects.append(f"Bench {kind} connection(s), run {number + 1}")
        freezes.append(queue_campaign(subjects[-1])[1])
        db.session.remove()
        sent, seconds, _split = run_senders(ctx, ports[:kind])[:3]
        raw()
        rate = sent / seconds
        results.append((kind, rate, rate / statistics.mean(raws[-2:])))
    reports = stop_sinks(sinks)
    checks = {s: verify(reports, s, lawful) for s in subjects}
    lines = report_lines(args, raws, results, max(freezes), checks, size)
    print("\n".join(lines))
    if args.write:
        write_results(lines)


if __name__ == "__main__":
    main()
