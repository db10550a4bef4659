"""Fleet scans with the real parts: redis-server, PostgreSQL (or SQLite), and `mailguard worker`
processes scanning lab domains; one worker killed mid-chunk, the submitter stopped and resumed."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailguard.cli import main
from mailguard.history.store import open_store
from mailguard.lab import Lab, load_zone_text
from tests.services import free_port

WAIT = 60.0  # seconds: generous for a loaded two-core machine; every wait asserts it ended in time
VISIBILITY_TIMEOUT = 10  # above a chunk's deadline here: chunk_deadline(5, 4, 4) = 7.5 s


def customer(i: int) -> str:
    return f"""$TTL 300
@ IN SOA ns.n{i}.test. h.n{i}.test. 1 2 3 4 5
@ IN NS ns.n{i}.test.
ns IN A 127.0.0.1
@ IN MX 10 mx.n{i}.test.
mx IN A 127.0.0.25
"""


@pytest.fixture(scope="module")
def slow_lab() -> Iterator[Lab]:
    """24 customer domains answering after 0.3 s, so that a chunk of four takes about a second."""
    zones = [load_zone_text(f"n{i}.test", customer(i)) for i in range(24)]
    with Lab(extra_zones=zones, dns_delay=0.3) as lab:
        yield lab


class Proc:
    """A subprocess whose stderr is read line by line in a thread (so its pipe never fills)."""

    def __init__(self, args: list[str], stdout: Path | None = None) -> None:
        with open(stdout or os.devnull, "w") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "mailguard", *args], stdout=out,
                                         stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        with self.proc.stderr:
            for line in self.proc.stderr:
                self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = WAIT) -> re.Match[str]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                assert self.proc.poll() is None or not self.lines.empty(), f"exited: {''.join(self.seen)}"
                continue
            self.seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        raise AssertionError(f"no {pattern!r} within {timeout} s: {''.join(self.seen)[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # Celery's warm shutdown
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self.reader.join(timeout=15)
        self.drain()

    def drain(self) -> str:
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "".join(self.seen)


def start_workers(broker: str, count: int) -> list[Proc]:
    workers = [Proc(["worker", "--broker", broker, "--allow-network", "127.0.0.0/8",
                     "--concurrency", "4", "--name", f"w{n}-{os.getpid()}@test",
                     "--visibility-timeout", str(VISIBILITY_TIMEOUT)]) for n in range(count)]
    for w in workers:
        w.wait_for(r" ready\.")
    return workers


def scan_args(lab: Lab, broker: str, db: str) -> list[str]:
    return ["scan", "--engine", "celery", "--broker", broker, "--db", db, "--chunk-size", "4",
            "--nameserver", lab.dns.address if lab.dns else "", "--allow-network", "127.0.0.0/8",
            "--measure", "mx", "--timeout", "2", "--deadline", "5", "--format", "jsonl"]


def domains_file(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "all.txt"
    path.write_text("# customers\n" + "".join(f"n{i}.test\n" for i in range(count)))
    return path


def test_a_killed_worker_and_a_stopped_submitter_lose_nothing(slow_lab, redis_server, postgres_server, tmp_path):
    db = postgres_server.new_database()
    workers = start_workers(redis_server.url, 2)
    try:
        args = [*scan_args(slow_lab, redis_server.url, db), "--domains-file", str(domains_file(tmp_path, 24))]
        submitter = Proc(args, stdout=tmp_path / "first.jsonl")
        run_id = submitter.wait_for(r"run (\S+); if stopped, collect it with --run").group(1)
        victim, survivor = workers
        seq = victim.wait_for(rf"run {re.escape(run_id)} chunk (\d+)").group(1)
        victim.proc.kill()  # SIGKILL in the middle of its chunk: it never acknowledges it
        victim.proc.wait(timeout=WAIT)
        submitter.proc.send_signal(signal.SIGINT)
        assert submitter.proc.wait(timeout=WAIT) == 130, submitter.drain()
        submitter.reader.join(timeout=WAIT)
        submitter.wait_for(f"collect the rest with --run {run_id}")
        first = (tmp_path / "first.jsonl").read_text()

        resumed = subprocess.run([sys.executable, "-m", "mailguard", *scan_args(slow_lab, redis_server.url, db),
                                  "--run", run_id], capture_output=True, text=True, timeout=WAIT * 2)
        assert resumed.returncode == 0, resumed.stderr
        domains = [json.loads(line)["domain"] for line in resumed.stdout.splitlines()]
        assert sorted(domains) == sorted(f"n{i}.test" for i in range(24))  # each exactly once
        assert all(json.loads(line)["measures"][0]["status"] == "pass" for line in resumed.stdout.splitlines())
        assert "24 domain(s), 0 not scannable" in resumed.stderr
        assert {json.loads(line)["domain"] for line in first.splitlines()} <= set(domains)
        # The chunk the killed worker held ran again on the other worker.
        survivor.wait_for(rf"run {re.escape(run_id)} chunk {seq}:", timeout=1)
    finally:
        for w in workers:
            w.stop()
    store = open_store(db)
    try:
        assert len(store.recorded(run_id)) == 24
        run = store.run(run_id)
        assert run is not None and run.total == 24 and run.finished is not None
    finally:
        store.close()
    summary = json.loads(CliRunner().invoke(main, ["fleet", run_id, "--db", db, "--format", "json"]).stdout)
    assert (summary["scanned"], summary["missing"], summary["not_scannable"]) == (24, 0, [])


def test_fleet_scan_on_sqlite_streams_like_a_local_batch(slow_lab, redis_server, tmp_path):
    db = str(tmp_path / "reports" / "mailguard.db")
    workers = start_workers(redis_server.url, 1)
    try:
        path = domains_file(tmp_path, 6)
        with path.open("a") as handle:
            handle.write("not..valid\n")
        fleet = subprocess.run([sys.executable, "-m", "mailguard", *scan_args(slow_lab, redis_server.url, db),
                                "--domains-file", str(path), "--summary", "csv"],
                               capture_output=True, text=True, timeout=WAIT)
    finally:
        for w in workers:
            w.stop()
    docs = [json.loads(line) for line in fleet.stdout.splitlines()]
    assert sorted(d["domain"] for d in docs) == sorted([f"n{i}.test" for i in range(6)] + ["not..valid"])
    assert next(d for d in docs if d["domain"] == "not..valid")["error"].startswith("invalid domain")
    assert "domain,error,mx" in fleet.stderr
    assert fleet.returncode == 1  # one name could not be scanned, exactly as a local batch says
    history = json.loads(CliRunner().invoke(main, ["history", "n1.test", "--db", db, "--format", "json"]).stdout)
    assert len(history["scans"]) == 1 and history["scans"][0]["statuses"] == {"mx": "pass"}


def test_no_worker_on_the_broker_ends_in_the_stall_timeout_and_the_run_resumes(slow_lab, redis_server, tmp_path):
    db = str(tmp_path / "mailguard.db")
    args = [sys.executable, "-m", "mailguard", *scan_args(slow_lab, redis_server.url, db)]
    started = time.monotonic()
    waited = subprocess.run([*args, "--domains-file", str(domains_file(tmp_path, 3)), "--stall-timeout", "2"],
                            capture_output=True, text=True, timeout=WAIT)
    assert time.monotonic() - started < 20  # 2 s without a finished chunk, plus start-up
    assert waited.returncode == 3 and waited.stdout == ""
    run_id = re.search(r"run (\S+); if stopped", waited.stderr).group(1)
    assert (f"no chunk of run {run_id} finished in 2 s (1 outstanding): is a worker running on this broker?"
            f"; collect the rest with --run {run_id}") in waited.stderr
    workers = start_workers(redis_server.url, 1)  # the chunk waited on the broker for a worker
    try:
        resumed = subprocess.run([*args, "--run", run_id], capture_output=True, text=True, timeout=WAIT)
    finally:
        for w in workers:
            w.stop()
    assert sorted(json.loads(line)["domain"] for line in resumed.stdout.splitlines()) == ["n0.test", "n1.test",
                                                                                          "n2.test"]


def test_a_broker_that_is_down_is_one_line_and_exit_3_quickly(tmp_path):
    broker = f"redis://127.0.0.1:{free_port()}/0"
    for args in (["scan", "a.test", "b.test", "--engine", "celery", "--broker", broker, "--db", str(tmp_path / "x.db")],
                 ["worker", "--broker", broker]):
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "mailguard", *args], capture_output=True, text=True,
                                timeout=WAIT)
        assert time.monotonic() - started < 20  # the connect timeout is 3 s; the rest is start-up
        assert result.returncode == 3
        assert result.stderr.strip().splitlines() == [
            f"mailguard: cannot reach the broker at {broker}: Error 111 connecting to 127.0.0.1:"
            f"{broker.split(':')[2].split('/')[0]}. Connection refused."]


def test_fleet_usage_errors():
    runner = CliRunner()
    assert runner.invoke(main, ["scan", "a.test", "--engine", "celery"], env={"MAILGUARD_BROKER": ""}).exit_code == 2
    assert runner.invoke(main, ["scan", "a.test", "--run", "x"]).exit_code == 2
    result = runner.invoke(main, ["scan", "a.test", "--engine", "celery", "--broker", "amqp://h//"])
    assert result.exit_code == 2 and "give a Redis URL" in result.stderr


def test_the_fleet_keys_in_mailguard_toml(tmp_path):
    config = tmp_path / "mailguard.toml"
    config.write_text('domains = ["a.test", "b.test"]\nengine = "celery"\nchunk_size = 50\ndb = "results.db"\n')
    runner = CliRunner()
    result = runner.invoke(main, ["scan", "--config", str(config)], env={"MAILGUARD_BROKER": ""})
    assert result.exit_code == 2 and "needs --broker" in result.stderr
    broker = f"redis://127.0.0.1:{free_port()}/0"
    config.write_text(config.read_text() + f'broker = "{broker}"\n')
    result = runner.invoke(main, ["scan", "--config", str(config)], env={"MAILGUARD_BROKER": ""})
    assert result.exit_code == 3 and f"cannot reach the broker at {broker}" in result.stderr
    config.write_text('engine = "cluster"\n')
    result = runner.invoke(main, ["scan", "--config", str(config), "a.test"])
    assert result.exit_code == 2 and "'engine'" in result.stderr
