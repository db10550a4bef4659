"""Click commands only: options -> Config, call the scanner, render, exit code.

Exit codes (stable; documented in --help and the README). When several apply, the first in
this order wins: 2 > 3 > 4 > 1 > 0.
  0  nothing at or above the failure threshold (--fail-on, default: fail)
  1  findings at or above the threshold, or a promise not upheld
  2  bad usage or input (an invalid domain name, an unreadable file, a bad config file)
  3  could not scan (no resolver reachable, no such domain, deadline passed, broker or database down, fleet run stalled)
  4  worse than the previous report in the report folder
With several domains: 3 only when none could be scanned; 1 when any has findings at or above
the threshold or could not be scanned. 130: interrupted (Ctrl-C); finished results are kept.
Why this order: 2 and 3 mean there is no (complete) evidence, so nothing else can be relied on;
4 is news (something regressed since the last run) while 1 may have been true for months, so a
cron job that alerts on 4 sees each regression once, and 1 stays visible when nothing changed.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import ipaddress
import itertools
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import click
from tabulate import tabulate

from . import promises, render, signing
from ._version import __version__
from .batch import BatchTally, read_domains, scan_many
from .batch.chunk import Recorder
from .batch.runner import ScanOne
from .compare import compare
from .config import Config, IpNetwork
from .errors import BrokerError, InputError, MailguardError, NoResolver, StoreError
from .measures.spf import Result, SpfResult, evaluate
from .measures.spf.lookups import parse_ip
from .measures.spf.macros import IpAddress
from .model import SEVERITY, Fulfilment, ScanReport, Verdict
from .names import is_valid_dns_name, normalize_domain
from .net import Net
from .net.dns import parse_nameserver
from .promises.profile import Profile
from .promises.profile import load as load_profile
from .render import diff as render_diff
from .render import json as render_json
from .render import text as render_text
from .reporting import Signer, Written, load_document, write_report
from .settings import RunSettings
from .settings import load as load_settings

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNSCANNABLE, EXIT_WORSE = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT

EXIT_CODES_HELP = """\b
Exit codes (when several apply: 2 > 3 > 4 > 1 > 0):
  0  nothing at or above the failure threshold (--fail-on)
  1  findings at or above the threshold, or a promise not upheld
  2  bad usage or input (e.g. an invalid domain name, a bad config file)
  3  could not scan (no resolver reachable, no such domain, deadline passed, broker or database down, fleet run stalled)
  4  worse than the previous report in the report folder
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


