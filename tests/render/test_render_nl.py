"""Dutch a Dutch reader does not notice: every finding code, promise kind, measure title and check
name has its Dutch words, and a Dutch report of the demo world holds none of mailguard's own
English labels outside the raw evidence (set as <code>)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest

import mailguard.history.compare
import mailguard.measures
import mailguard.promises  # noqa: F401  (every module registers its finding codes on import)
from mailguard.app import demo
from mailguard.core import messages
from mailguard.core.model import ScanReport
from mailguard.lab import DEMO_DKIM_SELECTORS, DEMO_DOMAINS, Lab
from mailguard.measures import catalog
from mailguard.promises import patterns
from mailguard.render import html as render_html
from mailguard.render import terms, view
from tests.conftest import run_scan

# Codes whose text is the same in both languages because it is protocol text only: an RFC 8601
# result word (permerror), a header field with its value, a score line of numbers.
SAME_IN_BOTH = {"DKIM-MSG-PERMERROR", "HEADERS-NOSNIFF", "HEADERS-REFERRER", "SECTXT-CONTACT", "CHANGE-SCORE"}


def test_every_finding_code_has_its_own_dutch_message():
    table = messages.all_codes()
    assert len(table) > 400  # every measure registered its codes
    missing = [code for code, m in table.items() if not m.nl.strip()]
    untranslated = [code for code, m in table.items() if m.nl.strip() == m.en.strip() and code not in SAME_IN_BOTH]
    assert not missing and not untranslated, (missing, untranslated)


def test_every_promise_kind_and_measure_title_has_dutch_words():
    assert set(patterns.KINDS) <= set(terms.PROMISE_KINDS_NL), set(patterns.KINDS) - set(terms.PROMISE_KINDS_NL)
    for measure in catalog():
        assert not terms.missing_nl(measure.title, terms.MEASURE_TITLES_NL), measure.title


@pytest.fixture(scope="module")
def demo_world() -> Iterator[list[ScanReport]]:
    with Lab() as lab:
        config = lab.config(dkim_selectors=DEMO_DKIM_SELECTORS)
        reports = [run_scan(d, config) for d in DEMO_DOMAINS]
        yield [demo.scan_company(lab), *reports]


def test_every_check_name_of_the_demo_world_has_dutch_words(demo_world):
    names = {f.check for report in demo_world for m in report.measures for f in m.findings}
    assert len(names) > 40
    missing = sorted(n for n in names if terms.missing_nl(n, terms.CHECKS_NL))
    assert not missing, f"check names without Dutch words (add them to mailguard/render/terms.py): {missing}"


class Prose(HTMLParser):
    """The text a reader sees, without <code> (raw evidence and protocol names) and <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += tag in ("code", "style", "title")

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag in ("code", "style", "title")

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.text.append(data)


def english_words() -> set[str]:
    """mailguard's own English words: labels, verdicts, promise verdicts, check names, titles."""
    words = {en for key, en in view.LABELS["en"].items() if en != view.LABELS["nl"][key] and len(en) > 4}
    words |= {"upheld", "not upheld", "partly upheld", "not verifiable", "not tested", "pass", "warn", "fail"}
    words |= {n for n in terms.CHECKS_NL if terms.CHECKS_NL[n] != n and len(n) > 4}
    words |= {t for t in terms.MEASURE_TITLES_NL}
    words |= {k for k, nl in terms.PROMISE_KINDS_NL.items() if k != nl.lower() and len(k) > 4}
    return {w for w in words if "{" not in w}


def test_a_dutch_report_holds_no_english_label_outside_the_raw_evidence(demo_world):
    words = english_words()
    for report in demo_world:
        prose = Prose()
        prose.feed(render_html.render(report, lang="nl"))
        text = " ".join(prose.text)
        # a word glued to an address or a record (mailto:reports@...) is part of that raw value
        found = sorted(w for w in words if re.search(rf"(?<![\w\-@:./=]){re.escape(w)}(?![\w\-@.])", text))
        assert not found, f"{report.domain}: English in the Dutch report: {found}"


def test_the_terminal_tables_are_dutch_too(demo_world):
    from mailguard.render import text as render_text

    company = demo_world[0]
    out = render_text.render(company, lang="nl")
    assert "controle" in out and "oordeel" in out and "reden" in out
    assert "Website bereikbaar [in orde]" in out and "beleid" in out
    for english in ("check ", " verdict", "reason", "[pass]", "[warn]", "[fail]", "Website reachable"):
        assert english not in out, english


def test_the_dutch_terminal_has_no_english_lines(demo_world):
    from mailguard.render import text as render_text

    for report in demo_world:
        lines = render_text.render(report, lang="nl").splitlines()
        assert "+00:00" not in lines[0] and "T0" not in lines[0]  # the time as a Dutch reader writes it
        tail = [line for line in lines if line.startswith(("samenvatting:", "scores:", "getest:"))]
        assert len(tail) == 3, lines[-4:]
        assert not any(word in " ".join(tail) for word in ("summary", "tested", "checks", " of ", "pass", "fail"))
