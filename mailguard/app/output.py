"""What a run prints: each report as it finishes, the progress line, the summary, --quiet's account.

Every report is written the moment it finishes, flushed, so a pipe or a crash keeps what is done.
"""

from __future__ import annotations

import csv
import io
import sys

import click
from tabulate import tabulate

from ..core.model import Fulfilment, ScanReport
from ..core.text import visible
from ..render import diff as render_diff
from ..render import json as render_json
from ..render import text as render_text
from .batch import BatchTally
from .outcome import at_threshold
from .publish import ReportWriter, Written, report_lang

MAX_TROUBLE_DOMAINS = 100  # domains listed by --quiet when the run is in trouble


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
        # One line a domain: the promises not upheld and why (each reason quotes the promise), else
        # the counts of what is at the threshold.
        broken = [p for p in report.promises if p.verdict == Fulfilment.NOT_UPHELD]
        broken += [p for p in report.promises if p.verdict == Fulfilment.PARTLY]
        if broken:
            lines = [f"{visible(report.domain)}: " + "; ".join(f"{p.verdict.value}: {visible(p.reason)}"
                                                                for p in broken)]
        else:
            lines = [render_text.summary_line([report]).replace("summary:", f"{report.domain}:")]
    if item is not None:
        if item.worse and item.comparison is not None:
            lines += ["  " + line for line in render_diff.render(item.comparison).splitlines()]
        lines += [f"  report: {path}" for path in item.paths.values()]
    return lines


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
        self.notes: list[str] = []  # lines --quiet prints only when the run ends in trouble

    def __call__(self, report: ScanReport, rendered: str | None = None) -> None:
        """Write ``report``; ``rendered``: its JSON document, when a worker process rendered it already."""
        item = self.writer(report) if self.writer is not None else None
        if report.error or at_threshold(report, self.fail_on) or (item is not None and item.worse):
            self.troubled += 1
            if self.troubled <= MAX_TROUBLE_DOMAINS:  # memory stays flat for 100,000 domains
                self.trouble += trouble_lines(report, item)
        self.last = [report]
        if self.quiet:
            self.count += 1
            return
        if report.error and not self.many and self.fmt != "text":
            # JSON on stdout: the reason goes to stderr too (the text report already says it, once).
            hint = "" if "NXDOMAIN" in report.error or "lame delegation" in report.error else " Is this machine online?"
            click.echo(f"mailguard: could not scan {visible(report.domain)}: {visible(report.error)}.{hint}", err=True)
        if self.fmt == "jsonl":
            text = rendered if rendered is not None else render_json.render(report, indent=None)
        elif self.fmt == "json":
            text = rendered if rendered is not None else render_json.render(report)
            if self.many:
                text = ("[\n" if self.count == 0 else ",\n") + text
        else:
            lang = report_lang(self.lang, report)
            text = render_text.render(report, lang=lang, verbose=self.verbose)
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
