"""In-process figures at 100,000 demo members, on a copy of the bench database.

    .venv/bin/python -m bench.inprocess

Field encryption, search and list (service and whole page), one subject access export, staff
login against one raw argon2id verify, backup/verify/restore time and size, the retention run,
and the CSV import rate. Prints Markdown; writes BENCH_DIR/results-inprocess.json.
"""

import json
import random
import re
import time

from bench.common import (
    ADMIN_EMAIL,
    BENCH_DIR,
    PASSWORD,
    bench_app,
    copy_instance,
    ensure_demo,
    stats,
    timed,
)

COPY = BENCH_DIR / "copy"
REPEAT = 200


def make_copy():
    """A consistent copy of the bench instance, so destructive runs leave the original intact."""
    copy_instance(COPY)


def crypto(ring):
    """Microseconds per field encryption, decryption and blind index."""
    from clubsite.privacy.crypto import blind_index, decrypt_field, encrypt_field

    where = {"table": "member", "column": "email", "row_id": "00000000-0000-4000-8000-0000000000aa"}
    blob = encrypt_field(ring, "janis.berzins@inbox.lv", **where)
    out = {}
    for label, func in (
        ("encrypt", lambda: encrypt_field(ring, "janis.berzins@inbox.lv", **where)),
        ("decrypt", lambda: decrypt_field(ring, blob, **where)),
        ("blind index", lambda: blind_index(ring, "email", "janis.berzins@inbox.lv")),
    ):
        started = time.perf_counter()
        for _ in range(100_000):
            func()
        out[label] = round((time.perf_counter() - started) * 10, 2)  # µs per call
    return out


def sample_terms(count=REPEAT):
    """Search terms of random real members."""
    from sqlalchemy import select

    from clubsite.extensions import db
    from clubsite.privacy import fields as store
    from clubsite.privacy.models import Member

    rnd = random.Random(11)
    ids = db.session.scalars(select(Member.id)).all()
    terms = {"email": [], "phone": [], "card_number": [], "name": []}
    for member_id in rnd.sample(ids, count):
        member = db.session.get(Member, member_id)
        values = store.read(member, ["email", "phone", "card_number", "last_name"])
        for kind in ("email", "phone", "card_number"):
            if kind in values:
                terms[kind].append(values[kind])
        if "last_name" in values:
            terms["name"].append(values["last_name"][: rnd.randint(3, 5)])
    db.session.rollback()
    return terms


def searches(user, terms):
    """Service-level search and list latency (ms)."""
    from sqlalchemy import select

    from clubsite.extensions import db
    from clubsite.members import search
    from clubsite.privacy import access
    from clubsite.privacy.models import Member

    out = {}

    def find(cycle):
        return access.read_names(user, search.search_members(user, next(cycle))[1])

    def page(before):
        return access.read_names(user, search.list_members(user, before_id=before))

    for kind, values in terms.items():
        cycle = iter(values * 2)
        samples = timed(lambda c=cycle: find(c), len(values))
        db.session.rollback()
        out[f"search {kind} (+names)"] = stats(samples)
    deep = db.session.scalar(
        select(Member.id).order_by(Member.id.desc()).offset(50 * 1999).limit(1)
    )
    for label, before in (("list first page (+names)", None), ("list page 2000 (+names)", deep)):
        out[label] = stats(timed(lambda b=before: page(b), 50))
        db.session.rollback()
    return out, deep


