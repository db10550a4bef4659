"""mailguard serve: the dashboard through its ASGI interface, over a database filled by real scans of
the lab (two nights: a DMARC policy weakened between them, a domain whose records hold markup, a
domain that cannot be scanned, a mail server whose certificate expires in 10 days), and the report
folder those scans wrote (the second night signed, with PDFs)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from click.testing import CliRunner

from mailguard.app.dashboard import create_app
from mailguard.app.dashboard.passwords import Passwords, hash_password
from mailguard.app.tools import lab_settings
from mailguard.cli import main
from mailguard.history.store import MIGRATIONS, open_readonly
from mailguard.lab import Lab, load_zone_text
from tests.render.test_render_report import MARKUP_ZONE_TEMPLATE

FIXTURES = Path(__file__).parents[1] / "fixtures" / "statements"
STATEMENT = str(FIXTURES / "weakexample-en.md")

SHOP_ZONE = """$TTL 300
@ IN SOA ns.shop.test. h.shop.test. 1 2 3 4 5
@ IN NS ns.shop.test.
ns IN A 127.0.0.1
@ IN MX 10 mx.shop.test.
mx IN A 127.0.0.25
@ IN TXT "v=spf1 -all"
_dmarc IN TXT "v=DMARC1; p={policy}; rua=mailto:d@shop.test"
"""

# Remote text that is markup: the render tests' records.
MARKUP_ZONE = MARKUP_ZONE_TEMPLATE

DOMAINS = ("shop.test", "markup.test", "weak.test", "gone.test")


def night(db: str, policy: str, reports: Path, *, signed_by: Path | None = None) -> None:
    """One night's scan of DOMAINS, recorded in ``db``, its reports written into ``reports``
    (signed with the key ``signed_by``, PDFs too, when given). The lab's own settings file points
    the scan at its resolver, its mail and web ports and its CA, so STARTTLS and the website's TLS
    see the lab's certificates (mail.weak.test's expires in 10 days)."""
    zones = [load_zone_text("shop.test", SHOP_ZONE.format(policy=policy)),
             load_zone_text("markup.test", MARKUP_ZONE.format(policy=policy))]
    with Lab(extra_zones=zones) as lab:
        assert lab.files is not None
        settings = Path(lab.files) / "lab.toml"
        settings.write_text(lab_settings(lab.config(), ()), encoding="utf-8")
        # PDFs are rendered by the run's writer thread while the other domains are still scanned.
        signing = ["--sign-key", str(signed_by), "--report", "pdf"] if signed_by else []
        result = CliRunner().invoke(main, ["scan", *DOMAINS, "--statement", STATEMENT, "--config", str(settings),
                                           "--timeout", "2", "--measure", "mx", "--measure", "spf", "--measure",
                                           "dmarc", "--measure", "starttls", "--measure", "web-tls", "--db", db,
                                           "--report-dir", str(reports), *signing, "--format", "jsonl", "-q"])
    assert "mailguard: run " in result.stderr, result.output


def two_nights(db: str, reports: Path, keys: Path) -> None:
    """The first night unsigned, the second signed with PDFs (a key made in ``keys``)."""
    assert CliRunner().invoke(main, ["keygen", "--out", str(keys)]).exit_code == 0
    night(db, "reject", reports)
    night(db, "none", reports, signed_by=keys / "mailguard.key")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dashboard")


@pytest.fixture(scope="module")
def db(folder: Path) -> str:
    path = str(folder / "mailguard.db")
    two_nights(path, folder / "reports", folder / "keys")
    return path


def fetch(db: str, *paths: str, token: str | None = None, page_size: int = 50, method: str = "GET",
          headers: dict[str, str] | None = None, **options: Any) -> list[httpx.Response]:
    """Each path asked of one application instance through its ASGI interface."""
    async def run() -> list[httpx.Response]:
        app = create_app(db, token, page_size=page_size, **options)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c:
                return [await c.request(method, p, headers=headers) for p in paths]
        finally:
            app.close()
    return asyncio.run(run())


def get(db: str, path: str, **kwargs: object) -> httpx.Response:
    return fetch(db, path, **kwargs)[0]  # type: ignore[arg-type]


class Page(HTMLParser):
    """The tags, attributes, text and links a browser would see."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.links: list[str] = []
        self.chunks: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)
        self.links.extend(value or "" for name, value in attrs if name == "href")

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def assert_no_markup_from_records(html: str) -> None:
    page = Page(html)
    assert "img" not in page.tags and "script" not in page.tags
    assert not {a for a in page.attrs if a.startswith("on")}


