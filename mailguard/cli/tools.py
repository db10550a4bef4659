"""``mailguard spf``, ``promises`` and ``dkim verify``: click only."""

from __future__ import annotations

from pathlib import Path

import click

from ..app.outcome import EXIT_FINDINGS, EXIT_OK, EXIT_UNSCANNABLE
from ..core.errors import InputError
from .options import allow_network_option, network_options, statement_budget_option

SPF_EXIT_HELP = """\b
Exit codes:
  0  evaluated: the result word is on the first line of the output
  2  bad usage or input (e.g. an invalid IP address)
  3  no resolver reachable
"""


@click.command("spf", epilog=SPF_EXIT_HELP)
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
    from ..app.settings import build_config
    from ..app.tools import run_spf
    from ..measures.spf.lookups import parse_ip
    from ..render.spf import trace

    try:
        ip = parse_ip(ip_text)
    except ValueError:
        raise InputError(f"invalid IP address {ip_text!r}") from None
    if not sender.strip().strip("<>").strip() and not helo.strip():
        raise InputError("give --sender, or --helo for a bounce (empty MAIL FROM)")
    outcome = run_spf(build_config(nameservers, timeout), ip, sender, helo)
    click.echo(outcome.result.value)
    if outcome.explanation is not None:
        click.echo(outcome.explanation)
    if verbose:
        click.echo(trace(outcome))


@click.command("promises", epilog="""\b
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
@allow_network_option
@statement_budget_option
@click.pass_context
def promises_command(ctx: click.Context, statement: str, write_profile: bool, checks_dir: Path, force: bool,
                     fmt: str, timeout: float, ca_bundle: Path | None, allowed_networks: tuple[str, ...],
                     statement_budget: float) -> None:
    """Read a privacy statement (text, Markdown, HTML, PDF or URL; Dutch or English) and list the
    domains it names and every security promise it makes, with the sentence it comes from."""
    from .. import promises
    from ..app.settings import parse_networks
    from ..app.statements import read_statement
    from ..core.config import Config
    from ..render import promises as render_promises

    config = Config(timeout=timeout, ca_bundle=ca_bundle, allowed_networks=parse_networks(allowed_networks))
    found = read_statement(statement, config, budget=statement_budget)
    written = promises.profiles.save(found.profile, checks_dir, overwrite=force) if write_profile else None
    render = render_promises.to_json if fmt == "json" else render_promises.to_text
    click.echo(render(found, written))
    ctx.exit(EXIT_OK)


@click.group()
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
@click.pass_context
def dkim_verify(ctx: click.Context, message: Path, nameservers: tuple[str, ...], timeout: float, fmt: str,
                verbose: bool) -> None:
    """Verify every DKIM-Signature of MESSAGE (an .eml file), fetching keys from the DNS.

    Per signature the result word comes first (pass, fail, permerror, temperror), then the
    facts: d=, s=, the algorithm, the key and its size, the signed headers, l=, t= and x=, and
    whether d= aligns with the From domain for DMARC (strict and relaxed).
    """
    from ..app.settings import build_config
    from ..app.tools import verify_message_file
    from ..measures.dkim.verify import TEMPERROR
    from ..render import dkim_verify as render_verify

    report = verify_message_file(message, build_config(nameservers, timeout))
    click.echo(render_verify.render_json(report) if fmt == "json"
               else render_verify.render_text(report, verbose=verbose), nl=False)
    if report.passed:
        ctx.exit(EXIT_OK)
    if report.verifications and all(v.result == TEMPERROR for v in report.verifications):
        click.echo("mailguard: no key lookup got an answer; choose a resolver with --nameserver", err=True)
        ctx.exit(EXIT_UNSCANNABLE)
    ctx.exit(EXIT_FINDINGS)
