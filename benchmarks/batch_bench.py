"""The batch benchmark (issue #6). Not a test: run it with ``benchmarks/run.sh``.

In one run it
  1. generates N lab domains (benchmarks/zones.py) and serves them from the lab DNS server in a
     process of its own, adding a fixed delay to every answer (default 20 ms, a real round trip);
  2. scans N = 100, 1,000, 10,000 domains with mailguard's DNS measures as a user would
     (`mailguard scan --domains-file ... --format jsonl`), measuring domains/s, peak memory and
     questions per domain;
  3. scans one domain (critical.test) in-process, several times, against a server process of
     its own, and compares its wall time with its critical-path bound: the longest chain of
     dependent round trips times the delay;
  4. with ``--full-sizes``, scans N domains with the default full scan (every measure, as a user
     runs `mailguard scan --domains-file`): the world's mail and web hosts are loopback addresses
     where nothing listens, so SMTP and HTTPS end in a refused connection, as for a host that is
     down;
  5. runs checkdmarc (installed in its own virtual environment by run.sh) on the same domains
     against the same server, and reports mailguard's speed as a ratio to it.

run.sh runs all of this inside a fresh network namespace that has only a loopback interface, so
no tool in the benchmark can send a packet off the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
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

# The measures that need only DNS here: the ones checkdmarc also covers (MX, SPF, DMARC, MTA-STS,
# TLS-RPT, DNSSEC, BIMI), plus DKIM. Those not (yet) in the registry are skipped.
DNS_MEASURES = ("mx", "spf", "dmarc", "dkim", "mta-sts", "tls-rpt", "dnssec", "bimi")


def available_measures() -> list[str]:
    from mailguard.measures import by_name

    known = by_name()
    return [m for m in DNS_MEASURES if m in known]


def compile_mailguard() -> None:
    """Write mailguard's bytecode once, as installing it with pip does. An editable install has
    none, and with PYTHONDONTWRITEBYTECODE set (as on the project's machines) every process
    started would compile ~0.3 s of source again: a cost a user never pays."""
    import compileall

    compileall.compile_dir(str(ROOT / "mailguard"), quiet=1)


# -- the DNS server process -------------------------------------------------------------------
class Server:
    def __init__(self, zone_file: Path, host: str, port: int, delay: float) -> None:
        self.host, self.port = host, port
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "dns_server.py"), str(zone_file), "--host", host,
             "--port", str(port), "--delay", str(delay)],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("ready"):
            raise SystemExit(f"benchmark DNS server did not start: {line!r}")

    def queries(self) -> int:
        import dns.message
        import dns.query

        query = dns.message.make_query("stats.control.", "TXT")
        answer = dns.query.udp(query, self.host, port=self.port, timeout=5)
        return int(answer.answer[0][0].strings[0])

    def arrivals(self) -> list[float]:
        """When each question since the last call arrived (time.monotonic(), shared by processes)."""
        import dns.message
        import dns.query

        query = dns.message.make_query("arrivals.control.", "TXT")
        answer = dns.query.tcp(query, self.host, port=self.port, timeout=5)
        strings = [s.decode() for s in answer.answer[0][0].strings]
        return [] if strings == ["none"] else [float(s) for s in strings]

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system)."""
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def cpu_seconds(pid: int) -> float:
    """A running process's CPU time so far (user + system, from /proc), in seconds; 0 once gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def high_water_mib(pid: int) -> int:
    """A running process's peak resident memory so far (VmHWM), in MiB; 0 once it has gone.

    Read from /proc, not from wait4()'s ru_maxrss: a child started with vfork+exec carries its
    parent's high-water mark there, which would hide the difference between 1,000 and 10,000."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmHWM:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) // 1024 if match else 0


def tree(pid: int) -> list[int]:
    """``pid`` and every process below it (the workers are children of the fork server)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += parents.get(current, [])
    return found


def run_child(argv: list[str], stdout_path: Path) -> tuple[float, int, int, float]:
    """Run a command; return wall seconds, its peak RSS in MiB and CPU seconds (both polled every
    0.1 s and summed over the command and the processes below it: ``--workers`` starts a fork
    server and workers), and its exit code."""
    with stdout_path.open("w") as out:
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        peaks: dict[int, int] = {}
        cpu: dict[int, float] = {}
        while proc.poll() is None:
            for pid in tree(proc.pid):
                peaks[pid] = max(peaks.get(pid, 0), high_water_mib(pid))
                cpu[pid] = max(cpu.get(pid, 0.0), cpu_seconds(pid))
            time.sleep(0.1)
        wall = time.monotonic() - started
    return wall, sum(peaks.values()), proc.returncode, sum(cpu.values())


# -- mailguard, many domains ------------------------------------------------------------------
def bench_mailguard(server: Server, n: int, work: Path, concurrency: int, measures: list[str],
                    extra: tuple[str, ...] = ()) -> dict:
    domains = work / f"domains-{n}.txt"
    domains.write_text("\n".join(zones.domain_names(n)) + "\n")
    before, server_cpu = server.queries(), server.cpu_seconds()
    argv = [sys.executable, "-m", "mailguard", "scan", "--domains-file", str(domains),
            "--nameserver", f"{server.host}:{server.port}", "--format", "jsonl", "--quiet",
            "--concurrency", str(concurrency), "--timeout", "5", *extra]
    for m in measures:  # none: the default full scan
        argv += ["--measure", m]
    out = work / f"mailguard-{n}.jsonl"
    wall, rss, code, cpu = run_child(argv, out)
    asked, server_cpu = server.queries() - before, server.cpu_seconds() - server_cpu
    with out.open("rb") as lines:  # counted as a stream: 100,000 full documents are gigabytes
        results = sum(1 for _ in lines)
    out.unlink()
    tool = " ".join(["mailguard" if measures else "mailguard, full scan", *extra])
    return {"tool": tool, "domains": n, "seconds": round(wall, 2), "domains_per_s": round(n / wall, 1),
            "peak_rss_mib": rss, "queries_per_domain": round(asked / n, 1),
            "queries_per_s": round(asked / wall), "cpu_ms_per_domain": round(cpu * 1000 / n, 1),
            "server_cpu_share": round(server_cpu / wall, 2), "results": results, "exit_code": code}


def bench_checkdmarc(server: Server, checkdmarc: Path, n: int, work: Path) -> dict:
    domains = work / f"domains-{n}.txt"
    domains.write_text("\n".join(zones.domain_names(n)) + "\n")
    before, server_cpu = server.queries(), server.cpu_seconds()
    # The domain file goes first: -n and -o each take several values.
    argv = [str(checkdmarc), str(domains), "-t", "5", "-f", "json", "-n", server.host,
            "-o", str(work / f"cd-{n}.json")]
    wall, rss, code, cpu = run_child(argv, work / f"cd-{n}.out")
    asked, server_cpu = server.queries() - before, server.cpu_seconds() - server_cpu
    return {"tool": "checkdmarc 6.0.4", "domains": n, "seconds": round(wall, 2),
            "domains_per_s": round(n / wall, 2), "peak_rss_mib": rss,
            "queries_per_domain": round(asked / n, 1), "queries_per_s": round(asked / wall),
            "cpu_ms_per_domain": round(cpu * 1000 / n, 1), "server_cpu_share": round(server_cpu / wall, 2),
            "exit_code": code}


# -- one domain against its critical path -----------------------------------------------------
def single_domain(delay: float, runs: int, host: str, port: int) -> dict:
    """Runs in a child process, against a server process of its own that logs when questions
    arrive (as the batch's does: the server's CPU must not sit on the chain being measured)."""
    from mailguard.app.scan import scan_domain
    from mailguard.core.config import LOOPBACK_ONLY, Config

    with tempfile.TemporaryDirectory() as tmp:
        zone_file = Path(tmp) / "test.zone"
        zone_file.write_text(zones.zone_text(1))
        server = Server(zone_file, host, port, delay)
        try:
            config = Config(nameservers=((host, port),), allowed_networks=LOOPBACK_ONLY, timeout=5,
                            measures=tuple(available_measures()))
            reports = []

            async def scan(name: str) -> None:
                # The report is kept here, not returned: asyncio.run() ends by comparing SIGINT
                # handlers, which formats its task, result and all (a whole report's repr).
                reports.append(await scan_domain(name, config))

            asyncio.run(scan("d0.test"))  # warm the imports, as a batch would
            walls, waves = [], []
            for _ in range(runs):
                server.arrivals()  # empties the server's log
                started = time.monotonic()
                asyncio.run(scan("critical.test"))
                walls.append(time.monotonic() - started)
                waves.append(count_waves(sorted(server.arrivals()), delay))
            rtt = statistics.median(plain_round_trip(host, port) for _ in range(runs))
        finally:
            server.stop()
    wall = statistics.median(walls)
    bound = zones.CRITICAL_CHAIN * delay
    return {"domain": "critical.test", "measures": [m.name for m in reports[-1].measures],
            "median_seconds": round(wall, 4), "designed_chain": zones.CRITICAL_CHAIN,
            "observed_rounds": max(waves), "bound_seconds": round(bound, 4),
            "ratio_to_bound": round(wall / bound, 3), "plain_round_trip_seconds": round(rtt, 5),
            "ratio_to_measured_bound": round(wall / (zones.CRITICAL_CHAIN * rtt), 3)}


def plain_round_trip(host: str, port: int) -> float:
    """One question of the chain's last link, asked by dnspython's blocking client: the round trip
    as this server delivers it (the delay plus its own work and timer slack), without mailguard."""
    import dns.message
    import dns.query

    query = dns.message.make_query("_nb.p0.test.", "TXT")
    started = time.monotonic()
    dns.query.udp(query, host, port=port, timeout=5)
    return time.monotonic() - started


def count_waves(times: list[float], delay: float) -> int:
    """Rounds of dependent questions seen at the server.

    A question that depends on an answer arrives at least one delay after the question that
    answer was for; so a question arriving a full delay (or more) after the current round began
    starts the next round, and anything sooner belongs to the current one.
    """
    rounds, start = 0, None
    for t in times:
        if start is None or t - start >= delay:
            rounds, start = rounds + 1, t
    return rounds


# -- the report -------------------------------------------------------------------------------
def markdown(results: dict) -> str:
    rows = ["| tool | domains | seconds | domains/s | peak RSS (MiB) | questions/domain | questions/s "
            "| CPU ms/domain | server CPU (cores) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    every = [*results["batch"], *results.get("guess_all", []), *results.get("full", []), *results["checkdmarc"]]
    for r in every:
        rows.append(f"| {r['tool']} | {r['domains']:,} | {r['seconds']} | {r['domains_per_s']} | "
                    f"{r['peak_rss_mib']} | {r['queries_per_domain']} | {r['queries_per_s']} | "
                    f"{r['cpu_ms_per_domain']} | {r['server_cpu_share']} |")
    s = results["single"]
    lines = rows + [
        "",
        f"Single domain ({s['domain']}, measures {', '.join(s['measures'])}): median "
        f"{s['median_seconds'] * 1000:.1f} ms for a critical path of {s['designed_chain']} round trips "
        f"x {results['delay'] * 1000:.0f} ms = {s['bound_seconds'] * 1000:.0f} ms "
        f"(ratio {s['ratio_to_bound']}; rounds observed at the server: {s['observed_rounds']}). "
        f"A plain round trip to this server (dnspython, one question) takes "
        f"{s['plain_round_trip_seconds'] * 1000:.1f} ms: ratio to {s['designed_chain']} of those "
        f"{s['ratio_to_measured_bound']}.",
    ]
    for key, value in results.get("ratios", {}).items():
        lines.append(f"{key}: {value}")
    lines.append(f"Machine: {results['machine']}. Command: `{results['command']}`")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--full-sizes", default="",
                        help="also scan these numbers of domains with the default full scan (every measure)")
    parser.add_argument("--guess-all-sizes", default="",
                        help="also scan these numbers of domains with the DNS measures and --dkim-guess all "
                             "(the long selector list everywhere: many more questions a domain)")
    parser.add_argument("--checkdmarc", type=Path, help="path to a checkdmarc executable")
    parser.add_argument("--checkdmarc-domains", type=int, default=100,
                        help="domains given to checkdmarc (it is sequential; its rate does not depend on N)")
    parser.add_argument("--host", default="127.0.0.153")
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--runs", type=int, default=15, help="single-domain repetitions")
    parser.add_argument("--single-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.single_child:
        print(json.dumps(single_domain(args.delay, args.runs, args.host, args.port)))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s]
    full_sizes = [int(s) for s in args.full_sizes.split(",") if s]
    guess_all_sizes = [int(s) for s in args.guess_all_sizes.split(",") if s]
    compile_mailguard()
    measures = available_measures()
    # (results key, label, sizes, measures (none: the default full scan), extra options)
    runs = [("batch", "mailguard", sizes, measures, ()),
            ("guess_all", "mailguard, --dkim-guess all", guess_all_sizes, measures, ("--dkim-guess", "all")),
            ("full", "mailguard, full scan", full_sizes, [], ())]
    results: dict = {"delay": args.delay, "measures": measures, "batch": [], "guess_all": [], "full": [],
                     "checkdmarc": [],
                     "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                     "command": os.environ.get("MAILGUARD_BENCH_COMMAND",
                                               "benchmarks/batch_bench.py " + " ".join(sys.argv[1:]))}
    single = subprocess.run([sys.executable, __file__, "--single-child", "--delay", str(args.delay),
                             "--runs", str(args.runs), "--host", args.host, "--port", str(args.port)],
                            capture_output=True, text=True, check=True)
    results["single"] = json.loads(single.stdout)
    print(f"single domain: {results['single']}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        zone_file = work / "test.zone"
        zone_file.write_text(zones.zone_text(
            max(sizes + full_sizes + guess_all_sizes + [args.checkdmarc_domains])))
        server = Server(zone_file, args.host, args.port, args.delay)
        try:
            for key, label, ns, chosen, extra in runs:
                for n in ns:
                    r = bench_mailguard(server, n, work, args.concurrency, chosen, extra)
                    print(f"{label}: {r}", file=sys.stderr)
                    results[key].append(r)
            if args.checkdmarc:
                r = bench_checkdmarc(server, args.checkdmarc, args.checkdmarc_domains, work)
                print(f"checkdmarc: {r}", file=sys.stderr)
                results["checkdmarc"].append(r)
        finally:
            server.stop()
    by_n = {r["domains"]: r for r in results["batch"]}
    ratios = {}
    for key, what in (("batch", "mailguard"), ("full", "mailguard full scan")):
        at_1000 = [r for r in results[key] if r["domains"] == 1000]
        if results["checkdmarc"] and at_1000:
            ratios[f"{what} / checkdmarc speed at 1,000 domains"] = round(
                at_1000[0]["domains_per_s"] / results["checkdmarc"][0]["domains_per_s"], 1)
    if 1000 in by_n and 10000 in by_n:
        ratios["peak memory 10,000 / 1,000 domains"] = round(
            by_n[10000]["peak_rss_mib"] / by_n[1000]["peak_rss_mib"], 2)
    results["ratios"] = ratios
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print(markdown(results))


if __name__ == "__main__":
    main()
