"""Direct debit and bank statements at size: a SEPA file of 10,000 collections, and a bank
statement of 10,000 lines imported and matched.

    .venv/bin/python -m bench.fees_bank_bench [--members 10000] [--rounds 3]

A throwaway SQLite instance of its own (BENCH_DIR/fees-bank, deleted at the end). Set-up (not
timed): `members` members enrolled for access and fees with an IBAN and a live mandate, each
sold a monthly plan (one open invoice each). Then, per round, on a fresh copy of that database:
- SEPA: `sepa.export_collection` (sepaxml builds the pain.008.001.02 file, lxml validates it
  against the schema, the invoices are marked, the batch is recorded) and the commit;
- statement: a camt.053.001.02 file of `members` credits, 9 in 10 naming their invoice number
  in the reference, 1 in 10 naming none (left unmatched, with a suggestion by amount and name:
  the slow path), parsed, imported and committed; then the same file again (all duplicates).
Goal: each at most 5 s. Prints Markdown; writes BENCH_DIR/results-fees-bank.json.
"""

import argparse
import json
import shutil
import sqlite3
import statistics
import time
from datetime import timedelta

from bench.common import BENCH_DIR, bench_app, flask, write_instance_config

GOAL_SECONDS = 5.0
FIRST = ["Jānis", "Anna", "Līga", "Andris", "Ērika", "Oļegs", "Mārtiņš", "Ilze", "Kārlis", "Zane"]
LAST = ["Bērziņš", "Kalniņa", "Ozoliņa", "Liepiņš", "Krūmiņa", "Šņoriņš", "Vītols", "Zariņa"]


def _name(index):
    """A unique Latvian-looking name per index (letters only: names take no digits)."""
    tag, n = "", index
    while True:
        tag, n = "abcdefghijklmnoprstuvz"[n % 22] + tag, n // 22
        if not n:
            break
    return FIRST[index % len(FIRST)], f"{LAST[index % len(LAST)]}-{tag.capitalize()}"


def _set_up(members):
    """Members with an IBAN, a live mandate and one open invoice each (committed)."""
    from stdnum import iban as stdnum_iban

    from clubsite.domain import Actor
    from clubsite.extensions import db
    from clubsite.fees import mandates, service
    from clubsite.i18n import today_local
    from clubsite.members.service import enrol_member

    actor = Actor.staff("00000000-0000-4000-8000-000000000001")
    today = today_local()
    plan = service.create_plan("Trenažieru zāle", 3500, "month")
    for index in range(members):
        bban = f"HABA{index + 1:013d}"
        first, last = _name(index)
        values = {
            "first_name": first,
            "last_name": last,
            "email": f"biedrs{index}@example.lv",
            "iban": f"LV{stdnum_iban.calc_check_digits('LV00' + bban)}{bban}",
        }
        member, _created = enrol_member(values, ["access", "fees"], source="staff", actor=actor)
        service.sell_membership(member, plan, starts_on=today, actor=actor, today=today)
        mandates.record_mandate(
            member, signed_on=today, reference=f"KLUBS-B-{index:06d}", actor=actor
        )
        if index % 500 == 499:
            db.session.commit()
    db.session.commit()


