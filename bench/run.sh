#!/bin/sh
# Run the clubsite benchmarks (see bench/RESULTS.md). From the repository root (or `make bench`):
#   sh bench/run.sh                 # 100,000 members in BENCH_DIR (default /tmp/clubsite-bench)
#   BENCH_MEMBERS=2000 BENCH_DIR=/tmp/clubsite-bench-small BENCH_SECONDS=3 \
#     BENCH_MIXED_RECIPIENTS=500 BENCH_NEWSLETTER_RECIPIENTS=1000 BENCH_NEWSLETTER_ROUNDS=1 \
#     sh bench/run.sh               # a quick check that everything runs (a few minutes)
# The first run seeds the bench database (about a minute at 100,000 members) and the newsletter
# bench's own database (about a minute at 10,000 recipients); later runs reuse them. A bench
# database made before a new migration must be deleted (rm -r "$BENCH_DIR").
# BENCH_ONLY="http mixed" runs only those parts (inprocess http mixed newsletter outbox postgres);
# the PostgreSQL part runs when BENCH_POSTGRES_URL is set (or is named in BENCH_ONLY).
set -eu
cd "$(dirname "$0")/.."
PY=.venv/bin/python
ONLY=${BENCH_ONLY:-"inprocess http mixed newsletter outbox${BENCH_POSTGRES_URL:+ postgres}"}

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
if wanted postgres; then
    echo "== PostgreSQL: copy-to, search with 1 and 2 gunicorn workers, backup and restore" >&2
    $PY -m bench.postgres_bench
fi
