#!/bin/sh
# Run the clubsite benchmarks (see bench/RESULTS.md). From the repository root (or `make bench`):
#   sh bench/run.sh                 # 100,000 members in BENCH_DIR (default /tmp/clubsite-bench)
#   BENCH_MEMBERS=2000 BENCH_DIR=/tmp/clubsite-bench-small BENCH_SECONDS=3 \
#     BENCH_MIXED_RECIPIENTS=500 BENCH_NEWSLETTER_RECIPIENTS=1000 BENCH_NEWSLETTER_ROUNDS=1 \
#     sh bench/run.sh               # a quick check that everything runs (a few minutes)
# The first run seeds the bench database (about a minute at 100,000 members) and the newsletter
# bench's own database (about a minute at 10,000 recipients); later runs reuse them. A bench
# database made before a new migration must be deleted (rm -r "$BENCH_DIR").
# BENCH_ONLY="http mixed" runs only those parts (inprocess http mixed newsletter outbox booking
# postgres);
# the PostgreSQL part runs when BENCH_POSTGRES_URL is set (or is named in BENCH_ONLY).
# BENCH_ONLY="reports segment" runs the report pages (bench/reports_bench.py, its own database;
# on PostgreSQL too when BENCH_POSTGRES_URL is set) and the segmented freeze (bench/segment_bench.py).
set -eu
cd "$(dirname "$0")/.."
PY=.venv/bin/python
ONLY=${BENCH_ONLY:-"inprocess http mixed newsletter outbox booking${BENCH_POSTGRES_URL:+ postgres}"}

wanted() {
    case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}

if wanted inprocess; then
    echo "== in-process figures (a copy of the bench database)" >&2
    $PY -m bench.inprocess
fi
if wanted http; then
    echo "== HTTP under load (gunicorn, 2 workers; loadgen in a second process, 8 and 1 connections)" >&2
    $PY -m bench.http_bench
fi
if wanted mixed; then
    echo "== newsletter sending while the back office is in use (a copy of the bench database)" >&2
    $PY -m bench.mixed
fi
if wanted newsletter; then
    echo "== newsletter sender against a raw smtplib loop (its own database)" >&2
    $PY -m bench.newsletter.bench --recipients "${BENCH_NEWSLETTER_RECIPIENTS:-10000}" \
        --rounds "${BENCH_NEWSLETTER_ROUNDS:-3}"
fi
if wanted outbox; then
    echo "== outbox: 1,000 mails through the outbox job against a raw smtplib loop" >&2
    $PY -m bench.outbox_bench
fi
if wanted booking; then
    echo "== public booking page: a site with 20 halls for a week, 8 connections, beside /healthz" >&2
    $PY -m bench.booking_page_bench
fi
if wanted reports; then
    echo "== report pages in-process, cold and warm (its own database)" >&2
    $PY -m bench.reports_bench
fi
if wanted segment; then
    echo "== freezing a segmented newsletter audience of 30,000 (its own database)" >&2
    $PY -m bench.segment_bench --rounds "${BENCH_SEGMENT_ROUNDS:-5}"
fi
if wanted retention; then  # BENCH_ONLY="retention import"; also in inprocess, with the rest
    echo "== retention: first, repeated and next day's run on a fresh copy (bench/retention_bench.py)" >&2
    $PY -m bench.retention_bench
fi
if wanted import; then
    echo "== CSV import of 10,000 rows beside the raw insert of the same rows (its own database)" >&2
    $PY -m bench.import_bench
fi
if wanted postgres; then
    echo "== PostgreSQL: copy-to, search with 1 and 2 gunicorn workers, backup and restore" >&2
    $PY -m bench.postgres_bench
fi
