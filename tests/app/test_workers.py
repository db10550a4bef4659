"""A local batch in several processes (--workers): the same results as one process, every domain
once, a dead or wedged worker never hangs the run, Ctrl-C stops them all. Real lab servers on
loopback; real worker processes, killed for real."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import dns.name
import pytest
from click.testing import CliRunner

from mailguard.app.batch import scan_many
from mailguard.app.output import Output, Progress
from mailguard.app.run import run_batch
from mailguard.app.scan import PromiseScan
from mailguard.app.settings import parse
from mailguard.app.workers import MIN_SHARE, cores, job_for, scan_parallel, worker_count
from mailguard.cli import main
from mailguard.core.errors import ProfileError, WorkerError
from mailguard.core.model import ScanReport
from mailguard.lab import DEMO_DOMAINS, Lab, hosting_customer_zone
from mailguard.promises import profiles
from mailguard.render import json as render_json

CUSTOMERS = 16
DNS_MEASURES = ("mx", "spf", "dmarc", "dnssec")


def customers(n: int) -> list[str]:
    return [f"c{i}.test" for i in range(n)]


@pytest.fixture(scope="module")
def hosting():
    with Lab(extra_zones=[hosting_customer_zone(i) for i in range(CUSTOMERS)]) as lab:
        yield lab


def verdicts(report: ScanReport) -> tuple[object, ...]:
    """What a report concludes: its error, each measure's status and findings, each promise's verdict."""
    measures = tuple((m.name, m.status.value, tuple(sorted((f.code, f.verdict.value, f.subject) for f in m.findings)))
                     for m in report.measures)
    return report.error, measures, tuple((p.promise.kind, p.verdict.value) for p in report.promises), report.scores


def in_one_process(names, config, scan):
    async def go():
        return [r async for r in scan_many(names, config, concurrency=20, scan=scan)]

    return asyncio.run(go())


# --- the same results ----------------------------------------------------------------------------


def test_two_workers_conclude_exactly_what_one_process_does_on_a_full_scan(hosting):
    names = [*DEMO_DOMAINS, *customers(CUSTOMERS), "not..valid"]
    # Generous waits: on a loaded machine a 2 s handshake timeout can expire in one run and not in
    # the other, and this test compares conclusions, not speed.
    config = hosting.config(timeout=10.0, deadline=120.0)
    alone = in_one_process(names, config, PromiseScan().scan)
    finished = list(scan_parallel(names, job_for(config, 20, 2, scan=PromiseScan().scan, render="jsonl"), 2))
    shared = [report for report, _ in finished]
    assert sorted(r.domain for r in shared) == sorted(names)  # every domain exactly once
    assert {r.domain: verdicts(r) for r in shared} == {r.domain: verdicts(r) for r in alone}
    assert any(r.promises for r in shared) and any(r.measures for r in shared)
    for report, line in finished:  # the worker's document is the one this process would write
        assert line == render_json.render(report, indent=None)


def test_the_settings_travel_to_the_workers_intact(hosting):
    config = hosting.config(dkim_selectors=("ed1",), web_hosts=("portal.good.test",))
    explicit = profiles.baseline("good.test")
    job = job_for(config, 100, 2, scan=PromiseScan(explicit=explicit).scan, render="json")
    again = pickle.loads(pickle.dumps(job))
    assert again.config == job.config
    assert again.config.allowed_networks == config.allowed_networks and again.config.public_networks is False
    assert again.config.trust_anchor == config.trust_anchor and again.config.nameservers == config.nameservers
    assert again.scan.__self__.explicit == explicit
    # The run's bounds are shared out: 100 in flight in all, four connections to a host in all.
    assert job.concurrency == 50 and job.config.max_concurrency_per_host == 2


def test_how_many_workers():
    assert worker_count(1, 10_000) == 1
    assert worker_count(4, 3) == 3  # never more processes than domains
    assert worker_count(None, MIN_SHARE - 1) == 1  # a small batch stays in this process
    assert worker_count(None, 100_000) == cores()
    assert worker_count(None, 2 * MIN_SHARE) == min(2, cores())


def test_workers_as_a_config_file_key(tmp_path):
    assert parse({"workers": 2}, tmp_path / "mailguard.toml").workers == 2
    with pytest.raises(ProfileError, match="'workers'"):
        parse({"workers": 0}, tmp_path / "mailguard.toml")


def test_workers_are_for_local_batches():
    result = CliRunner().invoke(main, ["scan", "a.test", "b.test", "--engine", "celery", "--broker",
                                       "redis://127.0.0.1:1/0", "--workers", "2"])
    assert result.exit_code == 2
    assert "--workers is for local batches" in result.stderr


# --- through the command line --------------------------------------------------------------------


def scan_cli(lab, domains_file: Path, *extra: str):
    argv = ["scan", "--domains-file", str(domains_file), "--nameserver", lab.dns.address, "--allow-network",
            "127.0.0.0/8", "--format", "jsonl", "--summary", "csv", *[f"--measure={m}" for m in DNS_MEASURES],
            *extra]
    return CliRunner().invoke(main, argv)


def test_cli_two_workers_write_record_and_exit_as_one(hosting, tmp_path):
    domains = tmp_path / "domains.txt"
    names = [*DEMO_DOMAINS, *customers(CUSTOMERS), "not..valid"]
    domains.write_text("\n".join(names) + "\n")
    db = tmp_path / "runs.db"
    one = scan_cli(hosting, domains, "--workers", "1")
    two = scan_cli(hosting, domains, "--workers", "2", "--db", str(db))
    lines = [json.loads(line) for line in two.stdout.splitlines()]
    assert Counter(d["domain"] for d in lines) == Counter(names)  # each exactly once
    assert two.exit_code == one.exit_code == 1  # not..valid could not be scanned
    summary = two.stderr[two.stderr.index("domain,error,"):].splitlines()[1:]
    assert sorted(row.split(",")[0] for row in summary) == sorted(names)

    def statuses(stdout: str) -> dict[str, object]:
        docs = (json.loads(line) for line in stdout.splitlines())
        return {d["domain"]: (d.get("error"), [(m["name"], m["status"]) for m in d["measures"]]) for d in docs}

    assert statuses(two.stdout) == statuses(one.stdout)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT domain, count(*) FROM scans GROUP BY domain").fetchall()
        finished = conn.execute("SELECT finished FROM runs").fetchall()
    assert sorted(domain for domain, _ in rows) == sorted(names) and {count for _, count in rows} == {1}
    assert finished[0][0] is not None


# --- dead, wedged and interrupted workers ---------------------------------------------------------


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def helper_process(pid: int) -> bool:
    """A process multiprocessing starts beside the workers (a fork server, a resource tracker)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"forkserver" in command or b"resource_tracker" in command


