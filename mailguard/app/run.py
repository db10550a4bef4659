"""A ``mailguard scan`` run: its domains scanned here (a local batch) or on Celery workers (a
fleet run), each report delivered as it finishes, then the summary and the exit code.

Failures that end the run are errors (:mod:`mailguard.core.errors`), left to the command line's
one mapping from errors to exit codes; Ctrl-C ends it with 130 and keeps what is finished.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from functools import partial
from types import ModuleType
from typing import TYPE_CHECKING, Any

import click

from ..core.config import Config
from ..core.errors import BrokerError, InputError, StoreError
from ..core.model import ScanReport
from .batch import BatchTally, ScanOne, scan_many
from .outcome import EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK, batch_exit_code, exit_code
from .output import Output, Progress, print_summary
from .scan import PromiseScan
from .settings import ScanPlan

if TYPE_CHECKING:  # the database's libraries load only for a run that records (--db)
    from .fleet.chunk import Recorder


def run_scan(plan: ScanPlan) -> int:
    """Scan, print, summarise; the exit code."""
    output = Output(plan.stdout_fmt, lang=plan.lang, verbose=plan.verbose, many=plan.batch,
                    quiet=plan.quiet and plan.stdout_fmt == "text", writer=plan.writer,
                    fail_on=plan.config.fail_on)
    progress = Progress(plan.total, enabled=plan.batch and not plan.quiet and _stderr_is_terminal())
    keep_rows = plan.summary == "csv"
    if plan.engine == "celery":
        assert plan.broker is not None
        from ..history.store import DEFAULT_DB

        tally, interrupted = run_fleet(None if plan.run_id else plan.domains(), plan.config, output, progress,
                                       broker=plan.broker, db=plan.db or DEFAULT_DB, chunk_size=plan.chunk_size,
                                       run_id=plan.run_id, keep_rows=keep_rows, checker=plan.checker,
                                       stall=plan.stall_timeout)
    else:
        tally, interrupted = run_batch(plan.domains(), plan.config, plan.concurrency, output, progress,
                                       keep_rows=keep_rows, scan=plan.checker.scan, db=plan.db, total=plan.total,
                                       quiet=plan.quiet, workers=local_workers(plan))
    output.close()
    if not plan.quiet and plan.summary != "none":
        print_summary(tally, plan.summary, to_stderr=plan.stdout_fmt != "text")
    if interrupted:
        click.echo(f"mailguard: interrupted; {tally.domains} finished result(s) kept", err=True)
        return EXIT_INTERRUPTED
    worse = plan.writer is not None and plan.writer.worse
    fail_on = plan.config.fail_on
    code = batch_exit_code(tally, fail_on, worse=worse) if plan.batch else exit_code(output.last, fail_on, worse=worse)
    if plan.quiet and code != EXIT_OK:
        # On stderr when stdout carries JSON, so that a pipeline's JSON Lines stay clean.
        click.echo("\n".join([f"mailguard: exit code {code}", *output.notes, *output.trouble_report()]),
                   err=plan.stdout_fmt != "text")
    return code


def _stderr_is_terminal() -> bool:
    import sys

    return sys.stderr.isatty()


def local_workers(plan: ScanPlan) -> int:
    """How many processes scan a local run: one for a single domain, else ``--workers``."""
    if not plan.batch or plan.engine != "local":
        return 1
    from .workers import worker_count

    return worker_count(plan.workers, plan.total)


def run_batch(source: Iterable[str], config: Config, concurrency: int, output: Output,
              progress: Progress, *, keep_rows: bool = False, scan: ScanOne | None = None,
              db: str | None = None, total: int = 0, quiet: bool = False,
              workers: int = 1) -> tuple[BatchTally, bool]:
    """Scan everything in ``source``; returns the tally and whether Ctrl-C stopped it.

    With ``workers`` above 1 the scans run in that many processes (:mod:`.workers`) and this
    one writes their reports. With ``db`` every finished report is also recorded there, in a run
    of its own (named on stderr unless ``quiet``: cron mails whatever a quiet run prints)."""
    tally = BatchTally(keep_rows=keep_rows)
    recorder = open_recorder(db, "local", total, config, announce=not quiet, output=output) if db else None

    def take(report: ScanReport, rendered: str | None = None) -> None:
        if recorder is not None:
            recorder.add(report)
        deliver(report, tally, output, progress, config.fail_on, rendered)

    async def go() -> None:
        if output.writer is None:
            async for report in scan_many(source, config, concurrency=concurrency, scan=scan):
                take(report)
            return
        # Report files (a PDF above all) take long to render. A writer thread writes them, so
        # that this loop keeps serving the scans in flight: their timeouts must not run out
        # while a PDF renders, or a slow render would read as a mail server that did not answer.
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(1, thread_name_prefix=WRITER_THREAD) as pool:
            unwritten: deque[asyncio.Future[None]] = deque()
            async for report in scan_many(source, config, concurrency=concurrency, scan=scan):
                if recorder is not None:
                    recorder.add(report)  # the database stays with this thread
                unwritten.append(loop.run_in_executor(pool, deliver, report, tally, output, progress,
                                                      config.fail_on))
                while len(unwritten) > MAX_UNWRITTEN:  # the scans wait for the writer beyond this
                    await unwritten.popleft()
            for future in unwritten:
                await future

    interrupted = False
    try:
        try:
            if workers > 1:
                notice = output.notes.append if quiet else partial(click.echo, err=True)
                _scan_in_workers(source, config, concurrency, workers, scan, output.fmt, take, notice)
            else:
                asyncio.run(go())
        finally:
            if recorder is not None:
                recorder.flush()
        if recorder is not None:
            recorder.store.finish_run(recorder.run_id)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        progress.finish()
        if recorder is not None:
            recorder.store.close()
    return tally, interrupted


# The thread that writes a single-process batch's report files, and how many finished reports
# may wait for it before the scans wait too (memory stays flat however slow the writing).
WRITER_THREAD = "mailguard-writer"
MAX_UNWRITTEN = 16


def _scan_in_workers(source: Iterable[str], config: Config, concurrency: int, workers: int, scan: ScanOne | None,
                     fmt: str, take: Callable[[ScanReport, str | None], None], notice: Callable[[str], None]) -> None:
    """The batch in ``workers`` processes; each report goes to ``take`` as it finishes (with its
    document when stdout's format ``fmt`` is JSON), a line about each worker that stopped to ``notice``."""
    from .workers import job_for, scan_parallel

    job = job_for(config, concurrency, workers, scan=scan, render=fmt)
    with closing(scan_parallel(source, job, workers, notice=notice)) as finished:  # Ctrl-C: stopped at once
        for report, rendered in finished:
            with sigint_deferred():  # this process mostly writes: Ctrl-C must not cut a line in two
                take(report, rendered)


@contextmanager
def sigint_deferred() -> Iterator[None]:
    """Ctrl-C during the block takes effect when it ends, so a report is written whole or not at all."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            raise KeyboardInterrupt


def deliver(report: ScanReport, tally: BatchTally, output: Output, progress: Progress, fail_on: str,
            rendered: str | None = None) -> None:
    """One finished report, local or from a worker: count it, write it, move the progress line.
    ``rendered``: its JSON document, when a worker process rendered it already."""
    tally.add(report, failing=exit_code([report], fail_on) == EXIT_FINDINGS)
    output(report, rendered)
    progress.update(tally)


def open_recorder(db: str, engine: str, total: int, config: Config, *, announce: bool = True,
                  output: Output | None = None) -> Recorder:
    """A run in the database ``db`` that finished local reports are recorded in. Not ``announce``d
    (--quiet), its name joins what ``output`` reports only if the run ends in trouble."""
    from ..core.config import config_to_dict
    from ..history.store import open_store
    from .fleet.chunk import Recorder

    store = open_store(db)
    run_id = store.start_run(engine, total, {"config": config_to_dict(config)})
    line = f"mailguard: run {run_id}, recorded in {db}"
    if announce:
        click.echo(line, err=True)
    elif output is not None:
        output.notes.append(line)
    return Recorder(store, run_id)


def need_fleet() -> tuple[ModuleType, ModuleType]:
    """The Celery modules, or a usage error when the [fleet] extra is not installed."""
    try:
        from .fleet import celery_app
        from .fleet import submit as fleet
    except ImportError as exc:
        raise InputError(f"the fleet engine needs Celery and Redis ({exc.name} is missing): "
                         "pip install 'mailguard[fleet]'") from exc
    return celery_app, fleet


def run_fleet(source: Iterable[str] | None, config: Config, output: Output, progress: Progress, *,
              broker: str, db: str, chunk_size: int, run_id: str | None, stall: float,
              keep_rows: bool = False, checker: PromiseScan | None = None) -> tuple[BatchTally, bool]:
    """Send ``source`` to the workers in chunks (or resume ``run_id``) and deliver results as they come."""
    from ..history.store import database_url, open_store
    from .fleet.chunk import promise_settings

    celery_app, fleet = need_fleet()
    celery_app.ping_broker(broker)
    store = open_store(db)
    app = celery_app.make_app(broker)
    tally = BatchTally(keep_rows=keep_rows)
    interrupted = False

    def started(new_run: str) -> None:
        nonlocal run_id
        run_id = new_run
        click.echo(f"mailguard: run {new_run}; if stopped, collect it with --run {new_run}", err=True)

    def promises_of(chunk: Any) -> dict[str, Any]:
        assert checker is not None
        return promise_settings(checker, chunk)

    try:
        if source is None:
            assert run_id is not None
            if store.run(run_id) is None:
                raise InputError(f"no run {run_id!r} in {db}")
        else:
            run_id = fleet.submit(app, store, source, config, chunk_size=chunk_size, db=database_url(db),
                                  on_start=started, promises=promises_of if checker else None)
        run = store.run(run_id)
        progress.total = run.total if run else progress.total
        for report in fleet.collect(app, store, run_id, stall=stall):
            deliver(report, tally, output, progress, config.fail_on)
    except KeyboardInterrupt:
        interrupted = True
        click.echo(f"mailguard: the workers go on; collect the rest with --run {run_id}", err=True)
    except (StoreError, BrokerError) as exc:
        if run_id:
            raise type(exc)(f"{exc}; collect the rest with --run {run_id}") from exc
        raise
    finally:
        progress.finish()
        store.close()
    return tally, interrupted
