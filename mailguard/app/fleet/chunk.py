"""One chunk of a batch: what a Celery worker runs, through the same :func:`scan_many` as a local batch.

Nothing here imports Celery: :func:`run_chunk` takes a list of domains and the batch's settings
as plain data, scans what this run has not recorded yet in one event loop with the worker's
own concurrency bound, writes every report to the database as it finishes (in small batches),
and returns the chunk's compact result. A chunk that runs a second time (its first worker was
killed) scans only what the first did not record, and records nothing twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import logging
import math
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ...core.config import Config, IpNetwork, config_from_dict
from ...core.model import ScanReport
from ...history.store import Store
from ..batch import ScanOne, scan_many
from ..scan import unscannable

if TYPE_CHECKING:
    from ..scan import PromiseScan

log = logging.getLogger(__name__)

# Above the per-domain deadlines: process start-up, database writes, a busy CPU.
CHUNK_MARGIN_SECONDS = 2.0
CHUNK_MARGIN_FRACTION = 0.1


def chunk_deadline(deadline: float, size: int, concurrency: int) -> float:
    """Seconds a chunk of ``size`` domains may take: every domain has ``deadline`` and at most
    ``concurrency`` run at once, so ceil(size / concurrency) rounds of deadlines, plus a margin.
    The broker's visibility timeout must be longer, or a slow chunk is handed out twice."""
    rounds = deadline * math.ceil(max(size, 1) / max(concurrency, 1))
    return rounds * (1 + CHUNK_MARGIN_FRACTION) + CHUNK_MARGIN_SECONDS


class Recorder:
    """Writes finished reports to the store in batches (every ``batch`` reports or ``interval`` s).

    A write blocks the event loop for a few milliseconds per batch; the scans in flight lose
    nothing but that time, and nothing is lost to a crash beyond the last ``interval``.
    """

    def __init__(self, store: Store, run_id: str, *, batch: int = 100, interval: float = 1.0) -> None:
        self.store, self.run_id, self.batch, self.interval = store, run_id, batch, interval
        self.pending: list[ScanReport] = []
        self.last = time.monotonic()

    def add(self, report: ScanReport) -> None:
        self.pending.append(report)
        if len(self.pending) >= self.batch or time.monotonic() - self.last >= self.interval:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.store.record(self.run_id, self.pending)
            self.pending = []
        self.last = time.monotonic()


def within(asked: Sequence[IpNetwork], permitted: Sequence[str]) -> tuple[IpNetwork, ...]:
    """The networks ``asked`` for that lie inside one the worker ``permitted``."""
    mine = [ipaddress.ip_network(p, strict=False) for p in permitted]
    return tuple(n for n in asked if any(n.version == m.version and n.subnet_of(m) for m in mine))  # type: ignore[arg-type]


def run_chunk(run_id: str, domains: Sequence[str], settings: Mapping[str, Any], *, store: Store,
              concurrency: int, visibility_timeout: float | None = None,
              promises: Mapping[str, Any] | None = None,
              allowed_networks: Sequence[str] | None = None) -> list[list[Any]]:
    """Scan the chunk's domains not yet recorded in ``run_id``; returns ``[domain, scan id]`` for each.

    The chunk runs under its own deadline (:func:`chunk_deadline`); a domain still unfinished then
    is recorded as not scannable, so that the chunk always ends before the broker hands it out again.
    ``promises`` (from :func:`promise_settings`) are the check profiles the submitter chose; the
    promises are judged here, exactly as in a local batch. ``allowed_networks``: the worker's own
    opening of the network boundary; the chunk may open no more than that.
    """
    config = config_from_dict(settings)
    if allowed_networks is not None:
        config = dataclasses.replace(config, allowed_networks=within(config.allowed_networks, allowed_networks))
    done = store.recorded(run_id, domains)
    todo = [d for d in domains if d not in done]
    limit = chunk_deadline(config.deadline, len(todo), concurrency)
    if visibility_timeout is not None and limit >= visibility_timeout:
        log.warning("a chunk of %d domains may take %.0f s, longer than the broker's visibility timeout "
                    "(%.0f s): it may be handed to a second worker meanwhile (nothing is recorded twice)",
                    len(todo), limit, visibility_timeout)
    if todo:
        asyncio.run(_scan(run_id, todo, config, store, concurrency, limit, promise_scan(promises or {})))
    ids = store.recorded(run_id, domains)
    return [[d, ids.get(d)] for d in domains]


async def _scan(run_id: str, domains: list[str], config: Config, store: Store, concurrency: int,
                limit: float, scan: ScanOne) -> None:
    recorder = Recorder(store, run_id)
    finished: set[str] = set()
    try:
        async with asyncio.timeout(limit):
            async for report in scan_many(domains, config, concurrency=concurrency, scan=scan):
                finished.add(report.domain)
                recorder.add(report)
    except TimeoutError:
        for name in domains:
            if name not in finished:
                recorder.add(unscannable(name, f"not scanned within the chunk's deadline of {limit:.0f} s"))
    recorder.flush()


def promise_settings(checker: PromiseScan, domains: Sequence[str]) -> dict[str, Any]:
    """What a worker needs to judge a chunk's promises as this machine would: the profile given
    for every domain (--statement, --profile), or each domain's own profile (a config file's
    statement, checks/<domain>.toml) where it has one, as TOML; the rest get the baseline."""
    from ...promises import profiles

    if checker.explicit is not None:
        return {"explicit": profiles.to_toml(checker.explicit)}
    own = {}
    for domain in domains:
        profile = checker.profile(domain)
        if profile != profiles.baseline(domain):
            own[domain] = profiles.to_toml(profile)
    return {"by_domain": own} if own else {}


def promise_scan(settings: Mapping[str, Any]) -> ScanOne:
    """The per-domain scan that judges promises, from :func:`promise_settings`."""
    from ...promises import profiles
    from ..scan import PromiseScan

    explicit = settings.get("explicit")
    return PromiseScan(
        explicit=profiles.from_toml(explicit, "the submitted profile") if explicit else None,
        by_domain={d: profiles.from_toml(text, f"the profile of {d}") for d, text in
                   settings.get("by_domain", {}).items()},
    ).scan
