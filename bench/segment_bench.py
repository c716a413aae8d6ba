"""Freezing a segmented audience: Send pressed on a campaign for one site, plan and language
whose segment holds 30,000 lawful recipients, beside the unsegmented campaign as a baseline.

    .venv/bin/python -m bench.segment_bench [--segment 30000] [--others 10000] [--rounds 3]

Its own instance folder (BENCH_DIR/segment) holds a SQLite database, seeded once and kept:
`--segment` lawful members at the site "Centrs", in Latvian, with a valid membership on the
plan "Mēneša" (the segment), `--others` lawful members outside it (another site, English,
another plan or none), and inside the segment's site, language and plan also members the
consent rules leave out (unconfirmed, withdrawn, suppressed: 500 of each), so the suppression
list is not empty and every included address is decrypted and checked, as in real use.
Each round freezes the unsegmented campaign (the baseline) and the segmented one, alternately,
timing service.queue_newsletter and its commit (deliveries written); the campaigns are deleted
again between rounds. Goal (issue 15): the segmented freeze of 30,000 within 1 s.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(os.environ.get("BENCH_DIR", "/tmp/clubsite-bench")) / "segment"  # noqa: S108
LEFT_OUT_EACH = 500
GOAL_SECONDS = 1.0


def make_app():
    """The app on the bench folder, context pushed, rate limits off, mail to files."""
    from bench.common import bench_app, write_instance_config

    write_instance_config(BENCH_DIR)
    return bench_app(BENCH_DIR)


def _enrol(email, *, site, language, confirmed=True):
    from clubsite.domain import Actor
    from clubsite.members import service as members

    member, _created = members.enrol_member(
        {"email": email, "first_name": "Anna", "last_name": "Ozola"},
        ["newsletter"],
        source="signup" if confirmed else "import",
        actor=Actor.member() if confirmed else Actor.system(),
        language=language,
        consent_confirmed=confirmed,
        location_id=site,
    )
    return member


def seed(segment_size, others):
    """Fill an empty bench database once; returns (site id, plan id) of the segment."""
    from flask_migrate import upgrade
    from sqlalchemy import func, insert, select

    from clubsite.extensions import db
    from clubsite.fees.models import Membership, Plan
    from clubsite.locations import Location
    from clubsite.privacy import consent
    from clubsite.privacy.models import Member
    from clubsite.staff import service as staff

    upgrade()
    expected = segment_size + others + 3 * LEFT_OUT_EACH
    existing = db.session.scalar(select(func.count()).select_from(Member))
    if existing and existing != expected:
        raise SystemExit(f"{BENCH_DIR} holds {existing} members, not {expected}: delete it")
    if not existing:
        staff.create_staff("bench-segment@klubs.lv", "Bench Marketing", ["marketing"], None)
        sites = [Location(name="Centrs"), Location(name="Imanta")]
        plans = [Plan(name="Mēneša", price_cents=3500), Plan(name="Gada", price_cents=30000)]
        db.session.add_all([*sites, *plans])
        db.session.commit()
        (centre, imanta), (monthly, yearly) = [s.id for s in sites], [p.id for p in plans]
        on_plan = {}
        started = time.perf_counter()
        for number in range(segment_size):
            member = _enrol(f"seg{number:05d}@bench.klubs.lv", site=centre, language="lv")
            on_plan[member] = monthly
            if number % 1000 == 999:
                db.session.commit()
                print(f"  seeded {number + 1} in {time.perf_counter() - started:.0f} s", flush=True)
        for number in range(others):
            kind = number % 4  # another site / English / another plan / no plan
            member = _enrol(
                f"other{number:05d}@bench.klubs.lv",
                site=imanta if kind == 0 else centre,
                language="en" if kind == 1 else "lv",
            )
            if kind in (0, 1):
                on_plan[member] = monthly
            elif kind == 2:
                on_plan[member] = yearly
            if number % 1000 == 999:
                db.session.commit()
        for number in range(LEFT_OUT_EACH):
            _enrol(f"pending{number:04d}@bench.klubs.lv", site=centre, language="lv",
                   confirmed=False)  # fmt: skip
            on_plan[_enrol(f"gone{number:04d}@bench.klubs.lv", site=centre, language="lv")] = 0
            address = f"blocked{number:04d}@bench.klubs.lv"
            on_plan[_enrol(address, site=centre, language="lv")] = monthly
            consent.suppress(address, "bounced")
        db.session.flush()
        today = date.today()
        rows = []
        for member, plan_id in on_plan.items():
            if plan_id == 0:  # withdrew, on the plan
                consent.record(member, "newsletter", "withdrawn", source="staff", actor="system")
                plan_id = monthly
            rows.append(
                {"member_id": member.id, "plan_id": plan_id, "status": "active",
                 "starts_on": today - timedelta(days=40), "ends_on": today + timedelta(days=300),
                 "version": 1}
            )  # fmt: skip
        db.session.execute(insert(Membership), rows)
        db.session.commit()
    centre = db.session.scalar(select(Location.id).where(Location.name == "Centrs"))
    monthly = db.session.scalar(select(Plan.id).where(Plan.name == "Mēneša"))
    return centre, monthly


def freeze(segment):
    """Compose, press Send and commit; (wall seconds, CPU seconds of this process, recipients)
    for Send and its commit. CPU time is shown too: on the shared bench host the wall clock
    mostly measures the other work running beside it."""
    from clubsite.extensions import db
    from clubsite.newsletter import service
    from clubsite.staff.models import StaffUser

    staff = db.session.query(StaffUser).first()
    raw = {"subject_lv": "Ziemas jaunumi", "body_lv": "Sveiki! **Ziema** klāt."}
    if segment:
        raw |= {"segment_site": str(segment[0]), "segment_plan": str(segment[1])}
        raw |= {"segment_language": "lv"}
    draft = service.save_draft(None, raw, staff=staff)
    db.session.commit()
    started, cpu = time.perf_counter(), time.process_time()
    count = service.queue_newsletter(draft, staff=staff)
    db.session.commit()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    service.cancel(draft)
    db.session.delete(draft)  # its deliveries go with it
    db.session.commit()
    return seconds, cpu, count


def main(argv=None):
    """Seed once, then time the baseline and the segmented freeze, alternately."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segment", type=int, default=30_000)
    parser.add_argument("--others", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    make_app()
    segment = seed(args.segment, args.others)
    freeze(segment)  # warm: caches, the file in the page cache
    baseline, segmented = [], []
    for _ in range(args.rounds):
        baseline.append(freeze(None))
        segmented.append(freeze(segment))
    load = os.getloadavg()[0]
    print(f"\nfreeze, {args.rounds} rounds each, SQLite, load average {load:.2f} after the run")
    print("| campaign | recipients | wall s per round | median wall | median CPU | "
          "CPU µs per recipient | goal |")  # fmt: skip
    print("|---|---:|---|---:|---:|---:|---|")
    for label, runs, goal in (
        ("unsegmented (baseline)", baseline, None),
        ("segment: Centrs, Mēneša, Latvian", segmented, GOAL_SECONDS),
    ):
        wall = statistics.median(w for w, _c, _n in runs)
        cpu = statistics.median(c for _w, c, _n in runs)
        count = runs[0][2]
        verdict = "" if goal is None else f"≤ {goal:.0f} s {'✔' if wall <= goal else '✘'}"
        print(f"| {label} | {count} | {' / '.join(f'{w:.2f}' for w, _c, _n in runs)} | "
              f"{wall:.2f} | {cpu:.2f} | {cpu / count * 1e6:.0f} | {verdict} |")  # fmt: skip
    assert segmented[0][2] == args.segment, f"the segment froze {segmented[0][2]}"
    assert baseline[0][2] == args.segment + args.others, f"the baseline froze {baseline[0][2]}"


if __name__ == "__main__":
    main()
