"""The demo company's report (ixstudios.example with its own Dutch statement) fits the budget a
compliance file allows: at most 12 A4 pages and 1 MB, as PDF and as the HTML printed by a real
browser; page one shows the promise table; nothing is wider than an A4 page."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest

from mailguard.app import demo
from mailguard.core.model import Fulfilment, ScanReport
from mailguard.lab import Lab
from mailguard.render import html as render_html
from mailguard.render import pdf as render_pdf

MAX_PAGES = 12
MAX_BYTES = 1_000_000
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
A4_TEXT_WIDTH_PX = round(180 / 25.4 * 96)  # 210 mm less the 15 mm margins, at CSS's 96 px per inch


@pytest.fixture(scope="module")
def company() -> Iterator[ScanReport]:
    with Lab() as lab:
        yield demo.scan_company(lab)


def test_the_demo_company_is_scanned_with_its_statement(company):
    assert company.error is None and company.domain == demo.COMPANY
    verdicts = {p.promise.kind: p.verdict for p in company.promises}
    assert verdicts["dmarc"] == Fulfilment.NOT_UPHELD  # p=none does not stop spoofing
    assert verdicts["spf"] == Fulfilment.PARTLY  # ~all
    assert verdicts["dkim"] == Fulfilment.UPHELD  # three keys
    mx = next(m for m in company.measures if m.name == "mx")
    assert sum("MX" in e.summary and "5 RR" in e.summary for e in mx.evidence) == 1


@pytest.mark.skipif(not render_pdf.available(), reason="WeasyPrint or Pango is not installed")
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_pdf_fits_the_budget_and_opens_with_the_summary(company, lang):
    data = render_pdf.render(company, lang=lang)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) <= MAX_PAGES, f"{len(reader.pages)} pages"
    assert len(data) <= MAX_BYTES, f"{len(data)} bytes"
    first = reader.pages[0].extract_text()
    table, not_upheld = ("Beloften in de verklaring", "niet nagekomen") if lang == "nl" else \
        ("Promises in the statement", "not upheld")
    assert table in first and not_upheld in first


def _browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (tests/install-services.sh)")
    return sync_api


def test_the_html_in_a_real_browser_fits_a4_and_prints_within_budget(company, tmp_path):
    sync_api = _browser()
    page_file = tmp_path / "report.html"
    page_file.write_text(render_html.render(company, lang="nl"), encoding="utf-8")
    assert page_file.stat().st_size <= MAX_BYTES
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": A4_TEXT_WIDTH_PX, "height": 1123})
            page.goto(page_file.as_uri())
            page.emulate_media(media="print")
            # nothing is wider than the text width of an A4 page
            widest = page.evaluate(
                "() => Math.max(document.documentElement.scrollWidth,"
                " ...[...document.querySelectorAll('body *')].map(e => e.getBoundingClientRect().right))"
            )
            assert widest <= A4_TEXT_WIDTH_PX + 1, f"{widest}px wide, the page has {A4_TEXT_WIDTH_PX}px"
            table = page.locator("#promise-table")
            assert table.is_visible() and table.locator("tbody tr").count() == len(company.promises)
            printed = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        finally:
            browser.close()
    reader = pypdf.PdfReader(io.BytesIO(printed))
    assert len(reader.pages) <= MAX_PAGES, f"printed from the browser: {len(reader.pages)} pages"
    assert len(printed) <= MAX_BYTES
    first = reader.pages[0].extract_text()
    assert "Beloften in de verklaring" in first and "niet nagekomen" in first
    assert "Bewijs per belofte" not in first  # the evidence starts on a page of its own


def test_mailguard_demo_writes_every_report_offline(tmp_path):
    from click.testing import CliRunner

    from mailguard.cli import main

    result = CliRunner().invoke(main, ["demo", "--report-dir", str(tmp_path), "--report", "json",
                                       "--report", "html"])
    assert result.exit_code == 0, result.output
    for domain in (demo.COMPANY, "good.test", "weak.test", "broken.test", "nomail.test"):
        files = sorted(p.suffix for p in (tmp_path / domain).iterdir())
        assert files == [".html", ".json"], (domain, files)
    company_html = next((tmp_path / demo.COMPANY).glob("*.html")).read_text()
    assert '<html lang="nl">' in company_html and "Beloften in de verklaring" in company_html
    # every measure was tested against the demo's servers: mail TLS on good.test's MX hosts, web, DANE
    good = json.loads(next((tmp_path / "good.test").glob("*.json")).read_text())
    status = {m["name"]: m["status"] for m in good["measures"]}
    assert {status[n] for n in ("starttls", "dane", "mta-sts", "web-tls", "web-https", "dnssec")} == {"pass"}
