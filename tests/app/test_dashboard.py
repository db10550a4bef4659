"""mailguard serve: the dashboard through its ASGI interface, over a database filled by real scans of
the lab (two nights: a DMARC policy weakened between them, a domain whose records hold markup, a
domain that cannot be scanned)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
import sqlalchemy
from click.testing import CliRunner

from mailguard.app.dashboard import create_app
from mailguard.cli import main
from mailguard.history.store import open_readonly
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


def night(db: str, policy: str) -> None:
    zones = [load_zone_text("shop.test", SHOP_ZONE.format(policy=policy)),
             load_zone_text("markup.test", MARKUP_ZONE.format(policy=policy))]
    with Lab(extra_zones=zones) as lab:
        result = CliRunner().invoke(main, ["scan", *DOMAINS, "--statement", STATEMENT, "--nameserver",
                                           lab.dns.address, "--timeout", "2", "--allow-network", "127.0.0.0/8",
                                           "--measure", "mx", "--measure", "spf", "--measure", "dmarc",
                                           "--db", db, "--format", "jsonl", "-q"])
    assert "mailguard: run " in result.stderr, result.output


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("dashboard") / "mailguard.db")
    night(path, "reject")
    night(path, "none")
    return path


def fetch(db: str, *paths: str, token: str | None = None, page_size: int = 50, method: str = "GET",
          headers: dict[str, str] | None = None) -> list[httpx.Response]:
    """Each path asked of one application instance through its ASGI interface."""
    async def run() -> list[httpx.Response]:
        app = create_app(db, token, page_size=page_size)
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


def test_runs_page_counts_each_run(db):
    runs = get(db, "/api/runs").json()
    assert runs["total"] == 2
    for run in runs["runs"]:
        assert (run["engine"], run["domains"], run["done"], run["not_scannable"]) == ("local", 4, 4, 1)
        assert run["seconds"] is not None
    assert runs["runs"][0]["started"] >= runs["runs"][1]["started"]
    text = Page(get(db, "/runs").text).text
    assert "Runs: 2" in text and runs["runs"][0]["id"] in text


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
    older.write_bytes(Path(db).read_bytes())
    with sqlite3.connect(older) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0000_before'")
    before = older.read_bytes()
    response = get(str(older), "/api/fleet")
    assert response.status_code == 503 and "upgrade it with a scan of this version" in response.json()["error"]
    assert older.read_bytes() == before
    assert "written by an older mailguard" in caplog.text
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


def test_serve_refuses_a_public_address_without_a_token(tmp_path):
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "m.db"), "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "refusing to listen on 0.0.0.0 without an access token" in result.output


def test_help_does_not_load_the_web_stack():
    code = ("import sys; from click.testing import CliRunner; from mailguard.cli import main; "
            "r = CliRunner().invoke(main, ['--help']); assert 'serve' in r.output; "
            "print(sorted(m for m in ('starlette', 'uvicorn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_dashboard_reads_postgresql_in_read_only_sessions(postgres_server):
    url = postgres_server.new_database()
    night(url, "reject")
    night(url, "none")
    fleet, domain = fetch(url, "/api/fleet", "/api/domain/shop.test")
    assert sorted(d["domain"] for d in fleet.json()["domains"]) == sorted(DOMAINS)
    assert any(c["code"] == "CHANGE-DMARC-WEAKER" for c in domain.json()["scans"][0]["changes"])
    store = open_readonly(url)
    try:
        with pytest.raises(sqlalchemy.exc.InternalError, match="read-only transaction"), store.engine.begin() as conn:
            conn.execute(sqlalchemy.text("DELETE FROM scans"))
    finally:
        store.close()
    assert len(fetch(url, "/api/fleet")[0].json()["domains"]) == len(DOMAINS)
