"""Invoice numbers stay gapless and unique when several workers issue invoices at once."""

import threading
from datetime import date, timedelta

from sqlalchemy import select

from clubsite.extensions import db
from clubsite.fees import invoices
from clubsite.fees.models import Invoice, Membership
from clubsite.privacy.models import Member
from tests.fees.helpers import MEMBER, TODAY, make_member, make_plan, sell

THREADS = 4
PER_THREAD = 6


def _run_threads(app, work):
    """Run work(index) in THREADS threads, each in its own app context; re-raise failures."""
    errors = []
    barrier = threading.Barrier(THREADS)

    def target(index):
        with app.app_context():
            try:
                barrier.wait()
                work(index)
            except Exception as exc:  # noqa: BLE001  (collected and re-raised below)
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def test_concurrent_issuing_has_no_gaps_or_duplicates(app):
    """Threads issue invoices at once; some transactions roll back after taking a number."""
    member = make_member()
    membership, _first = sell(member, make_plan())
    member_id, membership_id = member.id, membership.id
    db.session.commit()
    db.session.close()

    def work(index):
        for step in range(PER_THREAD):
            member = db.session.get(Member, member_id)
            membership = db.session.get(Membership, membership_id)
            start = date(2030, 1, 1) + timedelta(days=100 * index + step)
            invoices.issue_invoice(
                member, membership=membership, period=(start, start), today=TODAY
            )
            if step % 3 == 2:
                db.session.rollback()  # the number taken here must be given back
            else:
                db.session.commit()

    _run_threads(app, work)
    numbers = db.session.scalars(select(Invoice.number).order_by(Invoice.id)).all()
    committed = 1 + THREADS * (PER_THREAD - PER_THREAD // 3)
    assert len(numbers) == committed
    assert sorted(numbers) == [f"2026-{n:06d}" for n in range(1, committed + 1)]


def test_concurrent_generation_invoices_each_period_once(app):
    """Several accountants press "Generate" for the same month at the same moment."""
    plan = make_plan()
    for index in range(5):
        sell(make_member({**MEMBER, "email": f"g{index}@example.lv"}), plan)
    db.session.close()

    def work(_index):
        invoices.generate_invoices(date(2026, 4, 1), date(2026, 4, 30), today=date(2026, 4, 1))
        db.session.commit()

    _run_threads(app, work)
    rows = db.session.execute(select(Invoice.membership_id, Invoice.period_start)).all()
    assert len(rows) == 10
    assert len(set(rows)) == 10
    numbers = sorted(db.session.scalars(select(Invoice.number)))
    assert numbers == [f"2026-{n:06d}" for n in range(1, 11)]
