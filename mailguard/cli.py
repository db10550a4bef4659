"""Click commands only: options -> Config, call the scanner, render, exit code.

Exit codes (stable; documented in --help and the README). When several apply, the first in
this order wins: 2 > 3 > 4 > 1 > 0.
  0  nothing at or above the failure threshold (--fail-on, default: fail)
  1  findings at or above the threshold, or a promise not upheld
  2  bad usage or input (an invalid domain name, an unreadable file, a bad config file)
  3  could not scan (no resolver reachable, domain does not exist, deadline passed)
  4  worse than the previous report in the report folder
Why this order: 2 and 3 mean there is no (complete) evidence, so nothing else can be relied on;
4 is news (something regressed since the last run) while 1 may have been true for months, so a
cron job that alerts on 4 sees each regression once, and 1 stays visible when nothing changed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from . import render, signing
from ._version import __version__
from .compare import compare
from .config import Config
from .errors import InputError, MailguardError, NoResolver
from .model import SEVERITY, Fulfilment, ScanReport, Verdict
from .names import normalize_domain
from .net import Net
from .net.dns import parse_nameserver
from .render import diff as render_diff
from .render import json as render_json
from .render import text as render_text
from .reporting import Signer, Written, load_document, write_report
from .scanner import scan_domain
from .settings import RunSettings
from .settings import load as load_settings

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNSCANNABLE, EXIT_WORSE = 0, 1, 2, 3, 4

EXIT_CODES_HELP = """\b
Exit codes (when several apply: 2 > 3 > 4 > 1 > 0):
  0  nothing at or above the failure threshold (--fail-on)
  1  findings at or above the threshold, or a promise not upheld
  2  bad usage or input (e.g. an invalid domain name, a bad config file)
  3  could not scan (no resolver reachable, domain does not exist, deadline passed)
  4  worse than the previous report in the report folder
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


def exit_code(reports: Sequence[ScanReport], fail_on: str, *, worse: bool = False) -> int:
    """The documented exit code; ``worse``: some report is worse than its previous one."""
    if any(r.error for r in reports):
        return EXIT_UNSCANNABLE
    if worse:
        return EXIT_WORSE
    return EXIT_FINDINGS if any(at_threshold(r, fail_on) for r in reports) else EXIT_OK


def at_threshold(report: ScanReport, fail_on: str) -> bool:
    """A finding at or above the threshold, or a promise not upheld (partly, with --fail-on warn)."""
    threshold = SEVERITY[Verdict.WARN if fail_on == "warn" else Verdict.FAIL]
    for measure in report.measures:
        if any(SEVERITY[f.verdict] >= threshold and f.verdict != Verdict.NOT_TESTED
               for f in measure.findings):
            return True
    broken = {Fulfilment.NOT_UPHELD} | ({Fulfilment.PARTLY} if fail_on == "warn" else set())
    return any(p.verdict in broken for p in report.promises)


@click.group(epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="mailguard")
def main() -> None:
    """Check the security measures a privacy statement promises against live DNS and hosts."""


SCAN_HELP = EXIT_CODES_HELP + """
\b
Reports: with --report-dir, --report FORMAT, --format html/md or a config file, each domain's
report is written to REPORT_DIR/<domain>/<UTC time>.{html,md,json} (JSON always: it is the
history), never overwriting an earlier one, and compared with the previous report there.
\b
Unattended: mailguard scan --config mailguard.toml --quiet
(--quiet prints nothing when the exit code is 0; otherwise a short account of what is wrong.)
"""

OUTPUT_FORMATS = ("text", "json", "html", "md")


def _formats(values: Sequence[str]) -> list[str]:
    """``--format html,md --format json`` -> ["html", "md", "json"]; unknown names are usage errors."""
    out: list[str] = []
    for value in values:
        for item in (v.strip().lower() for v in value.split(",")):
            if item == "markdown":
                item = "md"
            if item not in OUTPUT_FORMATS:
                fail_usage(f"unknown format {item!r}; choose from {', '.join(OUTPUT_FORMATS)}")
            if item and item not in out:
                out.append(item)
    return out


def _given(ctx: click.Context, name: str) -> bool:
    return ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE


@main.command(epilog=SCAN_HELP)
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
@click.option("--format", "fmt", multiple=True, metavar="LIST",
              help="text or json on the terminal (default text); html, md, json as report files "
                   "(comma-separated or repeated, e.g. --format html,md,json).")
@click.option("--report", "report_formats", multiple=True, type=click.Choice(["html", "md", "json"]),
              help="Write a report file in this format (repeatable).")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the report history (default: reports).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A mailguard.toml naming domains, report folder, formats, key... (see README).")
