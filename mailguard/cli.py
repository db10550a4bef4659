"""Click commands only: options -> Config, call the scanner, render, exit code.

Exit codes (stable; documented in --help and the README):
  0  nothing at or above the failure threshold (--fail-on, default: fail)
  1  findings at or above the threshold
  2  bad usage or input (an invalid domain name, an unreadable file)
  3  could not scan (no resolver reachable, domain does not exist, deadline passed)
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from . import render
from ._version import __version__
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
from .scanner import scan_domain

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNSCANNABLE = 0, 1, 2, 3

EXIT_CODES_HELP = """\b
Exit codes:
  0  nothing at or above the failure threshold (--fail-on)
  1  findings at or above the threshold
  2  bad usage or input (e.g. an invalid domain name)
  3  could not scan (no resolver reachable, domain does not exist, deadline passed)
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
@click.argument("domains", nargs=-1, required=True)
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
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--fail-on", type=click.Choice(["warn", "fail"]), default="fail", show_default=True,
              help="The lowest verdict that makes the exit code 1.")
@click.option("--lang", type=click.Choice(["en", "nl"]), default="en", show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="Show the evidence under each table.")
def scan(domains: tuple[str, ...], nameservers: tuple[str, ...], timeout: float, deadline: float,
         dkim_selectors: tuple[str, ...], measures: tuple[str, ...], ca_bundle: Path | None,
         trust_anchor: Path | None, fmt: str, fail_on: str, lang: str, verbose: bool) -> None:
    """Scan DOMAINS and report every measure with its evidence."""
    try:
        names = [normalize_domain(d) for d in domains]
    except InputError as exc:
        fail_usage(str(exc))
    config = build_config(nameservers, timeout, deadline=deadline, dkim_selectors=dkim_selectors,
                          measures=measures, ca_bundle=ca_bundle, trust_anchor=trust_anchor,
                          fail_on=fail_on, lang=lang)  # type: ignore[arg-type]
    reports = run_scans(names, config)
    for report in reports:
        if fmt == "json":
            click.echo(render_json.render(report))
        else:
            click.echo(render_text.render(report, lang=lang, verbose=verbose))
        if report.error and fmt != "text":
            hint = "" if "NXDOMAIN" in report.error else (
                " Is this machine online? Choose a resolver with --nameserver.")
            click.echo(f"mailguard: could not scan {report.domain}: {report.error}.{hint}", err=True)
    sys.exit(exit_code(reports, fail_on))


def run_scans(domains: Sequence[str], config: Config) -> list[ScanReport]:
    async def scan_all() -> list[ScanReport]:
        net = Net(config)
        try:
            return list(await asyncio.gather(*(scan_domain(d, config, net=net) for d in domains)))
        finally:
            await net.aclose()

    try:
        return asyncio.run(scan_all())
    except NoResolver as exc:
        click.echo(f"mailguard: {exc}", err=True)
        sys.exit(EXIT_UNSCANNABLE)
    except MailguardError as exc:
        click.echo(f"mailguard: {exc}", err=True)
        sys.exit(EXIT_USAGE if isinstance(exc, InputError) else EXIT_UNSCANNABLE)


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
        async with asyncio.timeout(config.deadline):
            outcome = await evaluate(net, ip, sender, helo)
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
    except TimeoutError:
        click.echo("mailguard: the evaluation did not finish within the deadline", err=True)
        sys.exit(EXIT_UNSCANNABLE)
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
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="Show the evidence under each table.")
def demo(fmt: str, verbose: bool) -> None:
    """Start the local lab and scan its demo domains: what mailguard shows, with no internet at all."""
    from .lab import DEMO_DOMAINS, Lab

    with Lab() as lab:
        config = lab.config()
        click.echo(f"lab resolver on {lab.dns.address if lab.dns else '?'}; scanning "
                   f"{', '.join(DEMO_DOMAINS)}", err=True)
        reports = run_scans(DEMO_DOMAINS, dataclasses.replace(config))
    for report in reports:
        click.echo(render_json.render(report) if fmt == "json" else
                   render_text.render(report, verbose=verbose))
    sys.exit(EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["main", "render"]