def _statement(members):
    """A camt.053.001.02 file of one credit per invoice."""
    from sqlalchemy import select

    from clubsite.extensions import db
    from clubsite.fees.models import Invoice
    from clubsite.i18n import today_local

    day = today_local().isoformat()
    rows = db.session.execute(select(Invoice.number).order_by(Invoice.id)).scalars().all()
    entries = []
    for index, number in enumerate(rows[:members]):
        reference = f"Rēķins Nr. {number}" if index % 10 else "Par abonementu"
        name = " ".join(_name(index))
        entries.append(
            f'<Ntry><Amt Ccy="EUR">35.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
            f"<BookgDt><Dt>{day}</Dt></BookgDt><AcctSvcrRef>B{index:08d}</AcctSvcrRef>"
            f"<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>{name}</Nm></Dbtr></RltdPties>"
            f"<RmtInf><Ustrd>{reference}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>B</MsgId><CreDtTm>2026-12-01T08:00:00</CreDtTm></GrpHdr><Stmt><Id>B</Id>"
        "<Acct><Id><IBAN>LV28HABA0000004000000</IBAN></Id></Acct>"
        + "".join(entries)
        + "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def _timed(action):
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def _round(instance, members):
    """One round on a fresh copy: (sepa seconds, import seconds, re-import seconds, counts)."""
    from clubsite.domain import Actor
    from clubsite.extensions import db
    from clubsite.fees import sepa, statements
    from clubsite.fees.statement_files import parse
    from clubsite.i18n import today_local

    actor = Actor.staff("00000000-0000-4000-8000-000000000001")
    data = _statement(members)
    db.session.rollback()

    def export():
        xml, batch = sepa.export_collection(today_local() + timedelta(days=20), actor=actor)
        db.session.commit()
        return batch.count, len(xml)

    def read():
        record = statements.import_statement(parse(data, max_bytes=50 * 2**20), actor=actor)
        db.session.commit()
        return record.matched, record.unmatched, record.duplicates

    sepa_s, (count, size) = _timed(export)
    import_s, first = _timed(read)
    again_s, second = _timed(read)
    return {
        "sepa_s": sepa_s,
        "collections": count,
        "sepa_bytes": size,
        "import_s": import_s,
        "statement_bytes": len(data),
        "matched_unmatched_duplicates": first,
        "reimport_s": again_s,
        "reimport": second,
    }


def main():
    """Set up once, then time each round on a copy of the set-up database."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    base = BENCH_DIR / "fees-bank"
    shutil.rmtree(base, ignore_errors=True)
    write_instance_config(base)
    flask("db", "upgrade", instance=base)
    app = bench_app(base)
    app.config.update(
        SEPA_CREDITOR_ID="LV53ZZZ40000000000",
        SEPA_CREDITOR_IBAN="LV28HABA0000004000000",
        SEPA_CREDITOR_BIC="HABALV22",
    )
    started = time.perf_counter()
    _set_up(args.members)
    setup_s = time.perf_counter() - started
    from clubsite.extensions import db

    db.session.remove()
    db.engine.dispose()
    pristine = base / "pristine.sqlite3"
    source = sqlite3.connect(base / "clubsite.sqlite3")
    target = sqlite3.connect(pristine)
    source.backup(target)
    source.close()
    target.close()
    rounds = []
    for _ in range(args.rounds):
        db.session.remove()
        db.engine.dispose()
        shutil.copy(pristine, base / "clubsite.sqlite3")
        for suffix in ("-wal", "-shm"):
            (base / f"clubsite.sqlite3{suffix}").unlink(missing_ok=True)
        rounds.append(_round(base, args.members))
    _report(args.members, setup_s, rounds)
    shutil.rmtree(base, ignore_errors=True)


def _report(members, setup_s, rounds):
    median = {
        k: statistics.median(r[k] for r in rounds) for k in ("sepa_s", "import_s", "reimport_s")
    }
    print(f"## Direct debit and bank statements ({members} members, SQLite, {len(rounds)} rounds)")
    print(f"Set-up (not timed): {setup_s:.0f} s\n")
    print("| step | median | rounds | goal |")
    print("|---|---|---|---|")
    for key, label in (
        (
            "sepa_s",
            f"SEPA file of {rounds[0]['collections']} collections (built, validated, marked)",
        ),
        ("import_s", f"statement of {members} lines imported and matched"),
        ("reimport_s", "the same statement again (nothing recorded)"),
    ):
        each = ", ".join(f"{r[key]:.2f}" for r in rounds)
        print(f"| {label} | {median[key]:.2f} s | {each} | ≤ {GOAL_SECONDS:.0f} s |")
    print(
        f"\nmatched/unmatched/duplicates: {rounds[0]['matched_unmatched_duplicates']}; "
        f"again: {rounds[0]['reimport']}; file sizes: SEPA {rounds[0]['sepa_bytes']} B, "
        f"statement {rounds[0]['statement_bytes']} B"
    )
    (BENCH_DIR / "results-fees-bank.json").write_text(
        json.dumps(
            {"members": members, "setup_s": setup_s, "rounds": rounds}, indent=2, default=str
        )
    )


if __name__ == "__main__":
    main()