@click.option("--sign-key", type=click.Path(dir_okay=False, path_type=Path),
              help="Ed25519 private key (from `mailguard keygen`) to sign every report written.")
@click.option("--signer", metavar="NAME", help="Who signs, as written in the signature (default user@host).")
@click.option("--fail-on", type=click.Choice(["warn", "fail"]), default="fail", show_default=True,
              help="The lowest verdict that makes the exit code 1.")
@click.option("--lang", type=click.Choice(["en", "nl"]), default=None,
              help="Report language (default: the statement's language, else en).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing when the exit code is 0 (for cron).")
@click.option("-v", "--verbose", is_flag=True, help="Show the evidence under each table.")
@click.pass_context
def scan(ctx: click.Context, domains: tuple[str, ...], nameservers: tuple[str, ...], timeout: float,
         deadline: float, dkim_selectors: tuple[str, ...], measures: tuple[str, ...], ca_bundle: Path | None,
         trust_anchor: Path | None, fmt: tuple[str, ...], report_formats: tuple[str, ...],
         report_dir: Path | None, config_file: Path | None, sign_key: Path | None, signer: str | None,
         fail_on: str, lang: str | None, quiet: bool, verbose: bool) -> None:
    """Scan DOMAINS (or the config file's domains) and report every measure with its evidence."""
    settings = RunSettings()
    if config_file is not None:
        try:
            settings = load_settings(config_file)
        except InputError as exc:
            fail_usage(str(exc))

    def pick(name: str, value: Any, configured: Any) -> Any:
        return value if _given(ctx, name) or configured in (None, ()) else configured

    try:
        names = [normalize_domain(d) for d in (domains or settings.domains)]
    except InputError as exc:
        fail_usage(str(exc))
    if not names:
        fail_usage("no domains to scan: name them, or give a --config file with domains = [...]")
    fail_on = pick("fail_on", fail_on, settings.fail_on)
    ca_bundle, trust_anchor = pick("ca_bundle", ca_bundle, settings.ca_bundle), pick(
        "trust_anchor", trust_anchor, settings.trust_anchor)
    for path in (ca_bundle, trust_anchor):
        if path is not None and not Path(path).is_file():
            fail_usage(f"cannot read {path}")
    config = build_config(pick("nameservers", nameservers, settings.nameservers),
                          pick("timeout", timeout, settings.timeout),
                          deadline=pick("deadline", deadline, settings.deadline),
                          dkim_selectors=pick("dkim_selectors", dkim_selectors, settings.dkim_selectors),
                          measures=pick("measures", measures, settings.measures), ca_bundle=ca_bundle,
                          trust_anchor=trust_anchor, fail_on=fail_on,
                          lang=lang or settings.lang or "en")
    formats = _formats(fmt)
    file_formats = [f for f in formats if f in ("html", "md")] + list(report_formats) + list(settings.formats)
    if "json" in formats and (file_formats or report_dir or settings.report_dir):
        file_formats.append("json")
    to_files = bool(file_formats or report_dir or settings.report_dir or config_file)
    key_path = sign_key or settings.sign_key
    sign = None
    if key_path is not None:
        try:
            sign = Signer.load(Path(key_path), signer or settings.signer)
        except InputError as exc:
            fail_usage(str(exc))
    if settings.statements:
        click.echo("mailguard: statements in the config file are not read by this version", err=True)
    reports = run_scans(names, config)
    written: list[Written] = []
    if to_files:
        root = report_dir or settings.report_dir or Path("reports")
        for report in reports:
            try:
                written.append(write_report(report, root, file_formats or list(FILE_FORMATS),
                                            lang=report_lang(lang or settings.lang, report), signer=sign))
            except OSError as exc:
                fail_usage(f"cannot write the report for {report.domain} into {root}: {exc}")
    code = exit_code(reports, fail_on, worse=any(w.worse for w in written))
    if quiet:
        if code != EXIT_OK:
            click.echo(trouble(reports, written, fail_on, code))
        sys.exit(code)
    for report in reports:
        if not to_files and formats and formats[-1] == "json":
            click.echo(render_json.render(report))
        else:
            click.echo(render_text.render(report, lang=report_lang(lang or settings.lang, report),
                                          verbose=verbose))
        if report.error and formats and formats[-1] == "json":
            hint = "" if "NXDOMAIN" in report.error else (
                " Is this machine online? Choose a resolver with --nameserver.")
            click.echo(f"mailguard: could not scan {report.domain}: {report.error}.{hint}", err=True)
    for item in written:
        click.echo(written_lines(item, report_lang(lang or settings.lang, item.report)))
    sys.exit(code)


