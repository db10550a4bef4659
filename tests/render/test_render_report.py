"""The evidence report renderers: golden files, A4 print CSS, self-contained, escaped, schema-valid."""

from __future__ import annotations

import dataclasses
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailguard.core.model import Area, Evidence, Finding, Fulfilment, MeasureResult, Promise, PromiseResult, Verdict
from mailguard.lab import Lab, load_zone_text
from mailguard.render import html as render_html
from mailguard.render import json as render_json
from mailguard.render import markdown as render_markdown
from mailguard.render import text as render_text
from tests.conftest import run_scan
from tests.report_fixture import REPORT

GOLDEN = Path(__file__).parents[1] / "golden"
SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "report.schema.json").read_text())


@pytest.mark.parametrize(
    ("name", "render", "lang"),
    [
        ("report.en.html", render_html.render, "en"),
        ("report.nl.html", render_html.render, "nl"),
        ("report.en.md", render_markdown.render, "en"),
        ("report.nl.md", render_markdown.render, "nl"),
    ],
)
def test_golden(name, render, lang, update_golden):
    rendered = render(REPORT, lang=lang)
    path = GOLDEN / name
    if update_golden:
        path.parent.mkdir(exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8"), (
        f"{name} differs from the golden file; if the change is on purpose, run "
        "pytest --update-golden (or MAILGUARD_UPDATE_GOLDEN=1) and review the diff"
    )


def test_html_prints_on_a4():
    page = render_html.render(REPORT)
    assert re.search(r"@page\s*\{\s*size:\s*A4", page)
    assert "break-inside: avoid" in page and "display: table-header-group" in page
    assert "@media print" in page


def test_html_is_self_contained():
    page = render_html.render(REPORT)
    assert "<script" not in page.lower()
    for attr in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page):
        if attr.startswith("#"):  # a link within the report (a promise to its numbered evidence)
            continue
        pytest.fail(f"reference to another resource: {attr}")
    assert "@import" not in page and "url(" not in page
    # remote text may contain URLs, but only as escaped text, never as a reference
    assert not re.search(r"<(?:link|img|iframe|object|embed|base)\b", page, re.I)


def test_html_has_every_section_in_both_languages():
    en, nl = render_html.render(REPORT, lang="en"), render_html.render(REPORT, lang="nl")
    for page, words in [
        (
            en,
            [
                "Promises in the statement",
                "not upheld",
                "Recommendations for the privacy officer",
                "Suggested wording",
                "Changes since the previous report",
                "Scanned from",
                "Measures nobody promised",
                "Scores",
            ],
        ),
        (
            nl,
            [
                "Beloften in de verklaring",
                "niet nagekomen",
                "Aanbevelingen voor de privacyfunctionaris",
                "Voorgestelde tekst",
                "Wijzigingen sinds het vorige rapport",
                "Gescand vanaf",
                "DMARC-beleid is p=none",
                "verzwakt",
                "onvoldoende",
            ],
        ),
    ]:
        for word in words:
            assert word in page, word
    assert '<html lang="nl">' in nl
    # statement words, evidence, resolver and scan facts
    assert "Wij gebruiken SPF, DKIM en DMARC" in en and "127.0.0.1:53" in en and "scanner.example.test" in en
    assert "fingerprint_sha256" in en and "NOERROR" in en and "0.1.0" in en


def test_unknown_evidence_shapes_render_generically():
    odd = Evidence(
        "smtp",
        "EHLO mx <x>",
        {
            "banner": "220 <hi>",
            "nested": {"deep": {"x": [1, {"y": 2}]}},
            "rows": [{"a": 1}, {"b": "<b>"}],
            "empty": [],
            "none": None,
        },
    )
    measure = MeasureResult(
        "new-measure",
        "New <measure>",
        Area.DOMAIN,
        Verdict.WARN,
        (Finding("NEW-UNREGISTERED", "odd", Verdict.WARN, "reason <r>", evidence=(odd,)),),
        (odd,),
    )
    report = dataclasses.replace(REPORT, measures=(measure,), promises=(), extra={})
    for lang in ("en", "nl"):
        page = render_html.render(report, lang=lang)
        assert "New &lt;measure&gt;" in page and "220 &lt;hi&gt;" in page and "&lt;b&gt;" in page
        assert "reason &lt;r&gt;" in page  # an unregistered code keeps its English reason
        text = render_markdown.render(report, lang=lang)
        assert "<" not in text.replace("<br>", "")


def test_an_unscannable_domain_still_renders():
    report = dataclasses.replace(REPORT, measures=(), promises=(), scores={}, error="no answer <from> the resolver")
    page = render_html.render(report)
    assert "could not be scanned" in page and "no answer &lt;from&gt; the resolver" in page


