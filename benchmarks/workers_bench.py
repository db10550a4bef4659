"""The --workers benchmark (issue #19). Not a test: run it with ``benchmarks/workers.sh``.

Domains/s of a local batch of N lab domains (default 1,000) in one process (--workers 1) and in
two (--workers 2), in two mixes:

  1. the DNS measures (mx, spf, dmarc, dkim, mta-sts, tls-rpt, dnssec, bimi), exactly as
     benchmarks/run.sh scans them: `mailguard scan --domains-file ... --format jsonl --quiet`
     against the batch benchmark's generated domains, served with 20 ms added to every answer
     by a DNS server in a process of its own;
  2. the full default scan (every measure: STARTTLS on the shared mail host, the websites' TLS
     and HTTP, DANE, IPv6, RPKI ...) of N customer domains of the project's lab (as in
     benchmarks/full_memory.py), its DNS also answering 20 ms late; the lab's servers run in this
     process, the scan in a child that runs a scan command's batch (run_batch, JSON Lines out).

Each row gives wall seconds, domains/s, the peak resident memory summed over the scanning
process tree, the CPU seconds of the command and of the processes below it (the fork server and
the workers), the results written, and the load average before the run (the cores are shared: a
load above about 1 before a run means someone else was using a core).
workers.sh runs this inside a network namespace with only loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import zones  # noqa: E402
from batch_bench import Server, available_measures, compile_mailguard, cpu_seconds, tree  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def high_water_kib(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmHWM:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def timed(argv: list[str], stdout_path: Path) -> tuple[float, int, int, dict[str, float]]:
    """Run ``argv``: wall seconds, the peak RSS summed over its process tree (MiB), exit code, and
    the CPU seconds of the command itself and of the processes below it (last seen, every 0.1 s)."""
    peaks: dict[int, int] = {}
    cpu: dict[int, float] = {}
    with stdout_path.open("w") as out:
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=ENV)
        while proc.poll() is None:
            for pid in tree(proc.pid):
                peaks[pid] = max(peaks.get(pid, 0), high_water_kib(pid))
                cpu[pid] = max(cpu.get(pid, 0.0), cpu_seconds(pid))
            time.sleep(0.1)
        wall = time.monotonic() - started
    below = sum(seconds for pid, seconds in cpu.items() if pid != proc.pid)
    return wall, sum(peaks.values()) // 1024, proc.returncode, {"cpu_command_s": round(cpu.get(proc.pid, 0.0), 1),
                                                                 "cpu_workers_s": round(below, 1)}


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def row(mix: str, workers: int, n: int, measured: tuple[float, int, int, dict[str, float]], results: int,
        load: float) -> dict:
    wall, rss, code, cpu = measured
    return {"mix": mix, "workers": workers, "domains": n, "seconds": round(wall, 2),
            "domains_per_s": round(n / wall, 1), "peak_rss_mib_all_processes": rss, "results": results,
            "exit_code": code, "load_before": round(load, 2), **cpu}


# -- 1. the DNS measures, through the command line ------------------------------------------------
def bench_dns(server: Server, n: int, workers: int, concurrency: int, work: Path) -> dict:
    domains = work / f"domains-{n}.txt"
    domains.write_text("\n".join(zones.domain_names(n)) + "\n")
    argv = [sys.executable, "-m", "mailguard", "scan", "--domains-file", str(domains), "--nameserver",
            f"{server.host}:{server.port}", "--format", "jsonl", "--quiet", "--concurrency", str(concurrency),
            "--timeout", "5", "--workers", str(workers)]
    for m in available_measures():
        argv += ["--measure", m]
    out = work / f"dns-{n}-{workers}.jsonl"
    load = os.getloadavg()[0]
    measured = timed(argv, out)
    return row("dns measures", workers, n, measured, count_lines(out), load)


# -- 2. the full scan of the lab's customers, through run_batch -----------------------------------
def full_child(config_path: Path, n: int, concurrency: int, workers: int) -> None:
    """In the child: the batch a `mailguard scan --format jsonl` runs, on the lab's settings."""
    from mailguard.app.output import Output, Progress
    from mailguard.app.run import run_batch
    from mailguard.app.scan import PromiseScan
    from mailguard.core.config import config_from_dict

    config = config_from_dict(json.loads(config_path.read_text()))
    names = [f"c{i}.test" for i in range(n)]
    output = Output("jsonl", lang="en", verbose=False, many=True)
    run_batch(names, config, concurrency, output, Progress(n, enabled=False), scan=PromiseScan().scan,
              workers=workers)


