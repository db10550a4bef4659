"""The network boundary: only public addresses by default, whatever form an address is written in;
what the user opens with --allow-network; the lab's confinement to loopback. Refusals are tested
without traffic (nothing is sent), and the real-server tests use loopback only."""

from __future__ import annotations

import asyncio
import http.server
import ipaddress
import threading
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from mailguard.cli import main
from mailguard.core.config import LOOPBACK_ONLY, Config
from mailguard.net import Net
from mailguard.net import http as seam
from mailguard.net.guard import BoundaryError, check_address, parse_address, refusal

PUBLIC = Config()


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"),
    ("2130706433", "loopback"),           # decimal
    ("0x7f000001", "loopback"),           # hex
    ("0177.0.0.1", "loopback"),           # octal
    ("127.1", "loopback"),                # short form
    ("::1", "loopback"),
    ("[::1]", "loopback"),
    ("::ffff:127.0.0.1", "loopback (inside ::ffff:7f00:1)"),   # IPv4-mapped
    ("::127.0.0.1", "loopback (inside ::7f00:1)"),             # IPv4-compatible
    ("2002:7f00:1::", "loopback (inside 2002:7f00:1::)"),      # 6to4
    ("64:ff9b::a00:5", "private (inside 64:ff9b::a00:5)"),     # NAT64 of 10.0.0.5
    ("10.0.0.5", "private"),
    ("172.16.3.4", "private"),
    ("192.168.1.1", "private"),
    ("fd00::1", "private"),
    ("100.64.1.1", "shared (CGNAT)"),
    ("169.254.169.254", "link-local"),    # the cloud metadata service
    ("fe80::1%eth0", "link-local"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("192.0.2.1", "documentation"),
    ("2001:db8::1", "documentation"),
    ("240.0.0.1", "reserved"),
])
def test_internal_addresses_are_refused_by_default_in_every_form(address, kind):
    error = refusal(address, PUBLIC)
    assert isinstance(error, BoundaryError) and error.kind == kind
    assert "use --allow-network" in error.message


@pytest.mark.parametrize("address", ["9.9.9.9", "2a00:1450:400e:80c::200e", "145.100.190.243"])
def test_public_addresses_are_contacted(address):
    check_address(address, PUBLIC)


def test_what_the_user_opens_is_contacted_in_every_form_of_it():
    opened = Config(allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),))
    for address in ("127.0.0.1", "2130706433", "::ffff:127.0.0.1", "127.0.0.53"):
        check_address(address, opened)
    with pytest.raises(BoundaryError):
        check_address("10.0.0.5", opened)
    check_address("9.9.9.9", opened)  # opening a range adds to the public ones


def test_the_lab_is_confined_to_loopback():
    lab = Config(allowed_networks=LOOPBACK_ONLY, public_networks=False)
    check_address("127.0.0.20", lab)
    with pytest.raises(BoundaryError):
        check_address("9.9.9.9", lab)


@pytest.mark.parametrize("text", ["", "localhost", "not-an-address", "1.2.3.4.5", "::g"])
def test_text_that_is_no_address_is_never_contacted(text):
    assert parse_address(text) is None or text == "localhost"
    assert refusal(text, PUBLIC) is not None


def test_a_scan_by_default_does_not_connect_to_a_loopback_web_host(lab):
    # The lab's resolver (the user's choice, so allowed) says good.test is 127.0.0.20: with the
    # default boundary the HTTP seam refuses to connect, and the lab's web server sees nothing.
    config = lab.config(allowed_networks=(), public_networks=True)
    before = len(lab.web.requests)

    async def go():
        net = Net(config)
        try:
            return await net.http.fetch("https://good.test/")
        finally:
            await net.aclose()

    response = asyncio.run(go())
    assert response.status == seam.BLOCKED
    assert "127.0.0.20 is a loopback address; not contacted" in response.error
    assert len(lab.web.requests) == before


@pytest.fixture
def statement_server() -> Iterator[int]:
    """A real HTTP server on 127.0.0.1 serving a short privacy statement."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = (b"Privacyverklaring van Voorbeeld BV (voorbeeld.nl). Wij gebruiken SPF, DKIM en DMARC "
                    b"voor onze e-mail.")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "0x7f000001", "0177.0.0.1", "127.1",
                                  "[::ffff:127.0.0.1]", "localhost"])
def test_promises_does_not_fetch_internal_urls_by_default(statement_server, host):
    out = CliRunner().invoke(main, ["promises", f"http://{host}:{statement_server}/privacy"])
    assert out.exit_code == 2, out.output
    assert "not contacted" in out.output and "Traceback" not in out.output


def test_promises_fetches_what_the_user_opens_and_takes_no_domain_from_an_address(statement_server):
    out = CliRunner().invoke(main, ["promises", f"http://127.0.0.1:{statement_server}/privacy",
                                    "--allow-network", "127.0.0.0/8"])
    assert out.exit_code == 0, out.output
    assert "voorbeeld.nl" in out.output
    assert "0.1" not in out.output.split("company domains", 1)[1].splitlines()[0]


@pytest.mark.parametrize("url", ["http://[::1/", "http://[::1]:99999/", "ftp://example.nl/", "http:///x"])
def test_malformed_statement_urls_are_usage_errors(url):
    out = CliRunner().invoke(main, ["promises", url])
    assert out.exit_code == 2 and out.output.startswith("mailguard: ") and "Traceback" not in out.output