def test_fixture_report_validates_against_the_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(json.loads(render_json.render(REPORT)), SCHEMA)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("schema",), "mailguard.report/2"),
        (("scores", "website"), 101),
        (("measures", 0, "status"), "great"),
        (("promises", 0, "verdict"), "kept"),
        (("measures", 0, "findings", 0, "evidence", 0, "kind"), 5),
    ],
)
def test_schema_rejects_what_it_should(path, value):
    document = json.loads(render_json.render(REPORT))
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


# Records whose text is markup; {policy}: the DMARC policy (the dashboard's tests vary it).
MARKUP_ZONE_TEMPLATE = """$TTL 300
@        IN SOA ns1.markup.test. hostmaster.markup.test. 1 7200 3600 1209600 300
@        IN NS  ns1.markup.test.
ns1      IN A   127.0.0.53
@        IN MX  10 <script>alert\\(1\\)</script>.mx.markup.test.
@        IN MX  20 <img\\032src=x\\032onerror=alert\\(2\\)>.markup.test.
@        IN TXT "v=spf1 <script>alert(3)</script> \\"quoted\\" & 'single' -all"
@        IN TXT "<img src=x onerror=alert(4)> & &amp; \\"x\\""
_dmarc   IN TXT "v=DMARC1; p={policy}; rua=mailto:<script>alert(5)</script>@markup.test"
"""
MARKUP_ZONE = MARKUP_ZONE_TEMPLATE.format(policy="none")


@pytest.fixture(scope="module")
def markup_report():
    with Lab(extra_zones=[load_zone_text("markup.test", MARKUP_ZONE)]) as lab:
        yield run_scan("markup.test", lab.config())


