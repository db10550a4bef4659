"""The evidence report as ONE self-contained HTML file that prints well on A4 (and becomes the PDF).

The page comes from a Jinja2 template (``templates/report.html``) with autoescaping on: DNS
records, certificate fields, HTTP headers and statement sentences are remote text and may hold
markup, and every value reaches the page escaped. Inline CSS only: no scripts, fonts, images or
links to anything outside the file, so the report can be archived, mailed and opened offline
years later and looks the same. Raw evidence is set as ``<code>``: only there may a long token
(a key, a record) wrap anywhere; ordinary words never break.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources

import jinja2
import markupsafe

from ..core.model import ScanReport
from ..core.text import visible
from . import view


def slug(value: object) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-")


def ranges(numbers: Iterable[int]) -> list[tuple[int, int]]:
    """[1, 2, 3, 7] -> [(1, 3), (7, 7)]: evidence references as runs."""
    out: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


def _visible(value: object) -> object:
    if isinstance(value, markupsafe.Markup) or not isinstance(value, str):
        return value
    return visible(value, keep_lines=True)


@cache
def environment() -> jinja2.Environment:
    """The template environment: autoescaped, and an undefined name is an error, never blank."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mailguard.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Every value a template writes passes here before it is escaped: controls and bidi overrides
    # in remote text (a TXT record, a certificate field) become visible escapes, never act.
    env.finalize = _visible
    env.filters["slug"] = slug
    env.filters["ranges"] = ranges
    return env


@cache
def css() -> markupsafe.Markup:
    """The style sheet: our own file, so trusted as it is (escaping would break its quotes)."""
    text = resources.files("mailguard.render").joinpath("templates/report.css").read_text("utf-8").strip()
    return markupsafe.Markup(text)


def _css_string(text: str) -> str:
    """A CSS string literal of our own label text: letters, digits and spaces only."""
    return '"' + "".join(c for c in text if c.isalnum() or c == " ") + '"'


def page_css(labels: Mapping[str, str]) -> markupsafe.Markup:
    """The page number at the foot of every printed page, in the report's language."""
    page, of = _css_string(labels["page"] + " "), _css_string(" " + labels["page_of"] + " ")
    content = f"{page} counter(page) {of} counter(pages)"
    return markupsafe.Markup(f"@page {{ @bottom-right {{ content: {content}; }} }}")


def title(v: view.ReportView) -> str:
    return f"{v.labels['title']}: {v.domain}"


def subject(v: view.ReportView) -> str:
    """One line for the document's metadata: what the report is about."""
    return f"{v.labels['promises']} · {v.domain} · {v.when}"


def render(report: ScanReport, *, lang: str = "en", tz: str | None = None) -> str:
    v = view.build(report, lang, tz)
    return render_view(v)


def render_view(v: view.ReportView) -> str:
    template = environment().get_template("report.html")
    return template.render(
        v=v, L=v.labels, title=title(v), subject=subject(v), css=css(), page_css=page_css(v.labels)
    )
