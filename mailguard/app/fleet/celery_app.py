"""Fleet scans on an existing engine: Celery workers fed through a Redis broker.

The task is thin: it hands its chunk to :func:`mailguard.app.fleet.chunk.run_chunk`, the same
``scan_many`` a local batch runs, and returns the chunk's compact result (each domain's scan id
in the database) through the Redis result backend. The database holds the reports; the result
backend only tells the submitter which chunk finished, which keeps Redis small (a report's JSON
is tens of kilobytes, its id a few bytes) and lets a restarted submitter find everything in the
database.

Faults:

* Late acknowledgement (``task_acks_late``) with one message reserved per worker: a chunk is
  acknowledged when it is done, so a worker that dies mid-chunk leaves it unacknowledged, and
  Redis hands it to another worker once the visibility timeout has passed (the workers sweep
  for such messages every few seconds). ``task_reject_on_worker_lost`` does the same when a
  pool process dies under a live worker.
* The visibility timeout must be longer than a chunk's deadline (``chunk.chunk_deadline``), or
  a slow chunk is handed out twice; the chunk enforces its deadline itself.
* A chunk that ran twice records each domain once: (run, domain) is unique in the database and
  the second run scans only what the first did not record.
* A broker that is down: a short connect timeout and no retries in the submitter and at a
  worker's start (a running worker does reconnect, as Celery workers do).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping, Sequence
from typing import Any

import redis
from celery import Celery, Task

from ...core.errors import BrokerError, InputError
from ...history.store import Store, open_store
from .chunk import run_chunk

TASK = "mailguard.scan_chunk"
QUEUE = "mailguard"
CONNECT_TIMEOUT = 3.0  # seconds: a broker that does not answer by then is down
DEFAULT_VISIBILITY_TIMEOUT = 3600
RESULT_EXPIRES = 7 * 24 * 3600  # a submitter may be restarted with --run within a week

log = logging.getLogger(__name__)


def check_broker_url(url: str) -> None:
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise InputError(f"unsupported broker {url!r}: give a Redis URL, redis://HOST:6379/0")


def ping_broker(url: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Raise :class:`BrokerError` unless the Redis at ``url`` answers within ``timeout`` seconds."""
    check_broker_url(url)
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        raise BrokerError(f"cannot reach the broker at {url}: {exc}") from exc
    finally:
        client.close()


def make_app(broker: str, *, visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT, concurrency: int = 100,
             db: str | None = None, allowed_networks: Sequence[str] = ()) -> Celery:
    """A Celery app on ``broker`` (also the result backend), with mailguard's task registered.

    ``concurrency`` and ``db`` are the worker's: domains in flight in its event loop, and the
    database it writes to (None: the one the submitter named in the task); ``allowed_networks``: the
    non-public networks this worker may contact (a submitted chunk opens at most these).
    """
    check_broker_url(broker)
    app = Celery("mailguard", broker=broker, backend=broker, set_as_current=False)
    # Sweep for unacknowledged chunks of dead workers often enough to notice a short timeout.
    sweep = int(max(1, min(10, visibility_timeout / 10)))
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"],
        task_default_queue=QUEUE, task_acks_late=True, task_reject_on_worker_lost=True,
        task_track_started=False, worker_prefetch_multiplier=1, worker_pool="solo", worker_concurrency=1,
        worker_hijack_root_logger=False, worker_redirect_stdouts=False,
        broker_connection_timeout=CONNECT_TIMEOUT, broker_connection_retry_on_startup=False,
        broker_transport_options={
            "visibility_timeout": visibility_timeout, "socket_connect_timeout": CONNECT_TIMEOUT,
            "socket_timeout": 30, "unacked_restore_interval": sweep, "unacked_restore_throttle": 1,
        },
        redis_socket_connect_timeout=CONNECT_TIMEOUT, redis_socket_timeout=30, redis_retry_on_timeout=False,
        result_expires=RESULT_EXPIRES, result_backend_always_retry=False,
        mailguard_concurrency=concurrency, mailguard_db=db, mailguard_visibility_timeout=visibility_timeout,
        mailguard_allowed_networks=list(allowed_networks),
    )
    app.task(name=TASK, bind=True, acks_late=True, reject_on_worker_lost=True)(_scan_chunk)
    return app


_stores: dict[str, Store] = {}


def _store(url: str) -> Store:
    """One open store per database per worker process."""
    if url not in _stores:
        _stores[url] = open_store(url)
    return _stores[url]


def _scan_chunk(task: Task, run_id: str, seq: int, domains: Sequence[str], settings: Mapping[str, Any],
                db: str, promises: Mapping[str, Any] | None = None) -> dict[str, Any]:
    conf = task.app.conf
    store = _store(conf.mailguard_db or db)
    log.info("run %s chunk %d: %d domains", run_id, seq, len(domains))
    scans = run_chunk(run_id, domains, settings, store=store, concurrency=int(conf.mailguard_concurrency),
                      visibility_timeout=float(conf.mailguard_visibility_timeout), promises=promises,
                      allowed_networks=tuple(conf.mailguard_allowed_networks or ()))
    return {"run": run_id, "chunk": seq, "scans": scans}


def run_worker(broker: str, *, concurrency: int, db: str | None, visibility_timeout: float,
               name: str | None = None, loglevel: str = "INFO", allowed_networks: Sequence[str] = ()) -> int:
    """Start a worker in this process (solo pool: one chunk at a time); returns its exit code."""
    ping_broker(broker)
    if db is not None:
        _store(db)  # fail now, not at the first chunk, when the database cannot be used
    app = make_app(broker, visibility_timeout=visibility_timeout, concurrency=concurrency, db=db,
                   allowed_networks=allowed_networks)
    hostname = name or f"mailguard-{os.getpid()}@{socket.gethostname()}"
    worker = app.Worker(hostname=hostname, queues=[QUEUE], loglevel=loglevel, without_gossip=True,
                        without_mingle=True, without_heartbeat=True)
    worker.start()
    return int(worker.exitcode or 0)
