"""Click commands only: options -> Config, call the scanner, render, exit code.

Exit codes (stable; documented in --help and the README):
  0  nothing at or above the failure threshold (--fail-on, default: fail)
  1  findings at or above the threshold
  2  bad usage or input (an invalid domain name, an unreadable file)
  3  could not scan (no resolver reachable, domain does not exist, deadline passed;
     the broker or the results database cannot be reached)
With several domains: 3 only when none could be scanned; 1 when any has findings at or above
the threshold or could not be scanned. 130: interrupted (Ctrl-C); finished results are kept.
"""

from __future__ import annotations

import asyncio
import csv
import io
import ipaddress
import itertools
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import click
from tabulate import tabulate

from . import render
from ._version import __version__
from .batch import BatchTally, read_domains, scan_many
from .batch.chunk import Recorder
from .config import Config, IpNetwork
from .errors import BrokerError, InputError, MailguardError, NoResolver, StoreError
from .model import SEVERITY, ScanReport, Verdict
from .names import normalize_domain
from .net.dns import parse_nameserver
from .render import json as render_json
from .render import text as render_text

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNSCANNABLE = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT

EXIT_CODES_HELP = """\b
Exit codes:
  0  nothing at or above the failure threshold (--fail-on)
  1  findings at or above the threshold
  2  bad usage or input (e.g. an invalid domain name)
  3  could not scan (no resolver reachable, domain does not exist, deadline passed;
     the broker or the results database cannot be reached)
With several domains: 3 only when none could be scanned; 1 when any has findings at or
above the threshold or could not be scanned. 130: interrupted (Ctrl-C); finished results kept.
"""


def fail_usage(message: str) -> None:
    click.echo(f"mailguard: {message}", err=True)
    sys.exit(EXIT_USAGE)


