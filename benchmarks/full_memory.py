"""Peak memory of a batch of *full* scans as the batch grows. Not a test.

The batch benchmark (run.sh) measures the DNS measures. This one runs every measure (STARTTLS,
the website's TLS, HTTP, security.txt, DANE, IPv6, RPKI...) on N generated customer domains of
the project's lab: each customer has its own apex and www host on the lab's web server, and all
of them share one mail host, as the customers of a hosting company do. One Net serves the whole
batch, so what it keeps per domain shows up as growth with N; flat means bounded.

Usage: .venv/bin/python benchmarks/full_memory.py [--sizes 250 1000] [--concurrency 100]
       [--json out.json]
Everything runs on loopback (the lab's own DNS, mail and web servers in this process, the scan
in a child process whose peak RSS is read from /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from batch_bench import compile_mailguard, run_child  # noqa: E402


def child(config_path: Path, domains: int, concurrency: int) -> None:
    """Scan c0.test .. c{domains-1}.test on one shared Net; print one JSON line of figures."""
    from mailguard.app.batch import scan_many
    from mailguard.core.config import config_from_dict

    config = config_from_dict(json.loads(config_path.read_text()))
    names = [f"c{i}.test" for i in range(domains)]

    async def go() -> dict:
        started, statuses = time.monotonic(), 0
        async for report in scan_many(names, config, concurrency=concurrency):
            statuses += len(report.measures)
        return {"seconds": round(time.monotonic() - started, 1), "measures_judged": statuses}

    print(json.dumps(asyncio.run(go())))


def run_size(config_path: Path, n: int, concurrency: int, work: Path) -> dict:
    argv = [sys.executable, __file__, "--child", str(config_path), "--domains", str(n),
            "--concurrency", str(concurrency)]
    out = work / f"figures-{n}.json"
    _, peak, _, _ = run_child(argv, out)
    figures = json.loads(out.read_text().strip().splitlines()[-1])
    return {"domains": n, **figures, "domains_per_s": round(n / figures["seconds"], 1), "peak_rss_mib": peak}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 1000])
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--domains", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.domains, args.concurrency)
        return 0
    compile_mailguard()  # once, here: the children it starts find it written

    from mailguard.core.config import config_to_dict
    from mailguard.lab import Lab, hosting_customer_zone

    zones = [hosting_customer_zone(i) for i in range(max(args.sizes))]
    results: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                                f"Python {platform.python_version()}",
                     "command": "benchmarks/full_memory.py " + " ".join(sys.argv[1:]),
                     "concurrency": args.concurrency, "runs": []}
    with Lab(extra_zones=zones) as lab, tempfile.TemporaryDirectory() as work:
        config_path = Path(work) / "config.json"
        config_path.write_text(json.dumps(config_to_dict(lab.config(deadline=120.0))))
        for n in args.sizes:
            row = run_size(config_path, n, args.concurrency, Path(work))
            print(row, flush=True)
            results["runs"].append(row)
    first, last = results["runs"][0], results["runs"][-1]
    results["memory_ratio"] = round(last["peak_rss_mib"] / first["peak_rss_mib"], 2)
    print(f"peak RSS {first['domains']:,} domains: {first['peak_rss_mib']} MiB; "
          f"{last['domains']:,} domains: {last['peak_rss_mib']} MiB; ratio {results['memory_ratio']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
