"""Click commands only: options -> Config, call the scanner, render, exit code.

Exit codes (stable; documented in --help and the README):
  0  nothing at or above the failure threshold (--fail-on, default: fail)
  1  findings at or above the threshold
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

from . import render
from ._version import __version__
from .batch import BatchTally, read_domains, scan_many
from .config import Config
from .errors import InputError, MailguardError, NoResolver
from .measures.spf import Result, SpfResult, evaluate
from .measures.spf.lookups import parse_ip
from .measures.spf.macros import IpAddress
from .model import SEVERITY, ScanReport, Verdict
from .names import normalize_domain
from .net import Net
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
def scan(domains: tuple[str, ...], domains_file: Path | None, concurrency: int,
         nameservers: tuple[str, ...], timeout: float, deadline: float,
         dkim_selectors: tuple[str, ...], measures: tuple[str, ...], ca_bundle: Path | None,
         trust_anchor: Path | None, fmt: str, summary: str | None, fail_on: str, lang: str,
         quiet: bool, verbose: bool) -> None:
    """Scan DOMAINS (and those in --domains-file) and report every measure with its evidence."""
    if not domains and domains_file is None:
        fail_usage("give at least one DOMAIN or --domains-file FILE")
    try:
        names = [normalize_domain(d) for d in domains]
        total = len(names) + (sum(1 for _ in read_domains(domains_file)) if domains_file else 0)
    except InputError as exc:
        fail_usage(str(exc))
    config = build_config(nameservers, timeout, deadline=deadline, dkim_selectors=dkim_selectors,
                          measures=measures, ca_bundle=ca_bundle, trust_anchor=trust_anchor,
                          fail_on=fail_on, lang=lang)
    source = itertools.chain(names, read_domains(domains_file) if domains_file else ())
    batch = total > 1
    summary = summary or ("table" if batch else "none")
    output = Output(fmt, lang=lang, verbose=verbose, many=batch)
    progress = Progress(total, enabled=batch and not quiet and sys.stderr.isatty())
    tally, interrupted = run_batch(source, config, concurrency, output, progress,
                                   keep_rows=summary == "csv")
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
              progress: Progress, *, keep_rows: bool = False) -> tuple[BatchTally, bool]:
    """Scan everything in ``source``; returns the tally and whether Ctrl-C stopped it."""
    tally = BatchTally(keep_rows=keep_rows)

    async def go() -> None:
        async for report in scan_many(source, config, concurrency=concurrency):
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


SPF_EXIT_HELP = """\b
Exit codes:
  0  evaluated: the result word is on the first line of the output
  2  bad usage or input (e.g. an invalid IP address)
  3  no resolver reachable
"""


@main.command("spf", epilog=SPF_EXIT_HELP)
@click.option("--ip", "ip_text", required=True, metavar="IP", help="The SMTP client's address.")
@click.option("--sender", default="", metavar="ADDR",
              help="The MAIL FROM address; empty for a bounce, then postmaster@HELO is checked.")
@click.option("--helo", default="", metavar="NAME", help="The HELO/EHLO name the client gave.")
@network_options
@click.option("-v", "--verbose", is_flag=True, help="Show the evaluation trace with its DNS evidence.")
def spf_command(ip_text: str, sender: str, helo: str, nameservers: tuple[str, ...], timeout: float,
                verbose: bool) -> None:
    """Evaluate SPF as a receiving mail server would (RFC 7208 check_host()).

    Prints the result first (pass, fail, softfail, neutral, none, temperror, permerror), then
    the domain's explanation if it gave one.
    """
    try:
        ip = parse_ip(ip_text)
    except ValueError:
        fail_usage(f"invalid IP address {ip_text!r}")
    if not sender.strip().strip("<>").strip() and not helo.strip():
        fail_usage("give --sender, or --helo for a bounce (empty MAIL FROM)")
    config = build_config(nameservers, timeout)
    outcome = _run_spf(config, ip, sender, helo)
    click.echo(outcome.result.value)
    if outcome.explanation is not None:
        click.echo(outcome.explanation)
    if verbose:
        click.echo(_spf_trace(outcome))


async def _evaluate_spf(config: Config, ip: IpAddress, sender: str, helo: str) -> SpfResult:
    net = Net(config)
    try:
        outcome = await evaluate(net, ip, sender, helo, deadline=config.deadline)
        if outcome.result is Result.TEMPERROR and not await _resolver_answers(net):
            raise NoResolver(f"no answer from the resolver ({', '.join(net.dns.resolver_names)})")
        return outcome
    finally:
        await net.aclose()


async def _resolver_answers(net: Net) -> bool:
    """Whether the resolver answers at all (a REFUSED is an answer): temperror vs. exit code 3."""
    probe = await net.dns.query(".", "NS")
    return probe.status not in ("timeout", "error")


def _run_spf(config: Config, ip: IpAddress, sender: str, helo: str) -> SpfResult:
    try:
        return asyncio.run(_evaluate_spf(config, ip, sender, helo))
    except NoResolver as exc:
        click.echo(f"mailguard: {exc}. Choose a resolver with --nameserver.", err=True)
        sys.exit(EXIT_UNSCANNABLE)
    except MailguardError as exc:
        click.echo(f"mailguard: {exc}", err=True)
        sys.exit(EXIT_USAGE if isinstance(exc, InputError) else EXIT_UNSCANNABLE)


def _spf_trace(outcome: SpfResult) -> str:
    lines = [f"reason: {outcome.reason} ({outcome.rfc})",
             f"identity: {outcome.identity}  sender={outcome.sender}  domain={outcome.domain}  "
             f"ip={outcome.ip}  helo={outcome.helo}",
             f"lookups: {outcome.lookups} of 10, void lookups: {outcome.void_lookups} of 2",
             "trace:"]
    for step in outcome.trace:
        lines.append(f"{'  ' * (step.depth + 1)}{step.domain}: {step.text}")
        lines.extend(f"{'  ' * (step.depth + 3)}{e.summary}" for e in step.evidence)
    return "\n".join(lines)


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


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["main", "render"]
