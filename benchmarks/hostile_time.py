"""What a hostile domain costs: one MX that accepts the connection and never greets (a tarpit),
one MX whose address the resolver never answers for. Not a test.

    .venv/bin/python benchmarks/hostile_time.py [--timeout 2] [--runs 5]

Both traps cost one timeout each; mailguard probes each MX for STARTTLS as soon as that MX's own
address is known, so the two waits overlap and the scan ends after about one timeout plus round
trips, not two. The script prints the median wall time of the full default scan of the domain
against the timeout, in the project's lab on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import dns.name

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mailguard.app.scan import scan_domain  # noqa: E402
from mailguard.lab import Lab, load_zone_text  # noqa: E402

ZONE = """$TTL 300
@      IN SOA ns1.twotraps.test. hostmaster.twotraps.test. 1 7200 3600 1209600 300
@      IN NS  ns1.twotraps.test.
ns1    IN A   127.0.0.53
; the tarpit: the lab's SMTP server at 127.0.0.35 accepts and never sends its greeting
@      IN MX  10 mx.silent.tls.test.
; the silent one: the lab resolver never answers for this name (Lab.dns.silent)
@      IN MX  20 mx.quiet.twotraps.test.
@      IN TXT "v=spf1 mx -all"
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with Lab(extra_zones=[load_zone_text("twotraps.test", ZONE)]) as lab:
        assert lab.dns is not None
        lab.dns.silent.add(dns.name.from_text("mx.quiet.twotraps.test"))
        config = lab.config(timeout=args.timeout, deadline=60.0)
        walls = []
        for _ in range(args.runs):
            started = time.monotonic()
            report = asyncio.run(scan_domain("twotraps.test", config))
            walls.append(time.monotonic() - started)
        starttls = next(m for m in report.measures if m.name == "starttls")
    wall = statistics.median(walls)
    print(f"twotraps.test, every measure, timeout {args.timeout:g} s: median {wall:.2f} s over {args.runs} runs "
          f"= {wall / args.timeout:.2f} timeouts (two traps in sequence would be >= 2)")
    print("STARTTLS findings:", sorted({(f.code, f.verdict.value) for f in starttls.findings}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
