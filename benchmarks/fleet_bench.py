"""The fleet benchmark (issue #10). Not a test: run it with ``benchmarks/fleet.sh``.

With the batch benchmark's generated domains (benchmarks/zones.py) served with a delay per
answer (default 20 ms) from a DNS server process of its own, a redis-server and a PostgreSQL
cluster started in temporary directories, it scans N domains (default 10,000) with the same
measures:

  1. locally, `mailguard scan --domains-file ... --format jsonl` (without and with --db);
  2. with --engine celery and one, then two `mailguard worker` processes (started before the
     clock starts), chunks of --chunk-size domains;
  3. the broker's overhead per chunk: chunks of one domain through one worker with concurrency
     1; the wall time per chunk minus the time the task itself ran (from the worker's log).

It reports domains/s, the submitter's and each worker's peak memory (RSS), and the overhead.
Every configuration writes to a fresh PostgreSQL database. fleet.sh runs it inside a network
namespace with only loopback, like run.sh.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import pwd
import re
import shutil
import signal
import socket
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
from batch_bench import Server, available_measures, compile_mailguard, high_water_mib, run_child  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing on 127.0.0.1:{port}")


def start_redis(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(work)], stdout=subprocess.DEVNULL)
    wait_port(port)
    return proc, f"redis://127.0.0.1:{port}/0"


class Postgres:
    def __init__(self, work: Path) -> None:
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
        self.bin = Path(binaries[0]) if binaries else Path(shutil.which("initdb") or "initdb").parent
        self.root = work / "pg"
        self.root.mkdir()
        self.run_as: dict = {}
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self.run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        self.port = free_port()
        self.count = 0
        data = self.root / "data"
        subprocess.run([self.bin / "initdb", "-D", data, "-U", "mailguard", "--auth=trust", "--no-sync"],
                       check=True, capture_output=True, cwd=self.root, **self.run_as)
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=50 "
                   "-c synchronous_commit=off")
        subprocess.run([self.bin / "pg_ctl", "-D", data, "-o", options, "-l", self.root / "log", "-w", "start"],
                       check=True, capture_output=True, cwd=self.root, **self.run_as)

    def new_database(self) -> str:
        import psycopg

        self.count += 1
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=mailguard dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE bench{self.count}")
        return f"postgresql://mailguard@127.0.0.1:{self.port}/bench{self.count}"

    def stop(self) -> None:
        subprocess.run([self.bin / "pg_ctl", "-D", self.root / "data", "-m", "fast", "-w", "stop"],
                       capture_output=True, cwd=self.root, **self.run_as)


class Worker:
    def __init__(self, broker: str, concurrency: int, log: Path) -> None:
        self.log = log
        with log.open("w") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "mailguard", "worker", "--broker", broker,
                                          "--concurrency", str(concurrency), "--loglevel", "INFO"],
                                         stdout=out, stderr=subprocess.STDOUT, env=ENV)
        end = time.monotonic() + 60
        while " ready." not in log.read_text():
            if time.monotonic() > end or self.proc.poll() is not None:
                raise SystemExit(f"worker did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)

    def stop(self) -> int:
        """Stop it; its peak RSS in MiB."""
        peak = high_water_mib(self.proc.pid)
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)
        return peak

    def task_seconds(self) -> list[float]:
        return [float(s) for s in re.findall(r"succeeded in ([0-9.]+)s", self.log.read_text())]


def scan_argv(domains: Path, server: Server, measures: list[str], concurrency: int) -> list[str]:
    argv = [sys.executable, "-m", "mailguard", "scan", "--domains-file", str(domains), "--nameserver",
            f"{server.host}:{server.port}", "--format", "jsonl", "--quiet", "--concurrency", str(concurrency),
            "--timeout", "5"]
    for m in measures:
        argv += ["--measure", m]
    return argv


def bench_local(server: Server, domains: Path, n: int, work: Path, measures: list[str], concurrency: int,
                db: str | None) -> dict:
    argv = scan_argv(domains, server, measures, concurrency) + (["--db", db] if db else [])
    wall, rss, code, _cpu = run_child(argv, work / "local.jsonl")
    return {"engine": "local" + (" --db postgresql" if db else ""), "domains": n, "seconds": round(wall, 1),
            "domains_per_s": round(n / wall, 1), "submitter_peak_rss_mib": rss, "exit_code": code,
            "results": count_lines(work / "local.jsonl")}


def bench_celery(server: Server, domains: Path, n: int, work: Path, measures: list[str], concurrency: int,
                 broker: str, db: str, workers: int, chunk_size: int) -> dict:
    running = [Worker(broker, concurrency, work / f"worker{i}.log") for i in range(workers)]
    try:
        argv = scan_argv(domains, server, measures, concurrency) + [
            "--engine", "celery", "--broker", broker, "--db", db, "--chunk-size", str(chunk_size)]
        wall, rss, code, _cpu = run_child(argv, work / "celery.jsonl")
    finally:
        peaks = [w.stop() for w in running]
    return {"engine": f"celery, {workers} worker(s)", "domains": n, "seconds": round(wall, 1),
            "domains_per_s": round(n / wall, 1), "chunks": -(-n // chunk_size), "chunk_size": chunk_size,
            "submitter_peak_rss_mib": rss, "worker_peak_rss_mib": peaks, "exit_code": code,
            "results": count_lines(work / "celery.jsonl")}


def bench_overhead(server: Server, work: Path, measures: list[str], broker: str, db: str, chunks: int) -> dict:
    """One-domain chunks through one worker: the worker's span from the first chunk received to the
    last one done, per chunk, minus the time the task itself ran, is what the broker, the result
    backend and Celery's own bookkeeping cost a chunk."""
    domains = work / "overhead.txt"
    domains.write_text("\n".join(zones.domain_names(chunks)) + "\n")
    worker = Worker(broker, 1, work / "overhead.log")
    try:
        argv = scan_argv(domains, server, measures, 1) + ["--engine", "celery", "--broker", broker, "--db", db,
                                                          "--chunk-size", "1"]
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, check=False)
    finally:
        worker.stop()
    log = worker.log.read_text()
    stamp = r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/MainProcess\] Task \S+ "
    received = [_time(t) for t in re.findall(stamp + "received", log)]
    done = [_time(t) for t in re.findall(stamp + "succeeded", log)]
    tasks = worker.task_seconds()
    per_chunk = (max(done) - min(received)) / len(done)
    in_task = sum(tasks) / len(tasks)
    return {"chunks": chunks, "tasks_seen": len(tasks), "wall_per_chunk_ms": round(per_chunk * 1000, 1),
            "task_runtime_per_chunk_ms": round(in_task * 1000, 1),
            "overhead_per_chunk_ms": round((per_chunk - in_task) * 1000, 1)}


