"""Reading statements: formats, languages, and URLs fetched from a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mailguard.core.config import LOOPBACK_ONLY, Config
from mailguard.core.errors import ConnectError, HttpError, InputError, NetTimeout
from mailguard.net.fetch import fetch_document
from mailguard.promises.statement import (
    detect_format,
    detect_language,
    html_text,
    load_statement,
    markdown_text,
    parse_statement,
)
from tests.pdfmaker import make_pdf

FIXTURES = Path(__file__).parents[1] / "fixtures" / "statements"

PDF_PAGES = [
    ["Privacyverklaring van Voorbeeld Webdiensten", "",
     "Wij nemen passende maatregelen. Uw e-", "mailadres wordt be veiligd bewaard en onze",
     "website gebruikt een S SL-certificaat."],
    ["Wij gebruiken DMARC met het beleid reject om u zo goed mogelijk te beschermen tegen e-mail",
     "uit onze naam. Vragen? Mail naar privacy@voorbeeld.test."],
]


def test_text_markdown_html_and_pdf_are_told_apart():
    assert detect_format("a.txt", "", b"%PDF-1.7\n...") == "pdf"
    assert detect_format("statement", "text/html; charset=utf-8", b"<p>x</p>") == "html"
    assert detect_format("privacy.htm", "", b"text") == "html"
    assert detect_format("x", "", b"\xef\xbb\xbf<!DOCTYPE html><html>") == "html"
    assert detect_format("privacy.md", "", b"# Privacy") == "markdown"
    assert detect_format("privacy.txt", "text/plain", b"Privacy") == "text"


def test_html_keeps_the_visible_text_and_the_links():
    text, links = html_text((FIXTURES / "goodexample-en.html").read_text())
    assert "Our DNS zone is signed with DNSSEC." in text
    assert "Good Example" in text and "&nbsp;" not in text and "& HSTS" in text
    assert "p=none" not in text and "style sheet" not in text  # scripts and styles are not text
    assert "mailto:privacy@good.test" in links and "https://edps.europa.eu/" in links


def test_markdown_drops_markers_and_keeps_link_texts():
    text, links = markdown_text("# Title\n\nSee **our** [site](https://www.weak.test/) and <mailto:a@weak.test>.\n"
                                "- item one\n* item two\n\n---\n")
    assert text.splitlines()[:3] == ["Title", "", "See our site and a@weak.test."]
    assert "• item one" in text and "• item two" in text and "---" not in text
    assert links == ("https://www.weak.test/", "mailto:a@weak.test")


def test_pdf_text_is_extracted_and_repaired():
    statement = parse_statement(make_pdf(PDF_PAGES), "pdf", source="privacy.pdf")
    assert statement.format == "pdf" and statement.language == "nl"
    assert "Uw e-mailadres wordt beveiligd bewaard en onze website gebruikt een SSL-certificaat." in statement.text
    assert ("Wij gebruiken DMARC met het beleid reject om u zo goed mogelijk te beschermen tegen e-mail uit "
            "onze naam.") in statement.text  # one sentence across the page break


def test_a_pdf_file_is_read_from_disk(tmp_path):
    path = tmp_path / "verklaring.pdf"
    path.write_bytes(make_pdf(PDF_PAGES))
    statement = load_statement(str(path))
    assert statement.format == "pdf" and "SSL-certificaat" in statement.text
    assert statement.evidence.data["bytes"] == path.stat().st_size
    assert len(statement.evidence.data["sha256"]) == 64


def test_a_broken_pdf_is_an_input_error():
    with pytest.raises(InputError, match="PDF"):
        parse_statement(b"%PDF-1.4\n1 0 obj << /Type /Catalog", "pdf")


def _spliced(*edits: tuple[int, int, bytes]) -> bytes:
    """A good PDF with (offset, bytes removed, bytes put there) edits, offsets in the original."""
    pdf = make_pdf(PDF_PAGES)
    for at, cut, insert in sorted(edits, reverse=True):
        pdf = pdf[:at] + insert + pdf[at + cut:]
    return pdf


@pytest.mark.parametrize("data", [
    # Found by mutating a good PDF: pypdf raised AttributeError (a trailer without its
    # dictionary), AssertionError (a stray /Kids in a content stream) and LimitReachedError (an
    # object that refers to itself) -- none of them a PdfReadError.
    make_pdf(PDF_PAGES).replace(b"trailer\n<< ", b"trailer", 1),
    _spliced((397, 0, b"/Kids [3 0 R]")),
    _spliced((35, 1, b"\xb7"), (154, 0, b" 0 R"), (625, 8, b""), (992, 1, b"\xc0"), (1058, 1, b"")),
])
def test_a_hostile_pdf_is_an_input_error_not_a_crash(data):
    with pytest.raises(InputError, match="PDF"):
        parse_statement(data, "pdf")


def test_missing_file_and_empty_file_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="cannot read statement"):
        load_statement(str(tmp_path / "nothere.txt"))
    (tmp_path / "empty.txt").write_text("  \n")
    with pytest.raises(InputError, match="no text"):
        load_statement(str(tmp_path / "empty.txt"))


@pytest.mark.parametrize(("text", "language"), [
    ("Wij gebruiken uw gegevens alleen voor de uitvoering van de overeenkomst met u.", "nl"),
    ("We only use your data to perform the contract we have with you.", "en"),
    ("Uw gegevens worden beveiligd met SSL en DKIM, the best.", "nl"),
])
def test_language_from_function_words(text, language):
    assert detect_language(text) == language


def test_windows_1252_text_is_decoded():
    statement = parse_statement("Wij gebruiken géén tracking en één firewall.".encode("cp1252"), "text")
    assert "géén" in statement.text


# --- URLs -----------------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    stop = threading.Event()

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path == "/host":  # what the client said it asked for
            body = (self.headers.get("Host") or "").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            while not self.stop.is_set():  # a byte now and then: each read is in time, the whole never
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                self.stop.wait(0.2)
            return
        status, headers, body = self.routes.get(self.path, (404, {}, b"not found"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    html = (FIXTURES / "goodexample-en.html").read_bytes()
    _Handler.routes = {
        "/privacy": (200, {"Content-Type": "text/html; charset=utf-8"}, html),
        "/privacy.pdf": (200, {"Content-Type": "application/pdf"}, make_pdf(PDF_PAGES)),
        "/old": (301, {"Location": "/privacy"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/huge": (200, {"Content-Type": "text/plain"}, b"a" * 5000),
        "/gone": (410, {}, b"gone"),
    }
    _Handler.stop.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    _Handler.stop.set()
    server.shutdown()
    server.server_close()


def lab_config(**overrides: object) -> Config:
    return Config(allowed_networks=LOOPBACK_ONLY, timeout=2.0, **overrides)  # type: ignore[arg-type]


def test_an_html_statement_is_fetched_from_a_url(web):
    statement = load_statement(f"{web}/privacy", lab_config())
    assert statement.format == "html" and statement.language == "en"
    assert statement.url == f"{web}/privacy"
    assert "signed with DNSSEC" in statement.text
    assert statement.evidence.kind == "http" and statement.evidence.data["status"] == 200


def test_a_pdf_statement_is_fetched_from_a_url(web):
    statement = load_statement(f"{web}/privacy.pdf", lab_config())
    assert statement.format == "pdf" and "SSL-certificaat" in statement.text


def test_redirects_are_followed_and_recorded(web):
    statement = load_statement(f"{web}/old", lab_config())
    assert statement.url == f"{web}/privacy"
    assert statement.evidence.data["hops"] == [f"{web}/old", f"{web}/privacy"]


def test_a_redirect_loop_ends(web):
    with pytest.raises(InputError, match="redirects"):
        load_statement(f"{web}/loop", lab_config())


def test_an_error_status_is_an_input_error(web):
    with pytest.raises(InputError, match="410"):
        load_statement(f"{web}/gone", lab_config())


def test_the_size_cap_holds(web):
    with pytest.raises(HttpError, match="cap"):
        asyncio.run(fetch_document(f"{web}/huge", lab_config(), max_bytes=1000))


def test_a_dripping_server_cannot_hold_the_fetch(web):
    started = time.monotonic()
    with pytest.raises(NetTimeout):
        asyncio.run(fetch_document(f"{web}/drip", lab_config(), max_bytes=10_000, total_timeout=1.0))
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/privacy.txt", "file:///etc/passwd", "http:///nohost"])
def test_only_http_and_https_urls(url):
    with pytest.raises(InputError):
        load_statement(url, lab_config())


def test_a_url_by_name_keeps_its_host_when_the_connection_is_pinned(web):
    """The connection goes to a guarded address (no second lookup by httpx that a rebinding DNS
    could answer differently), yet the server still sees the name the URL gave."""
    port = web.rsplit(":", 1)[1]
    if not any(info[4][0] == "127.0.0.1" for info in socket.getaddrinfo("localhost", int(port))):
        pytest.skip("localhost does not resolve to 127.0.0.1 here")
    document = asyncio.run(fetch_document(f"http://localhost:{port}/host", lab_config(), max_bytes=1000))
    assert document.body == f"localhost:{port}".encode()
    assert "127.0.0.1" in document.evidence.data["addresses"]


def test_the_connection_goes_to_the_guarded_address_not_to_a_second_lookup(web, monkeypatch):
    """The guard's answer is the only resolution: a name nobody can resolve (.invalid, RFC 6761)
    is fetched when the guard vouches for 127.0.0.1, and the server sees that name as Host."""
    from mailguard.net import fetch

    async def vouched(host, port, config):
        assert host == "pinned.invalid"
        return ["127.0.0.1"]

    monkeypatch.setattr(fetch, "_guard", vouched)
    port = web.rsplit(":", 1)[1]
    document = asyncio.run(fetch_document(f"http://pinned.invalid:{port}/host", lab_config(), max_bytes=1000))
    assert document.body == f"pinned.invalid:{port}".encode()


def test_addresses_outside_the_allowed_networks_are_never_contacted():
    # 192.0.2.0/24 is TEST-NET-1 (RFC 5737); the guard refuses it before any packet is sent.
    with pytest.raises(ConnectError, match="not contacted"):
        asyncio.run(fetch_document("http://192.0.2.10/privacy", lab_config(), max_bytes=1000))
    with pytest.raises(InputError, match="not contacted"):
        load_statement("http://192.0.2.10/privacy", lab_config())
