#!/bin/sh
# Run the clubsite benchmarks (see bench/RESULTS.md). From the repository root:
#   sh bench/run.sh                 # 100,000 members in BENCH_DIR (default /tmp/clubsite-bench)
#   BENCH_MEMBERS=10000 sh bench/run.sh
# The first run seeds the bench database (about a minute); later runs reuse it.
set -eu
cd "$(dirname "$0")/.."
PY=.venv/bin/python
echo "== in-process figures (a copy of the bench database)" >&2
$PY -m bench.inprocess
echo "== HTTP under load (gunicorn, 2 workers; loadgen in a second process, 8 connections)" >&2
$PY -m bench.http_bench