def check_trust_anchor(path: Path) -> None:
    """A bad --trust-anchor file is a usage error (exit 2), not a scan full of "not tested"."""
    from .errors import ParseError
    from .measures.dnssec.anchors import load_anchors

    try:
        load_anchors(path)
    except (OSError, ParseError) as exc:
        fail_usage(f"--trust-anchor {path}: {exc}")


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
        click.option("--stall-timeout", type=click.FloatRange(1, 7 * 24 * 3600), default=7200,
                     show_default=True, metavar="SECONDS",
                     help="Give up (exit 3, resumable with --run) when no chunk has finished for this long: "
                          "no worker running, or a chunk lost. Keep it above the workers' --visibility-timeout "
                          "(default 3600), after which a dead worker's chunk runs again."),
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
report is written to REPORT_DIR/<domain>/<UTC time>.{html,md,pdf,json} (JSON always: it is the
history), never overwriting an earlier one, and compared with the previous report there.
\b
Unattended: mailguard scan --config mailguard.toml --quiet
(--quiet prints nothing when the exit code is 0; otherwise a short account of what is wrong.)
"""

OUTPUT_FORMATS = ("text", "json", "jsonl", "html", "md", "pdf")
FILE_FORMATS = ("html", "md", "json")


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
@click.option("--domains-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Scan the domains in this file too: one a line, '#' starts a comment.")
@click.option("--concurrency", type=click.IntRange(1, 5000), default=100, show_default=True,
              help="Domains scanned at the same time.")
@network_options
@click.option("--deadline", type=click.FloatRange(1, 3600), default=60.0, show_default=True,
              help="Seconds for a whole domain's scan; what is unfinished is reported as not tested.")
@click.option("--dkim-selector", "dkim_selectors", multiple=True, metavar="SELECTOR",
              help="DKIM selector to check, besides the common ones (repeatable).")
@click.option("--eml", "eml_files", multiple=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A message the domain sent (repeatable): its DKIM signatures are verified and "
                   "its selectors checked.")
@click.option("--web-host", "web_hosts", multiple=True, metavar="HOST",
              help="A further web host to check besides the domain and www. (a contact form, a portal; "
                   "repeatable).")
@click.option("--measure", "measures", multiple=True, metavar="NAME",
              help="Run only this measure (repeatable); see `mailguard measures`.")
@click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Extra trusted root certificates (PEM) for TLS checks.")
@click.option("--trust-anchor", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="DNSSEC trust anchor file (DS and/or DNSKEY records in zone-file format) "
                   "replacing the IANA root anchors.")
@click.option("--rpki-vrps", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="RPKI: Validated ROA Payloads, the JSON of `rpki-client -j` or `routinator vrps "
                   "--format json`. Without this or --rpki-url, RPKI is not tested.")
@click.option("--rpki-url", metavar="URL",
              help="RPKI: a Routinator HTTP service, its VRP list (URL ending in /json) or the base of "
                   "its /api/v1/validity API.")
@click.option("--rpki-origin-zone", metavar="ZONE", default="origin.asn.cymru.com", show_default=True,
              help="RPKI: DNS origin lookup service for IPv4 addresses (TXT 'AS | prefix | ...').")
@click.option("--rpki-origin6-zone", metavar="ZONE", default="origin6.asn.cymru.com", show_default=True,
              help="RPKI: DNS origin lookup service for IPv6 addresses.")
@click.option("--bimi-selector", "bimi_selectors", multiple=True, metavar="SELECTOR",
              help="BIMI selector to check besides default (repeatable).")
@click.option("--bimi-ca", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="BIMI: root certificates (PEM) of mark certificate (VMC/CMC) issuers; without it the "
                   "mark certificate's chain is not checked.")
@click.option("--format", "fmt", multiple=True, metavar="LIST",
              help="On the terminal: text (default), json, or jsonl (one document a line, as each "
                   "domain finishes). As report files: html, md, pdf, json (comma-separated or repeated, "
                   "e.g. --format html,md,json).")
@click.option("--report", "report_formats", multiple=True, type=click.Choice(["html", "md", "json", "pdf"]),
              help="Write a report file in this format (repeatable).")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the report history (default: reports).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A mailguard.toml naming domains, report folder, formats, key... (see README).")
@click.option("--sign-key", type=click.Path(dir_okay=False, path_type=Path),
              help="Ed25519 private key (from `mailguard keygen`) to sign every report written.")
@click.option("--signer", metavar="NAME", help="Who signs, as written in the signature (default user@host).")
@click.option("--summary", type=click.Choice(["table", "csv", "none"]), default=None,
              help="After several domains: counts per measure (table) or one row a domain (csv). "
                   "Default: table when scanning more than one domain.")
@click.option("--fail-on", type=click.Choice(["warn", "fail"]), default="fail", show_default=True,
              help="The lowest verdict that makes the exit code 1.")
@click.option("--lang", type=click.Choice(["en", "nl"]), default=None,
              help="Report language (default: the statement's language, else en).")
@click.option("-q", "--quiet", is_flag=True,
              help="For cron: no tables, progress or summary; nothing at all when the exit code is 0, "
                   "else a short account of what is wrong. JSON asked for on stdout is still written.")
@click.option("-v", "--verbose", is_flag=True, help="Show the evidence under each table.")
@click.option("--statement", metavar="FILE|URL",
              help="Privacy statement whose promises to check; its domains are scanned when none are given.")
@click.option("--profile", "profile_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Check profile (TOML) to use instead of checks/<domain>.toml.")
@click.option("--checks-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("checks"),
              show_default=True, help="Where check profiles <domain>.toml are looked up.")
@click.option("--allow-network", "allowed_networks", multiple=True, metavar="CIDR",
              help="Contact only addresses in this network (repeatable), e.g. 127.0.0.0/8 for a lab.")
@fleet_options
@click.pass_context
def scan(ctx: click.Context, domains: tuple[str, ...], domains_file: Path | None, concurrency: int,
         nameservers: tuple[str, ...], timeout: float, deadline: float,
         dkim_selectors: tuple[str, ...], eml_files: tuple[Path, ...], web_hosts: tuple[str, ...],
         measures: tuple[str, ...],
         ca_bundle: Path | None, trust_anchor: Path | None, rpki_vrps: Path | None, rpki_url: str | None,
         rpki_origin_zone: str, rpki_origin6_zone: str, bimi_selectors: tuple[str, ...], bimi_ca: Path | None,
         fmt: tuple[str, ...],
         report_formats: tuple[str, ...],
         report_dir: Path | None, config_file: Path | None, sign_key: Path | None, signer: str | None,
         summary: str | None, fail_on: str, lang: str | None, quiet: bool, verbose: bool,
         statement: str | None, profile_file: Path | None, checks_dir: Path,
         allowed_networks: tuple[str, ...], engine: str, broker: str | None, chunk_size: int, db: str | None,
         run_id: str | None, stall_timeout: float) -> None:
    """Scan DOMAINS (and those in --domains-file, or the config file's): every measure with its
    evidence, and a verdict on every promise.

    The promises come from --statement (whose domains are scanned when none are given; also the
    config file's statements), --profile, CHECKS_DIR/<domain>.toml, or else the built-in baseline
    (the good practice internet.nl and the Forum Standaardisatie apply)."""
    settings = RunSettings()
    if config_file is not None:
        try:
            settings = load_settings(config_file)
        except InputError as exc:
            fail_usage(str(exc))

    def pick(name: str, value: Any, configured: Any) -> Any:
        return value if _given(ctx, name) or configured in (None, ()) else configured

    fail_on = pick("fail_on", fail_on, settings.fail_on)
    engine = pick("engine", engine, settings.engine)
    chunk_size = pick("chunk_size", chunk_size, settings.chunk_size)
    broker = broker or settings.broker  # the command line and MAILGUARD_BROKER win over the file
    db = db or settings.db
    check_fleet_usage(engine, broker, run_id, eml_files)
    ca_bundle = pick("ca_bundle", ca_bundle, settings.ca_bundle)
    trust_anchor = pick("trust_anchor", trust_anchor, settings.trust_anchor)
    for path in (ca_bundle, trust_anchor):
        if path is not None and not Path(path).is_file():
            fail_usage(f"cannot read {path}")
    check_messages_readable(eml_files)
    peers = peer_settings(ctx, settings, rpki_vrps, rpki_url, rpki_origin_zone, rpki_origin6_zone,
                          bimi_selectors, bimi_ca)
    try:
        extra_hosts = tuple(normalize_domain(h) for h in web_hosts)
        networks = parse_networks(allowed_networks)
    except InputError as exc:
        fail_usage(str(exc))
    config = build_config(pick("nameservers", nameservers, settings.nameservers),
                          pick("timeout", timeout, settings.timeout),
                          deadline=pick("deadline", deadline, settings.deadline),
                          dkim_selectors=pick("dkim_selectors", dkim_selectors, settings.dkim_selectors),
                          eml_files=eml_files, web_hosts=extra_hosts,
                          measures=pick("measures", measures, settings.measures), ca_bundle=ca_bundle,
                          trust_anchor=trust_anchor, fail_on=fail_on, lang=lang or settings.lang or "en",
                          allowed_networks=networks, **peers)
    checker, statement_lang = promise_checker(config, statement, profile_file, settings.statements,
                                              pick("checks_dir", checks_dir, settings.checks_dir))
    chosen_lang = lang or settings.lang or statement_lang
    config = dataclasses.replace(config, lang="nl" if chosen_lang == "nl" else "en")
    domains = domains or settings.domains or checker.domains()
    if not domains and domains_file is None and run_id is None:
        fail_usage("give at least one DOMAIN or --domains-file FILE (or a --config file with domains = [...])"
                   + ("; the statement names no domain of its own" if statement or settings.statements else ""))
    try:
        names = [normalize_domain(d) for d in domains]
        total = len(names) + (sum(1 for _ in read_domains(domains_file)) if domains_file else 0)
    except InputError as exc:
        fail_usage(str(exc))
    formats = _formats(fmt)
    writer = report_writer(formats, report_formats, report_dir, config_file, settings,
                           sign_key, signer, chosen_lang)
    stdout_fmt = next((f for f in reversed(formats) if f in ("text", "json", "jsonl")), "text")
    if writer is not None and stdout_fmt == "json" and "json" in writer.formats and "text" not in formats:
        stdout_fmt = "text"  # --format json with a report folder: the JSON goes into the history
    if trust_anchor is not None:
        check_trust_anchor(trust_anchor)
    source = itertools.chain(names, read_domains(domains_file) if domains_file else ())
    batch = total > 1 or run_id is not None
    summary = summary or ("table" if batch else "none")
    output = Output(stdout_fmt, lang=chosen_lang, verbose=verbose, many=batch,
                    quiet=quiet and stdout_fmt == "text", writer=writer, fail_on=fail_on)
    progress = Progress(total, enabled=batch and not quiet and sys.stderr.isatty())
    if engine == "celery":
        assert broker is not None
        tally, interrupted = run_fleet(None if run_id else source, config, output, progress, broker=broker,
                                       db=db or default_db(), chunk_size=chunk_size, run_id=run_id,
                                       keep_rows=summary == "csv", checker=checker, stall=stall_timeout)
    else:
        tally, interrupted = run_batch(source, config, concurrency, output, progress,
                                       keep_rows=summary == "csv", scan=checker.scan, db=db, total=total)
    output.close()
    if not quiet and summary != "none":
        print_summary(tally, summary, to_stderr=stdout_fmt != "text")
    if interrupted:
        click.echo(f"mailguard: interrupted; {tally.domains} finished result(s) kept", err=True)
        sys.exit(EXIT_INTERRUPTED)
    worse = writer is not None and writer.worse
    code = (batch_exit_code(tally, fail_on, worse=worse) if batch
            else exit_code(output.last, fail_on, worse=worse))
    if quiet and code != EXIT_OK:
        # On stderr when stdout carries JSON, so that a pipeline's JSON Lines stay clean.
        click.echo("\n".join([f"mailguard: exit code {code}", *output.trouble_report()]),
                   err=stdout_fmt != "text")
    sys.exit(code)


def peer_settings(ctx: click.Context, settings: RunSettings, rpki_vrps: Path | None, rpki_url: str | None,
                  origin_zone: str, origin6_zone: str, bimi_selectors: tuple[str, ...],
                  bimi_ca: Path | None) -> dict[str, Any]:
    """The RPKI and BIMI options (the command line over the config file), checked up front so that
    an unusable VRP file, URL, zone or CA bundle is exit code 2 and not a scan of "not tested"."""
    from .measures.rpki import check_url, load_vrps
    from .net.certs import load_bundle

    vrps = rpki_vrps if _given(ctx, "rpki_vrps") else settings.rpki_vrps
    url = rpki_url if _given(ctx, "rpki_url") else settings.rpki_url
    selectors = bimi_selectors if _given(ctx, "bimi_selectors") else settings.bimi_selectors
    ca = bimi_ca if _given(ctx, "bimi_ca") else settings.bimi_ca
    try:
        if vrps is not None and url:
            raise InputError("give --rpki-vrps or --rpki-url, not both")
        if vrps is not None:
            load_vrps(Path(vrps))
        if url:
            url = check_url(url)
        if ca is not None:
            load_bundle(Path(ca))
        for zone in (origin_zone, origin6_zone):
            if not is_valid_dns_name(zone.strip().rstrip(".")):
                raise InputError(f"not a DNS zone: {zone!r}")
        for selector in selectors:
            if not is_valid_dns_name(selector.strip().rstrip(".")):
                raise InputError(f"--bimi-selector {selector!r}: not a DNS label")
    except InputError as exc:
        fail_usage(str(exc))
    return {"rpki_vrps": vrps, "rpki_url": url or None, "rpki_origin_zone": origin_zone.strip().rstrip("."),
            "rpki_origin6_zone": origin6_zone.strip().rstrip("."), "bimi_selectors": tuple(selectors),
            "bimi_ca": ca}


def report_writer(formats: Sequence[str], report_formats: Sequence[str], report_dir: Path | None,
                  config_file: Path | None, settings: RunSettings, sign_key: Path | None,
                  signer: str | None, lang: str | None) -> ReportWriter | None:
    """The writer of report files, or None when no report folder is asked for."""
    file_formats = [f for f in formats if f in ("html", "md", "pdf")] + list(report_formats) + list(settings.formats)
    if not (file_formats or report_dir or settings.report_dir or config_file):
        return None
    if "json" in formats:
        file_formats.append("json")
    key_path = sign_key or settings.sign_key
    sign = None
    if key_path is not None:
        try:
            sign = Signer.load(Path(key_path), signer or settings.signer)
        except InputError as exc:
            fail_usage(str(exc))
    root = report_dir or settings.report_dir or Path("reports")
    return ReportWriter(root, file_formats or list(FILE_FORMATS), sign, lang)


class ReportWriter:
    """Writes each finished report into the history, and remembers whether any got worse."""

    def __init__(self, root: Path, formats: Sequence[str], signer: Signer | None, lang: str | None) -> None:
        self.root, self.formats, self.signer, self.lang = root, list(formats), signer, lang
        self.worse = False

    def __call__(self, report: ScanReport) -> Written:
        try:
            item = write_report(report, self.root, self.formats, lang=report_lang(self.lang, report),
                                signer=self.signer)
        except (OSError, InputError) as exc:
            fail_usage(f"cannot write the report for {report.domain} into {self.root}: {exc}")
            raise AssertionError from exc  # unreachable
        self.worse = self.worse or item.worse
        return item


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


def trouble_lines(report: ScanReport, item: Written | None) -> list[str]:
    """One domain's part of what --quiet prints when the exit code is not 0."""
    if report.error:
        lines = [f"{report.domain}: could not scan: {report.error}"]
    else:
        lines = [render_text.summary_line([report]).replace("summary:", f"{report.domain}:")]
        broken = [p for p in report.promises if p.verdict in (Fulfilment.NOT_UPHELD, Fulfilment.PARTLY)]
        lines += [f"  promise {p.verdict.value}: {p.promise.sentence}" for p in broken]
    if item is not None:
        if item.worse and item.comparison is not None:
            lines += ["  " + line for line in render_diff.render(item.comparison).splitlines()]
        lines += [f"  report: {path}" for path in item.paths.values()]
    return lines


MAX_TROUBLE_DOMAINS = 100  # domains listed by --quiet when the run is in trouble


class Output:
    """Writes each report as it finishes, flushed, so a pipe or a crash keeps what is done.

    With a ``writer`` each report also goes into the history. ``quiet`` keeps the terminal text
    back and only collects, for domains in trouble, the lines --quiet prints when the run fails.
    """

    def __init__(self, fmt: str, *, lang: str | None, verbose: bool, many: bool, quiet: bool = False,
                 writer: ReportWriter | None = None, fail_on: str = "fail") -> None:
        self.fmt, self.lang, self.verbose, self.many = fmt, lang, verbose, many
        self.quiet, self.writer, self.fail_on = quiet, writer, fail_on
        self.count = 0
        self.last: list[ScanReport] = []
        self.trouble: list[str] = []
        self.troubled = 0

    def __call__(self, report: ScanReport) -> None:
        item = self.writer(report) if self.writer is not None else None
        if report.error or at_threshold(report, self.fail_on) or (item is not None and item.worse):
            self.troubled += 1
            if self.troubled <= MAX_TROUBLE_DOMAINS:  # memory stays flat for 100,000 domains
                self.trouble += trouble_lines(report, item)
        self.last = [report]
        if self.quiet:
            self.count += 1
            return
        if self.fmt == "jsonl":
            text = render_json.render(report, indent=None)
        elif self.fmt == "json":
            text = render_json.render(report)
            if self.many:
                text = ("[\n" if self.count == 0 else ",\n") + text
        else:
            lang = report_lang(self.lang, report)
            text = render_text.render(report, lang=lang, verbose=self.verbose)
            if report.error and not self.many:
                hint = "" if "NXDOMAIN" in report.error else " Is this machine online?"
                click.echo(f"mailguard: could not scan {report.domain}: {report.error}.{hint}", err=True)
            if item is not None:
                text = text.rstrip("\n") + "\n" + written_lines(item, lang)
        click.echo(text)
        sys.stdout.flush()
        self.count += 1

    def trouble_report(self) -> list[str]:
        more = self.troubled - MAX_TROUBLE_DOMAINS
        return self.trouble + ([f"... and {more} more domain(s) in trouble"] if more > 0 else [])

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
              progress: Progress, *, keep_rows: bool = False, scan: ScanOne | None = None,
              db: str | None = None, total: int = 0) -> tuple[BatchTally, bool]:
    """Scan everything in ``source``; returns the tally and whether Ctrl-C stopped it.

    With ``db`` every finished report is also recorded there, in a run of its own."""
    tally = BatchTally(keep_rows=keep_rows)
    recorder = open_recorder(db, "local", total, config) if db else None

    async def go() -> None:
        try:
            async for report in scan_many(source, config, concurrency=concurrency, scan=scan):
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


def check_fleet_usage(engine: str, broker: str | None, run_id: str | None, eml_files: Sequence[Path]) -> None:
    if run_id is not None and engine != "celery":
        fail_usage("--run resumes a fleet run: give it with --engine celery")
    if engine == "celery" and not broker:
        fail_usage("--engine celery needs --broker redis://HOST:6379/0 (or MAILGUARD_BROKER)")
    if engine == "celery" and eml_files:
        fail_usage("--eml reads messages on this machine: use it with --engine local")


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
              broker: str, db: str, chunk_size: int, run_id: str | None, stall: float,
              keep_rows: bool = False, checker: promises.PromiseScan | None = None) -> tuple[BatchTally, bool]:
    """Send ``source`` to the workers in chunks (or resume ``run_id``) and deliver results as they come."""
    from .batch.chunk import promise_settings
    from .store import database_url, open_store

    celery_app, fleet = need_fleet()
    guarded(celery_app.ping_broker, broker)
    store = guarded(open_store, db)
    app = guarded(celery_app.make_app, broker)
    tally = BatchTally(keep_rows=keep_rows)
    interrupted = False

    def started(new_run: str) -> None:
        nonlocal run_id
        run_id = new_run
        click.echo(f"mailguard: run {new_run}; if stopped, collect it with --run {new_run}", err=True)

    try:
        if source is None:
            assert run_id is not None
            if store.run(run_id) is None:
                fail_usage(f"no run {run_id!r} in {db}")
        else:
            run_id = fleet.submit(app, store, source, config, chunk_size=chunk_size, db=database_url(db),
                                  on_start=started,
                                  promises=(lambda chunk: promise_settings(checker, chunk)) if checker else None)
        run = store.run(run_id)
        progress.total = run.total if run else progress.total
        for report in fleet.collect(app, store, run_id, stall=stall):
            deliver(report, tally, output, progress, config.fail_on)
    except KeyboardInterrupt:
        interrupted = True
        click.echo(f"mailguard: the workers go on; collect the rest with --run {run_id}", err=True)
    except (StoreError, BrokerError) as exc:
        click.echo(f"mailguard: {exc}" + (f"; collect the rest with --run {run_id}" if run_id else ""), err=True)
        sys.exit(EXIT_UNSCANNABLE)
    except InputError as exc:
        fail_usage(str(exc))
    finally:
        progress.finish()
        store.close()
    return tally, interrupted


