"""CSV import speed beside the raw insert rate of the same rows, in the same run.

    .venv/bin/python -m bench.import_bench [--rows 10000] [--rounds 3] [--batch 1000]
    BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.import_bench          # SQLite, then PostgreSQL

A throwaway instance of its own (BENCH_DIR/import-sqlite, BENCH_DIR/import-postgres; deleted at
the end; on PostgreSQL a database named clubsite_import_bench, BENCH_IMPORT_POSTGRES_DB, made and
dropped), an empty registry at the start of every run. The rows: generated people (first name,
last name, email, phone; as `flask demo seed` makes them) in a CSV file, imported for club access
and fees (the phone column is then ignored, as the import page says), as the back office does it:
import_files.read_table, importer.plan_import, then importer.run_batches, one commit per batch.

Beside each import, in the same round: the raw insert of exactly the rows that import wrote
(read back from the database, so the same values and column widths), through the driver
(executemany on SQLite, COPY on PostgreSQL) into the same, emptied tables: once the member rows
alone in one transaction, then every row (members, enrolments, name tokens, audit events) in one
transaction, and every row with a commit per batch of members, as the import commits. Then, on
SQLite, one more import with another writer beside it: how long its small writes waited.
Goal: the import at 5,000 members/s or more. Prints Markdown; writes BENCH_DIR/results-import.json.
"""

import argparse
import csv
import io
import json
import os
import shutil
import sqlite3
import statistics
import threading
import time

from bench.common import BENCH_DIR, bench_app, write_instance_config

GOAL = 5000  # members per second
PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL")
PG_NAME = os.environ.get("BENCH_IMPORT_POSTGRES_DB", "clubsite_import_bench")
TABLES = ("member", "member_purpose", "member_name_token", "consent_event", "audit_event")


