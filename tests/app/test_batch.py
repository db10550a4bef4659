"""Many domains: bounded concurrency, one shared cache, streaming output, stalls, Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from mailguard.app.batch import read_domains, scan_many
from mailguard.app.scan import scan_domain
from mailguard.cli import main
from mailguard.core.config import LOOPBACK_ONLY, Config
from mailguard.lab import Lab, LabDns, load_zone_text
from mailguard.net import Net

SHARED = """$TTL 300
@ IN SOA ns.fleet.test. h.fleet.test. 1 2 3 4 5
@ IN NS ns.fleet.test.
ns IN A 127.0.0.1
mx IN A 127.0.0.40
"""


def customer_zone(i: int) -> str:
    return f"""$TTL 300
@ IN SOA ns.c{i}.test. h.c{i}.test. 1 2 3 4 5
@ IN NS ns.c{i}.test.
ns IN A 127.0.0.1
@ IN MX 10 mx.fleet.test.
"""


class CountingDns(LabDns):
    """Counts questions and the most answers it ever owed at once (= domains in flight)."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.asked: dict[str, int] = {}

    def handle(self, query, transport):
        name = query.question[0].name.to_text()
        self.asked[name] = self.asked.get(name, 0) + 1
        return super().handle(query, transport)


@pytest.fixture(scope="module")
def fleet():
    zones = [load_zone_text("fleet.test", SHARED)] + [load_zone_text(f"c{i}.test", customer_zone(i))
                                                      for i in range(30)]
    with Lab(extra_zones=zones) as lab:
        yield lab


def collect(domains, config, concurrency):
    async def go():
        return [r async for r in scan_many(domains, config, concurrency=concurrency)]

    return asyncio.run(go())


def test_every_domain_reported_once(fleet):
    names = [f"c{i}.test" for i in range(30)]
    reports = collect(names, fleet.config(measures=("mx",)), concurrency=7)
    assert sorted(r.domain for r in reports) == sorted(names)
    assert all(r.error is None and r.measures[0].status.value == "pass" for r in reports)


def test_shared_host_is_asked_once_per_run():
    zones = [load_zone_text("fleet.test", SHARED)] + [load_zone_text(f"c{i}.test", customer_zone(i))
                                                      for i in range(10)]
    with CountingDns(zones) as server:
        config = Config(nameservers=((server.host, server.port),), allowed_networks=LOOPBACK_ONLY,
                        timeout=2, measures=("mx",))
        collect([f"c{i}.test" for i in range(10)], config, concurrency=10)
    assert server.asked["mx.fleet.test."] == 2  # A and AAAA, once each for ten domains


def test_concurrency_is_bounded(fleet):
    in_flight = peak = 0

    async def counting(name, config, net):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await scan_domain(name, config, net=net)
        finally:
            in_flight -= 1

    async def go():
        names = [f"c{i}.test" for i in range(30)]
        config = fleet.config(measures=("mx",))
        return [r async for r in scan_many(names, config, concurrency=4, scan=counting)]

    assert len(asyncio.run(go())) == 30
    assert 1 < peak <= 4


def test_a_stalling_domain_costs_only_its_own_deadline(fleet):
    fleet.dns.silent.add(__import__("dns.name").name.from_text("c0.test"))
    try:
        started = time.monotonic()
        reports = collect([f"c{i}.test" for i in range(20)],
                          fleet.config(measures=("mx",), timeout=1.0, deadline=2.0), concurrency=5)
        elapsed = time.monotonic() - started
    finally:
        fleet.dns.silent.clear()
    stalled = next(r for r in reports if r.domain == "c0.test")
    assert stalled.error and "no answer" in stalled.error
    assert sum(r.error is None for r in reports) == 19
    assert elapsed < 4  # the stall overlaps the other domains instead of adding to them


def test_read_domains_skips_comments_blanks_and_repeats(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("# customers\nexample.nl\n\nexample.nl  # again\nExample.NL\nother.nl # x\n")
    assert list(read_domains(path)) == ["example.nl", "other.nl"]


def test_jsonl_streams_one_document_per_domain_and_csv_summary(fleet, tmp_path):
    path = tmp_path / "domains.txt"
    path.write_text("".join(f"c{i}.test\n" for i in range(5)) + "not..valid\n")
    result = CliRunner().invoke(main, ["scan", "--domains-file", str(path), "--nameserver",
                                       fleet.dns.address, "--format", "jsonl", "--summary", "csv",
                                       "--measure", "mx"])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(d["domain"] for d in lines) == sorted([f"c{i}.test" for i in range(5)] + ["not..valid"])
    assert next(d for d in lines if d["domain"] == "not..valid")["error"].startswith("invalid domain")
    assert "domain,error,mx" in result.stderr
    assert result.exit_code == 1  # one domain could not be scanned


def test_batch_of_unscannable_domains_exits_3(tmp_path):
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = CliRunner().invoke(main, ["scan", "a.example", "b.example", "--nameserver",
                                       f"127.0.0.1:{port}", "--timeout", "1", "-q"])
    assert result.exit_code == 3


def test_ctrl_c_keeps_finished_results():
    zones = [load_zone_text(f"c{i}.test", customer_zone(i)) for i in range(40)]
    with Lab(extra_zones=zones, dns_delay=0.15) as lab:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailguard", "scan", *[f"c{i}.test" for i in range(40)],
             "--nameserver", lab.dns.address, "--format", "jsonl", "--concurrency", "1",
             "--measure", "mx"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        first = proc.stdout.readline()
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=20)
    lines = [first, *rest.splitlines()]
    assert proc.returncode == 130, err
    assert "finished result(s) kept" in err
    assert all(json.loads(line)["domain"].endswith(".test") for line in lines if line.strip())
    assert 1 <= len([line for line in lines if line.strip()]) < 40


