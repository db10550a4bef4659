#!/usr/bin/env bash
# The README's install lines, each in a fresh virtual environment WITHOUT the test extra, each
# followed by a smoke run against the project's lab on loopback:
#   1. pip install .            then a scan of a lab domain
#   2. pip install '.[fleet]'   then a fleet scan of two lab domains through a real redis-server
#                               and one `mailguard worker`
#   3. '.[fleet,dashboard]'     `mailguard serve` over that database (without the extra: exit 2
#                               naming it), its fleet page fetched over loopback
# A package the code imports but the install does not declare shows up here as a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

resolver=""
start_lab() {  # $1: the venv; sets $resolver to the lab resolver's address
  "$1/bin/mailguard" lab > "$work/lab.out" 2> "$work/lab.err" < /dev/null & pids+=($!)
  for _ in $(seq 1 300); do
    resolver=$(sed -n 's/^lab DNS on \([^:]*:[0-9]*\):.*/\1/p' "$work/lab.err")
    [ -n "$resolver" ] && return
    sleep 0.1
  done
  echo "the lab did not start:" >&2; cat "$work/lab.err" >&2; exit 1
}

echo "install-paths: base install"
python3 -m venv "$work/base"
"$work/base/bin/pip" install -q . 2>&1 | grep -v '^WARNING: Location' || true
"$work/base/bin/mailguard" --version
start_lab "$work/base"
set +e
"$work/base/bin/mailguard" scan good.test --nameserver "$resolver" --allow-network 127.0.0.0/8 \
  --measure mx --measure spf --measure dmarc --format json > "$work/scan.json"
code=$?
set -e
[ "$code" -le 1 ] || { echo "base scan exited $code" >&2; exit 1; }
grep -q '"domain": "good.test"' "$work/scan.json"

echo "install-paths: fleet install"
python3 -m venv "$work/fleet"
"$work/fleet/bin/pip" install -q '.[fleet]' 2>&1 | grep -v '^WARNING: Location' || true
port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no > "$work/redis.log" 2>&1 & pids+=($!)
for _ in $(seq 1 50); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
broker="redis://127.0.0.1:$port/0"
"$work/fleet/bin/mailguard" worker --broker "$broker" --allow-network 127.0.0.0/8 --concurrency 4 \
  --db "$work/fleet.db" > "$work/worker.log" 2>&1 & pids+=($!)
set +e
"$work/fleet/bin/mailguard" scan good.test weak.test --engine celery --broker "$broker" --db "$work/fleet.db" \
  --nameserver "$resolver" --allow-network 127.0.0.0/8 --measure mx --measure spf --measure dmarc \
  --stall-timeout 120 --format jsonl --summary none > "$work/fleet.jsonl" 2> "$work/fleet.err"
code=$?
set -e
if [ "$code" -gt 1 ] || [ "$(grep -c '"domain"' "$work/fleet.jsonl")" -ne 2 ]; then
  echo "fleet scan exited $code" >&2; cat "$work/fleet.err" "$work/worker.log" >&2; exit 1
fi
echo "install-paths: dashboard install over the fleet's database"
set +e
"$work/fleet/bin/mailguard" serve --db "$work/fleet.db" > /dev/null 2> "$work/serve.err"
code=$?
set -e
[ "$code" -eq 2 ] && grep -q "pip install 'mailguard\[dashboard\]'" "$work/serve.err" \
  || { echo "serve without the dashboard extra exited $code" >&2; cat "$work/serve.err" >&2; exit 1; }
"$work/fleet/bin/pip" install -q '.[fleet,dashboard]' 2>&1 | grep -v '^WARNING: Location' || true
port=$(free_port)
"$work/fleet/bin/mailguard" serve --db "$work/fleet.db" --port "$port" > /dev/null 2> "$work/serve.err" & pids+=($!)
for _ in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
python3 -c 'import sys, urllib.request; page = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode()
assert "good.test" in page and "weak.test" in page, page' "http://127.0.0.1:$port/" \
  || { echo "the dashboard did not show the fleet" >&2; cat "$work/serve.err" >&2; exit 1; }
echo "install-paths: every install line works"
