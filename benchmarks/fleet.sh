#!/usr/bin/env bash
# The fleet benchmark: local batch vs one and two Celery workers on this machine, with a real
# redis-server and PostgreSQL (sh tests/install-services.sh installs them). Runs inside a new
# network namespace with only loopback, like run.sh (root needed: unshare --net, port 53 there).
# Usage: benchmarks/fleet.sh [--domains 10000] [--delay 0.02] [--concurrency 200] [--chunk-size 500] [--json out.json]
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
exec unshare --net sh -c 'ip link set lo up && exec "$@"' sh "$python" benchmarks/fleet_bench.py "$@"
