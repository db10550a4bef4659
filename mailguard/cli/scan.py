"""``mailguard scan``, ``demo``, ``lab`` and ``measures``: click only; what they do is in
:mod:`mailguard.app`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .errors import EXIT_CODES_HELP
from .options import allow_network_option, fleet_options, network_options, statement_budget_option

SCAN_HELP = EXIT_CODES_HELP + """
\b
Reports: with --report-dir, --report FORMAT, --format html/md or a config file, each domain's
report is written to REPORT_DIR/<domain>/<UTC time>.{html,md,pdf,json} (JSON always: it is the
history), never overwriting an earlier one, and compared with the previous report there.
\b
Unattended: mailguard scan --config mailguard.toml --quiet
(--quiet prints nothing when the exit code is 0; otherwise a short account of what is wrong.)
"""

@click.command(epilog=SCAN_HELP)
@click.argument("domains", nargs=-1)
@click.option("--domains-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Scan the domains in this file too: one a line, '#' starts a comment.")
@click.option("--concurrency", type=click.IntRange(1, 5000), default=100, show_default=True,
              help="Domains scanned at the same time (in all --workers together).")
@click.option("--workers", type=click.IntRange(1, 256), default=None, metavar="N",
              help="Processes scanning a local batch, each with its share of --concurrency; 1: this "
                   "process only. Default: one per core, at most one per 50 domains.")
@network_options
@click.option("--deadline", type=click.FloatRange(1, 3600), default=60.0, show_default=True,
              help="Seconds for a whole domain's scan; what is unfinished is reported as not tested.")
@click.option("--dkim-selector", "dkim_selectors", multiple=True, metavar="SELECTOR",
              help="DKIM selector to check, besides the common ones (repeatable).")
@click.option("--dkim-guess", type=click.Choice(["provider", "all"]), default=None,
              help="Which DKIM selectors to guess: 'provider' (default) asks only those of the providers the "
                   "MX and SPF records name, the long common list where none is recognised; 'all' always "
                   "the long list.")
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
@click.option("--timezone", metavar="ZONE",
              help="Time zone of the dates in report files (IANA name; default Europe/Amsterdam for Dutch, "
                   "UTC for English).")
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
@click.option("--caa-identity", "caa_identities", multiple=True, metavar="ISSUER=CAA-DOMAIN",
              help="The CAA domain of a CA the public table does not know (a private or lab CA): ISSUER is "
                   "its organisation or common name exactly, as in the certificate (repeatable).")
@allow_network_option
@statement_budget_option
@fleet_options
@click.pass_context
def scan(ctx: click.Context, /, **options: Any) -> None:
    """Scan DOMAINS (and those in --domains-file, or the config file's): every measure with its
    evidence, and a verdict on every promise.

    The promises come from --statement (whose domains are scanned when none are given; also the
    config file's statements), --profile, CHECKS_DIR/<domain>.toml, or else the built-in baseline
    (the good practice internet.nl and the Forum Standaardisatie apply)."""
    from ..app.run import run_scan
    from ..app.settings import plan_scan

    given = {name for name in options if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE}
    ctx.exit(run_scan(plan_scan(options, given)))


@click.command(epilog=EXIT_CODES_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl"]), default="text",
              show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="Show the evidence under each table.")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write the full reports of the demo domains and the demo company (ixstudios.example, "
                   "with its Dutch statement) into this folder instead of printing tables.")
@click.option("--report", "report_formats", multiple=True, type=click.Choice(["html", "md", "json", "pdf"]),
              help="Report file formats with --report-dir (repeatable; default html, md, json and pdf "
                   "when WeasyPrint is installed).")
@click.pass_context
def demo(ctx: click.Context, fmt: str, verbose: bool, report_dir: Path | None,
         report_formats: tuple[str, ...]) -> None:
    """Start the local lab and scan its demo domains: what mailguard shows, with no internet at all."""
    if report_dir is not None:
        from ..app.demo import write_reports_command

        ctx.exit(write_reports_command(report_dir, report_formats, click.echo))
    from ..app.tools import run_demo

    ctx.exit(run_demo(fmt, verbose))


@click.command("lab")
@click.pass_context
def lab_server(ctx: click.Context) -> None:
    """Serve the lab's DNS (good.test, weak.test, ...) on loopback until Ctrl-C, to scan it offline:
    `mailguard scan good.test --nameserver ADDRESS --allow-network 127.0.0.0/8`."""
    from ..app.tools import serve_lab

    ctx.exit(serve_lab())


@click.command("measures")
def list_measures() -> None:
    """List the measures mailguard can run."""
    from ..measures import catalog

    for measure in catalog():
        click.echo(f"{measure.name:12} {measure.area.value:20} {measure.title}")
