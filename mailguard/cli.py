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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from . import promises, render
from ._version import __version__
from .config import Config
from .errors import InputError, MailguardError, NoResolver
from .model import SEVERITY, ScanReport, Verdict
from .names import normalize_domain
from .net import Net
from .net.dns import parse_nameserver
from .promises.profile import load as load_profile
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
@click.option("--statement", metavar="FILE|URL",
              help="Privacy statement whose promises to check; its domains are scanned when none are given.")
@click.option("--profile", "profile_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Check profile (TOML) to use instead of checks/<domain>.toml.")
@click.option("--checks-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("checks"),
              show_default=True, help="Where check profiles <domain>.toml are looked up.")
def scan(domains: tuple[str, ...], nameservers: tuple[str, ...], timeout: float, deadline: float,
         dkim_selectors: tuple[str, ...], measures: tuple[str, ...], ca_bundle: Path | None,
         trust_anchor: Path | None, fmt: str, fail_on: str, lang: str, verbose: bool,
         statement: str | None, profile_file: Path | None, checks_dir: Path) -> None:
    """Scan DOMAINS and report every measure with its evidence, and the verdict on every promise.

    The promises come from --statement, --profile, checks/<domain>.toml, or else the built-in
    baseline (the good practice internet.nl and the Forum Standaardisatie apply)."""
    config = build_config(nameservers, timeout, deadline=deadline, dkim_selectors=dkim_selectors,
                          measures=measures, ca_bundle=ca_bundle, trust_anchor=trust_anchor,
                          fail_on=fail_on, lang=lang)  # type: ignore[arg-type]
    explicit = None
    try:
        if statement is not None:
            explicit = promises.read(statement, config).profile
        elif profile_file is not None:
            explicit = load_profile(profile_file)
        names = [normalize_domain(d) for d in (domains or (explicit.domains if explicit else ()))]
    except InputError as exc:
        fail_usage(str(exc))
    if not names:
        fail_usage("name a domain to scan" + (": the statement names none" if statement else ""))
    try:
        chosen = {n: promises.profile_for(n, explicit=explicit, checks_dir=checks_dir) for n in names}
    except InputError as exc:
        fail_usage(str(exc))
    configs = {n: promises.config_for(p, config) for n, p in chosen.items()}
    reports = [promises.attach(r, chosen[r.domain]) for r in run_scans(names, config, configs=configs)]
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


def run_scans(domains: Sequence[str], config: Config,
              configs: Mapping[str, Config] | None = None) -> list[ScanReport]:
    """Scan ``domains`` on one shared Net; ``configs`` may give a domain its own settings."""
    per_domain = configs or {}

    async def scan_all() -> list[ScanReport]:
        net = Net(config)
        try:
            return list(await asyncio.gather(*(scan_domain(d, per_domain.get(d, config), net=net)
                                               for d in domains)))
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
