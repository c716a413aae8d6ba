"""flask --app wsgi demo seed --members N: realistic Latvian demo data, fast enough for 100,000.

People come from clubsite.demo.people (seeded, so a run repeats) and are written by
clubsite.demo.writer in batches, one commit per batch; clubsite.demo.activity adds their
memberships, invoices, payments, check-ins and hall bookings.
"""

import time
import uuid
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, insert, select

from clubsite.database import analyze, utcnow
from clubsite.demo.activity import make_activity
from clubsite.demo.people import Generator
from clubsite.demo.writer import Indexer, Writer, taken_indexes
from clubsite.domain import SYSTEM
from clubsite.extensions import db
from clubsite.privacy import audit
from clubsite.privacy.models import ErasureJournal, Member

SEED = 20260101
BATCH = 2000


class DemoError(Exception):
    """The demo data cannot be added; the message says why."""


def seed(count, *, force=False, seed_value=SEED, progress=None):
    """Add count demo members; refuses a database with members unless force. Returns seconds."""
    started = time.perf_counter()
    existing = db.session.scalar(select(func.count()).select_from(Member))
    if existing and not force:
        raise DemoError(
            f"The database already holds {existing} members. "
            "Use --force to add demo members anyway."
        )
    _large_cache()
    now = utcnow()
    indexer = Indexer(current_app.config["KEY_RING"])
    generator = Generator(seed_value + existing, now, taken_indexes(), indexer)
    writer = Writer(now, generator.rnd, indexer)
    activity = make_activity(now, generator.rnd, indexer.ring)
    made = erased = 0
    while made < count:
        people = []
        while len(people) < min(BATCH, count - made):
            person = generator.person()
            if person is None:
                erased += 1
            else:
                people.append(person)
        written = writer.write(people)
        if activity is not None:
            activity.add(written)
        made += len(people)
        db.session.commit()
        if progress:
            progress(made)
    if activity is not None:
        activity.finish()
    _journal_erased(erased, now, generator.rnd)
    audit.record("demo.seeded", detail=f"members={count}", actor=SYSTEM)
    _reset_sequences()
    db.session.commit()
    analyze(db.engine)  # a bulk load: without statistics SQLite plans lists and counts badly
    return time.perf_counter() - started


def _large_cache():
    """Random blind indexes land all over their B-trees: give SQLite room to keep them cached."""
    if db.engine.dialect.name == "sqlite":
        db.session.connection().exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MB


def _journal_erased(count, now, rnd):
    """People who withdrew their only purpose were erased: their journal entries."""
    rows = [
        {
            "public_id": str(uuid.uuid4()),
            "erased_at": now - timedelta(days=rnd.uniform(0, 700)),
            "reason": "request",
        }
        for _ in range(count)
    ]
    if rows:
        db.session.execute(insert(ErasureJournal.__table__), rows)


def _reset_sequences():
    """Members were inserted with their ids; PostgreSQL's sequence must continue after them."""
    from clubsite.backup.tables import reset_sequences

    reset_sequences(db.session.connection())


@click.group("demo")
def cli():
    """Demo data for trying clubsite out."""


@cli.command("seed")
@click.option(
    "--members", "count", type=click.IntRange(1, 2_000_000), default=500, show_default=True
)
@click.option("--force", is_flag=True, help="Add demo members even if the database has members.")
@click.option(
    "--seed", "seed_value", type=int, default=SEED, help="Random seed (same seed, same people)."
)
@with_appcontext
def seed_command(count, force, seed_value):
    """Fill the database with realistic Latvian demo members."""
    try:
        seconds = seed(
            count,
            force=force,
            seed_value=seed_value,
            progress=lambda n: click.echo(f"  {n} members", err=True) if n % 20_000 == 0 else None,
        )
    except DemoError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(f"Added {count} demo members in {seconds:.1f} s.")