def logged_in_client(app, password_hash, rounds=21):
    """A test client logged in as the bench admin; times each login POST right after one raw
    argon2id verify of the same hash (the baseline, interleaved so that drift hits both)."""
    from clubsite.staff.passwords import HASHER

    raw, samples = [], []
    for _ in range(rounds):
        client = app.test_client()
        page = client.get("/office/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        form = {"email": ADMIN_EMAIL, "password": PASSWORD, "csrf_token": token}
        raw += timed(lambda: HASHER.verify(password_hash, PASSWORD), 1)
        started = time.perf_counter()
        response = client.post("/office/login", data=form)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 302, response.status_code
    return client, stats(samples), stats(raw)


def pages(client, deep):
    """Whole back-office pages in-process (routing, guard, session, template)."""
    out = {}
    urls = (
        ("page: member list first", "/office/members"),
        ("page: member list 2000", f"/office/members?before={deep}"),
    )
    for label, url in urls:
        assert client.get(url).status_code == 200
        out[label] = stats(timed(lambda u=url: client.get(u), 30))
    return out


def export():
    """One member's subject access export (gather + JSON), in-process."""
    from sqlalchemy import select

    from clubsite.extensions import db
    from clubsite.privacy import subject_access
    from clubsite.privacy.models import Member

    ids = db.session.scalars(select(Member.id).limit(5000)).all()
    members = [db.session.get(Member, i) for i in random.Random(3).sample(ids, 50)]
    cycle = iter(members)
    out = stats(timed(lambda: subject_access.as_json(subject_access.gather(next(cycle))), 50))
    db.session.rollback()
    return out


def backup_restore():
    """Backup, verify and restore of the whole database: seconds and file size."""
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
        "database MB": round(service.sqlite_path().stat().st_size / 1e6, 1),
        "backup MB": round(result.path.stat().st_size / 1e6, 1),
        "create s": round(created, 2),
        "verify s": round(verified, 2),
        "restore s": round(report.seconds, 2),
    }


def retention():
    """A first retention run over every member (the demo database never had one), a second one
    right after (same clock: what a daily run costs when nothing new is due) and the next day's;
    beside them, the baseline of the same run: one raw UPDATE of every member the first run has
    to touch (rolled back)."""
    from datetime import timedelta

    from sqlalchemy import DateTime, bindparam, text

    from clubsite.database import utcnow
    from clubsite.extensions import db
    from clubsite.privacy.retention import run_retention

    now = utcnow()
    db.session.rollback()
    started = time.perf_counter()
    statement = text(
        "UPDATE member SET version = version + 1 WHERE id IN "
        "(SELECT member_id FROM member_purpose WHERE keep_until <= :now)"
    ).bindparams(bindparam("now", type_=DateTime(timezone=True)))
    touched = db.session.execute(statement, {"now": now}).rowcount
    raw = time.perf_counter() - started
    db.session.rollback()
    out = {"raw update rows": touched, "raw update s": round(raw, 3)}
    for label, at in (("first", now), ("again", now), ("next day", now + timedelta(days=1))):
        started, cpu = time.perf_counter(), time.process_time()
        report = run_retention(now=at)
        out[label] = {"seconds": round(time.perf_counter() - started, 2),
                      "cpu s": round(time.process_time() - cpu, 2),  # this process's own
                      "ended": len(report.ended), "erased members": len(report.erased_members),
                      "tasks": report.tasks}  # fmt: skip
    return out


def csv_import(count=10_000):
    """Import a CSV of new people (access + fees); members per second, end to end."""
    import csv
    import io

    from clubsite.demo.people import Generator
    from clubsite.demo.writer import Indexer, taken_indexes
    from clubsite.extensions import db
    from clubsite.members import importer
    from clubsite.members.import_files import read_table

    try:
        from flask import current_app

        from clubsite.database import utcnow

        indexer = Indexer(current_app.config["KEY_RING"])
        generator = Generator(99, utcnow(), taken_indexes(), indexer)
    except ImportError:
        return None
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Vārds", "Uzvārds", "E-pasts", "Tālrunis"])
    for _ in range(count):
        first = generator.rnd.choice(generator.first["female"])
        last = generator.rnd.choice(generator.last["female"])
        writer.writerow([first, last, generator.email(first, last), generator.phone()])
    data = buffer.getvalue().encode()
    db.session.rollback()
    started = time.perf_counter()
    table = read_table("members.csv", data)
    options = importer.check_options(("access", "fees"), {})
    plan = importer.plan_import(table, importer.guess_mapping(table.headers), options)
    imported = importer.run_import(plan, options, actor="system")
    db.session.commit()
    seconds = time.perf_counter() - started
    return {"rows": count, "imported": imported, "seconds": round(seconds, 2),
            "members per second": round(imported / seconds)}  # fmt: skip


