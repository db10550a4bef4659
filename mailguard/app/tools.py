"""What the smaller commands do: evaluate SPF for one client, verify a message's DKIM signatures,
read the results database, run the demo and serve the lab."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..core.config import Config
from ..core.errors import NoResolver
from ..history.compare import Comparison, compare
from ..measures.spf import Result, SpfResult, evaluate
from ..measures.spf.macros import IpAddress
from ..net import Net
from .outcome import EXIT_OK
from .scan import PromiseScan

if TYPE_CHECKING:
    from ..measures.dkim.check import MessageReport


def run_spf(config: Config, ip: IpAddress, sender: str, helo: str) -> SpfResult:
    """check_host() as a receiving server would run it; no resolver at all is :class:`NoResolver`."""
    try:
        return asyncio.run(_evaluate_spf(config, ip, sender, helo))
    except NoResolver as exc:
        raise NoResolver(f"{exc}. Choose a resolver with --nameserver.") from exc


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


def verify_message_file(path: Path, config: Config) -> MessageReport:
    """Every DKIM signature of the message in ``path``, with keys fetched from the DNS."""
    from ..measures.dkim.check import read_message, verify_message

    parsed = read_message(path)

    async def go() -> MessageReport:
        net = Net(config)
        try:
            return await verify_message(net, parsed, path.name)
        finally:
            await net.aclose()

    return asyncio.run(go())


def history_steps(domain: str, db: str, limit: int) -> list[tuple[Any, Comparison | None]]:
    """A domain's newest recorded scans, each with what changed since the one before it."""
    from ..history.store import open_store

    store = open_store(db)
    try:
        scans = store.history(domain, limit)
    finally:
        store.close()
    return [(row, compare(before[1], doc) if before else None)
            for before, (row, doc) in zip([None, *scans], scans, strict=False)]


def upgrade_database(db: str) -> str:
    """``mailguard db upgrade``: migrate the results database to this version's schema; what was done."""
    from ..history.store import database_url, upgrade

    before, now = upgrade(db)
    shown = database_url(db).split("://", 1)[0] + "://..." if "://" in db else db
    if before == now:
        return f"database {shown} is up to date (schema {now})"
    if before is None:
        return f"database {shown} created (schema {now})"
    return f"database {shown} upgraded from schema {before} to {now}"


def run_summary(db: str, run_id: str | None, fmt: str, emit: Callable[[str, bool], None]) -> None:
    """``mailguard fleet``: one run of the database in counts (table, json) or a row a domain (csv)."""
    from ..core.errors import InputError
    from ..history.store import open_store
    from ..history.store.summary import summarise
    from ..render import fleet as render_fleet

    store = open_store(db)
    try:
        run = store.run(run_id)
        if run is None:
            raise InputError(f"no run {run_id!r} in the database" if run_id else "no runs in the database yet")
        if fmt == "csv":
            for line in render_fleet.rows_csv(lambda: store.scan_rows(run.id)):
                emit(line, False)
        else:
            found = summarise(store, run)
            emit(render_fleet.summary_json(found) if fmt == "json" else render_fleet.summary_table(found), True)
    finally:
        store.close()


def run_demo(fmt: str, verbose: bool) -> int:
    """Start the lab and scan its demo domains with every measure."""
    from ..lab import DEMO_DKIM_SELECTORS, DEMO_DOMAINS, Lab
    from .output import Output, Progress
    from .run import run_batch

    with Lab() as lab:
        click.echo(f"lab resolver on {lab.dns.address if lab.dns else '?'}; scanning "
                   f"{', '.join(DEMO_DOMAINS)}", err=True)
        output = Output(fmt, lang="en", verbose=verbose, many=True)
        config = lab.config(dkim_selectors=DEMO_DKIM_SELECTORS)
        run_batch(DEMO_DOMAINS, config, len(DEMO_DOMAINS), output, Progress(0, enabled=False),
                  scan=PromiseScan().scan)
        output.close()
    return EXIT_OK


def serve_lab() -> int:
    """Serve the whole demo world (DNS, SMTP with STARTTLS, HTTPS) on loopback until Ctrl-C, and
    print the scan line that reaches it: a config file naming its resolver, ports, CA and anchors."""
    from ..lab import DEMO_DKIM_SELECTORS, DEMO_DOMAINS, Lab
    from .demo import COMPANY

    with Lab() as lab:
        assert lab.files is not None
        config = lab.config()
        path = Path(lab.files) / "lab.toml"
        path.write_text(lab_settings(config, DEMO_DKIM_SELECTORS), encoding="utf-8")
        address = lab.dns.address if lab.dns else "?"
        click.echo(f"lab DNS on {address}: scan with --nameserver {address} --allow-network 127.0.0.0/8; "
                   "Ctrl-C stops it", err=True)
        click.echo(f"the demo world: {', '.join((*DEMO_DOMAINS, COMPANY))} (DNS, mail with STARTTLS, websites)")
        click.echo(f"scan it, every measure: mailguard scan {' '.join((*DEMO_DOMAINS, COMPANY))} --config {path}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return EXIT_OK


def lab_settings(config: Config, selectors: Sequence[str]) -> str:
    """A mailguard.toml that points a scan at a running lab (its resolver, ports, CA, anchors)."""
    def quoted(value: object) -> str:
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"nameservers = [{', '.join(quoted(f'{h}:{p}') for h, p in config.nameservers)}]",
             'allow_networks = ["127.0.0.0/8", "::1/128"]',
             f"dkim_selectors = [{', '.join(quoted(s) for s in selectors)}]",
             f"timeout = {config.timeout}", f"smtp_port = {config.smtp_port}", f"https_port = {config.https_port}",
             f"http_port = {config.http_port}", f"dns_port = {config.dns_port}",
             f"caa_identities = [{', '.join(quoted(f'{i}={d}') for i, d in config.caa_identities)}]"]
    for key in ("ca_bundle", "trust_anchor", "rpki_vrps", "bimi_ca"):
        value = getattr(config, key)
        if value is not None:
            lines.append(f"{key} = {quoted(value)}")
    return "\n".join(lines) + "\n"


__all__: Sequence[str] = ["history_steps", "run_demo", "run_spf", "run_summary", "serve_lab", "upgrade_database",
                          "verify_message_file"]