FILE_FORMATS = ("html", "md", "json")


def report_lang(chosen: str | None, report: ScanReport) -> str:
    """--lang, else the config file's, else the statement's language, else English."""
    if chosen in ("en", "nl"):
        return chosen
    statement = report.extra.get("statement")
    found = statement.get("lang") if isinstance(statement, Mapping) else None
    return found if found in ("en", "nl") else "en"


def written_lines(item: Written, lang: str) -> str:
    lines = []
    if item.comparison is not None:
        lines.append(render_diff.render(item.comparison, lang=lang).rstrip())
    lines += [f"report: {path}" for path in item.paths.values()]
    return "\n".join(lines)


def trouble(reports: Sequence[ScanReport], written: Sequence[Written], fail_on: str, code: int) -> str:
    """What --quiet prints when the exit code is not 0: enough for a cron mail."""
    by_domain = {w.report.domain: w for w in written}
    lines = [f"mailguard: exit code {code}"]
    for report in reports:
        item = by_domain.get(report.domain)
        if report.error:
            lines.append(f"{report.domain}: could not scan: {report.error}")
        elif at_threshold(report, fail_on) or (item is not None and item.worse):
            lines.append(render_text.summary_line([report]).replace("summary:", f"{report.domain}:"))
            broken = [p for p in report.promises if p.verdict in (Fulfilment.NOT_UPHELD, Fulfilment.PARTLY)]
            lines += [f"  promise {p.verdict.value}: {p.promise.sentence}" for p in broken]
        else:
            continue
        if item is not None:
            if item.worse and item.comparison is not None:
                lines += ["  " + line for line in render_diff.render(item.comparison).splitlines()]
            lines += [f"  report: {path}" for path in item.paths.values()]
    return "\n".join(lines)


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


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder for NAME.key (mode 0600) and NAME.pub.")
@click.option("--name", default="mailguard", show_default=True, help="File name of the key pair.")
def keygen(out_dir: Path, name: str) -> None:
    """Create an Ed25519 key pair for signing reports (never overwrites a key)."""
    try:
        private, public, fingerprint = signing.generate(out_dir, name=name)
    except (InputError, OSError) as exc:
        fail_usage(str(exc))
    click.echo(f"private key: {private} (keep it secret; pass it with --sign-key or sign_key = ...)")
    click.echo(f"public key:  {public} (give it to whoever checks reports: mailguard verify --public-key)")
    click.echo(f"fingerprint: {fingerprint}")


@main.command(epilog="""\b
Exit codes: 0 the report is unchanged since it was signed; 1 it is not (changed, or signed
with another key than --public-key); 2 the report or its .sig file cannot be read.""")
@click.argument("report", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--public-key", type=click.Path(dir_okay=False, path_type=Path),
              help="The signer's public key (mailguard.pub). Without it only the key inside the "
                   ".sig file is used: that proves the file is unchanged, not who signed it.")
def verify(report: Path, public_key: Path | None) -> None:
    """Check REPORT against its detached signature REPORT.sig: who signed what, when."""
    try:
        key = signing.load_public_key(public_key) if public_key is not None else None
        result = signing.verify_file(report, key)
    except InputError as exc:
        fail_usage(str(exc))
    if not result.ok:
        click.echo(f"NOT VERIFIED: {report}: {result.problem}")
        sys.exit(EXIT_FINDINGS)
    click.echo(f"verified: {report} (signed as {result.file}, sha256 {result.sha256})")
    click.echo(f"signed by {result.signer} at {result.signed_at} with key {result.key_fingerprint}")
    if not result.trusted:
        click.echo("note: checked with the key inside the .sig file only; pass --public-key to check "
                   "that it is the signer's key")
    sys.exit(EXIT_OK)


@main.command(epilog="""\b
Exit codes: 0 NEW is not worse than OLD; 4 it is worse; 2 a file cannot be read.""")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--lang", type=click.Choice(["en", "nl"]), default="en", show_default=True)
def diff(old: Path, new: Path, fmt: str, lang: str) -> None:
    """Compare two JSON reports of a domain: what changed from OLD to NEW, and whether it is worse."""
    try:
        comparison = compare(load_document(old), load_document(new))
    except InputError as exc:
        fail_usage(str(exc))
    if fmt == "json":
        click.echo(json.dumps(dict(render_json.to_jsonable(comparison), worse=comparison.worse),
                              indent=2, ensure_ascii=False))
    else:
        click.echo(render_diff.render(comparison, lang=lang), nl=False)
    sys.exit(EXIT_WORSE if comparison.worse else EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["main", "render"]
