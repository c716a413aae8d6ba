"""Invoice documents and the month's invoice run, on a copy of the bench database.

    .venv/bin/python -m bench.invoices_bench [--memberships 70000] [--profile]

1. The monthly run: every membership of the demo data (71,000 at 100,000 members) is made an
   active monthly one, covered through 30.11.2026 (so none lapses), and December 2026 is
   issued with `fees.mailing.issue_and_queue` on 01.12.2026 and committed: invoices with their
   gapless numbers, buyer copies and audit events, and one deferred outbox row per invoice
   mailed (the PDF is rendered when sent). Goal: at most 60 s for 70,000 memberships.
2. One invoice PDF (`documents.render_pdf` of a real invoice's document) and one whole invoice
   mail as the outbox sender makes it (text, HTML, the PDF attached). Goal: PDF at most 20 ms.

Prints Markdown; writes BENCH_DIR/results-invoices.json.
"""

import argparse
import cProfile
import json
import pstats
import time
from datetime import date

from bench.common import BENCH_DIR, bench_app, copy_instance, ensure_demo, stats, timed

COPY = BENCH_DIR / "invoices-copy"
TODAY = date(2026, 12, 1)
PERIOD = (date(2026, 12, 1), date(2026, 12, 31))
PDF_REPEAT = 200


def prepare(limit):
    """Make `limit` memberships active and monthly, covered through 30.11.2026; drop the rest."""
    from sqlalchemy import text

    from clubsite.extensions import db
    from clubsite.fees.models import Plan

    plan = db.session.query(Plan).filter(Plan.period == "month").order_by(Plan.id).first()
    statements = [
        "DELETE FROM invoice_reminder",
        "DELETE FROM invoice_delivery",
        "DELETE FROM outbox_message",
        # Invoices of the bench's December would be "already invoiced": start December afresh.
        "UPDATE invoice SET membership_id = NULL WHERE period_start >= '2026-12-01'",
        "DELETE FROM membership WHERE id NOT IN "
        "(SELECT id FROM membership ORDER BY id LIMIT :limit)",
        "UPDATE membership SET plan_id = :plan, status = 'active', starts_on = '2026-01-01', "
        "ends_on = '2026-11-30', agreed_until = '2026-11-30', billing_anchor = NULL, "
        "ended_at = NULL",
    ]
    for statement in statements:
        db.session.execute(text(statement), {"limit": limit, "plan": plan.id})
    db.session.commit()
    return db.session.execute(text("SELECT count(*) FROM membership")).scalar()


def monthly_run(profile):
    """Seconds for the December run, and what it wrote."""
    from sqlalchemy import func, select

    from clubsite.extensions import db
    from clubsite.fees import mailing
    from clubsite.fees.invoices import generate_invoices
    from clubsite.outbox.models import OutboxMessage

    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    # issue_and_queue, step by step, to tell the two parts apart.
    issued = generate_invoices(*PERIOD, today=TODAY)
    generated = time.perf_counter()
    mailed = mailing.deliver_invoices(issued)
    db.session.flush()
    delivered = time.perf_counter()
    db.session.commit()
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    report = mailing.IssueReport(len(issued), mailed, len(issued) - mailed)
    queued = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    return {
        "seconds": round(seconds, 1),
        "generate_seconds": round(generated - started, 1),
        "deliver_seconds": round(delivered - generated, 1),
        "commit_seconds": round(seconds - (delivered - started), 1),
        "issued": report.issued,
        "mailed": report.mailed,
        "desk": report.desk,
        "outbox_rows": queued,
        "ms_per_invoice": round(seconds * 1000 / max(report.issued, 1), 3),
    }


def documents_timing():
    """One PDF, and one whole invoice mail as the sender renders it, in milliseconds."""
    from sqlalchemy import select

    from clubsite.extensions import db
    from clubsite.fees import documents, mailing
    from clubsite.fees.models import Invoice

    invoices = db.session.scalars(
        select(Invoice).where(Invoice.period_start == PERIOD[0]).limit(PDF_REPEAT)
    ).all()
    docs = [documents.invoice_document(invoice) for invoice in invoices]
    documents.render_pdf(docs[0])  # the font cut is made once per process
    pending = iter(docs * 2)
    pdf = timed(lambda: documents.render_pdf(next(pending)), len(docs))
    cpu = []
    for doc in docs:
        started = time.process_time()
        documents.render_pdf(doc)
        cpu.append((time.process_time() - started) * 1000)
    specs = iter([{"invoice": i.public_id} for i in invoices])
    mail = timed(lambda: mailing.render_invoice_mail(next(specs), to="x@example.lv"), len(docs))
    size = len(documents.render_pdf(docs[0]))
    return {"pdf_ms": stats(pdf), "pdf_cpu_ms": stats(cpu), "mail_ms": stats(mail), "bytes": size}


def main():
    """Seed (once), copy, prepare, measure, print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--memberships", type=int, default=70_000)
    parser.add_argument("--profile", action="store_true", help="cProfile the monthly run")
    args = parser.parse_args()
    ensure_demo()
    copy_instance(COPY)
    bench_app(COPY)
    count = prepare(args.memberships)
    run = monthly_run(args.profile)
    docs = documents_timing()
    results = {"memberships": count, "run": run, "documents": docs}
    (BENCH_DIR / "results-invoices.json").write_text(json.dumps(results, indent=2))
    print(f"| parts | generate_invoices {run['generate_seconds']} s, delivery and queueing "
          f"{run['deliver_seconds']} s, commit (audit chain) {run['commit_seconds']} s |")  # fmt: skip  # noqa: E501
    print(f"| monthly run, {count:,} memberships | {run['seconds']} s "
          f"({run['ms_per_invoice']} ms per invoice; {run['issued']:,} issued, "
          f"{run['mailed']:,} queued, {run['desk']:,} desk) |")  # fmt: skip
    for label, key in (("invoice PDF", "pdf_ms"), ("PDF, CPU", "pdf_cpu_ms"), ("mail", "mail_ms")):
        figures = docs[key]
        print(f"| {label} | median {figures['median']} ms | p95 {figures['p95']} ms |")
    print(f"| PDF size | {docs['bytes']:,} bytes |")


if __name__ == "__main__":
    main()
