#!/usr/bin/env bash
# The batch benchmark: installs checkdmarc in its own virtual environment (needs the package
# registry), then runs everything inside a new network namespace with only loopback, so that
# neither tool can send a packet off this machine. Needs root (unshare --net) and port 53 there.
# Usage: benchmarks/run.sh [--sizes 100,1000,10000] [--delay 0.02] [--concurrency 200] ...
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
venv=benchmarks/.venv-checkdmarc
if [ ! -x "$venv/bin/checkdmarc" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q checkdmarc==6.0.4
fi
export MAILGUARD_BENCH_COMMAND="benchmarks/run.sh $*"  # the command the report names
exec unshare --net sh -c 'ip link set lo up && exec "$@"' sh \
  "$python" benchmarks/batch_bench.py --checkdmarc "$venv/bin/checkdmarc" "$@"