def network_options(func: Any) -> Any:
    """Options every command that talks to the network shares."""
    options = [
        click.option("--nameserver", "nameservers", multiple=True, metavar="HOST[:PORT]",
                     help="Resolver to ask (repeatable). Default: the system's resolvers."),
        click.option("--timeout", type=click.FloatRange(0.1, 120), default=5.0, show_default=True,
                     help="Seconds for any single network wait."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def fleet_options(func: Any) -> Any:
    """Options of the fleet engine and the results database."""
    options = [
        click.option("--engine", type=click.Choice(["local", "celery"]), default="local", show_default=True,
                     help="local: this process. celery: chunks sent to `mailguard worker`s through --broker."),
        click.option("--broker", envvar="MAILGUARD_BROKER", metavar="URL",
                     help="Redis URL of the Celery broker, redis://HOST:6379/0 (env MAILGUARD_BROKER)."),
        click.option("--chunk-size", type=click.IntRange(1, 100_000), default=200, show_default=True,
                     help="Domains per Celery task."),
        db_option("Record every finished scan in this database (SQLite path or postgresql://...). "
                  "Default with --engine celery: reports/mailguard.db."),
        click.option("--run", "run_id", metavar="RUN_ID",
                     help="Resume collecting the results of this fleet run (printed when it started)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def db_option(text: str) -> Callable[[Any], Any]:
    return click.option("--db", envvar="MAILGUARD_DB", metavar="URL", help=f"{text} (env MAILGUARD_DB)")


def default_db() -> str:
    from .store import DEFAULT_DB

    return DEFAULT_DB


def parse_networks(values: Sequence[str]) -> tuple[IpNetwork, ...] | None:
    if not values:
        return None
    try:
        return tuple(ipaddress.ip_network(v, strict=False) for v in values)
    except ValueError as exc:
        raise InputError(f"bad --allow-network: {exc}") from exc


def build_config(nameservers: Sequence[str], timeout: float, **fields: Any) -> Config:
    try:
        servers = tuple(parse_nameserver(n) for n in nameservers)
    except InputError as exc:
        fail_usage(str(exc))
        raise AssertionError from exc  # unreachable
    return Config(nameservers=servers, timeout=timeout, **fields)


def exit_code(reports: Sequence[ScanReport], fail_on: str) -> int:
    if any(r.error for r in reports):
        return EXIT_UNSCANNABLE
    threshold = SEVERITY[Verdict.WARN if fail_on == "warn" else Verdict.FAIL]
    for report in reports:
        for measure in report.measures:
            if any(SEVERITY[f.verdict] >= threshold and f.verdict != Verdict.NOT_TESTED
                   for f in measure.findings):
                return EXIT_FINDINGS
    return EXIT_OK


@click.group(epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="mailguard")
def main() -> None:
    """Check the security measures a privacy statement promises against live DNS and hosts."""


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("domains", nargs=-1)
@click.option("--domains-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Scan the domains in this file too: one a line, '#' starts a comment.")
@click.option("--concurrency", type=click.IntRange(1, 5000), default=100, show_default=True,
              help="Domains scanned at the same time.")
@network_options
@click.option("--deadline", type=click.FloatRange(1, 3600), default=60.0, show_default=True,
              help="Seconds for a whole domain's scan; what is unfinished is reported as not tested.")
@click.option("--dkim-selector", "dkim_selectors", multiple=True, metavar="SELECTOR",
              help="DKIM selector to check, besides the common ones (repeatable).")
@click.option("--measure", "measures", multiple=True, metavar="NAME",
              help="Run only this measure (repeatable); see `mailguard measures`.")
@click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Extra trusted root certificates (PEM) for TLS checks.")
@click.option("--trust-anchor", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="DNSSEC trust anchor file replacing the IANA root anchors.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl"]), default="text",
              show_default=True, help="jsonl: one JSON document a line, as each domain finishes.")
@click.option("--summary", type=click.Choice(["table", "csv", "none"]), default=None,
              help="After several domains: counts per measure (table) or one row a domain (csv). "
                   "Default: table when scanning more than one domain.")
@click.option("--fail-on", type=click.Choice(["warn", "fail"]), default="fail", show_default=True,
              help="The lowest verdict that makes the exit code 1.")
@click.option("--lang", type=click.Choice(["en", "nl"]), default="en", show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="No progress line and no summary.")
@click.option("-v", "--verbose", is_flag=True, help="Show the evidence under each table.")
@click.option("--allow-network", "allowed_networks", multiple=True, metavar="CIDR",
              help="Contact only addresses in this network (repeatable), e.g. 127.0.0.0/8 for a lab.")
@fleet_options
def scan(domains: tuple[str, ...], domains_file: Path | None, concurrency: int,
         nameservers: tuple[str, ...], timeout: float, deadline: float,
         dkim_selectors: tuple[str, ...], measures: tuple[str, ...], ca_bundle: Path | None,
         trust_anchor: Path | None, fmt: str, summary: str | None, fail_on: str, lang: str,
         quiet: bool, verbose: bool, allowed_networks: tuple[str, ...], engine: str, broker: str | None,
         chunk_size: int, db: str | None, run_id: str | None) -> None:
    """Scan DOMAINS (and those in --domains-file) and report every measure with its evidence."""
    if run_id is not None and engine != "celery":
        fail_usage("--run resumes a fleet run: give it with --engine celery")
    if not domains and domains_file is None and run_id is None:
        fail_usage("give at least one DOMAIN or --domains-file FILE")
    if engine == "celery" and not broker:
        fail_usage("--engine celery needs --broker redis://HOST:6379/0 (or MAILGUARD_BROKER)")
    try:
        names = [normalize_domain(d) for d in domains]
        total = len(names) + (sum(1 for _ in read_domains(domains_file)) if domains_file else 0)
        networks = parse_networks(allowed_networks)
    except InputError as exc:
        fail_usage(str(exc))
    config = build_config(nameservers, timeout, deadline=deadline, dkim_selectors=dkim_selectors,
                          measures=measures, ca_bundle=ca_bundle, trust_anchor=trust_anchor,
                          fail_on=fail_on, lang=lang, allowed_networks=networks)
    source = itertools.chain(names, read_domains(domains_file) if domains_file else ())
    batch = total > 1 or run_id is not None
    summary = summary or ("table" if batch else "none")
    output = Output(fmt, lang=lang, verbose=verbose, many=batch)
    progress = Progress(total, enabled=batch and not quiet and sys.stderr.isatty())
    if engine == "celery":
        assert broker is not None
        tally, interrupted = run_fleet(None if run_id else source, config, output, progress, broker=broker,
                                       db=db or default_db(), chunk_size=chunk_size, run_id=run_id,
                                       keep_rows=summary == "csv")
    else:
        tally, interrupted = run_batch(source, config, concurrency, output, progress,
                                       keep_rows=summary == "csv", db=db, total=total)
    output.close()
    if not quiet and summary != "none":
        print_summary(tally, summary, to_stderr=fmt != "text")
    if interrupted:
        click.echo(f"mailguard: interrupted; {tally.domains} finished result(s) kept", err=True)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(batch_exit_code(tally, fail_on) if batch else exit_code(output.last, fail_on))


class Output:
    """Writes each report as it finishes, flushed, so a pipe or a crash keeps what is done."""

    def __init__(self, fmt: str, *, lang: str, verbose: bool, many: bool) -> None:
        self.fmt, self.lang, self.verbose, self.many = fmt, lang, verbose, many
        self.count = 0
        self.last: list[ScanReport] = []

    def __call__(self, report: ScanReport) -> None:
        if self.fmt == "jsonl":
            text = render_json.render(report, indent=None)
        elif self.fmt == "json":
            text = render_json.render(report)
            if self.many:
                text = ("[\n" if self.count == 0 else ",\n") + text
        else:
            text = render_text.render(report, lang=self.lang, verbose=self.verbose)
            if report.error and not self.many:
                hint = "" if "NXDOMAIN" in report.error else " Is this machine online?"
                click.echo(f"mailguard: could not scan {report.domain}: {report.error}.{hint}", err=True)
        click.echo(text)
        sys.stdout.flush()
        self.count += 1
        self.last = [report]

    def close(self) -> None:
        if self.fmt == "json" and self.many:
            click.echo("[]" if self.count == 0 else "\n]")


class Progress:
    """One self-overwriting line on a terminal's stderr; nothing when not a terminal."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total, self.enabled = total, enabled

    def update(self, tally: BatchTally) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * tally.domains / self.total) if self.total else width
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {tally.domains}/{self.total} "
                         f"{tally.rate:.1f}/s, {tally.unscannable} not scannable")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def run_batch(source: Iterable[str], config: Config, concurrency: int, output: Output,
              progress: Progress, *, keep_rows: bool = False, db: str | None = None,
              total: int = 0) -> tuple[BatchTally, bool]:
    """Scan everything in ``source``; returns the tally and whether Ctrl-C stopped it.

    With ``db`` every finished report is also recorded there, in a run of its own."""
    tally = BatchTally(keep_rows=keep_rows)
    recorder = open_recorder(db, "local", total, config) if db else None

    async def go() -> None:
        try:
            async for report in scan_many(source, config, concurrency=concurrency):
                if recorder is not None:
                    recorder.add(report)
                deliver(report, tally, output, progress, config.fail_on)
        finally:
            if recorder is not None:
                recorder.flush()

    interrupted = False
    try:
        asyncio.run(go())
        if recorder is not None:
            recorder.store.finish_run(recorder.run_id)
    except KeyboardInterrupt:
        interrupted = True
    except NoResolver as exc:
        click.echo(f"mailguard: {exc}", err=True)
        sys.exit(EXIT_UNSCANNABLE)
    except MailguardError as exc:
        click.echo(f"mailguard: {exc}", err=True)
        sys.exit(EXIT_USAGE if isinstance(exc, InputError) else EXIT_UNSCANNABLE)
    finally:
        progress.finish()
        if recorder is not None:
            recorder.store.close()
    return tally, interrupted


def deliver(report: ScanReport, tally: BatchTally, output: Output, progress: Progress, fail_on: str) -> None:
    """One finished report, local or from a worker: count it, write it, move the progress line."""
    tally.add(report, failing=exit_code([report], fail_on) == EXIT_FINDINGS)
    output(report)
    progress.update(tally)


def open_recorder(db: str, engine: str, total: int, config: Config) -> Recorder:
    """A run in the database ``db`` that finished local reports are recorded in."""
    from .config import config_to_dict
    from .store import open_store

    store = guarded(open_store, db)
    run_id = guarded(store.start_run, engine, total, {"config": config_to_dict(config)})
    click.echo(f"mailguard: run {run_id}, recorded in {db}", err=True)
    return Recorder(store, run_id)


def guarded(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Call; a database, broker or input error becomes its one-line message and exit code."""
    try:
        return call(*args, **kwargs)
    except (StoreError, BrokerError) as exc:
        click.echo(f"mailguard: {exc}", err=True)
        sys.exit(EXIT_UNSCANNABLE)
    except InputError as exc:
        fail_usage(str(exc))


def need_fleet() -> Any:
    """The Celery modules, or a one-line error when the [fleet] extra is not installed."""
    try:
        from .batch import celery_app, fleet
    except ImportError as exc:
        click.echo(f"mailguard: the fleet engine needs Celery and Redis ({exc.name} is missing): "
                   "pip install 'mailguard[fleet]'", err=True)
        sys.exit(EXIT_USAGE)
    return celery_app, fleet


def run_fleet(source: Iterable[str] | None, config: Config, output: Output, progress: Progress, *,
              broker: str, db: str, chunk_size: int, run_id: str | None,
              keep_rows: bool = False) -> tuple[BatchTally, bool]:
    """Send ``source`` to the workers in chunks (or resume ``run_id``) and deliver results as they come."""
    from .store import database_url, open_store

    celery_app, fleet = need_fleet()
    guarded(celery_app.ping_broker, broker)
    store = guarded(open_store, db)
    app = guarded(celery_app.make_app, broker)
    tally = BatchTally(keep_rows=keep_rows)
    interrupted = False

    def started(new_run: str) -> None:
        click.echo(f"mailguard: run {new_run}; if stopped, collect it with --run {new_run}", err=True)

    try:
        if source is None:
            assert run_id is not None
            if store.run(run_id) is None:
                fail_usage(f"no run {run_id!r} in {db}")
        else:
            run_id = guarded(fleet.submit, app, store, source, config, chunk_size=chunk_size,
                             db=database_url(db), on_start=started)
        run = store.run(run_id)
        progress.total = run.total if run else progress.total
        for report in fleet.collect(app, store, run_id):
            deliver(report, tally, output, progress, config.fail_on)
    except KeyboardInterrupt:
        interrupted = True
        click.echo(f"mailguard: the workers go on; collect the rest with --run {run_id}", err=True)
    except (StoreError, BrokerError) as exc:
        progress.finish()
        click.echo(f"mailguard: {exc}" + (f"; collect the rest with --run {run_id}" if run_id else ""), err=True)
        sys.exit(EXIT_UNSCANNABLE)
    finally:
        progress.finish()
        store.close()
    return tally, interrupted


def batch_exit_code(tally: BatchTally, fail_on: str) -> int:
    """Several domains: 3 when none could be scanned; 1 when any failed or could not be scanned."""
    if tally.domains and tally.unscannable == tally.domains:
        return EXIT_UNSCANNABLE
    if tally.unscannable or tally.failing:
        return EXIT_FINDINGS
    return EXIT_OK


def print_summary(tally: BatchTally, kind: str, *, to_stderr: bool) -> None:
    if kind == "csv":
        columns = ["domain", "error", *tally.statuses]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(tally.rows)
        click.echo(buffer.getvalue().rstrip("\n"), err=to_stderr)
        return
    click.echo(tabulate(tally.table(), headers=BatchTally.headers(), tablefmt="simple"), err=to_stderr)
    click.echo(f"{tally.domains} domain(s), {tally.unscannable} not scannable, "
               f"{tally.failing} with findings at or above the threshold, {tally.rate:.1f} domains/s",
               err=to_stderr)


@main.command()
@click.option("--broker", envvar="MAILGUARD_BROKER", metavar="URL", required=True,
              help="Redis URL of the Celery broker, redis://HOST:6379/0 (env MAILGUARD_BROKER).")
@click.option("--concurrency", type=click.IntRange(1, 5000), default=100, show_default=True,
              help="Domains in flight in this worker's event loop.")
@db_option("Write results to this database (SQLite path or postgresql://...). "
           "Default: the one the submitting `mailguard scan` names")
@click.option("--visibility-timeout", type=click.FloatRange(5, 7 * 24 * 3600), default=3600, show_default=True,
              help="Seconds before a chunk a dead worker took is handed out again; longer than a chunk's deadline.")
@click.option("--name", metavar="NAME", help="Worker name (default mailguard-PID@HOST).")
@click.option("--loglevel", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), default="INFO",
              show_default=True)
def worker(broker: str, concurrency: int, db: str | None, visibility_timeout: float, name: str | None,
           loglevel: str) -> None:
    """Run a Celery worker that scans the chunks `mailguard scan --engine celery` sends.

    One chunk at a time per worker process (start one worker per core); inside it, up to
    --concurrency domains in flight on one event loop, exactly as a local batch.
    """
    celery_app, _fleet = need_fleet()
    sys.exit(guarded(celery_app.run_worker, broker, concurrency=concurrency, db=db,
                     visibility_timeout=visibility_timeout, name=name, loglevel=loglevel))


@main.command()
@click.argument("domain")
@db_option("The results database (SQLite path or postgresql://...). Default: reports/mailguard.db")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True,
              help="Show the newest this many scans.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def history(domain: str, db: str | None, limit: int, fmt: str) -> None:
    """List DOMAIN's recorded scans and what changed between consecutive ones."""
    from .render import fleet as render_fleet
    from .store import open_store
    from .store.changes import compare

    try:
        name = normalize_domain(domain)
    except InputError as exc:
        fail_usage(str(exc))
    store = guarded(open_store, db or default_db())
    try:
        scans = guarded(store.history, name, limit)
    finally:
        store.close()
    steps = [(row, compare(before[1], doc) if before else None)
             for before, (row, doc) in zip([None, *scans], scans, strict=False)]
    render = render_fleet.history_json if fmt == "json" else render_fleet.history_text
    click.echo(render(name, steps))
    sys.exit(EXIT_OK if scans else EXIT_UNSCANNABLE)


@main.command("fleet")
@click.argument("run_id", required=False, metavar="[RUN]")
@db_option("The results database (SQLite path or postgresql://...). Default: reports/mailguard.db")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="table: the run in counts; csv: one row a domain; json: both.")
def fleet_summary(run_id: str | None, db: str | None, fmt: str) -> None:
    """Summarise a run (default: the newest): scanned, not scannable, failing each measure,
    promises not upheld, and the domains that got worse since their previous scan."""
    from .render import fleet as render_fleet
    from .store import open_store
    from .store.summary import summarise

    store = guarded(open_store, db or default_db())
    try:
        run = guarded(store.run, run_id)
        if run is None:
            fail_usage(f"no run {run_id!r} in the database" if run_id else "no runs in the database yet")
        if fmt == "csv":
            for line in render_fleet.rows_csv(lambda: store.scan_rows(run.id)):
                click.echo(line, nl=False)
        else:
            found = guarded(summarise, store, run)
            click.echo(render_fleet.summary_json(found) if fmt == "json" else render_fleet.summary_table(found))
    finally:
        store.close()
    sys.exit(EXIT_OK)


