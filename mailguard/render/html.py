"""The evidence report as ONE self-contained HTML file that prints well on A4.

Inline CSS only: no scripts, fonts, images or links to anything outside the file, so the report
can be archived, mailed and opened offline years later and looks the same. Every piece of text
goes through :func:`e` (HTML-escaped, quotes too): DNS records, certificate fields, HTTP headers
and statement sentences are remote text and may hold markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from ..core.model import ScanReport
from ..core.text import visible
from . import view
from .view import DataRow, EvidenceView, FindingView, ReportView

CSS = """
@page { size: A4; margin: 16mm 15mm 18mm 15mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif;
  font-size: 10.5pt; line-height: 1.4; color: #1b1b1b; max-width: 180mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 13.5pt; margin: 8mm 0 2mm; padding-bottom: 1mm; border-bottom: 2px solid #1b1b1b; }
h3 { font-size: 11.5pt; margin: 5mm 0 1.5mm; }
h4 { font-size: 10pt; margin: 3mm 0 1mm; color: #444; }
h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
p { margin: 1mm 0 2mm; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm; }
table.data, table.meta { table-layout: fixed; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { text-align: left; vertical-align: top; padding: 1.2mm 2mm; border-bottom: 0.3mm solid #c8c8c8;
  overflow-wrap: break-word; }
th { white-space: nowrap; }
.long { overflow-wrap: anywhere; word-break: break-all; }
th { background: #f0f0f0; font-weight: 600; }
td.key { width: 32%; color: #333; }
.mono, code { font-family: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace;
  font-size: 8.5pt; }
.badge { display: inline-block; padding: 0 1.6mm; border-radius: 1mm; font-weight: 700;
  border: 0.3mm solid; white-space: nowrap; }
.v-pass, .f-upheld, .d-better { background: #e2f3e5; color: #13521f; }
.v-fail, .f-not-upheld, .d-worse { background: #fbe1e1; color: #861313; }
.v-warn, .f-partly-upheld { background: #fff1d1; color: #6e4b00; }
.v-info, .d-changed { background: #e4ecf8; color: #1b3f78; }
.v-not-tested, .f-not-tested, .f-not-verifiable-from-outside { background: #ececec; color: #3d3d3d; }
.promise, .measure { border-left: 1.2mm solid #c8c8c8; padding: 0.5mm 0 0.5mm 3mm; margin: 3mm 0 5mm; }
.promise.is-upheld, .measure.is-pass { border-left-color: #2f8a41; }
.promise.is-not-upheld, .measure.is-fail { border-left-color: #b52222; }
.promise.is-partly-upheld, .measure.is-warn { border-left-color: #c98a00; }
blockquote { margin: 1mm 0 2mm; padding: 1.5mm 3mm; border-left: 0.8mm solid #999; background: #f7f7f7;
  font-style: italic; }
.evidence { margin: 1mm 0 3mm; break-inside: auto; }
.evidence .summary { margin: 0 0 0.5mm; }
.evidence table { margin: 0 0 1mm; font-size: 8.5pt; }
.evidence table table { margin: 0; }
.meta td.key { width: 28%; }
.scores td.num { width: 20%; font-weight: 700; }
.note { color: #555; font-size: 9pt; }
.wording { border: 0.4mm solid #999; padding: 2mm 4mm; }
footer { margin-top: 8mm; color: #666; font-size: 8.5pt; border-top: 0.3mm solid #c8c8c8; padding-top: 2mm; }
@media print {
  body { padding: 0; max-width: none; font-size: 9.5pt; }
  section.appendix { break-before: page; page-break-before: always; }
}
""".strip()


def e(text: object) -> str:
    """Escape remote or local text for HTML element content and attribute values alike."""
    return html.escape(visible(text, keep_lines=True), quote=True)


_LONG_RUN = re.compile(r"\S{28}")


def t(text: object, cls: str = "") -> str:
    """Escaped text in a span; a long unbroken run (a key, a URL) may break anywhere, short
    values never (so that narrow columns do not fall apart into single letters)."""
    value = str(text)
    classes = " ".join(c for c in (cls, "long" if _LONG_RUN.search(value) else "") if c)
    return f'<span class="{classes}">{e(value)}</span>' if classes else e(value)


def slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def render(report: ScanReport, *, lang: str = "en") -> str:
    v = view.build(report, lang)
    L = v.labels
    title = f"{L['title']}: {v.domain}"
    body = [
        f"<header><h1>{e(title)}</h1>",
        f'<p class="note">{e(L["started"])}: {e(report.started)} · {e(L["from"])}: '
        f"{e(report.scanned_from or '-')} · mailguard {e(report.mailguard_version)}</p></header>",
        *_error(v),
        *_scores(v),
        *_changes(v),
        *_promises(v),
        *_recommendations(v),
        *_wording(v),
        *_measures(v),
        *_meta(v),
        f"<footer>{e(v.generated)}</footer>",
    ]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{e(v.lang)}">',
            '<head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{e(title)}</title>",
            f"<style>\n{CSS}\n</style></head>",
            "<body>",
            *body,
            "</body></html>",
            "",
        ]
    )


def _badge(kind: str, value: str, label: str) -> str:
    return f'<span class="badge {kind}-{slug(value)}">{e(label)}</span>'


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """Rows are already-escaped HTML cells."""
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    attr = f' class="{cls}"' if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _error(v: ReportView) -> list[str]:
    if not v.error:
        return []
    return [f'<section id="error"><h2>{e(v.labels["error"])}</h2><p>{e(v.error)}</p></section>']


def _scores(v: ReportView) -> list[str]:
    if not v.scores:
        return []
    rows = "".join(
        f'<tr><td>{e(label)}</td><td class="num">{e(score)}</td></tr>' for _k, label, score in v.scores
    )
    return [
        f'<section id="scores"><h2>{e(v.labels["scores"])}</h2>',
        f'<table class="scores"><thead><tr><th>{e(v.labels["area"])}</th><th>{e(v.labels["score"])}</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>",
        f'<p class="note">{e(v.labels["scores_note"])}</p></section>',
    ]


def _changes(v: ReportView) -> list[str]:
    if v.changes is None:
        return []
    L = v.labels
    out = [f'<section id="changes"><h2>{e(L["changes"])}</h2>']
    if not v.previous:
        out.append(f"<p>{e(L['no_previous'])}</p>")
    else:
        out.append(f'<p>{e(L["previous"])}: <span class="mono">{e(v.previous)}</span></p>')
        if not v.changes:
            out.append(f"<p>{e(L['no_changes'])}</p>")
        else:
            rows = [[_badge("d", c.direction, c.direction_label), t(c.text)] for c in v.changes]
            out.append(_table([L["direction"], L["details"]], rows, "changes"))
    out.append("</section>")
    return out


def _findings(v: ReportView, findings: Sequence[FindingView], with_measure: bool) -> str:
    L = v.labels
    headers = ([L["measure"]] if with_measure else []) + [L["check"], L["verdict"], L["reason"], L["rfc"]]
    rows = []
    for f in findings:
        check = t(f.check) + (f"<br>{t(f.subject, 'mono')}" if f.subject else "")
        row = [check, _badge("v", f.verdict, f.verdict_label), t(f.reason), e(f.rfc)]
        rows.append(([e(f.measure)] if with_measure else []) + row)
    return _table(headers, rows, "findings")


def _evidence(v: ReportView, items: Sequence[EvidenceView]) -> list[str]:
    if not items:
        return []
    out = [f"<h4>{e(v.labels['evidence'])}</h4>"]
    for item in items:
        out.append('<div class="evidence">')
        out.append(
            f'<p class="summary"><span class="badge v-info">{e(item.kind)}</span> '
            f"{t(item.summary, 'mono')}</p>"
        )
        if item.data:
            out.append(
                '<table class="data"><tbody>' + "".join(_data_row(r) for r in item.data) + "</tbody></table>"
            )
        out.append("</div>")
    return out


def _data_row(row: DataRow) -> str:
    if row.headers:
        inner = _table(row.headers, [[t(c, "mono") for c in r] for r in row.rows])
        return f'<tr><td class="key">{e(row.key)}</td><td>{inner}</td></tr>'
    return f'<tr><td class="key">{t(row.key)}</td><td>{t(row.text, "mono")}</td></tr>'


def _promises(v: ReportView) -> list[str]:
    L = v.labels
    out = [f'<section id="promises"><h2>{e(L["promises"])}</h2>']
    if not v.promises:
        out.append(f"<p>{e(L['no_promises'])}</p>")
    for n, p in enumerate(v.promises, 1):
        out.append(f'<article class="promise is-{slug(p.verdict)}">')
        out.append(f"<h3>{e(L['promise'])} {n}: {e(p.kind)} {_badge('f', p.verdict, p.verdict_label)}</h3>")
        out.append(
            f"<p><strong>{e(L['statement_words'])}:</strong></p><blockquote>{e(p.sentence)}</blockquote>"
        )
        out.append(f"<p><strong>{e(L['reasoning'])}:</strong> {e(p.reasoning)}</p>")
        if p.measures:
            out.append(f'<p class="note">{e(L["measures_consulted"])}: {e(", ".join(p.measures))}</p>')
        if p.findings:
            out.append(_findings(v, p.findings, with_measure=True))
        out.extend(_evidence(v, p.evidence))
        out.append("</article>")
    out.append("</section>")
    return out


def _recommendations(v: ReportView) -> list[str]:
    L = v.labels
    out = [f'<section id="recommendations"><h2>{e(L["recommendations"])}</h2>']
    if not v.recommendations:
        out.append(f"<p>{e(L['no_recommendations'])}</p>")
    else:
        out.append("<ol>")
        for r in v.recommendations:
            label = v.verdict_labels.get(r.verdict.value, r.verdict.value)
            out.append(
                f"<li>{_badge('v', r.verdict.value, label)} {e(r.text)}"
                f'<br><span class="note">{e(L["concerns"])}: {e("; ".join(r.about))}</span></li>'
            )
        out.append("</ol>")
    out.append("</section>")
    return out


def _wording(v: ReportView) -> list[str]:
    L = v.labels
    out = [f'<section id="wording"><h2>{e(L["wording"])}</h2>', f'<p class="note">{e(L["wording_note"])}</p>']
    if not v.wording:
        out.append(f"<p>{e(L['no_wording'])}</p>")
    else:
        items = "".join(f"<li>{e(s)}</li>" for s in v.wording)
        out.append(f'<div class="wording"><p>{e(v.wording_intro)}</p><ul>{items}</ul></div>')
    out.append("</section>")
    return out


def _measures(v: ReportView) -> list[str]:
    if not v.measures:
        return []
    L = v.labels
    heading = L["unpromised"] if v.promises else L["measures"]
    out = [f'<section id="measures" class="appendix"><h2>{e(heading)}</h2>']
    for m in v.measures:
        out.append(f'<article class="measure is-{slug(m.status)}">')
        out.append(f"<h3>{e(m.title)} {_badge('v', m.status, m.status_label)}</h3>")
        out.append(f'<p class="note">{e(m.area)}</p>')
        out.append(
            _findings(v, m.findings, with_measure=False) if m.findings else f"<p>{e(L['no_findings'])}</p>"
        )
        out.extend(_evidence(v, m.evidence))
        out.append("</article>")
    out.append("</section>")
    return out


def _meta(v: ReportView) -> list[str]:
    rows = "".join(f'<tr><td class="key">{e(k)}</td><td>{e(val)}</td></tr>' for k, val in v.meta)
    return [
        f'<section id="scan"><h2>{e(v.labels["scan"])}</h2>',
        f'<table class="meta"><tbody>{rows}</tbody></table></section>',
    ]
