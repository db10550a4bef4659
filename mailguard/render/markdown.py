"""The evidence report as Markdown (CommonMark with GitHub tables), for wikis and tickets.

Remote text is made inert: characters Markdown or HTML would act on (``<``, ``>``, ``&``, ``|``,
backticks, brackets, ``*``, ``_``...) are backslash-escaped or written as entities, and line
breaks inside a cell are flattened, so a DNS record cannot inject markup or break a table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..core.model import ScanReport
from ..core.text import visible
from . import view
from .view import EvidenceView, FindingView, ReportView

# Characters that start emphasis, code, links or table cells anywhere in a line. ``(`` needs no
# escape once ``[`` has one; ``<``, ``>`` and ``&`` become entities (no raw HTML gets through).
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
# What starts a heading, list, quote or numbered item at the beginning of a line.
# (CommonMark: a marker counts only when a space or the end of the line follows it.)
_LINE_START = re.compile(r"^(?:#{1,6}(?=\s|$)|[-+](?=\s|$)|\d{1,9}(?=[.)](?:\s|$)))")


def md(text: object) -> str:
    """Plain text made safe inside a Markdown paragraph or table cell."""
    value = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _SPECIAL.sub(r"\\\1", value)
    value = visible(re.sub(r"\s*[\r\n]+\s*", " ", value))
    start = _LINE_START.match(value)
    if start is None:
        return value
    if start.group().isdigit():  # "1. x" -> "1\. x": the escape goes before the dot
        return start.group() + "\\" + value[start.end() :]
    return "\\" + value


def render(report: ScanReport, *, lang: str = "en", tz: str | None = None) -> str:
    v = view.build(report, lang, tz)
    L = v.labels
    out = [f"# {md(L['title'])}: {md(v.domain)}", ""]
    out += [
        f"{md(L['started'])}: {md(v.when)} · {md(L['from'])}: {md(report.scanned_from or '-')} · "
        f"mailguard {md(report.mailguard_version)}",
        "",
    ]
    if v.error:
        out += [f"## {md(L['error'])}", "", md(v.error), ""]
    out += _summary(v) + _scores(v) + _actions(v) + _changes(v)
    out += _promises(v) + _recommendations(v) + _wording(v) + _measures(v)
    out += [f"## {md(L['scan'])}", "", *_table([" ", " "], ([md(k), md(val)] for k, val in v.meta)), ""]
    out += ["---", "", md(v.generated), ""]
    return "\n".join(out)


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """Cells are already escaped."""
    lines = [
        "| " + " | ".join(md(h) if h.strip() else " " for h in headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _summary(v: ReportView) -> list[str]:
    """What page one of the HTML report says first: every promise, those not upheld first, each
    with its one-line reason."""
    L = v.labels
    if not v.summary:
        return [f"## {md(L['promises'])}", "", md(L["no_promises"]), ""]
    rows = ([str(i), md(p.kind), f"**{md(p.verdict_label)}**", md(p.line)] for i, p in enumerate(v.summary, 1))
    return [f"## {md(L['promises'])}", "", *_table(["#", L["promise_kind"], L["verdict"], L["reason"]], rows), ""]


def _actions(v: ReportView) -> list[str]:
    L = v.labels
    if not v.actions:
        return []
    return [f"## {md(L['actions'])}", "", *(f"{i}. {md(r.text)}" for i, r in enumerate(v.actions, 1)), ""]


def _scores(v: ReportView) -> list[str]:
    if not v.scores:
        return []
    L = v.labels
    return [
        f"## {md(L['scores'])}",
        "",
        *_table([L["area"], L["score"], L["coverage"]],
                ([md(label), f"**{s}**", md(c)] for _k, label, s, c in v.scores)),
        "",
        f"*{md(L['scores_note'])}*",
        "",
    ]


def _changes(v: ReportView) -> list[str]:
    if v.changes is None:
        return []
    L = v.labels
    out = [f"## {md(L['changes'])}", ""]
    if not v.previous:
        return out + [md(L["no_previous"]), ""]
    out += [f"{md(L['previous'])}: `{_code(v.previous)}`", ""]
    if not v.changes:
        return out + [md(L["no_changes"]), ""]
    out += _table(
        [L["direction"], L["details"]], ([f"**{md(c.direction_label)}**", md(c.text)] for c in v.changes)
    )
    return out + [""]


def _code(text: str) -> str:
    return md(text).replace("`", "'")


def _findings(v: ReportView, findings: Sequence[FindingView], with_measure: bool) -> list[str]:
    L = v.labels
    headers = ([L["measure"]] if with_measure else []) + [L["check"], L["verdict"], L["reason"], L["rfc"]]
    rows = []
    for f in findings:
        check = md(f.check) + (f" ({md(f.subject)})" if f.subject else "")
        row = [check, f"**{md(f.verdict_label)}**", md(f.reason), md(f.rfc)]
        rows.append(([md(f.measure)] if with_measure else []) + row)
    return _table(headers, rows) + [""]


def _evidence(v: ReportView, items: Sequence[EvidenceView]) -> list[str]:
    if not items:
        return []
    out = [f"**{md(v.labels['evidence'])}**", ""]
    for item in items:
        out.append(f"- {md(item.kind)}: {md(item.summary)}")
        for row in item.data:
            if row.headers:
                out.append(f"  - {md(row.key)}:")
                for r in row.rows:
                    out.append(
                        "    - " + "; ".join(f"{md(h)}={md(c)}" for h, c in zip(row.headers, r, strict=True))
                    )
            else:
                out.append(f"  - {md(row.key)}: {md(row.text)}")
    return out + [""]


def _promises(v: ReportView) -> list[str]:
    L = v.labels
    if not v.promises:
        return []  # the summary above already says there are none
    out = [f"## {md(L['promise_evidence'])}", ""]
    for n, p in enumerate(v.promises, 1):
        out += [
            f"### {md(L['promise'])} {n}: {md(p.kind)} ({md(p.verdict_label)})",
            "",
            f"{md(L['statement_words'])}:",
            "",
            f"> {md(p.sentence)}",
            "",
            f"**{md(L['verdict'])}:** {md(p.verdict_label)}. **{md(L['reasoning'])}:** {md(p.reasoning)}",
            "",
        ]
        if p.measures:
            out += [f"{md(L['measures_consulted'])}: {md(', '.join(p.measures))}", ""]
        if p.findings:
            out += _findings(v, p.findings, with_measure=True)
        out += _evidence(v, p.evidence)
    return out


def _recommendations(v: ReportView) -> list[str]:
    L = v.labels
    out = [f"## {md(L['recommendations'])}", ""]
    if not v.recommendations:
        return out + [md(L["no_recommendations"]), ""]
    for n, r in enumerate(v.recommendations, 1):
        label = v.verdict_labels.get(r.verdict.value, r.verdict.value)
        out.append(f"{n}. **{md(label)}**: {md(r.text)} *{md(L['concerns'])}: {md('; '.join(r.about))}*")
    return out + [""]


def _wording(v: ReportView) -> list[str]:
    L = v.labels
    out = [f"## {md(L['wording'])}", "", f"*{md(L['wording_note'])}*", ""]
    if not v.wording:
        return out + [md(L["no_wording"]), ""]
    return out + [f"> {md(v.wording_intro)}", ">"] + [f"> - {md(s)}" for s in v.wording] + [""]


def _measures(v: ReportView) -> list[str]:
    if not v.measures:
        return []
    L = v.labels
    out = [f"## {md(L['unpromised'] if v.promises else L['measures'])}", ""]
    for m in v.measures:
        out += [f"### {md(m.title)} ({md(m.status_label)})", "", f"*{md(m.area)}*", ""]
        out += _findings(v, m.findings, with_measure=False) if m.findings else [md(L["no_findings"]), ""]
        out += _evidence(v, m.evidence)
    return out
