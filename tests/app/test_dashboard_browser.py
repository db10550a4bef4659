"""mailguard serve in a real browser: Debian's chromium driven by Playwright, against a real uvicorn
server (``mailguard serve --port 0``) over a database filled by real scans of the lab and the report
folder they wrote. Each page is saved as a screenshot in $MAILGUARD_ARTIFACTS (default: the test's
temporary folder)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.test_dashboard import two_nights

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    db = str(folder / "mailguard.db")
    two_nights(db, folder / "reports", folder / "keys")
    process = subprocess.Popen([sys.executable, "-m", "mailguard", "serve", "--db", db, "--port", "0",
                                "--report-dir", str(folder / "reports")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        address = None
        give_up = time.monotonic() + 30
        assert process.stderr is not None
        while address is None and time.monotonic() < give_up:
            line = process.stderr.readline()
            found = re.search(r"running on (http://127\.0\.0\.1:\d+)", line)
            address = found.group(1) if found else None
        assert address, "mailguard serve did not start"
        yield address
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("MAILGUARD_ARTIFACTS") or tmp_path) / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_fleet_filter_domain_report_and_json_in_a_browser(server, artifacts):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (tests/install-services.sh)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
            blocked: list[str] = []
            page.on("console", lambda message: blocked.append(message.text))
            page.goto(server + "/")
            assert page.locator("table.fleet tbody tr").count() == 4
            page.screenshot(path=str(artifacts / "fleet.png"), full_page=True)

            page.select_option("select[name=filter]", "not-upheld")
            page.click("button[type=submit]")
            assert "filter=not-upheld" in page.url
            names = page.locator("table.fleet tbody td:first-child").all_inner_texts()
            assert "shop.test" in names and "gone.test" not in names
            page.screenshot(path=str(artifacts / "fleet-not-upheld.png"), full_page=True)

            page.select_option("select[name=filter]", "cert-expiring")
            page.click("button[type=submit]")
            assert "filter=cert-expiring" in page.url
            assert page.locator("table.fleet tbody td:first-child").all_inner_texts() == ["weak.test"]
            expiry = page.locator("table.fleet tbody tr td:nth-child(4)").inner_text()
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \(in (9|10) days\)", expiry), expiry
            assert page.locator("th", has_text="Certificate expires").count() == 1
            page.screenshot(path=str(artifacts / "fleet-cert-expiring.png"), full_page=True)

            page.select_option("select[name=filter]", "not-upheld")
            page.click("button[type=submit]")
            page.click("text=markup.test")
            assert page.url.endswith("/domain/markup.test")
            assert page.locator("svg.trend polyline").count() == 1
            assert "rua=mailto:<script>alert(5)</script>@markup.test" in page.inner_text("main")
            assert page.locator("main img, main script").count() == 0
            page.screenshot(path=str(artifacts / "domain.png"), full_page=True)

            page.locator("section.scan h3 a").first.click()
            assert re.search(r"/scan/\d+$", page.url)
            assert "<script>alert(3)</script>" in page.inner_text("body")
            assert page.locator("body img").count() == 0
            page.screenshot(path=str(artifacts / "report.png"), full_page=True)

            page.go_back()
            with page.expect_download() as info:
                page.locator("section.scan h3 a", has_text="JSON").first.click()
            download = info.value
            saved = artifacts / download.suggested_filename
            download.save_as(saved)
            assert saved.name.startswith("markup.test-") and json.loads(saved.read_text())["domain"] == "markup.test"

            # the newest scan was signed: its PDF is the folder's, under the name its signature names
            newest = page.locator("section.scan").first
            assert newest.locator("p.signed a").count() == 4
            with page.expect_download() as info:
                newest.locator("h3 a.pdf").click()
            pdf = info.value
            # (a second scan of the domain within the same second is written as <UTC>-2)
            assert re.fullmatch(r"\d{8}T\d{6}Z(-\d+)?\.pdf", pdf.suggested_filename)
            pdf.save_as(artifacts / pdf.suggested_filename)
            assert (artifacts / pdf.suggested_filename).read_bytes().startswith(b"%PDF-")
            with page.expect_download() as info:
                newest.locator("p.signed a", has_text="signature").first.click()
            assert info.value.suggested_filename == pdf.suggested_filename + ".sig"
            # the first night's scan: a PDF rendered on demand, nothing signed
            oldest = page.locator("section.scan").last
            assert oldest.locator("p.signed").count() == 0
            with page.expect_download() as info:
                oldest.locator("h3 a.pdf").click()
            assert re.fullmatch(r"markup\.test-\d+\.pdf", info.value.suggested_filename)
            page.locator("section.scan").first.scroll_into_view_if_needed()
            page.screenshot(path=str(artifacts / "domain-downloads.png"), clip={"x": 0, "y": 0, "width": 1280,
                                                                                 "height": 900})

            page.click("header >> text=Runs")
            assert page.locator("table.runs tbody tr").count() == 2
            page.screenshot(path=str(artifacts / "runs.png"), full_page=True)
            page.click("text=Nederlands")
            assert "Runs: 2" in page.inner_text("h1") and page.get_attribute("html", "lang") == "nl"
            assert not [m for m in blocked if "Content Security Policy" in m]
        finally:
            browser.close()