@main.command("measures")
def list_measures() -> None:
    """List the measures mailguard can run."""
    from .measures import REGISTRY

    for measure in REGISTRY:
        click.echo(f"{measure.NAME:12} {measure.AREA.value:20} {measure.TITLE}")


@main.command(epilog=EXIT_CODES_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl"]), default="text",
              show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="Show the evidence under each table.")
def demo(fmt: str, verbose: bool) -> None:
    """Start the local lab and scan its demo domains: what mailguard shows, with no internet at all."""
    from .lab import DEMO_DOMAINS, Lab

    with Lab() as lab:
        click.echo(f"lab resolver on {lab.dns.address if lab.dns else '?'}; scanning "
                   f"{', '.join(DEMO_DOMAINS)}", err=True)
        output = Output(fmt, lang="en", verbose=verbose, many=True)
        run_batch(DEMO_DOMAINS, lab.config(), len(DEMO_DOMAINS), output, Progress(0, enabled=False))
        output.close()
    sys.exit(EXIT_OK)


@main.command("lab")
def lab_server() -> None:
    """Serve the lab's DNS (good.test, weak.test, ...) on loopback until Ctrl-C, to scan it offline:
    `mailguard scan good.test --nameserver ADDRESS --allow-network 127.0.0.0/8`."""
    import time

    from .lab import Lab

    with Lab() as lab:
        address = lab.dns.address if lab.dns else "?"
        click.echo(f"lab DNS on {address}: scan with --nameserver {address} --allow-network 127.0.0.0/8; "
                   "Ctrl-C stops it", err=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    sys.exit(EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["main", "render"]