def _time(text: str) -> float:
    from datetime import datetime

    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def markdown(r: dict) -> str:
    lines = [f"{r['domains']:,} domains, {r['delay'] * 1000:g} ms per DNS answer, measures "
             f"{', '.join(r['measures'])}, concurrency {r['concurrency']} per process, on {r['machine']}.",
             f"Command: `{r['command']}`", "",
             "| engine | seconds | domains/s | submitter peak RSS | worker peak RSS |",
             "|---|---:|---:|---:|---:|"]
    for row in r["runs"]:
        workers = ", ".join(f"{m} MiB" for m in row.get("worker_peak_rss_mib", [])) or "-"
        lines.append(f"| {row['engine']} | {row['seconds']} | {row['domains_per_s']} | "
                     f"{row['submitter_peak_rss_mib']} MiB | {workers} |")
    o = r["overhead"]
    lines += ["", f"Broker overhead per chunk ({o['chunks']} one-domain chunks, one worker): "
                  f"{o['wall_per_chunk_ms']} ms a chunk, of which the task ran {o['task_runtime_per_chunk_ms']} ms: "
                  f"{o['overhead_per_chunk_ms']} ms overhead."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--chunk-size", type=int, default=500)
    parser.add_argument("--overhead-chunks", type=int, default=200)
    parser.add_argument("--host", default="127.0.0.153")
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    compile_mailguard()
    measures = available_measures()
    n = args.domains
    results: dict = {"domains": n, "delay": args.delay, "measures": measures, "concurrency": args.concurrency,
                     "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                     "command": "benchmarks/fleet.sh " + " ".join(sys.argv[1:]), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.chmod(work, 0o755)
        zone_file = work / "test.zone"
        zone_file.write_text(zones.zone_text(max(n, args.overhead_chunks)))
        domains = work / "domains.txt"
        domains.write_text("\n".join(zones.domain_names(n)) + "\n")
        server = Server(zone_file, args.host, args.port, args.delay)
        redis_proc, broker = start_redis(work)
        pg = Postgres(work)
        try:
            for db in (None, pg.new_database()):
                results["runs"].append(bench_local(server, domains, n, work, measures, args.concurrency, db))
                print(results["runs"][-1], file=sys.stderr)
            for workers in (1, 2):
                results["runs"].append(bench_celery(server, domains, n, work, measures, args.concurrency, broker,
                                                    pg.new_database(), workers, args.chunk_size))
                print(results["runs"][-1], file=sys.stderr)
            results["overhead"] = bench_overhead(server, work, measures, broker, pg.new_database(),
                                                 args.overhead_chunks)
            print(results["overhead"], file=sys.stderr)
        finally:
            pg.stop()
            redis_proc.terminate()
            redis_proc.wait(10)
            server.stop()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print(markdown(results))


if __name__ == "__main__":
    main()
