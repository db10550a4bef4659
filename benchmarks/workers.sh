#!/usr/bin/env bash
# The --workers benchmark: one process against two, DNS measures and the full scan, inside a new
# network namespace with only loopback, like run.sh (root needed: unshare --net, port 53 there).
# Usage: benchmarks/workers.sh [--domains 1000] [--delay 0.02] [--mix dns|full|both] [--json out.json]
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
export MAILGUARD_BENCH_COMMAND="benchmarks/workers.sh $*"  # the command the report names
exec unshare --net sh -c 'ip link set lo up && exec "$@"' sh "$python" benchmarks/workers_bench.py "$@"
