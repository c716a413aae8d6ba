"""The public booking page of a site with 20 halls, for a week, under load, beside /healthz.

    .venv/bin/python -m bench.booking_page_bench     # BENCH_SECONDS=10 by default

On a fresh copy of the 100,000-member bench instance (BENCH_DIR/booking): a site with 20 halls
open for online booking (08:00–22:00, hour slots, 28 days ahead) and 10,000 bookings spread
over those halls (visitors with encrypted names and phones, 21 weeks back and 4 ahead, about a
fifth of the slots of a week busy). gunicorn (2 workers x 4 threads) serves the copy; bench/
loadgen.py loads /rezervet/<site>?day=<next Monday> (7 days x 20 halls x 14 slots) with 8
connections, right after a /healthz run with 8 connections in the same run. Goal: p95 ≤ 50 ms,
no errors. Prints Markdown and writes BENCH_DIR/results-booking-page.json.
"""

import json
import os
import random
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock

from bench.common import (
    BENCH_DIR,
    MEMBERS,
    ROOT,
    bench_app,
    copy_instance,
    ensure_demo,
    instance_env,
)
from bench.http_bench import load, load_table, start_server, stop_server

BOOKING = BENCH_DIR / "booking"
PORT = int(os.environ.get("BENCH_PORT", "8767"))
HALLS = 20
BOOKINGS = 10_000
WEEKS_BACK, WEEKS_AHEAD = 21, 4
GOAL_P95_MS = 50
SETTINGS = {"online": "y", "online_opens": "08:00", "online_closes": "22:00",
            "slot_minutes": "60", "days_ahead": "28"}  # fmt: skip


def seed(today):
    """The site, its 20 online halls and 10,000 non-overlapping hour bookings; the site's id."""
    from clubsite.bookings import contact, halls, sites
    from clubsite.bookings.models import Booking
    from clubsite.database import new_public_id
    from clubsite.extensions import db
    from clubsite.i18n import CLUB_TZ

    site = sites.add_site({"name": "Rezervāciju filiāle", "address": "Bench iela 1, Rīga"})
    created = []
    for number in range(1, HALLS + 1):
        hall = halls.add_hall({"name": f"Zāle {number:02d}", "location": site.public_id})
        halls.update_online(hall, SETTINGS)
        created.append(hall)
    db.session.flush()
    rnd = random.Random(14)
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=WEEKS_BACK)
    days = (WEEKS_BACK + WEEKS_AHEAD) * 7
    taken = set()
    while len(taken) < BOOKINGS:
        taken.add((rnd.randrange(HALLS), rnd.randrange(days), rnd.randrange(8, 22)))
    for hall_index, day_offset, hour in sorted(taken):
        day = first + timedelta(days=day_offset)
        starts_at = datetime.combine(day, clock(hour), CLUB_TZ)
        booking = Booking(
            public_id=new_public_id(),
            hall_id=created[hall_index].id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            created_by="online",
        )
        number = rnd.randrange(10_000_000)
        contact.write_contact(
            booking, {"visitor_name": f"Viesis {number}", "phone": f"+3712{number:07d}"}
        )
        db.session.add(booking)
    db.session.commit()
    return site.public_id


def catch_up_schema():
    """Add this feature's columns to the copy if the shared bench database was migrated while
    its migration (b14a0b00c1e1) was still empty: run that migration's upgrade() on the copy."""
    import importlib.util

    import sqlalchemy as sa
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from clubsite.extensions import db

    if "online" in {c["name"] for c in sa.inspect(db.engine).get_columns("hall")}:
        return
    path = next((ROOT / "migrations" / "versions").glob("b14a0b00c1e1_*.py"))
    spec = importlib.util.spec_from_file_location("online_hall_booking", path)
    migration = importlib.util.module_from_spec(spec)
    with (
        db.engine.begin() as connection,
        Operations.context(MigrationContext.configure(connection)),
    ):
        spec.loader.exec_module(migration)
        migration.upgrade()
    print("bench copy: added the online booking columns (stale shared bench database)",
          file=sys.stderr)  # fmt: skip


def uptime():
    """`uptime` as the machine says it (load averages included)."""
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main():
    """Seed a copy, serve it, load the page after /healthz, print the figures."""
    ensure_demo()
    copy_instance(BOOKING)
    bench_app(BOOKING)
    catch_up_schema()
    today = date.today()
    site = seed(today)
    week = today + timedelta(days=7 - today.weekday())  # next Monday: every slot still ahead
    path = f"/rezervet/{site}?day={week.isoformat()}"
    seconds = float(os.environ.get("BENCH_SECONDS", "10"))
    base = f"http://127.0.0.1:{PORT}"
    server = start_server(port=PORT, env=instance_env(BOOKING))
    load_before = uptime()
    try:
        baseline = load("/healthz", "healthz", seconds=seconds / 2, base=base)
        result = load("public booking page, 20 halls, a week", "page", "--path", path,
                      seconds=seconds, base=base)  # fmt: skip
    finally:
        stop_server(server)
    load_after = uptime()
    verdict = "ok" if result["p95_ms"] <= GOAL_P95_MS and not result["errors"] else "missed"
    print(f"\nPublic booking page: {MEMBERS:,} members, {BOOKINGS:,} bookings, {HALLS} halls "
          f"of one site for a week ({7 * HALLS * 14} slots), gunicorn 2 workers x 4 threads, "
          f"loadgen 8 connections, {seconds:g} s (/healthz {seconds / 2:g} s just before), "
          f"{time.strftime('%Y-%m-%d %H:%M')}\n")  # fmt: skip
    print("\n".join(load_table([(result, baseline)])))
    print(f"\nGoal p95 ≤ {GOAL_P95_MS} ms: {verdict}")
    print(f"uptime before: {load_before}\nuptime after:  {load_after}")
    (BENCH_DIR / "results-booking-page.json").write_text(
        json.dumps(
            {"result": result, "baseline": baseline, "uptime": [load_before, load_after]},
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
