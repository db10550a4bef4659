"""A local batch on several cores (``--workers N``): N processes, each running :func:`scan_many`
on its own event loop, fed from one list by this process, which writes everything.

How the work moves:

* This process (the parent) is the only one that reads the domain list or writes anything. It
  hands out domains in small chunks, one chunk ahead, when a worker asks for more: the list is
  read as the scan goes (memory stays flat for 100,000 lines), and a worker whose domains are
  slow simply asks less often, so no core idles while the other still has a backlog.
* A worker sends each report the moment it finishes, pickled, with its JSON document already
  rendered when stdout carries JSON: rendering a report costs ten times what unpickling it does
  (``docs/scaling.md``), and done in the workers it runs on every core. The parent then writes,
  records and counts each report exactly as a single-process batch does.
* Each worker runs with ``--concurrency`` divided between the workers, and the per-host
  connection bound divided too (at least one each): the run as a whole keeps the load it puts on
  resolvers and mail servers. Each has its own caches: a shared provider record is fetched once
  per worker instead of once per run.

A worker that dies (killed, out of memory, a bug) is seen at once: its pipe closes. The domains
it had taken and not reported come out as could-not-scan reports naming why, and the other
workers carry on with the rest of the list. A worker that sends nothing for ``stall`` seconds
while it holds domains (every scan ends within its deadline, so it is wedged) is killed and
treated the same way. Only when every worker has stopped with domains left does the run fail,
with :class:`~mailguard.core.errors.WorkerError` (exit code 3).

Workers are forked from this process when it runs no other thread (it has imported all a worker
needs, so they start at once); otherwise with the "forkserver" method (a clean process that
imports mailguard once and is forked for each worker: never a fork of a threaded process), or
"spawn" where there is neither. They ignore SIGINT: Ctrl-C is the parent's, which stops them and keeps what is done.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess

from ..core.config import Config
from ..core.errors import WorkerError
from ..core.model import ScanReport
from ..net import Net
from ..render import json as render_json
from .batch import ScanOne, scan_many, scan_one
from .scan import unscannable

MIN_SHARE = 50        # an automatic worker count starts no worker for fewer domains than this
MAX_CHUNK = 32        # domains handed out at a time; a worker asks for the next while it scans these
STOP_GRACE = 2.0      # seconds a worker gets to end after SIGTERM before SIGKILL
TICK = 1.0            # seconds between looks for a stalled worker
MORE = "more"         # a worker's request for its next chunk

Finished = tuple[ScanReport, str | None]  # a report, and its stdout document if a worker rendered it


def cores() -> int:
    """The cores this process may run on (the default number of workers)."""
    counted = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counted is not None:
        return max(1, int(counted() or 1))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def worker_count(requested: int | None, total: int) -> int:
    """How many processes scan ``total`` domains: ``requested`` (never more than the domains), or
    when not given, one per core but none for fewer than :data:`MIN_SHARE` domains, whose
    start-up (about half a second) would cost more than the core gains."""
    if requested is not None:
        return max(1, min(requested, total))
    return max(1, min(cores(), total // MIN_SHARE))


@dataclass(frozen=True)
class WorkerJob:
    """What every worker is given (pickled once, when it starts).

    config: the run's settings, the network boundary included, with the per-host bound divided.
    concurrency: domains in flight in each worker.
    scan: the per-domain scan (the promise checker's); None: the plain scan.
    render: "json" or "jsonl" when stdout carries JSON: the worker renders each document.
    stall: seconds a worker holding domains may send nothing before it is taken for wedged.
    """

    config: Config
    concurrency: int
    scan: ScanOne | None = None
    render: str | None = None
    chunk: int = MAX_CHUNK
    stall: float = 150.0


def job_for(config: Config, concurrency: int, workers: int, *, scan: ScanOne | None = None,
            render: str | None = None) -> WorkerJob:
    """The job of each of ``workers`` processes sharing the run's bounds."""
    each = max(1, math.ceil(concurrency / workers))
    per_host = max(1, config.max_concurrency_per_host // workers)
    return WorkerJob(config=replace(config, max_concurrency_per_host=per_host), concurrency=each,
                     scan=scan, render=render if render in ("json", "jsonl") else None,
                     chunk=max(1, min(MAX_CHUNK, each // 4)), stall=2 * config.deadline + 30.0)


# --- the parent ----------------------------------------------------------------------------------


@dataclass(eq=False)
class _Worker:
    number: int
    process: BaseProcess
    conn: Connection
    taken: Counter[str] = field(default_factory=Counter)  # handed out, not yet reported
    heard: float = field(default_factory=time.monotonic)
    why: str | None = None  # set when the parent stopped it


class _Dispatch:
    """The domain list, read a chunk at a time as workers ask."""

    def __init__(self, source: Iterable[str], size: int) -> None:
        self.names, self.size = iter(source), size

    def chunk(self) -> list[str]:
        out: list[str] = []
        for name in self.names:
            out.append(name)
            if len(out) >= self.size:
                break
        return out

    def left(self) -> bool:
        return next(self.names, None) is not None


def scan_parallel(source: Iterable[str], job: WorkerJob, workers: int, *,
                  notice: Callable[[str], None] = lambda line: None) -> Generator[Finished, None, None]:
    """Scan ``source`` in ``workers`` processes; yield each report as it finishes (with its stdout
    document when the job renders one). ``notice`` gets one line for each worker that stopped."""
    dispatch = _Dispatch(source, job.chunk)
    context = _context()
    crew: dict[int, _Worker] = {}  # by id() of the worker's connection
    stopped: list[str] = []
    yielded = 0
    try:
        for number in range(1, workers + 1):
            worker = _start(context, job, number)
            crew[id(worker.conn)] = worker
        while crew:
            for ready in wait([w.conn for w in crew.values()], timeout=TICK):
                worker = crew[id(ready)]
                try:
                    for finished in _serve(worker, dispatch):
                        yielded += 1
                        yield finished
                except (EOFError, OSError):  # its end of the pipe closed: it has stopped
                    del crew[id(ready)]
                    for finished in _bury(worker, notice, stopped):
                        yielded += 1
                        yield finished
            _stop_stalled(crew.values(), job.stall)
        if dispatch.left():
            raise WorkerError(f"every scanning worker stopped before the list was done ({stopped[-1]}); "
                              f"{yielded} finished result(s) kept")
    finally:
        _stop(crew.values())


def _context() -> BaseContext:
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        # This process has imported everything a worker runs and has started no thread (fork
        # would copy a thread's locks mid-use, never the thread): a fork starts a worker at once,
        # where the fork server first imports mailguard again (half a second on this machine).
        return multiprocessing.get_context("fork")
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])  # the server imports mailguard once for all workers
        return context
    return multiprocessing.get_context("spawn")


def _start(context: BaseContext, job: WorkerJob, number: int) -> _Worker:
    mine, theirs = context.Pipe()
    process = context.Process(target=work, args=(theirs, job), name=f"mailguard-worker-{number}",  # type: ignore[attr-defined]
                              daemon=True)
    process.start()
    theirs.close()  # only the worker holds its end: its death closes the pipe
    return _Worker(number, process, mine)


def _serve(worker: _Worker, dispatch: _Dispatch) -> Iterator[Finished]:
    """Handle what ``worker`` has sent: requests for work and finished reports."""
    while True:
        message = worker.conn.recv()
        worker.heard = time.monotonic()
        if message == MORE:
            chunk = dispatch.chunk()
            worker.taken.update(chunk)  # before sending: a worker that dies now still accounts for them
            worker.conn.send(chunk)
        else:
            name, report, rendered = message
            worker.taken[name] -= 1
            if worker.taken[name] <= 0:
                del worker.taken[name]
            yield report, rendered
        if not worker.conn.poll():
            return


def _bury(worker: _Worker, notice: Callable[[str], None], stopped: list[str]) -> Iterator[Finished]:
    """A worker's pipe closed: wait for its end, and report what it left unscanned."""
    worker.conn.close()
    worker.process.join(STOP_GRACE)
    if worker.process.is_alive():
        worker.process.kill()
        worker.process.join()
    left = sum(worker.taken.values())
    code = worker.process.exitcode
    if code == 0 and not left:
        return
    why = worker.why or _exit_reason(code)
    stopped.append(f"worker {worker.number} (pid {worker.process.pid}) {why}")
    notice(f"mailguard: worker {worker.number} (pid {worker.process.pid}) {why}; "
           f"{left} unfinished domain(s) reported as could not scan")
    for name, count in worker.taken.items():
        for _ in range(count):
            yield unscannable(name, f"not scanned: the worker process scanning it {why}"), None
    worker.taken.clear()


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"stopped with exit code {code}"


def _stop_stalled(workers: Iterable[_Worker], stall: float) -> None:
    now = time.monotonic()
    for worker in workers:
        if worker.taken and worker.why is None and now - worker.heard > stall:
            worker.why = f"sent no result for {stall:.0f} s and was stopped"
            worker.process.kill()  # its pipe closes; it is buried on the next turn


def _stop(workers: Iterable[_Worker]) -> None:
    """End the workers still running (Ctrl-C, an error): SIGTERM, then SIGKILL after a grace."""
    crew = list(workers)
    for worker in crew:
        if worker.process.is_alive():
            worker.process.terminate()
    deadline = time.monotonic() + STOP_GRACE
    for worker in crew:
        worker.process.join(max(0.0, deadline - time.monotonic()))
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()


# --- a worker ------------------------------------------------------------------------------------


def work(conn: Connection, job: WorkerJob) -> None:
    """A worker process: scan what the parent hands out, send each report as it finishes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's; it stops the workers
    sys.stdout = sys.stderr  # stdout carries the parent's JSON Lines: nothing else may reach it
    try:
        asyncio.run(_scan_handed_out(conn, job))
    except (EOFError, OSError):
        pass  # the parent has gone: there is no one to report to
    finally:
        conn.close()


async def _scan_handed_out(conn: Connection, job: WorkerJob) -> None:
    inner = job.scan or scan_one

    async def scan_and_send(name: str, config: Config, net: Net) -> ScanReport:
        report = await inner(name, config, net)
        conn.send((name, report, _rendered(report, job.render)))
        return report

    async for _ in scan_many(_handed_out(conn), job.config, concurrency=job.concurrency, scan=scan_and_send):
        pass


def _handed_out(conn: Connection) -> Iterator[str]:
    """The domains the parent hands out; the next chunk is asked for as soon as one arrives."""
    conn.send(MORE)
    while True:
        chunk: list[str] = conn.recv()
        if not chunk:
            return
        conn.send(MORE)
        yield from chunk


def _rendered(report: ScanReport, fmt: str | None) -> str | None:
    if fmt is None:
        return None
    return render_json.render(report, indent=None if fmt == "jsonl" else 2)

