"""Click commands only: options -> Config, call the scanner, render, exit code.

Exit codes (stable; documented in --help and the README):
  0  nothing at or above the failure threshold (--fail-on, default: fail)
  1  findings at or above the threshold, or a promise that is not upheld
  2  bad usage or input (an invalid domain name, an unreadable file)
  3  could not scan (no resolver reachable, domain does not exist, deadline passed)
With several domains: 3 only when none could be scanned; 1 when any has findings at or above
the threshold or could not be scanned. 130: interrupted (Ctrl-C); finished results are kept.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click
from tabulate import tabulate

from . import promises, render
from ._version import __version__
from .batch import BatchTally, read_domains, scan_many
from .batch.runner import ScanOne
from .config import Config
from .errors import InputError, MailguardError, NoResolver
from .model import SEVERITY, ScanReport, Verdict
from .names import normalize_domain
from .net.dns import parse_nameserver
from .promises.profile import load as load_profile
from .render import json as render_json
from .render import text as render_text

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNSCANNABLE = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT

EXIT_CODES_HELP = """\b
Exit codes:
  0  nothing at or above the failure threshold (--fail-on)
  1  findings at or above the threshold, or a promise that is not upheld
  2  bad usage or input (e.g. an invalid domain name)
  3  could not scan (no resolver reachable, domain does not exist, deadline passed)
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
    if any(promises.broken(r) for r in reports):
        return EXIT_FINDINGS
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
@click.option("--statement", metavar="FILE|URL",
              help="Privacy statement whose promises to check; its domains are scanned when none are given.")
@click.option("--profile", "profile_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Check profile (TOML) to use instead of checks/<domain>.toml.")
@click.option("--checks-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("checks"),
              show_default=True, help="Where check profiles <domain>.toml are looked up.")
def scan(domains: tuple[str, ...], domains_file: Path | None, concurrency: int,
         nameservers: tuple[str, ...], timeout: float, deadline: float,
         dkim_selectors: tuple[str, ...], measures: tuple[str, ...], ca_bundle: Path | None,
         trust_anchor: Path | None, fmt: str, summary: str | None, fail_on: str, lang: str,
         quiet: bool, verbose: bool, statement: str | None, profile_file: Path | None,
         checks_dir: Path) -> None:
    """Scan DOMAINS (and those in --domains-file): every measure with its evidence, and a verdict
    on every promise.

    The promises come from --statement (whose domains are scanned when none are given), --profile,
    CHECKS_DIR/<domain>.toml, or else the built-in baseline (the good practice internet.nl and
    the Forum Standaardisatie apply). A promise that is not upheld makes the exit code 1."""
    config = build_config(nameservers, timeout, deadline=deadline, dkim_selectors=dkim_selectors,
                          measures=measures, ca_bundle=ca_bundle, trust_anchor=trust_anchor,
                          fail_on=fail_on, lang=lang)
    try:
        explicit = (promises.read(statement, config).profile if statement is not None
                    else load_profile(profile_file) if profile_file is not None else None)
        if not domains and domains_file is None and explicit is not None:
            domains = explicit.domains
        if not domains and domains_file is None:
            fail_usage("give at least one DOMAIN or --domains-file FILE"
                       + (" (the statement names no domain of its own)" if statement else ""))
        names = [normalize_domain(d) for d in domains]
        total = len(names) + (sum(1 for _ in read_domains(domains_file)) if domains_file else 0)
    except InputError as exc:
        fail_usage(str(exc))
    checker = promises.PromiseScan(explicit=explicit, checks_dir=checks_dir)
    source = itertools.chain(names, read_domains(domains_file) if domains_file else ())
    batch = total > 1
    summary = summary or ("table" if batch else "none")
    output = Output(fmt, lang=lang, verbose=verbose, many=batch)
    progress = Progress(total, enabled=batch and not quiet and sys.stderr.isatty())
    tally, interrupted = run_batch(source, config, concurrency, output, progress,
                                   keep_rows=summary == "csv", scan=checker.scan)
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
              progress: Progress, *, keep_rows: bool = False,
              scan: ScanOne | None = None) -> tuple[BatchTally, bool]:
    """Scan everything in ``source``; returns the tally and whether Ctrl-C stopped it."""
    tally = BatchTally(keep_rows=keep_rows)

    async def go() -> None:
        async for report in scan_many(source, config, concurrency=concurrency, scan=scan):
            tally.add(report, failing=exit_code([report], config.fail_on) == EXIT_FINDINGS)
            output(report)
            progress.update(tally)

    interrupted = False
    try:
        asyncio.run(go())
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


@main.command("promises", epilog="""\b
Exit codes:
  0  the statement was read
  2  it could not be read, or the profile could not be written
""")
@click.argument("statement", metavar="FILE|URL")
@click.option("--write-profile", is_flag=True, help="Write the check profile to CHECKS_DIR/<domain>.toml.")
@click.option("--checks-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("checks"),
              show_default=True, help="Where to write the check profile.")
@click.option("--force", is_flag=True, help="Replace an existing profile (it may hold your edits).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--timeout", type=click.FloatRange(0.1, 120), default=10.0, show_default=True,
              help="Seconds for any single network wait when STATEMENT is a URL.")
@click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Extra trusted root certificates (PEM) for an https:// statement.")
def promises_command(statement: str, write_profile: bool, checks_dir: Path, force: bool, fmt: str,
                     timeout: float, ca_bundle: Path | None) -> None:
    """Read a privacy statement (text, Markdown, HTML, PDF or URL; Dutch or English) and list the
    domains it names and every security promise it makes, with the sentence it comes from."""
    from .render import promises as render_promises

    try:
        found = promises.read(statement, Config(timeout=timeout, ca_bundle=ca_bundle))
        written = (promises.profiles.save(found.profile, checks_dir, overwrite=force)
                   if write_profile else None)
    except InputError as exc:
        fail_usage(str(exc))
    if fmt == "json":
        click.echo(render_promises.to_json(found, written))
    else:
        click.echo(render_promises.to_text(found, written))
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
        run_batch(DEMO_DOMAINS, lab.config(), len(DEMO_DOMAINS), output, Progress(0, enabled=False),
                  scan=promises.PromiseScan().scan)
        output.close()
    sys.exit(EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["main", "render"]