def batch_exit_code(tally: BatchTally, fail_on: str, *, worse: bool = False) -> int:
    """Several domains: 3 when none could be scanned; 4 when any report is worse than its previous
    one; 1 when any failed or could not be scanned."""
    if tally.domains and tally.unscannable == tally.domains:
        return EXIT_UNSCANNABLE
    if worse:
        return EXIT_WORSE
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


def promise_checker(config: Config, statement: str | None, profile_file: Path | None,
                    configured: Sequence[str], checks_dir: Path | None) -> tuple[promises.PromiseScan, str | None]:
    """Where each domain's promises come from, and the statement's language (for the report).

    --statement or --profile holds for every domain scanned; the config file's statements each
    hold for the domains they name; else checks/<domain>.toml; else the baseline."""
    explicit: Profile | None = None
    by_domain: dict[str, Profile] = {}
    language = None
    try:
        if statement is not None:
            explicit = promises.read(statement, config).profile
            language = explicit.language
        elif profile_file is not None:
            explicit = load_profile(profile_file)
        else:
            for source in configured:
                read = promises.read(source, config).profile
                language = language or read.language
                for domain in read.domains:
                    by_domain.setdefault(domain, read)
    except InputError as exc:
        fail_usage(str(exc))
    return promises.PromiseScan(explicit=explicit, by_domain=by_domain, checks_dir=checks_dir), language