class Tags(HTMLParser):
    """Every tag and attribute the browser would see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: set[tuple[str, str]] = set()
        self.text: list[str] = []
        self.values: set[tuple[str, str]] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.update((tag, name) for name, _value in attrs)
        self.values.update((name, value or "") for name, value in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


OWN_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "header",
    "h1",
    "h2",
    "h3",
    "h4",
    "p",
    "section",
    "article",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "span",
    "strong",
    "blockquote",
    "div",
    "ol",
    "ul",
    "li",
    "br",
    "footer",
    "code",
    "a",
}
OWN_ATTRS = {"class", "lang", "id", "charset", "name", "content", "href"}


def test_remote_markup_is_escaped_in_the_html_of_a_real_scan(markup_report):
    assert markup_report.measures and not markup_report.error
    for lang in ("en", "nl"):
        page = render_html.render(markup_report, lang=lang)
        parsed = Tags()
        parsed.feed(page)
        assert parsed.tags <= OWN_TAGS, parsed.tags - OWN_TAGS  # no <script>, no <img>
        assert {a for _t, a in parsed.attrs} <= OWN_ATTRS  # no onerror=, no src=
        assert all(value.startswith("#") for name, value in parsed.values if name == "href")
        assert "<script" not in page.lower() and "<img" not in page.lower()
        text = "".join(parsed.text)
        assert "<script>alert" in text  # the remote text did reach the report, as text
        assert "&lt;script&gt;alert" in page
        # the DMARC record's TXT text, quotes and all
        assert "&lt;script&gt;alert(5)&lt;/script&gt;" in page and "&#34;v=DMARC1;" in page
        if "alert(3)" in text:  # a measure that shows TXT records: quotes and & too
            # quotes arrive as &#34; (Jinja2's &quot;; in DNS presentation form also backslash-escaped)
            assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page
        # Every "&" of the page starts an entity: the records' "&" and "&amp;" arrived escaped.
        assert not re.findall(r"&(?![A-Za-z]+;|#[0-9]+;|#x[0-9A-Fa-f]+;)", page)


def test_remote_markup_is_inert_in_the_markdown_of_a_real_scan(markup_report):
    text = render_markdown.render(markup_report)
    assert "<script" not in text.lower() and "<img" not in text.lower()
    assert "&lt;script&gt;alert" in text and "&lt;img" in text


def test_real_scan_json_validates_against_the_schema(markup_report, lab):
    jsonschema.validate(json.loads(render_json.render(markup_report)), SCHEMA)
    good = run_scan("good.test", lab.config())
    jsonschema.validate(json.loads(render_json.render(good)), SCHEMA)


def test_promises_without_findings_and_partial_verdicts_render():
    partly = PromiseResult(Promise("mail-tls", "We encrypt mail <always>."), Fulfilment.PARTLY, "X", "half <of it>")
    report = dataclasses.replace(REPORT, promises=(partly,))
    page = render_html.render(report)
    assert "We encrypt mail &lt;always&gt;." in page and "partly upheld" in page
    jsonschema.validate(json.loads(render_json.render(report)), SCHEMA)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from("<>&\"'/=ab script img on \n|*_`[]#-1."), max_size=60))
def test_any_remote_text_stays_text_in_the_html(remote):
    evidence = Evidence("dns", remote, {"records": [{"data": remote}], remote[:10] or "k": remote})
    measure = MeasureResult(
        "m",
        remote or "m",
        Area.DOMAIN,
        Verdict.FAIL,
        (Finding("NOT-REGISTERED", remote, Verdict.FAIL, remote, evidence=(evidence,), subject=remote),),
        (evidence,),
    )
    promise = PromiseResult(Promise("x", remote), Fulfilment.NOT_UPHELD, "NOT-REGISTERED", remote)
    report = dataclasses.replace(REPORT, domain="x.test", measures=(measure,), promises=(promise,))
    parsed = Tags()
    parsed.feed(render_html.render(report))
    assert parsed.tags <= OWN_TAGS and {a for _t, a in parsed.attrs} <= OWN_ATTRS
    assert "<" not in render_markdown.render(report).replace("<br>", "")


def test_remote_control_characters_reach_the_terminal_as_escapes():
    """An SMTP banner or TXT record with ESC sequences or bidi overrides must not drive the
    terminal the text report is printed on."""
    hostile = "220 mx\x1b]0;owned\x07 \x1b[2J\u202egnp.exe\x9b"
    evidence = Evidence("smtp", f"banner {hostile}", {"banner": hostile})
    measure = MeasureResult("m", "M", Area.MAIL_TRANSPORT, Verdict.WARN,
                            (Finding("STARTTLS-BANNER", "banner", Verdict.WARN, hostile, params={"banner": hostile},
                                     evidence=(evidence,), subject=hostile),), (evidence,))
    promise = PromiseResult(Promise("mail-tls", hostile), Fulfilment.NOT_UPHELD, "TEST-PROMISE-HTTPS-OK", hostile)
    report = dataclasses.replace(REPORT, measures=(measure,), promises=(promise,))
    for lang in ("en", "nl"):
        out = render_text.render(report, lang=lang, verbose=True)
        assert not any(c in out for c in "\x1b\x07\x9b\u202e")
        assert "\\x1b]0;owned\\x07" in out and "\\u202egnp.exe" in out


def test_json_document_turns_every_kind_of_value_into_plain_data():
    @dataclasses.dataclass(frozen=True)
    class Inner:
        verdict: Verdict
        raw: bytes
        names: frozenset[str]

    @dataclasses.dataclass(frozen=True)
    class Outer:
        inner: Inner
        pairs: tuple[tuple[str, int], ...]
        table: dict[int, list[Inner]]
        missing: None = None
        path: Path = Path("/x/y")

    inner = Inner(Verdict.FAIL, b"\x00\xff", frozenset({"a"}))
    value = Outer(inner, (("ttl", 300),), {25: [inner]})
    doc = render_json.to_jsonable(value)
    assert doc == {"inner": {"verdict": "fail", "raw": "00ff", "names": ["a"]},
                   "pairs": [["ttl", 300]], "table": {"25": [{"verdict": "fail", "raw": "00ff", "names": ["a"]}]},
                   "missing": None, "path": "/x/y"}
    assert type(doc["inner"]["verdict"]) is str  # the enum's value, not the enum (a str subclass)
    assert json.loads(json.dumps(doc)) == doc


ESCAPES = "ESC\x1b]0;owned\x07 RLO\u202etxt.exe CSI\x1b[2J"


def test_controls_and_bidi_overrides_from_outside_are_visible_in_every_format():
    import dataclasses

    from mailguard.core.model import Evidence
    from mailguard.render import text as render_text

    measure = dataclasses.replace(REPORT.measures[0], evidence=(Evidence("dns", ESCAPES, {"record": ESCAPES}),))
    report = dataclasses.replace(REPORT, domain="example.test", measures=(measure, *REPORT.measures[1:]))
    for page in (render_html.render(report), render_markdown.render(report),
                 render_text.render(report, verbose=True)):
        assert "\x1b" not in page and "\u202e" not in page and "\x07" not in page
        assert "\\x1b" in page and "\\x07" in page and "\\u202e" in page and "owned" in page


def test_json_text_is_the_json_modules_and_what_orjson_refuses_is_still_written(markup_report):
    """render() lets orjson read the model; the reference is json's text of to_jsonable's data."""
    from mailguard.core.jsonable import to_jsonable

    for report in (REPORT, markup_report):
        doc = to_jsonable(report)
        assert render_json.render(report) == json.dumps(doc, indent=2, ensure_ascii=False)
        assert json.loads(render_json.render(report, indent=None)) == doc
    line = render_json.render(REPORT, indent=None)
    assert "\n" not in line and json.loads(line) == to_jsonable(REPORT)
    odd = dataclasses.replace(REPORT, extra={"serial": 2**159 + 1, "name": "caf\udce9"})
    assert json.loads(render_json.render(odd))["extra"]["serial"] == 2**159 + 1
    assert "\\udce9" in render_json.render(odd, indent=None)