def main():
    """Run everything on a copy of the bench database; print and save the results."""
    ensure_demo()
    make_copy()
    app = bench_app(COPY)
    from sqlalchemy import func, select

    from clubsite.extensions import db
    from clubsite.privacy.models import Member
    from clubsite.staff.models import StaffUser

    members = db.session.scalar(select(func.count()).select_from(Member))

    results = {"crypto µs": crypto(app.config["KEY_RING"])}
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == ADMIN_EMAIL))
    results["search ms"], deep = searches(user, sample_terms())
    password_hash = user.password_hash
    db.session.remove()
    client, login, raw = logged_in_client(app, password_hash)
    results["raw argon2id verify ms"], results["staff login POST ms"] = raw, login
    results["pages ms"] = pages(client, deep)
    results["subject access export ms"] = export()
    results["backup"] = backup_restore()
    results["retention"] = retention()
    results["csv import"] = csv_import()
    (BENCH_DIR / "results-inprocess.json").write_text(json.dumps(results, indent=1, default=str))
    print("\n".join(markdown(results, members)))


def _check(ok):
    return "✔" if ok else "✘"


def markdown(results, members):
    """The results as Markdown tables, each goal checked on the median."""
    lines = [f"\nIn-process, {members} members (a copy of the bench database)\n",
             "| in-process | median ms | p95 ms | goal |", "|---|---:|---:|---|"]  # fmt: skip
    goals = {
        "page: member list first": 10.0,
    }
    for group in ("search ms", "pages ms"):
        for label, figure in results[group].items():
            goal = goals.get(label)
            mark = f"≤ {goal:g} ms {_check(figure['median'] <= goal)}" if goal else ""
            lines.append(f"| {label} | {figure['median']} | {figure['p95']} | {mark} |")
    export = results["subject access export ms"]
    lines.append(
        f"| subject access export | {export['median']} | {export['p95']} "
        f"| ≤ 5 ms {_check(export['median'] <= 5)} |"
    )
    raw, login = results["raw argon2id verify ms"], results["staff login POST ms"]
    ratio = login["median"] / raw["median"]
    lines += [
        "",
        "| staff login | median ms | p95 ms |",
        "|---|---:|---:|",
        f"| one raw argon2id verify | {raw['median']} | {raw['p95']} |",
        f"| staff login POST, in-process | {login['median']} | {login['p95']} |",
        "",
        f"Login / raw verify (medians): **{ratio:.2f} ×** (goal ≤ 1.2 × {_check(ratio <= 1.2)}).",
        "",
        "| other | figure | goal |",
        "|---|---:|---|",
    ]
    crypto_us = results["crypto µs"]
    lines += [f"| {name} | {us} µs per field | |" for name, us in crypto_us.items()]
    backup = results["backup"]
    lines += [
        f"| database | {backup['database MB']} MB | |",
        f"| backup file | {backup['backup MB']} MB | |",
        f"| backup create | {backup['create s']} s | ≤ 3 s {_check(backup['create s'] <= 3)} |",
        f"| backup verify | {backup['verify s']} s | |",
        f"| backup restore | {backup['restore s']} s "
        f"| ≤ 10 s {_check(backup['restore s'] <= 10)} |",
    ]
    kept = results["retention"]
    for label, text, goal in (
        ("first", "first run", 5),
        ("again", "the same run again right after", 0.5),
        ("next day", "the next day's run", 0.5),
    ):
        run = kept[label]
        lines.append(
            f"| retention, {text} ({run['ended']} purposes ended, "
            f"{run['erased members']} erased) | {run['seconds']} s ({run['cpu s']} s CPU) "
            f"| ≤ {goal:g} s {_check(run['seconds'] <= goal)} |"
        )
    lines.append(
        f"| baseline: one raw UPDATE of the {kept['raw update rows']} members the first run "
        f"touches | {kept['raw update s']} s | |"
    )
    imported = results["csv import"]
    if imported:
        rate = imported["members per second"]
        lines.append(
            f"| CSV import ({imported['imported']} of {imported['rows']} rows) "
            f"| {rate} members/s | ≥ 5,000/s {_check(rate >= 5000)} |"
        )
    return lines


if __name__ == "__main__":
    main()
