"""Retention runs over a fresh copy of the 100,000-member bench database: the retention part
of bench/inprocess.py on its own, on SQLite or (--postgres) on PostgreSQL.

    .venv/bin/python -m bench.retention_bench [--rounds 1]
    BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.retention_bench --postgres

On PostgreSQL each round copies the bench database into a fresh clubsite_bench database
(BENCH_POSTGRES_DB; dropped first if it exists) with `db copy-to`, as bench/postgres_bench.py.

Each round: a fresh copy of the bench instance (BENCH_DIR/retention-copy), the raw baseline
(one UPDATE of every member the first run touches, rolled back), the first run, the same run
again and the next day's run (bench.inprocess.retention). Prints one line per round with the
load average; writes BENCH_DIR/results-retention.json.
"""

import argparse
import json
import os

from bench.common import BENCH_DIR, bench_app, copy_instance, ensure_demo

COPY = BENCH_DIR / "retention-copy"


def catch_up_columns():
    """Add the columns models have and the copy's tables lack (features whose migration is not
    written yet; as the benches' create_all does for whole tables), nullable, on the copy only."""
    from sqlalchemy import inspect

    from clubsite.extensions import db

    db.session.commit()
    engine = db.engine
    conn = db.session.connection()
    inspector = inspect(conn)
    for table in db.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                kind = column.type.compile(dialect=engine.dialect)
                conn.exec_driver_sql(
                    f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'
                )
    db.session.commit()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    ensure_demo()
    from bench.inprocess import retention

    results = []
    app = None
    for number in range(args.rounds):
        if app is not None:
            from clubsite.extensions import db

            db.session.remove()
            db.engine.dispose()
        if args.postgres:
            from bench.postgres_bench import copy_to, fresh_database, pg_app

            url = fresh_database()
            # pg_app points CLUBSITE_DATABASE_URL at PostgreSQL; copy-to must read the SQLite one.
            os.environ.pop("CLUBSITE_DATABASE_URL", None)
            copy_to(url)
            os.environ["CLUBSITE_DATABASE_URL"] = url
            if app is None:
                app = pg_app(url)
        else:
            copy_instance(COPY)
            if app is None:
                app = bench_app(COPY)
        catch_up_columns()
        before = os.getloadavg()[0]
        out = retention()
        out["database"] = "postgresql" if args.postgres else "sqlite"
        out["load before/after"] = (round(before, 2), round(os.getloadavg()[0], 2))
        results.append(out)
        print(f"round {number + 1}: {json.dumps(out, default=str)}", flush=True)
    (BENCH_DIR / "results-retention.json").write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
