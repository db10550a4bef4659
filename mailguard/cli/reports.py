"""``mailguard keygen``, ``verify`` and ``diff``: signed reports and what changed. Click only."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..app.outcome import EXIT_FINDINGS, EXIT_OK, EXIT_WORSE


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder for NAME.key (mode 0600) and NAME.pub.")
@click.option("--name", default="mailguard", show_default=True, help="File name of the key pair.")
def keygen(out_dir: Path, name: str) -> None:
    """Create an Ed25519 key pair for signing reports (never overwrites a key)."""
    from ..app import signing

    private, public, fingerprint = signing.generate(out_dir, name=name)
    click.echo(f"private key: {private} (keep it secret; pass it with --sign-key or sign_key = ...)")
    click.echo(f"public key:  {public} (give it to whoever checks reports: mailguard verify --public-key)")
    click.echo(f"fingerprint: {fingerprint}")


@click.command(epilog="""\b
Exit codes: 0 the report is unchanged since it was signed; 1 it is not (changed, or signed
with another key than --public-key); 2 the report or its .sig file cannot be read.""")
@click.argument("report", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--public-key", type=click.Path(dir_okay=False, path_type=Path),
              help="The signer's public key (mailguard.pub). Without it only the key inside the "
                   ".sig file is used: that proves the file is unchanged, not who signed it.")
@click.pass_context
def verify(ctx: click.Context, report: Path, public_key: Path | None) -> None:
    """Check REPORT against its detached signature REPORT.sig: who signed what, when."""
    from ..app import signing
    from ..core.text import visible

    key = signing.load_public_key(public_key) if public_key is not None else None
    result = signing.verify_file(report, key)
    if not result.ok:
        click.echo(f"NOT VERIFIED: {visible(report)}: {visible(result.problem)}")
        ctx.exit(EXIT_FINDINGS)
    click.echo(f"verified: {visible(report)} (signed as {visible(result.file)}, sha256 {visible(result.sha256)})")
    if result.domain:
        click.echo(f"covers: the {visible(result.report_format)} report of {visible(result.domain)}, "
                   f"scanned at {visible(result.scanned_at)}")
    else:
        click.echo("covers: the file's bytes only (signed by a mailguard that did not bind domain and scan time)")
    click.echo(f"signed by {visible(result.signer)} at {visible(result.signed_at)} "
               f"with key {visible(result.key_fingerprint)}")
    if not result.trusted:
        click.echo("note: checked with the key inside the .sig file only; pass --public-key to check "
                   "that it is the signer's key")
    ctx.exit(EXIT_OK)


@click.command(epilog="""\b
Exit codes: 0 NEW is not worse than OLD; 4 it is worse; 2 a file cannot be read.""")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--lang", type=click.Choice(["en", "nl"]), default="en", show_default=True)
@click.pass_context
def diff(ctx: click.Context, old: Path, new: Path, fmt: str, lang: str) -> None:
    """Compare two JSON reports of a domain: what changed from OLD to NEW, and whether it is worse."""
    from ..app.publish import load_document
    from ..core.jsonable import to_jsonable
    from ..history.compare import compare
    from ..render import diff as render_diff

    comparison = compare(load_document(old), load_document(new))
    if fmt == "json":
        click.echo(json.dumps(dict(to_jsonable(comparison), worse=comparison.worse),
                              indent=2, ensure_ascii=False))
    else:
        click.echo(render_diff.render(comparison, lang=lang), nl=False)
    ctx.exit(EXIT_WORSE if comparison.worse else EXIT_OK)