def test_a_cancelled_scan_leaves_no_measure_running_on_the_shared_client(fleet):
    """A batch cancels a domain at its deadline or on Ctrl-C; its measures must not live on."""
    config = fleet.config(measures=("mx", "spf", "dkim", "dnssec"))
    fleet.dns.silent.add(__import__("dns.name").name.from_text("c1.test"))

    async def go():
        net = Net(config)
        try:
            scan = asyncio.ensure_future(scan_domain("c1.test", config, net=net))
            await asyncio.sleep(0.05)  # the measures have started and wait for answers
            scan.cancel()
            with pytest.raises(asyncio.CancelledError):
                await scan
            for _ in range(5):
                await asyncio.sleep(0)
            # (asked now: asyncio.run cancels whatever is left when it returns)
            return {t.get_coro().__qualname__ for t in asyncio.all_tasks() if t is not asyncio.current_task()}
        finally:
            await net.aclose()

    try:
        left = asyncio.run(go())
    finally:
        fleet.dns.silent.clear()
    # Only questions stay in flight: other domains of the batch may be waiting for the same answer.
    assert left <= {"DnsClient._ask"}


def test_measures_are_reported_in_registry_order_whatever_their_start(fleet):
    report = asyncio.run(scan_domain("c2.test", fleet.config(measures=("dnssec", "dkim", "mx", "spf"))))
    assert [m.name for m in report.measures] == ["mx", "spf", "dkim", "dnssec"]


def test_report_files_are_written_off_the_event_loop_each_once(lab, capsys):
    """With report files to write (a PDF takes long to render), a writer thread writes them while
    the loop keeps serving the scans in flight; every report is written exactly once."""
    import threading

    from mailguard.app.output import Output, Progress
    from mailguard.app.run import WRITER_THREAD, run_batch

    names = ["good.test", "weak.test", "broken.test", "nomail.test", "parked.test"]
    threads: dict[str, str] = {}

    def writer(report):  # stands in for the ReportWriter: records where it ran
        threads[report.domain] = threading.current_thread().name

    output = Output("jsonl", lang="en", verbose=False, many=True, writer=writer)
    config = lab.config(measures=("mx", "spf", "dmarc"))
    tally, interrupted = run_batch(names, config, 3, output, Progress(len(names), enabled=False))
    assert not interrupted and tally.domains == len(names)
    assert sorted(threads) == sorted(names)
    assert set(threads.values()) == {f"{WRITER_THREAD}_0"}
    lines = capsys.readouterr().out.splitlines()
    assert sorted(json.loads(line)["domain"] for line in lines) == sorted(names)


# Runs in a process of its own: the lab's servers, in the test's process, make cycles of their own.
CYCLE_CHILD = """
import asyncio, gc, json, sys
from pathlib import Path
from mailguard.app.batch import scan_many
from mailguard.core.config import config_from_dict

config = config_from_dict(json.loads(Path(sys.argv[1]).read_text()))

async def go():
    return [r async for r in scan_many(sys.argv[2:], config, concurrency=3)]

gc.collect()
gc.set_debug(gc.DEBUG_SAVEALL)  # whatever the collector finds, while scanning or below, stays in gc.garbage
reports = asyncio.run(go())
gc.collect()
ours = ("mailguard", "httpx", "httpcore", "h11", "ssl", "_ssl")
held = sorted({f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage
               if type(o).__module__.split(".")[0] in ours or isinstance(o, BaseException)
               or type(o).__name__ in ("frame", "traceback", "coroutine")})
print(json.dumps({"domains": sorted(r.domain for r in reports if r.error is None),
                  "tls_refused": sum(e.kind == "tls" and e.data.get("status") == "failed"
                                     for r in reports for m in r.measures for e in m.evidence),
                  "held": held}))
"""


def test_a_scan_leaves_no_reference_cycles_for_the_collector(lab, tmp_path):
    """A batch's memory stays flat only if what a finished scan held is freed when it finishes, by
    reference counting, not by a cycle collector that a batch runs rarely. Scan domains that walk
    SPF includes, have TLS versions refused and answer HTTPS, with the collector off, and look at
    what only the collector could free. CPython 3.11's own socket transports (each keeps a bound
    method of itself) are the one cycle left, and they hold nothing of ours."""
    from mailguard.core.config import config_to_dict

    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config_to_dict(lab.config())))
    names = ["good.test", "ixstudios.example", "c1.chain.spf.test"]
    child = subprocess.run([sys.executable, "-c", CYCLE_CHILD, str(config_file), *names],
                           capture_output=True, text=True, timeout=120, check=True)
    found = json.loads(child.stdout)
    assert found["domains"] == sorted(names)
    assert found["tls_refused"] > 0  # the path that used to leave a traceback cycle did run
    assert found["held"] == []