def bench_full(config_path: Path, n: int, workers: int, concurrency: int, work: Path) -> dict:
    argv = [sys.executable, __file__, "--full-child", str(config_path), "--domains", str(n),
            "--concurrency", str(concurrency), "--workers", str(workers)]
    out = work / f"full-{n}-{workers}.jsonl"
    load = os.getloadavg()[0]
    measured = timed(argv, out)
    return row("full scan", workers, n, measured, count_lines(out), load)


def run_full(n: int, concurrency: int, delay: float, work: Path) -> list[dict]:
    from mailguard.core.config import config_to_dict
    from mailguard.lab import Lab, hosting_customer_zone

    rows = []
    zones_ = [hosting_customer_zone(i) for i in range(n)]
    with Lab(extra_zones=zones_, dns_delay=delay) as lab:
        config_path = work / "lab-config.json"
        config_path.write_text(json.dumps(config_to_dict(lab.config(deadline=120.0))))
        for workers in (1, 2):
            rows.append(bench_full(config_path, n, workers, concurrency, work))
            print(rows[-1], file=sys.stderr, flush=True)
    return rows


def run_dns(n: int, concurrency: int, delay: float, host: str, port: int, work: Path) -> list[dict]:
    rows = []
    zone_file = work / "test.zone"
    zone_file.write_text(zones.zone_text(n))
    server = Server(zone_file, host, port, delay)
    try:
        for workers in (1, 2):
            rows.append(bench_dns(server, n, workers, concurrency, work))
            print(rows[-1], file=sys.stderr, flush=True)
    finally:
        server.stop()
    return rows


def markdown(results: dict) -> str:
    lines = ["| mix | workers | domains | seconds | domains/s | peak RSS, all processes (MiB) | CPU s: command "
             "/ workers | load before |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results["rows"]:
        lines.append(f"| {r['mix']} | {r['workers']} | {r['domains']:,} | {r['seconds']} | {r['domains_per_s']} | "
                     f"{r['peak_rss_mib_all_processes']} | {r['cpu_command_s']} / {r['cpu_workers_s']} | "
                     f"{r['load_before']} |")
    lines.append(f"\nMachine: {results['machine']}. Command: `{results['command']}`")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=200, help="DNS measures: domains in flight in all")
    parser.add_argument("--full-concurrency", type=int, default=100, help="full scan: domains in flight in all")
    parser.add_argument("--mix", choices=["dns", "full", "both"], default="both")
    parser.add_argument("--host", default="127.0.0.153")
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--full-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.full_child:
        full_child(args.full_child, args.domains, args.concurrency, args.workers)
        return
    compile_mailguard()  # once, here: the children it starts find it written
    results: dict = {"delay": args.delay, "rows": [],
                     "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
                                f"Python {platform.python_version()}",
                     "command": os.environ.get("MAILGUARD_BENCH_COMMAND",
                                               "benchmarks/workers_bench.py " + " ".join(sys.argv[1:]))}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.mix in ("dns", "both"):
            results["rows"] += run_dns(args.domains, args.concurrency, args.delay, args.host, args.port, work)
        if args.mix in ("full", "both"):
            results["rows"] += run_full(args.domains, args.full_concurrency, args.delay, work)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))


if __name__ == "__main__":
    main()
