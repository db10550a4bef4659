"""The submitting side of a fleet scan: split the list into chunks, send them, stream the results.

:func:`submit` records a run and its chunks in the database, then sends each chunk as a Celery
task; :func:`collect` yields the run's reports as chunks finish: first what the database already
holds (a submitter restarted with ``--run``), then each chunk's reports as its task reports
success. A chunk whose task failed yields its unrecorded domains as not scannable, naming the
error. Reports come from the database, the unit of record, as the same :class:`ScanReport`
objects a local batch yields, so output, progress, summary and exit codes are the local ones.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from celery import Celery
from kombu.exceptions import KombuError, OperationalError
from redis import RedisError

from ...core.config import Config, config_to_dict
from ...core.errors import BrokerError, InvalidDomain
from ...core.model import ScanReport
from ...core.names import normalize_domain
from ...history.store import Store
from ...render import json as render_json
from ..scan import unscannable
from .celery_app import QUEUE, TASK

POLL_SECONDS = 0.5


def submit(app: Celery, store: Store, names: Iterable[str], config: Config, *, chunk_size: int, db: str,
           on_start: Callable[[str], None] = lambda run_id: None,
           promises: Callable[[list[str]], dict[str, Any]] | None = None) -> str:
    """Record a run, split ``names`` into chunks and send them; returns the run id.

    ``on_start`` gets the run id before anything is sent, so that an interrupted submission can
    be resumed. Names that are not domain names are recorded at once as not scannable.
    ``promises`` gives a chunk's promise settings (its domains' check profiles) to send along.
    """
    settings = config_to_dict(config)
    run_id = store.start_run("celery", 0, {"config": settings, "chunk_size": chunk_size})
    on_start(run_id)
    seen: set[str] = set()
    chunk: list[str] = []
    invalid: list[ScanReport] = []
    sent = seq = 0
    try:
        for name in names:
            try:
                domain = normalize_domain(name)
            except InvalidDomain as exc:
                invalid.append(unscannable(name, str(exc)))
                continue
            if domain not in seen:
                seen.add(domain)
                chunk.append(domain)
            if len(chunk) >= chunk_size:
                _send(app, store, run_id, seq, chunk, settings, db, promises(chunk) if promises else {})
                seq, sent, chunk = seq + 1, sent + len(chunk), []
        if chunk:
            _send(app, store, run_id, seq, chunk, settings, db, promises(chunk) if promises else {})
            sent += len(chunk)
    finally:
        # Interrupted while sending, the run is what was sent: a resumed submitter waits for that.
        store.record(run_id, invalid)
        store.set_total(run_id, sent + len(invalid))
    return run_id


def _send(app: Celery, store: Store, run_id: str, seq: int, domains: list[str], settings: dict[str, Any],
          db: str, promises: dict[str, Any]) -> None:
    task_id = str(uuid.uuid4())
    # The chunk is in the database before it is on the broker: a restarted submitter knows it.
    store.add_chunks(run_id, [(seq, task_id, domains)])
    try:
        app.send_task(TASK, args=[run_id, seq, domains, settings, db, promises], task_id=task_id, queue=QUEUE,
                      retry=False)
    except (KombuError, OperationalError, RedisError, OSError) as exc:
        raise BrokerError(f"cannot send to the broker: {exc}") from exc


def collect(app: Celery, store: Store, run_id: str, *, stall: float,
            poll: float = POLL_SECONDS) -> Iterator[ScanReport]:
    """Every report of the run, once each, as its chunk finishes (see the module docstring).

    Raises BrokerError when no chunk has finished for ``stall`` seconds (no worker on this broker,
    or a chunk the broker lost): waiting must end, and the run can be resumed with its id.
    """
    emitted: set[int] = set()
    recorded = store.recorded(run_id)
    outstanding: dict[str, list[str]] = {}
    for _seq, task_id, domains in store.chunks(run_id):
        if not all(d in recorded for d in domains):
            outstanding[task_id] = domains
    yield from _emit(store, recorded.values(), emitted)
    progressed = time.monotonic()
    while outstanding:
        finished = False
        for task_id, meta in _ready(app, list(outstanding)):
            domains = outstanding.pop(task_id)
            ids = store.recorded(run_id, domains)
            yield from _emit(store, ids.values(), emitted)
            if meta["status"] != "SUCCESS":
                error = f"the worker failed on this chunk: {_describe(meta.get('result'))}"
                for name in domains:
                    if name not in ids:
                        yield unscannable(name, error)
            finished = True
        if finished:
            progressed = time.monotonic()
        elif outstanding:
            if time.monotonic() - progressed > stall:
                raise BrokerError(f"no chunk of run {run_id} finished in {stall:g} s ({len(outstanding)} "
                                  "outstanding): is a worker running on this broker?")
            time.sleep(poll)
    store.finish_run(run_id)


def _emit(store: Store, ids: Iterable[int], emitted: set[int]) -> Iterator[ScanReport]:
    new = sorted(i for i in ids if i not in emitted)
    for start in range(0, len(new), 200):
        batch = new[start:start + 200]
        for doc in store.documents(batch):
            yield render_json.load(doc)
        emitted.update(batch)


def _ready(app: Celery, task_ids: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(task id, result meta) of the tasks among ``task_ids`` that have finished, one MGET per 1,000."""
    backend = app.backend
    for start in range(0, len(task_ids), 1000):
        batch = task_ids[start:start + 1000]
        try:
            values = backend.mget([backend.get_key_for_task(t) for t in batch])
        except (RedisError, OSError) as exc:
            raise BrokerError(f"lost the result backend: {exc}") from exc
        for task_id, value in zip(batch, values, strict=True):
            if value is None:
                continue
            meta = backend.decode_result(value)
            if meta.get("status") in ("SUCCESS", "FAILURE", "REVOKED"):
                yield task_id, meta


def _describe(result: Any) -> str:
    if isinstance(result, BaseException):
        return f"{type(result).__name__}: {result}"[:300]
    if isinstance(result, dict) and "exc_type" in result:
        return f"{result['exc_type']}: {result.get('exc_message')}"[:300]
    return str(result)[:300]