def make_csv(rows, seed=99):
    """A CSV of `rows` generated people: Vārds, Uzvārds, E-pasts, Tālrunis."""
    from flask import current_app

    from clubsite.database import utcnow
    from clubsite.demo.people import Generator
    from clubsite.demo.writer import Indexer, taken_indexes

    generator = Generator(seed, utcnow(), taken_indexes(), Indexer(current_app.config["KEY_RING"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Vārds", "Uzvārds", "E-pasts", "Tālrunis"])
    for _ in range(rows):
        gender = generator.rnd.choice(("female", "male"))
        first = generator.rnd.choice(generator.first[gender])
        last = generator.rnd.choice(generator.last[gender])
        writer.writerow([first, last, generator.email(first, last), generator.phone()])
    return buffer.getvalue().encode()


class Backend:
    """The app on one database, and a way to empty that database between runs."""

    def __init__(self, name, folder, url=None):
        self.name, self.folder, self.url = name, folder, url
        shutil.rmtree(folder, ignore_errors=True)
        write_instance_config(folder)
        if url:
            os.environ["CLUBSITE_DATABASE_URL"] = url
        else:
            os.environ.pop("CLUBSITE_DATABASE_URL", None)
        self.app = bench_app(folder)
        from flask_migrate import upgrade

        from clubsite.extensions import db

        upgrade()
        db.create_all()  # tables whose migration is not written yet, as the tests do
        db.session.commit()
        self.db = db
        if not url:
            db.session.remove()
            db.engine.dispose()
            self.file = folder / "clubsite.sqlite3"
            self.template = folder / "empty.sqlite3"
            source, copy = sqlite3.connect(self.file), sqlite3.connect(self.template)
            source.backup(copy)  # with what the WAL holds
            source.close()
            copy.close()

    def empty(self):
        """The registry as it was just after the migration."""
        db = self.db
        db.session.remove()
        if self.url:
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            return
        db.engine.dispose()
        for suffix in ("-wal", "-shm"):
            (self.folder / f"clubsite.sqlite3{suffix}").unlink(missing_ok=True)
        shutil.copy(self.template, self.file)


class LockWatch:
    """How long each write transaction lasted (on SQLite: the write lock is held from BEGIN
    IMMEDIATE to COMMIT)."""

    def __init__(self, engine):
        from flask_sqlalchemy.session import Session
        from sqlalchemy import event

        self.engine, self.session_class, self.event = engine, Session, event
        self.spans, self.started = [], None

    def _begin(self, _conn):
        self.started = time.perf_counter()

    def _end(self, _session):
        if self.started is not None:
            self.spans.append(time.perf_counter() - self.started)
            self.started = None

    def __enter__(self):
        self.event.listen(self.engine, "begin", self._begin)
        self.event.listen(self.session_class, "after_commit", self._end)
        return self

    def __exit__(self, *exc):
        self.event.remove(self.engine, "begin", self._begin)
        self.event.remove(self.session_class, "after_commit", self._end)


def run_import(data, batch):
    """Read, check and import the CSV; seconds per phase and the lock spans."""
    from clubsite.extensions import db
    from clubsite.members import importer
    from clubsite.members.import_files import read_table

    db.session.commit()
    started, cpu = time.perf_counter(), time.process_time()
    table = read_table("members.csv", data)
    read = time.perf_counter()
    options = importer.check_options(("access", "fees"), {})
    plan = importer.plan_import(table, importer.guess_mapping(table.headers), options)
    planned = time.perf_counter()
    with LockWatch(db.engine) as watch:
        result = importer.run_batches(plan, options, actor="system", batch_rows=batch)
    done = time.perf_counter()
    assert result.imported == len(table.rows), (result.imported, len(table.rows))
    return {
        "imported": result.imported,
        "batches": result.batches,
        "read s": read - started,
        "plan s": planned - read,
        "write s": done - planned,
        "seconds": done - started,
        "cpu s": time.process_time() - cpu,  # this process's own (the shared host's load aside)
        "longest transaction s": max(watch.spans),
        "transactions": len(watch.spans),
    }


def captured_rows():
    """Every row the import wrote, as the driver hands it back: {table: (columns, rows)}."""
    from clubsite.extensions import db

    conn = db.session.connection()
    out = {}
    for name in TABLES:
        result = conn.exec_driver_sql(f'SELECT * FROM "{name}" ORDER BY 1')  # noqa: S608
        out[name] = (list(result.keys()), [tuple(row) for row in result])
    db.session.rollback()
    return out


def _parts(tables, chunks):
    """The captured rows cut in `chunks` consecutive parts of members, each with the rows that
    belong to its members (audit events: an even share)."""
    columns, members = tables["member"]
    size = -(-len(members) // chunks)
    parts = [{} for _ in range(chunks)]
    part_of = {}
    for index, row in enumerate(members):
        part_of[row[columns.index("id")]] = index // size
    for name, (names, rows) in tables.items():
        pieces = [[] for _ in range(chunks)]
        if name == "member":
            for index, row in enumerate(rows):
                pieces[index // size].append(row)
        elif "member_id" in names:
            at = names.index("member_id")
            for row in rows:
                pieces[part_of[row[at]]].append(row)
        else:
            share = -(-len(rows) // chunks)
            for index, row in enumerate(rows):
                pieces[index // share].append(row)
        for part, piece in zip(parts, pieces, strict=True):
            if piece:
                part[name] = (names, piece)
    return parts


def raw_insert(tables, chunks):
    """Insert the captured rows through the driver, in `chunks` transactions of consecutive
    members (each with its enrolments, tokens and audit events); seconds."""
    from clubsite.extensions import db

    parts = _parts(tables, chunks)
    raw = db.engine.raw_connection()
    postgres = db.engine.dialect.name == "postgresql"
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        for part in parts:
            if not postgres:
                cursor.execute("BEGIN IMMEDIATE")
            for name, (columns, rows) in part.items():
                names = ", ".join(f'"{c}"' for c in columns)
                if postgres:
                    with cursor.copy(f'COPY "{name}" ({names}) FROM STDIN') as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join("?" for _ in columns)
                    sql = f'INSERT INTO "{name}" ({names}) VALUES ({marks})'  # noqa: S608
                    cursor.executemany(sql, rows)
            if postgres:
                raw.commit()
            else:
                cursor.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        raw.close()


class Writer(threading.Thread):
    """Another user's small write every 20 ms on a connection of its own (SQLite, with the
    app's busy timeout), while the import runs: how long each waited for the write lock."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path, self.waits, self.failed, self.stop = path, [], 0, threading.Event()

    def run(self):
        from clubsite.database import SQLITE_BUSY_TIMEOUT_MS

        conn = sqlite3.connect(self.path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        conn.isolation_level = None
        conn.execute("CREATE TABLE IF NOT EXISTS bench_other_writes (at REAL)")
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO bench_other_writes VALUES (?)", (started,))
                conn.execute("COMMIT")
                self.waits.append(time.perf_counter() - started)
            except sqlite3.OperationalError:
                self.failed += 1
            time.sleep(0.02)
        conn.close()


def concurrent_writes(backend, data, batch):
    """The import once more, with another writer beside it (SQLite only: PostgreSQL has no
    database-wide write lock)."""
    backend.empty()
    writer = Writer(backend.file)
    writer.start()
    time.sleep(0.2)
    try:
        run_import(data, batch)
    finally:
        writer.stop.set()
        writer.join()
    waits = sorted(writer.waits)
    return {
        "writes": len(waits),
        "failed": writer.failed,
        "median wait ms": round(statistics.median(waits) * 1000, 1),
        "longest wait ms": round(waits[-1] * 1000),
    }


def bench(backend, data, rows, rounds, batch):
    """Warm-up import (its rows are the raw runs' rows), then rounds of raw, import, raw."""
    backend.empty()
    run_import(data, batch)  # warm-up: imports, caches, and the rows for the raw inserts
    tables = captured_rows()
    members_only = {"member": tables["member"]}
    batches = -(-rows // batch)
    results = {"raw members": [], "raw all rows, one transaction": [], "raw all rows": []}
    results["import"] = []
    for _ in range(rounds):
        backend.empty()
        results["raw members"].append(raw_insert(members_only, 1))
        backend.empty()
        results["raw all rows, one transaction"].append(raw_insert(tables, 1))
        backend.empty()
        results["raw all rows"].append(raw_insert(tables, batches))
        backend.empty()
        results["import"].append(run_import(data, batch))
    written = {name: len(rows_) for name, (_columns, rows_) in tables.items()}
    if not backend.url:
        results["other writer"] = concurrent_writes(backend, data, batch)
    return results, written


def _rate(rows, seconds):
    return round(rows / seconds)


def markdown(backend, results, written, rows, batch):
    """The backend's table: raw runs and the import, members per second per round."""
    raw_members = [_rate(rows, s) for s in results["raw members"]]
    raw_one = [_rate(rows, s) for s in results["raw all rows, one transaction"]]
    raw_all = [_rate(rows, s) for s in results["raw all rows"]]
    imports = [_rate(rows, r["seconds"]) for r in results["import"]]
    ratios = [i / a for i, a in zip(imports, raw_all, strict=True)]
    median = statistics.median(imports)
    driver = "COPY" if backend.url else "executemany"
    rows_written = ", ".join(f"{n} {name}" for name, n in written.items() if n)
    lines = [
        f"\n{backend.name}: CSV import of {rows} rows (club access and fees), batches of {batch}, "
        f"load average {os.getloadavg()[0]:.2f}; rows written per import: {rows_written}\n",
        "| run | members/s per round | median | goal |",
        "|---|---:|---:|---|",
        f"| raw {driver}: the member rows only, one transaction "
        f"| {' / '.join(map(str, raw_members))} | {statistics.median(raw_members):.0f} | |",
        f"| raw {driver}: every row the import writes, one transaction "
        f"| {' / '.join(map(str, raw_one))} | {statistics.median(raw_one):.0f} | |",
        f"| raw {driver}: every row the import writes, a commit per {batch} members "
        f"| {' / '.join(map(str, raw_all))} | {statistics.median(raw_all):.0f} | |",
        f"| import: read_table + plan_import + run_batches "
        f"| {' / '.join(map(str, imports))} | **{median:.0f}** "
        f"| ≥ {GOAL:,}/s {'✔' if median >= GOAL else '✘'} |",
        "",
        f"Import / raw (every row), per round: {' / '.join(f'{r:.2f}' for r in ratios)}.",
    ]
    phases = results["import"]
    lines.append(
        "Import phases (median s): read "
        f"{statistics.median(p['read s'] for p in phases):.2f}, check "
        f"{statistics.median(p['plan s'] for p in phases):.2f}, write "
        f"{statistics.median(p['write s'] for p in phases):.2f} in "
        f"{phases[0]['batches']} batches; longest write transaction "
        f"{max(p['longest transaction s'] for p in phases) * 1000:.0f} ms."
    )
    cpu = statistics.median(p["cpu s"] for p in phases)
    lines.append(
        f"Import CPU (this process's own, median): {cpu:.2f} s, {rows / cpu:.0f} members per "
        "CPU second."
    )
    other = results.get("other writer")
    if other:
        lines.append(
            f"Another writer during an import (a small write every 20 ms on its own connection, "
            f"busy timeout 10 s): {other['writes']} writes, {other['failed']} failed, waited "
            f"{other['median wait ms']} ms (median), {other['longest wait ms']} ms at most."
        )
    return lines


def fresh_pg_database():
    """An empty database for the bench on the BENCH_POSTGRES_URL server; its URL."""
    import sqlalchemy as sa

    admin = sa.create_engine(
        PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{PG_NAME}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_NAME, admin


def drop_pg_database(admin):
    import sqlalchemy as sa

    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
    admin.dispose()


def main():
    """SQLite, then PostgreSQL when BENCH_POSTGRES_URL is set; print Markdown, save JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=None, help="rows per batch (importer's)")
    args = parser.parse_args()
    folders = [BENCH_DIR / "import-sqlite"]
    report, lines = {}, []
    try:
        sqlite = Backend("SQLite", folders[0])
        from clubsite.members import importer

        batch = args.batch or importer.BATCH_ROWS
        data = make_csv(args.rows)
        results, written = bench(sqlite, data, args.rows, args.rounds, batch)
        report["sqlite"] = {"results": results, "written": written}
        lines += markdown(sqlite, results, written, args.rows, batch)
        sqlite.db.session.remove()
        sqlite.db.engine.dispose()
        if PG_ADMIN_URL:
            url, admin = fresh_pg_database()
            try:
                folders.append(BENCH_DIR / "import-postgres")
                postgres = Backend(f"PostgreSQL ({url.rsplit('@', 1)[-1]})", folders[1], url)
                results, written = bench(postgres, data, args.rows, args.rounds, batch)
                report["postgres"] = {"results": results, "written": written}
                lines += markdown(postgres, results, written, args.rows, batch)
                postgres.db.session.remove()
                postgres.db.engine.dispose()
            finally:
                drop_pg_database(admin)
    finally:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
    print("\n".join(lines))
    (BENCH_DIR / "results-import.json").write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
