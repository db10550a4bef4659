"""Scan many domains concurrently, with a bound, sharing one DNS cache; yield results as they finish.

Memory stays flat however long the list: domains are read lazily, at most ``concurrency`` scans
are in flight, a finished report is handed to the caller and dropped, and the shared DNS cache
is bounded (see ``DnsClient``). A domain that stalls costs only its own deadline: every scan
runs under ``config.deadline``.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..core.config import Config
from ..core.errors import InvalidDomain
from ..core.files import lines_capped
from ..core.model import ScanReport, Verdict
from ..net import Net
from .scan import scan_domain, unscannable


def read_domains(path: Path) -> Iterator[str]:
    """Domains from a file, one a line; ``#`` starts a comment; blank lines and repeats skipped."""
    seen: set[str] = set()
    for line in lines_capped(path, what="domains file"):
        name = line.split("#", 1)[0].strip()
        if name and name.lower() not in seen:
            seen.add(name.lower())
            yield name


ScanOne = Callable[[str, Config, Net], Awaitable[ScanReport]]


async def scan_many(domains: Iterable[str], config: Config, *, concurrency: int = 100,
                    net: Net | None = None, scan: ScanOne | None = None) -> AsyncIterator[ScanReport]:
    """Yield one report per domain, in the order they finish, at most ``concurrency`` at a time.

    ``scan`` scans one domain (default: the full scan, with invalid names reported as unscannable).
    """
    one = scan or scan_one
    own = net is None
    shared = net if net is not None else Net(config)
    pending: set[asyncio.Task[ScanReport]] = set()
    source = iter(domains)
    with sparse_collection():
        try:
            async for report in _scan_bounded(source, config, concurrency, shared, one, pending):
                yield report
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
            if own:
                await shared.aclose()


async def _scan_bounded(source: Iterator[str], config: Config, concurrency: int, shared: Net, one: ScanOne,
                        pending: set[asyncio.Task[ScanReport]]) -> AsyncIterator[ScanReport]:
    while True:
        for name in source:
            pending.add(asyncio.ensure_future(one(name, config, shared)))
            if len(pending) >= concurrency:
                break
        if not pending:
            return
        done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        pending -= done
        for task in done:
            yield task.result()


# The cyclic garbage collector's pace while scanning. A finished scan is freed by reference
# counting: mailguard makes no reference cycles (tests/app/test_batch.py checks it), and what is
# left for the collector is CPython 3.11's own: every closed socket transport keeps a bound method
# of itself (a few hundred bytes). The collector's youngest generation counts
# allocations minus deallocations, and a collection walks every object made since the last one,
# which in a batch is the state of all the domains in flight (~100,000 objects, 40-80 ms); at
# CPython's default pace (700, 10, 10), and still at (5,000, 50, 1,000), that cost a tenth of a
# batch's CPU for no garbage. Measured (benchmarks/full_memory.py's lab, 1,500 full scans in one
# process): (5,000, 50, 1,000) 5.4 s in the collector, 175 MiB; (50,000, 20, 100) 2.8 s, 176 MiB;
# for 4,000 domains of the DNS measures the collector then does not run at all.
SCAN_GC_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def sparse_collection() -> Iterator[None]:
    """Collect cycles at :data:`SCAN_GC_THRESHOLDS` while scanning; the previous pace after."""
    before = gc.get_threshold()
    gc.set_threshold(*SCAN_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


async def scan_one(name: str, config: Config, net: Net) -> ScanReport:
    """The full scan of one listed name; a name that is not a domain is reported as unscannable."""
    try:
        return await scan_domain(name, config, net=net)
    except InvalidDomain as exc:
        return unscannable(name, str(exc))


@dataclass
class BatchTally:
    """Running counts for the progress line and the summary; small whatever the batch size."""

    started: float = field(default_factory=time.monotonic)
    domains: int = 0
    unscannable: int = 0
    failing: int = 0
    statuses: dict[str, Counter[str]] = field(default_factory=dict)
    rows: list[dict[str, str]] = field(default_factory=list)
    keep_rows: bool = False

    def add(self, report: ScanReport, *, failing: bool = False) -> None:
        self.domains += 1
        self.failing += failing
        if report.error:
            self.unscannable += 1
        row = {"domain": report.domain, "error": report.error or ""}
        for measure in report.measures:
            self.statuses.setdefault(measure.name, Counter())[measure.status.value] += 1
            row[measure.name] = measure.status.value
        if self.keep_rows:
            self.rows.append(row)

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.domains / elapsed if elapsed > 0 else 0.0

    def table(self) -> list[list[object]]:
        order = [Verdict.PASS, Verdict.INFO, Verdict.WARN, Verdict.FAIL, Verdict.NOT_TESTED]
        return [[name, *(counts[v.value] for v in order)] for name, counts in self.statuses.items()]

    @staticmethod
    def headers() -> list[str]:
        return ["measure", "pass", "info", "warn", "fail", "not tested"]