def scan_ids(db: str, domain: str) -> list[int]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM scans WHERE domain = ? ORDER BY id", (domain,))]


def test_fleet_page_shows_each_domain_with_its_score_coverage_and_promises_not_upheld(db):
    response = get(db, "/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    rows = {row["domain"]: row for row in get(db, "/api/fleet").json()["domains"]}
    assert sorted(rows) == sorted(DOMAINS)
    shop = rows["shop.test"]
    assert shop["scan"] == scan_ids(db, "shop.test")[-1] and shop["worse"] is True
    assert shop["coverage"]["checks"] >= shop["coverage"]["tested"] > 0 and shop["promises_not_upheld"] >= 1
    assert rows["gone.test"]["error"] and rows["gone.test"]["overall"] is None
    assert len(shop["trend"].split()) == 2 and rows["gone.test"]["trend"] == ""
    assert Page(response.text).tags >= {"svg", "polyline"}
    text = Page(response.text).text
    assert "Fleet: 4 domain(s)" in text
    assert f"{shop['overall']} ({shop['coverage']['tested']} of {shop['coverage']['checks']} checks tested)" in text
    assert "not scanned: the domain does not exist" in text


def test_fleet_filters_searches_sorts_and_pages(db):
    def names(query: str) -> list[str]:
        return [d["domain"] for d in get(db, "/api/fleet" + query).json()["domains"]]

    assert names("?filter=unscannable") == ["gone.test"]
    broken = names("?filter=not-upheld")
    assert "gone.test" not in broken and "shop.test" in broken
    assert names("?q=SHOP") == ["shop.test"] and names("?q=%25") == []
    assert names("?sort=-domain") == sorted(DOMAINS, reverse=True)
    scores = [d["overall"] for d in get(db, "/api/fleet?sort=-score").json()["domains"] if d["overall"] is not None]
    assert scores == sorted(scores, reverse=True)
    first, second, third = fetch(db, "/api/fleet?page=1", "/api/fleet?page=2", "/?page=1", page_size=3)
    assert [len(first.json()["domains"]), len(second.json()["domains"])] == [3, 1] and first.json()["pages"] == 2
    assert "?sort=domain&page=2" in Page(third.text).links
    unscannable = Page(get(db, "/?filter=unscannable").text)
    assert "gone.test" in unscannable.text and "shop.test" not in unscannable.text
    assert get(db, "/?filter=bogus").status_code == 400 and get(db, "/api/fleet?sort=bogus").status_code == 400


def test_domain_page_lists_scans_newest_first_with_verdicts_trend_and_changes(db):
    response = get(db, "/domain/shop.test")
    assert response.status_code == 200
    page = Page(response.text)
    assert {"svg", "polyline"} <= page.tags
    text = page.text
    assert "DMARC policy of _dmarc.shop.test weakened" in text and "(worse)" in text
    assert text.index("Since the scan before") < text.index("First scan recorded.")
    older, newer = scan_ids(db, "shop.test")
    assert page.links.index(f"/scan/{newer}") < page.links.index(f"/scan/{older}")
    assert f"/scan/{newer}.json" in page.links
    api = get(db, "/api/domain/shop.test").json()
    assert [s["id"] for s in api["scans"]] == [newer, older]
    assert api["scans"][0]["worse"] is True and api["scans"][1]["changes"] is None
    assert any(c["code"] == "CHANGE-DMARC-WEAKER" for c in api["scans"][0]["changes"])
    assert {"kind": "dmarc", "verdict": "not upheld", "label": "not upheld"} in api["scans"][0]["promises"]
    assert {"kind": "dmarc", "verdict": "upheld", "label": "upheld"} in api["scans"][1]["promises"]
    assert len(api["trend"].split()) == 2
    missing = get(db, "/domain/never.test")
    assert missing.status_code == 404 and "no scans recorded for never.test" in Page(missing.text).text
    assert get(db, "/api/domain/never.test").json() == {"error": "no scans recorded for never.test"}


def test_pages_speak_dutch_when_asked(db):
    older, newer = scan_ids(db, "shop.test")
    domain = get(db, "/domain/shop.test?lang=nl")
    page = Page(domain.text)
    assert 'lang="nl"' in domain.text
    assert "DMARC-beleid van _dmarc.shop.test verzwakt" in page.text and "dmarc: niet nagekomen" in page.text
    assert "Sinds de vorige scan (slechter)" in page.text and "Eerste vastgelegde scan." in page.text
    assert f"/scan/{newer}?lang=nl" in page.links and "/?lang=nl" in page.links
    assert "/?filter=unscannable&q=gone&lang=nl" in Page(get(db, "/?filter=unscannable&q=gone").text).links
    fleet = Page(get(db, "/", headers={"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"}).text).text
    assert "Overzicht: 4 domein(en)" in fleet and "Beloften niet nagekomen" in fleet
    assert "Runs: 2" in Page(get(db, "/runs?lang=nl").text).text
    report = Page(get(db, f"/scan/{newer}?lang=nl").text).text
    assert "Beloften in de verklaring" in report
    english = Page(get(db, "/domain/shop.test").text).text
    assert "DMARC policy of _dmarc.shop.test weakened" in english and "niet nagekomen" not in english


def test_scan_page_is_the_full_evidence_report_and_json_downloads(db):
    scan = scan_ids(db, "shop.test")[-1]
    report, download, api = fetch(db, f"/scan/{scan}", f"/scan/{scan}.json", f"/api/scan/{scan}")
    assert report.status_code == 200
    assert "shop.test" in Page(report.text).text and "DMARC" in report.text
    csp = report.headers["content-security-policy"]
    assert "script-src" not in csp and "'unsafe-inline'" not in csp and "'sha256-" in csp
    assert download.headers["content-disposition"] == f'attachment; filename="shop.test-{scan}.json"'
    document = download.json()
    assert document["domain"] == "shop.test" and "scores" in document and "coverage" in document
    assert api.json() == document
    html = get(db, f"/scan/{scan}.html")
    assert html.headers["content-disposition"] == f'attachment; filename="shop.test-{scan}.html"'
    assert html.text == report.text and html.headers["content-security-policy"] == csp
    assert get(db, "/scan/999999").status_code == 404 and get(db, "/scan/999999.json").status_code == 404


def test_domain_page_offers_the_pdf_and_the_signed_files_that_verify(db, folder, tmp_path):
    reports = folder / "reports"
    older, newer = scan_ids(db, "shop.test")
    page = Page(get(db, "/domain/shop.test", report_dir=reports).text)
    assert f"/scan/{newer}.pdf" in page.links and f"/scan/{older}.pdf" in page.links
    (written,) = sorted((reports / "shop.test").glob("*.pdf"))  # only the second night wrote PDFs, signed
    signed = [f"/scan/{newer}/files/{written.stem}.{ext}" for ext in ("pdf", "pdf.sig", "json", "json.sig")]
    assert [link for link in page.links if "/files/" in link] == signed
    assert "Signed files" in page.text and not any(f"/scan/{older}/files/" in link for link in page.links)
    api = get(db, "/api/domain/shop.test", report_dir=reports).json()["scans"]
    assert api[0]["downloads"]["pdf_from_folder"] is True and api[1]["downloads"]["signed"] == []

    # the folder's PDF as it was written and signed, under its own name: `mailguard verify` passes
    pdf, signature, json_file, json_signature = fetch(db, *signed, report_dir=reports)
    assert pdf.content == written.read_bytes() and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'attachment; filename="{written.name}"'
    assert fetch(db, f"/scan/{newer}.pdf", report_dir=reports)[0].content == written.read_bytes()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    for response in (pdf, signature, json_file, json_signature):
        name = response.headers["content-disposition"].split('filename="')[1].rstrip('"')
        (downloads / name).write_bytes(response.content)
    for name in (written.name, f"{written.stem}.json"):
        checked = CliRunner().invoke(main, ["verify", str(downloads / name), "--public-key",
                                            str(folder / "keys" / "mailguard.pub")])
        assert checked.exit_code == 0, checked.output

    # a scan whose folder holds no PDF gets one rendered from the stored report
    rendered = get(db, f"/scan/{older}.pdf", report_dir=reports)
    assert rendered.status_code == 200 and rendered.content.startswith(b"%PDF-")
    assert rendered.headers["content-disposition"] == f'attachment; filename="shop.test-{older}.pdf"'
    assert rendered.headers["content-security-policy"].startswith("default-src 'none'")
    without = Page(get(db, "/domain/shop.test").text)  # no report folder given: PDFs rendered, nothing signed
    assert f"/scan/{newer}.pdf" in without.links and not [link for link in without.links if "/files/" in link]


def test_files_are_served_only_from_the_scans_own_report_set(db, folder, tmp_path):
    reports = folder / "reports"
    older, newer = scan_ids(db, "shop.test")
    (written,) = sorted((reports / "shop.test").glob("*.pdf"))
    outside = tmp_path / "secret.txt"
    outside.write_text("not a report")
    # a link in the report folder that leads out of it, named like a report of the scan
    planted = reports / "shop.test" / f"{written.stem}.md"
    planted.symlink_to(outside)
    try:
        asked = [f"/scan/{newer}/files/..%2F..%2Fmailguard.db", f"/scan/{newer}/files/%2E%2E",
                 f"/scan/{newer}/files/{planted.name}", f"/scan/{older}/files/{written.name}",
                 f"/scan/{newer}/files/{written.name}%00.txt", f"/scan/{newer}/files/..%5C{written.name}",
                 f"/scan/{newer}/files/{written.name.upper()}", "/scan/999999/files/x.pdf",
                 f"/scan/{newer}/../../mailguard.db"]
        for path, response in zip(asked, fetch(db, *asked, report_dir=reports), strict=True):
            assert response.status_code == 404, path
            assert b"not a report" not in response.content and b"SQLite" not in response.content, path
        links = Page(get(db, "/domain/shop.test", report_dir=reports).text).links
        assert not [link for link in links if planted.name in link]
    finally:
        planted.unlink()


def test_runs_page_counts_each_run(db):
    runs = get(db, "/api/runs").json()
    assert runs["total"] == 2
    for run in runs["runs"]:
        assert (run["engine"], run["domains"], run["done"], run["not_scannable"]) == ("local", 4, 4, 1)
        assert run["seconds"] is not None
    assert runs["runs"][0]["started"] >= runs["runs"][1]["started"]
    text = Page(get(db, "/runs").text).text
    assert "Runs: 2" in text and runs["runs"][0]["id"] in text


def test_the_earliest_certificate_expiry_is_recorded_shown_filtered_and_sorted(db):
    with contextlib.closing(sqlite3.connect(db)) as conn:
        stored = dict(conn.execute("SELECT domain, cert_expires FROM scans WHERE id IN "
                                   "(SELECT max(id) FROM scans GROUP BY domain)").fetchall())
    assert stored["shop.test"] is None and stored["gone.test"] is None and stored["markup.test"] is None
    rows = {d["domain"]: d for d in get(db, "/api/fleet").json()["domains"]}
    weak = rows["weak.test"]["certificate_expires"]  # mail.weak.test's: 10 days; the website's: 90
    assert weak["not_after"].startswith(stored["weak.test"][:10]) and weak["days"] in (9, 10) and weak["soon"]
    assert rows["shop.test"]["certificate_expires"] is None

    def names(query: str, **options: Any) -> list[str]:
        return [d["domain"] for d in fetch(db, "/api/fleet" + query, **options)[0].json()["domains"]]

    expires = datetime.fromisoformat(weak["not_after"])
    assert names("?filter=cert-expiring") == ["weak.test"]
    assert names("?filter=cert-expiring", now=lambda: expires - timedelta(days=31)) == []
    later = fetch(db, "/api/fleet?filter=cert-expiring", now=lambda: expires + timedelta(days=3))[0].json()
    assert [d["certificate_expires"]["days"] for d in later["domains"]] == [-3]  # expired: still listed
    assert names("?sort=expiry")[0] == "weak.test" and names("?sort=-expiry")[0] == "weak.test"
    page = get(db, "/?filter=cert-expiring")
    text = Page(page.text).text
    assert "Fleet: 1 domain(s)" in text and weak["not_after"][:10] in text and f"(in {weak['days']} days)" in text
    assert '<option value="cert-expiring" selected>' in page.text and "Certificate expires" in text
    assert "(expired)" in Page(fetch(db, "/", now=lambda: expires + timedelta(days=3))[0].text).text
    dutch = Page(get(db, "/?lang=nl").text).text
    assert "certificaat verlopen of verloopt binnen 30 dagen" in dutch and f"(over {weak['days']} dagen)" in dutch


def test_openapi_describes_every_api_route(db):
    spec = get(db, "/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {"/api/fleet", "/api/domain/{name}", "/api/scan/{id}", "/api/runs"}


def every_page(db: str) -> list[str]:
    ids = scan_ids(db, "markup.test")
    return ["/", "/?filter=not-upheld", "/domain/markup.test", "/runs", *(f"/scan/{i}" for i in ids),
            "/domain/%3Cimg%20src=x%20onerror=alert(9)%3E", "/x/%3Cscript%3Ealert(8)%3C%2Fscript%3E"]


def test_markup_in_records_is_text_on_every_page(db):
    for path, response in zip(every_page(db), fetch(db, *every_page(db)), strict=True):
        assert response.status_code in (200, 404), path
        assert_no_markup_from_records(response.text)
        assert "<script>alert" not in response.text, path
    domain = Page(get(db, "/domain/markup.test").text).text
    assert "rua=mailto:<script>alert(5)</script>@markup.test" in domain
    report = Page(get(db, f"/scan/{scan_ids(db, 'markup.test')[-1]}").text).text
    assert "<script>alert(3)</script>" in report and "<img src=x onerror=alert(4)>" in report
    bidi = get(db, "/domain/evil%E2%80%AEtset.test")
    assert bidi.status_code == 404 and "\u202e" not in bidi.text and "evil\\u202etset.test" in bidi.text
    unknown, nowhere = fetch(db, *every_page(db)[-2:])
    assert "no scans recorded for <img src=x onerror=alert(9)>" in Page(unknown.text).text
    assert "no page /x/<script>alert(8)</script>" in Page(nowhere.text).text


def test_every_response_has_a_strict_csp_and_no_script(db):
    paths = [*every_page(db), "/api/fleet", "/api/runs", "/api/openapi.json", "/static/dashboard.css", "/nowhere"]
    for path, response in zip(paths, fetch(db, *paths), strict=True):
        csp = response.headers["content-security-policy"]
        assert csp.startswith("default-src 'none';") and "unsafe" not in csp and "script-src" not in csp, path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "<script" not in response.text.lower() or path.startswith("/api/"), path
    assert fetch(db, "/", method="POST")[0].status_code == 405
    assert fetch(db, "/", "/nowhere")[1].status_code == 404


def test_a_token_is_required_when_the_server_has_one(db):
    without, wrong, bearer, api = fetch(db, "/", "/?token=nope", "/", "/api/fleet", token="s3cret",
                                        headers=None)
    assert without.status_code == 401 and "access token" in Page(without.text).text
    assert wrong.status_code == 401
    ok = fetch(db, "/", "/api/fleet", token="s3cret", headers={"Authorization": "Bearer s3cret"})
    assert [r.status_code for r in ok] == [200, 200]
    link = fetch(db, "/domain/shop.test?token=s3cret", token="s3cret")[0]
    assert link.status_code == 303 and link.headers["location"].endswith("/domain/shop.test")
    assert "mailguard_token=s3cret" in link.headers["set-cookie"] and "httponly" in link.headers["set-cookie"].lower()
    cookie = fetch(db, "/domain/shop.test", token="s3cret", headers={"Cookie": "mailguard_token=s3cret"})[0]
    assert cookie.status_code == 200


def test_a_missing_empty_or_older_database_is_a_clear_page_and_never_changed(db, tmp_path, caplog):
    missing = get(str(tmp_path / "nothing.db"), "/")
    assert missing.status_code == 503 and "no such file" in Page(missing.text).text
    assert not (tmp_path / "nothing.db").exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    page = get(str(empty), "/")
    assert page.status_code == 503 and "holds no mailguard results yet" in Page(page.text).text
    older = tmp_path / "older.db"
    written_by_0001(older, db)
    before = older.read_bytes()
    response, page = fetch(str(older), "/api/fleet", "/")
    assert response.status_code == 503 and "run `mailguard db upgrade --db sqlite:///" in response.json()["error"]
    assert page.status_code == 503 and "mailguard db upgrade" in Page(page.text).text and "Traceback" not in page.text
    assert older.read_bytes() == before
    assert "written by an older mailguard (schema 0001" in caplog.text
    newer = tmp_path / "newer.db"
    newer.write_bytes(Path(db).read_bytes())
    with contextlib.closing(sqlite3.connect(newer)) as conn, conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    assert "written by a newer mailguard" in get(str(newer), "/api/runs").json()["error"]
    with contextlib.closing(sqlite3.connect(db)) as conn:
        head = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    broken = tmp_path / "broken.db"  # the newest schema's version, but no tables
    with contextlib.closing(sqlite3.connect(broken)) as conn, conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES (?)", (head,))
    page, api = fetch(str(broken), "/", "/api/runs")
    assert page.status_code == 503 and "cannot be read: no such table" in Page(page.text).text
    assert api.status_code == 503 and "no such table" in api.json()["error"]
    assert "Traceback" not in page.text


OLD_SCAN_COLUMNS = ("id, run_id, domain, started, finished, error, statuses, scores, promises, previous_id, worse, "
                    "mailguard_version, document")


def written_by_0001(path: Path, source: str) -> None:
    """A database as a mailguard of schema 0001 wrote it: that schema, made by its own migration, holding
    the runs and scans of ``source`` (the same scans, without the column 0002 adds)."""
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            config = AlembicConfig()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            alembic_command.upgrade(config, "0001")
            conn.commit()
    finally:
        engine.dispose()
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("ATTACH DATABASE ? AS source", (source,))
        conn.execute("INSERT INTO runs SELECT * FROM source.runs")
        conn.execute(f"INSERT INTO scans ({OLD_SCAN_COLUMNS}) SELECT {OLD_SCAN_COLUMNS} FROM source.scans")
    with contextlib.closing(sqlite3.connect(path)) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(scans)")}
        assert "cert_expires" not in columns and conn.execute("SELECT count(*) FROM scans").fetchone()[0] == 8


def test_db_upgrade_migrates_an_older_database_with_its_scans_and_serve_reads_it_then(db, tmp_path):
    older = tmp_path / "older.db"
    written_by_0001(older, db)
    assert get(str(older), "/api/fleet").status_code == 503
    upgraded = CliRunner().invoke(main, ["db", "upgrade", "--db", str(older)])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"database {older} upgraded from schema 0001 to 0002" in upgraded.output
    # the scans recorded before the column existed got their expiry from their own documents
    with contextlib.closing(sqlite3.connect(older)) as conn, contextlib.closing(sqlite3.connect(db)) as fresh:
        backfilled = conn.execute("SELECT id, cert_expires FROM scans ORDER BY id").fetchall()
        recorded = fresh.execute("SELECT id, cert_expires FROM scans ORDER BY id").fetchall()
    assert backfilled == recorded and any(expires for _id, expires in backfilled)
    assert [d["domain"] for d in get(str(older), "/api/fleet?filter=cert-expiring").json()["domains"]] == ["weak.test"]
    again = CliRunner().invoke(main, ["db", "upgrade", "--db", str(older)])
    assert again.exit_code == 0 and "is up to date (schema 0002)" in again.output
    created = CliRunner().invoke(main, ["db", "upgrade", "--db", str(tmp_path / "new.db")])
    assert created.exit_code == 0 and "created (schema 0002)" in created.output


def test_serve_refuses_a_public_address_without_a_token(tmp_path):
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "m.db"), "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "refusing to listen on 0.0.0.0 without an access token or a password file" in result.output
    assert "--password-file" in result.output


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_passwd_writes_salted_scrypt_entries_without_echo_and_changes_them(tmp_path):
    path = tmp_path / "users"
    added = CliRunner().invoke(main, ["passwd", str(path), "anna"], input="corr3ct horse\ncorr3ct horse\n")
    assert added.exit_code == 0, added.output
    assert "corr3ct horse" not in added.output and "added anna" in added.output
    assert path.stat().st_mode & 0o777 == 0o600
    CliRunner().invoke(main, ["passwd", str(path), "bert"], input="s3cret\ns3cret\n")
    first = path.read_text().splitlines()
    assert [line.split(":")[0] for line in first] == ["anna", "bert"]
    assert all(line.split(":", 1)[1].startswith("$scrypt$ln=15,r=8,p=1$") for line in first)
    changed = CliRunner().invoke(main, ["passwd", str(path), "anna"], input="n3w one\nn3w one\n")
    assert changed.exit_code == 0 and "changed the password of anna" in changed.output
    second = path.read_text().splitlines()
    assert second[1] == first[1] and second[0] != first[0] and len(second) == 2
    passwords = Passwords.load(path)
    assert passwords.check("anna", "n3w one") and not passwords.check("anna", "corr3ct horse")
    assert not passwords.check("carl", "n3w one")
    # the same password twice: another salt, another hash
    assert hash_password("same") != hash_password("same")
    mismatch = CliRunner().invoke(main, ["passwd", str(path), "dora"], input="one\ntwo\n")
    assert mismatch.exit_code != 0 and "dora" not in path.read_text()
    bad_user = CliRunner().invoke(main, ["passwd", str(path), "a:b"], input="x\nx\n")
    assert bad_user.exit_code == 2 and "not usable" in bad_user.output


def test_a_password_file_admits_its_users_with_basic_auth(db, tmp_path):
    path = tmp_path / "users"
    CliRunner().invoke(main, ["passwd", str(path), "anna"], input="corr3ct horse\ncorr3ct horse\n")
    passwords = Passwords.load(path)
    without, wrong, unknown = (fetch(db, "/", passwords=passwords, headers=h)[0] for h in (
        None, basic("anna", "wrong"), basic("nobody", "corr3ct horse")))
    right, again, api = fetch(db, "/", "/runs", "/api/fleet", passwords=passwords,
                              headers=basic("anna", "corr3ct horse"))
    for refused in (without, wrong, unknown):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'Basic realm="mailguard", charset="UTF-8"'
        assert "a user name and password are needed" in Page(refused.text).text
    assert [right.status_code, again.status_code, api.status_code] == [200, 200, 200]
    garbled = fetch(db, "/", passwords=passwords, headers={"Authorization": "Basic %%%"})[0]
    assert garbled.status_code == 401
    # with a token as well, either admits
    token, login, neither = (fetch(db, "/", token="t0ken", passwords=passwords, headers=h)[0] for h in (
        {"Authorization": "Bearer t0ken"}, basic("anna", "corr3ct horse"), basic("anna", "t0ken")))
    assert [token.status_code, login.status_code, neither.status_code] == [200, 200, 401]
    assert "an access token or a user name and password are needed" in Page(neither.text).text


def test_serve_refuses_a_missing_empty_unreadable_or_malformed_password_file(tmp_path):
    def serve(path: Path) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "m.db"), "--host", "0.0.0.0",
                                           "--port", "1", "--password-file", str(path)])
        return result.exit_code, result.output

    good = hash_password("x")
    cases = {
        "missing": (None, "no such file (create it with `mailguard passwd"),
        "empty": ("\n# only a comment\n", "holds no user"),
        "malformed": (f"anna:{good}\nbert $scrypt$\n", "line 2: not a 'user:$scrypt$...' entry"),
        "weak": ("anna:plaintext\n", "line 1: not a 'user:$scrypt$...' entry"),
        "costly": (f"anna:{good.replace('ln=15', 'ln=20')}\n", "line 1: not a 'user:$scrypt$...' entry"),
        "twice": (f"anna:{good}\nanna:{good}\n", "line 2: user 'anna' a second time"),
        "binary": (b"\xff\xfe", "is not UTF-8 text"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content)
        elif content is not None:
            path.write_bytes(content)
        code, output = serve(path)
        assert code == 2 and message in output, (name, output)
        assert "Traceback" not in output and "plaintext" not in output and good not in output
    (tmp_path / "afile").write_text("x")
    code, output = serve(tmp_path / "afile" / "users")  # a path that cannot be opened
    assert code == 2 and "cannot be read: Not a directory" in output


def test_help_does_not_load_the_web_stack():
    code = ("import sys; from click.testing import CliRunner; from mailguard.cli import main; "
            "r = CliRunner().invoke(main, ['--help']); assert 'serve' in r.output; "
            "print(sorted(m for m in ('starlette', 'uvicorn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_dashboard_reads_postgresql_in_read_only_sessions(postgres_server, tmp_path):
    url = postgres_server.new_database()
    night(url, "reject", tmp_path)
    night(url, "none", tmp_path)
    fleet, domain, expiring = fetch(url, "/api/fleet", "/api/domain/shop.test", "/api/fleet?filter=cert-expiring")
    assert sorted(d["domain"] for d in fleet.json()["domains"]) == sorted(DOMAINS)
    assert [d["domain"] for d in expiring.json()["domains"]] == ["weak.test"]
    assert any(c["code"] == "CHANGE-DMARC-WEAKER" for c in domain.json()["scans"][0]["changes"])
    store = open_readonly(url)
    try:
        with pytest.raises(sqlalchemy.exc.InternalError, match="read-only transaction"), store.engine.begin() as conn:
            conn.execute(sqlalchemy.text("DELETE FROM scans"))
    finally:
        store.close()
    assert len(fetch(url, "/api/fleet")[0].json()["domains"]) == len(DOMAINS)
