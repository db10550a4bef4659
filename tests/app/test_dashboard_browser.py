"""mailguard serve in a real browser: Debian's chromium driven by Playwright, against a real uvicorn
server (``mailguard serve --port 0``) over a database filled by real scans of the lab. Each page is
saved as a screenshot in $MAILGUARD_ARTIFACTS (default: the test's temporary folder)."""

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

from tests.app.test_dashboard import night

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = str(tmp_path_factory.mktemp("browser") / "mailguard.db")
    night(db, "reject")
    night(db, "none")
    process = subprocess.Popen([sys.executable, "-m", "mailguard", "serve", "--db", db, "--port", "0"],
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

            page.click("header >> text=Runs")
            assert page.locator("table.runs tbody tr").count() == 2
            page.screenshot(path=str(artifacts / "runs.png"), full_page=True)
            page.click("text=Nederlands")
            assert "Runs: 2" in page.inner_text("h1") and page.get_attribute("html", "lang") == "nl"
            assert not [m for m in blocked if "Content Security Policy" in m]
        finally:
            browser.close()