def worker_pids(pid: int, want: int, timeout: float = 20) -> list[int]:
    """The scanning workers of the mailguard process ``pid``: its children (forked), or its fork
    server's children."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = []
        for child in children(pid):
            found += children(child) if helper_process(child) else [child]
        if len(found) >= want:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no {want} workers under {pid}")


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def slow():
    """A lab whose every answer takes 50 ms: scans stay in flight long enough to kill a worker."""
    zones = [hosting_customer_zone(i) for i in range(60)]
    with Lab(extra_zones=zones, dns_delay=0.05) as lab:
        yield lab


def start_cli(lab, names: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mailguard", "scan", *names, "--nameserver", lab.dns.address, "--allow-network",
         "127.0.0.0/8", "--format", "jsonl", "--concurrency", "4", "--workers", "2", "--measure", "mx",
         "--measure", "dmarc"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str], timeout: float) -> tuple[str, str]:
    """The rest of stdout and stderr, read through the same buffered streams as the first line
    (communicate() would read the pipes underneath them and lose what they already buffered)."""
    out: dict[str, str] = {}

    def drain(name: str, stream) -> None:
        out[name] = stream.read()

    readers = [threading.Thread(target=drain, args=item, daemon=True)
               for item in (("out", proc.stdout), ("err", proc.stderr))]
    for reader in readers:
        reader.start()
    proc.wait(timeout)  # a hung run fails here
    for reader in readers:
        reader.join(timeout)
    for stream in (proc.stdout, proc.stderr):
        stream.close()
    return out["out"], out["err"]


def test_a_killed_worker_s_domains_are_reported_as_could_not_scan(slow):
    names = customers(60)
    proc = start_cli(slow, names)
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the run is going
    victim = worker_pids(proc.pid, 2)[0]
    os.kill(victim, signal.SIGKILL)
    rest, err = finish(proc, 60)
    docs = [json.loads(line) for line in [first, *rest.splitlines()] if line.strip()]
    assert Counter(d["domain"] for d in docs) == Counter(names)  # nothing lost, nothing twice
    lost = [d for d in docs if d.get("error")]
    assert lost and all("worker process scanning it was killed by SIGKILL" in d["error"] for d in lost)
    assert len(lost) < len(names) / 2  # the other worker scanned the rest of the list
    assert f"(pid {victim}) was killed by SIGKILL" in err
    assert proc.returncode == 1  # some domains could not be scanned: as documented


def test_ctrl_c_stops_every_worker_and_keeps_finished_results(slow):
    proc = start_cli(slow, customers(60))
    assert proc.stdout is not None
    first = proc.stdout.readline()
    workers = worker_pids(proc.pid, 2)
    proc.send_signal(signal.SIGINT)
    rest, err = finish(proc, 30)
    lines = [line for line in [first, *rest.splitlines()] if line.strip()]
    assert proc.returncode == 130, err
    assert "finished result(s) kept" in err
    assert 1 <= len(lines) < 60 and all(json.loads(line)["domain"].endswith(".test") for line in lines)
    end = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < end:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in workers)


def workers_started_here() -> list[int]:
    import multiprocessing

    return [p.pid for p in multiprocessing.active_children() if p.name.startswith("mailguard-worker-") and p.pid]


def test_when_every_worker_dies_the_run_fails_in_one_line(slow):
    job = job_for(slow.config(measures=("mx",)), 4, 2)
    run = scan_parallel(customers(60), job, 2)
    next(run)
    for pid in workers_started_here():
        os.kill(pid, signal.SIGKILL)
    started = time.monotonic()
    with pytest.raises(WorkerError, match=r"every scanning worker stopped before the list was done \(worker \d "
                                          r"\(pid \d+\) was killed by SIGKILL\); \d+ finished result\(s\) kept"):
        list(run)
    assert time.monotonic() - started < 10


def test_a_wedged_worker_is_stopped_after_the_stall_limit(slow):
    job = job_for(slow.config(measures=("mx",)), 4, 2)
    job = dataclasses.replace(job, stall=1.5)
    run = scan_parallel(customers(30), job, 2)
    reports = [next(run)[0]]
    frozen = workers_started_here()[0]
    os.kill(frozen, signal.SIGSTOP)  # alive, holding domains, sending nothing
    started = time.monotonic()
    reports += [report for report, _ in run]
    assert time.monotonic() - started < 15
    assert Counter(r.domain for r in reports) == Counter(customers(30))
    assert any(r.error and "sent no result for 2 s and was stopped" in r.error for r in reports)


def test_the_scan_deadline_holds_in_each_worker(slow):
    slow.dns.silent.add(dns.name.from_text("c3.test"))
    try:
        job = job_for(slow.config(measures=("mx",), timeout=1.0, deadline=2.0), 10, 2)
        started = time.monotonic()
        reports = [report for report, _ in scan_parallel(customers(20), job, 2)]
    finally:
        slow.dns.silent.clear()
    assert time.monotonic() - started < 8
    stalled = next(r for r in reports if r.domain == "c3.test")
    assert stalled.error and "no answer" in stalled.error
    assert sum(r.error is None for r in reports) == 19


def test_run_batch_with_workers_counts_and_writes_like_one_process(hosting, capsys):
    names = customers(CUSTOMERS)
    output = Output("jsonl", lang="en", verbose=False, many=True)
    tally, interrupted = run_batch(names, hosting.config(measures=DNS_MEASURES), 10, output,
                                   Progress(len(names), enabled=False), keep_rows=True, workers=2)
    assert not interrupted and tally.domains == CUSTOMERS and tally.unscannable == 0
    assert sorted(row["domain"] for row in tally.rows) == sorted(names)
    assert sorted(json.loads(line)["domain"] for line in capsys.readouterr().out.splitlines()) == sorted(names)


def test_workers_are_forked_only_from_a_process_without_threads():
    """A fork copies every thread's locks mid-use: a threaded parent uses the fork server."""
    from mailguard.app.workers import _context

    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert _context().get_start_method() in ("forkserver", "spawn")
    finally:
        release.set()
        thread.join()
    alone = subprocess.run([sys.executable, "-c", "from mailguard.app.workers import _context; "
                            "print(_context().get_start_method())"], capture_output=True, text=True, check=True)
    assert alone.stdout.strip() == "fork"
