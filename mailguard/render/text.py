"""The terminal report: per measure a table of check, verdict and reason; then a summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from tabulate import tabulate

from ..core import messages
from ..core.i18n import translate
from ..core.model import ScanReport, Verdict
from ..core.text import visible
from . import terms
from .view import AREA_LABELS, VERDICT_LABELS, when

# The terminal's own words (the table headers); verdicts, checks and titles come from the report's tables.
_WORDS_EN = {"check": "check", "subject": "subject", "verdict": "verdict", "reason": "reason"}
_WORDS = {"en": _WORDS_EN, "nl": {key: translate(word, "nl", "terminal") for key, word in _WORDS_EN.items()}}
_PROMISE_HEADERS = ("promise", "the statement's words", "verdict", "reasoning")
_PROMISE_HEADERS_NL = tuple(translate(h, "nl", "terminal") for h in _PROMISE_HEADERS)
_PROMISES_NL = translate("Promises", "nl", "terminal")

_ORDER = [Verdict.FAIL, Verdict.WARN, Verdict.NOT_TESTED, Verdict.PASS, Verdict.INFO]



def inert(value: object) -> str:
    """Remote text made safe for a terminal: every control character written as an escape."""
    return visible(value)


def render(report: ScanReport, *, lang: str = "en", verbose: bool = False) -> str:
    started = report.started if lang == "en" else when(report.started, lang)
    lines = [f"mailguard {report.mailguard_version}: {inert(report.domain)}  "
             f"(resolver {', '.join(report.resolvers)}, {started}, {report.elapsed_ms / 1000:.2f} s)"]
    if report.error:
        lines.append(_say("could not scan {domain}: {error}", lang).format(domain=inert(report.domain),
                                                                        error=inert(report.error)))
        if "NXDOMAIN" not in report.error and "lame delegation" not in report.error:
            lines.append(_say("Is this machine online? Choose a resolver with --nameserver HOST[:PORT].", lang))
        return "\n".join(lines) + "\n"
    if report.promises:
        lines.append("")
        lines.append(render_promises(report, lang=lang))
    words = _WORDS.get(lang, _WORDS["en"])
    verdicts = VERDICT_LABELS.get(lang, VERDICT_LABELS["en"])
    for measure in report.measures:
        lines.append("")
        lines.append(f"{terms.measure_title(measure.title, lang)} [{verdicts[measure.status]}]")
        with_subject = any(f.subject for f in measure.findings)
        rows = []
        for f in measure.findings:
            reason = messages.render(f.code, f.params, lang) if lang != "en" else f.reason
            cells = (terms.check(f.check, lang), *([f.subject] if with_subject else []), verdicts[f.verdict], reason)
            rows.append([inert(c) for c in cells])
        headers = [words["check"], *([words["subject"]] if with_subject else []), words["verdict"], words["reason"]]
        widths = [24, *([30] if with_subject else []), 10, 80 if with_subject else 100]
        lines.append(tabulate(rows, headers=headers, tablefmt="simple", maxcolwidths=widths))
        if verbose:
            lines.append("  evidence:")
            lines.extend(f"    {inert(e.summary)}" for e in measure.evidence)
    lines.append("")
    lines.append(summary_line([report], lang))
    areas = AREA_LABELS.get(lang, AREA_LABELS["en"]) if lang != "en" else {}
    if report.scores:
        scores = ", ".join(f"{areas.get(area, area)} {value}" for area, value in report.scores.items())
        lines.append(_say("scores: {scores}", lang).format(scores=scores))
    if report.coverage:
        each = _say("{area} {tested} of {checks} checks", lang)
        tested = ", ".join(each.format(area=areas.get(area, area), tested=c.get("tested", 0), checks=c.get("checks", 0))
                           for area, c in report.coverage.items())
        lines.append(_say("tested: {areas}", lang).format(areas=tested))
    return "\n".join(lines) + "\n"


def render_promises(report: ScanReport, *, lang: str = "en", words: int = 60) -> str:
    """The promises table: the promise, the statement's words (shortened), the verdict, the reasoning."""
    from ..promises.reasons import FULFILMENT_TEXT
    from ..promises.verdicts import render_reason

    nl = lang == "nl"
    rows = []
    for result in report.promises:
        sentence = result.promise.sentence
        shown = sentence if len(sentence) <= words else sentence[:words - 1].rstrip() + "…"
        verdict = FULFILMENT_TEXT[result.verdict][1 if nl else 0]
        kind = terms.promise_kind(result.promise.kind, lang)
        rows.append([inert(c) for c in (kind, shown, verdict, render_reason(result, lang))])
    headers = list(_PROMISE_HEADERS_NL if nl else _PROMISE_HEADERS)
    title = _PROMISES_NL if nl else "Promises"
    table = tabulate(rows, headers=headers, tablefmt="simple", maxcolwidths=[12, 34, 14, 70])
    return f"{title}\n{table}"


def summary_line(reports: Iterable[ScanReport], lang: str = "en") -> str:
    counts: Counter[Verdict] = Counter()
    unscanned = 0
    for report in reports:
        if report.error:
            unscanned += 1
        for measure in report.measures:
            counts.update(f.verdict for f in measure.findings)
    verdicts = VERDICT_LABELS.get(lang, VERDICT_LABELS["en"])
    parts = [f"{counts[v]} {verdicts[v]}" for v in _ORDER if counts[v]]
    if unscanned:
        parts.append(_say("{count} domain(s) not scannable", lang).format(count=unscanned))
    return _say("summary: {counts}", lang).format(counts=", ".join(parts) if parts else _say("no findings", lang))


# The terminal's sentences: English here, Dutch from the catalog (context "terminal").
_SENTENCES = ("could not scan {domain}: {error}",
              "Is this machine online? Choose a resolver with --nameserver HOST[:PORT].", "summary: {counts}",
              "{count} domain(s) not scannable", "no findings", "scores: {scores}", "tested: {areas}",
              "{area} {tested} of {checks} checks")
_SENTENCES_NL = {english: translate(english, "nl", "terminal") for english in _SENTENCES}


def _say(english: str, lang: str) -> str:
    return _SENTENCES_NL.get(english, english) if lang == "nl" else english