def check_messages_readable(paths: Sequence[Path]) -> None:
    """Refuse (exit 2) a --eml file that is not a mail message, before any query is sent."""
    from .dkim.check import read_message

    for path in paths:
        try:
            read_message(path)
        except InputError as exc:
            fail_usage(str(exc))


@main.group()
def dkim() -> None:
    """DKIM tools."""


DKIM_VERIFY_EXIT_HELP = """\b
Exit codes:
  0  at least one signature verified (pass)
  1  no signature verified (fail, permerror, or no DKIM-Signature at all)
  2  bad input (an unreadable file, not a mail message)
  3  no resolver: no key lookup got an answer
"""


@dkim.command("verify", epilog=DKIM_VERIFY_EXIT_HELP)
@click.argument("message", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@network_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="Show the key lookup's evidence per signature.")
def dkim_verify(message: Path, nameservers: tuple[str, ...], timeout: float, fmt: str,
                verbose: bool) -> None:
    """Verify every DKIM-Signature of MESSAGE (an .eml file), fetching keys from the DNS.

    Per signature the result word comes first (pass, fail, permerror, temperror), then the
    facts: d=, s=, the algorithm, the key and its size, the signed headers, l=, t= and x=, and
    whether d= aligns with the From domain for DMARC (strict and relaxed).
    """
    from .dkim.check import MessageReport, read_message, verify_message
    from .dkim.verify import TEMPERROR
    from .net import Net
    from .render import dkim_verify as render_verify

    try:
        parsed = read_message(message)
    except InputError as exc:
        fail_usage(str(exc))
    config = build_config(nameservers, timeout)

    async def go() -> MessageReport:
        net = Net(config)
        try:
            return await verify_message(net, parsed, message.name)
        finally:
            await net.aclose()

    try:
        report = asyncio.run(go())
    except NoResolver as exc:
        click.echo(f"mailguard: {exc}", err=True)
        sys.exit(EXIT_UNSCANNABLE)
    click.echo(render_verify.render_json(report) if fmt == "json"
               else render_verify.render_text(report, verbose=verbose), nl=False)
    if report.passed:
        sys.exit(EXIT_OK)
    if report.verifications and all(v.result == TEMPERROR for v in report.verifications):
        click.echo("mailguard: no key lookup got an answer; choose a resolver with --nameserver",
                   err=True)
        sys.exit(EXIT_UNSCANNABLE)
    sys.exit(EXIT_FINDINGS)


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
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write the full reports of the demo domains and the demo company (ixstudios.example, "
                   "with its Dutch statement) into this folder instead of printing tables.")
@click.option("--report", "report_formats", multiple=True, type=click.Choice(["html", "md", "json", "pdf"]),
              help="Report file formats with --report-dir (repeatable; default html, md, json and pdf "
                   "when WeasyPrint is installed).")
def demo(fmt: str, verbose: bool, report_dir: Path | None, report_formats: tuple[str, ...]) -> None:
    """Start the local lab and scan its demo domains: what mailguard shows, with no internet at all."""
    from .lab import DEMO_DKIM_SELECTORS, DEMO_DOMAINS, Lab

    if report_dir is not None:
        from .app.demo import write_reports_command

        sys.exit(write_reports_command(report_dir, report_formats, click.echo))
    with Lab() as lab:
        click.echo(f"lab resolver on {lab.dns.address if lab.dns else '?'}; scanning "
                   f"{', '.join(DEMO_DOMAINS)}", err=True)
        output = Output(fmt, lang="en", verbose=verbose, many=True)
        config = lab.config(dkim_selectors=DEMO_DKIM_SELECTORS)
        run_batch(DEMO_DOMAINS, config, len(DEMO_DOMAINS), output, Progress(0, enabled=False),
                  scan=promises.PromiseScan().scan)
        output.close()
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
