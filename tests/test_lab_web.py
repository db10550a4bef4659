"""The lab's web servers themselves: one port number on every address, virtual hosts, rebinding."""

from __future__ import annotations

import socket
import ssl
import tempfile
from pathlib import Path

from mailguard.lab import Lab
from mailguard.lab.http_server import LabWeb, Site, page, pki_source
from mailguard.lab.pki import LabPki
from mailguard.lab.runner import BackgroundLoop


def raw_get(address: str, port: int, host: str, *, tls: bool, ca: Path | None = None) -> bytes:
    with socket.create_connection((address, port), timeout=5) as sock:
        if not tls:
            return _exchange(sock, host)
        context = ssl.create_default_context(cafile=str(ca))
        with context.wrap_socket(sock, server_hostname=host) as stream:
            return _exchange(stream, host)


def _exchange(stream: socket.socket, host: str) -> bytes:
    stream.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    data = b""
    while chunk := stream.recv(65536):
        data += chunk
    return data


def test_all_addresses_share_the_role_ports(lab: Lab):
    assert lab.web is not None
    config = lab.config()
    assert config.https_port == lab.web.https_port and config.http_port == lab.web.http_port
    for address in ("127.0.0.20", "127.0.0.23", "127.0.2.21"):
        with socket.create_connection((address, config.https_port), timeout=5):
            pass
        with socket.create_connection((address, config.http_port), timeout=5):
            pass


def test_sni_and_host_choose_the_site(lab: Lab):
    assert lab.pki is not None
    port = lab.config().https_port
    for host in ("good.test", "www.good.test"):
        reply = raw_get("127.0.0.20", port, host, tls=True, ca=lab.pki.bundle_path)
        assert reply.startswith(b"HTTP/1.1 200") and f"<h1>{host}</h1>".encode() in reply
    unknown = raw_get("127.0.0.20", lab.config().http_port, "unknown.test", tls=False)
    assert unknown.startswith(b"HTTP/1.1 421")


class Squatted(LabWeb):
    """Another process already owns the chosen port on the second address, the first time."""

    squatter: socket.socket | None = None

    async def _listen(self, scheme, address, port):  # type: ignore[no-untyped-def]
        if address == "127.0.2.201" and port and self.squatter is None:
            self.squatter = socket.socket()
            self.squatter.bind((address, port))
            self.squatter.listen()
        return await super()._listen(scheme, address, port)


def test_binding_starts_over_when_a_port_is_taken():
    loop = BackgroundLoop().start()
    with tempfile.TemporaryDirectory() as tmp:
        pki = LabPki(Path(tmp))
        sites = [Site("a.test", ("127.0.2.200",), {"/": page("a")}),
                 Site("b.test", ("127.0.2.201",), {"/": page("b")})]
        web = Squatted(sites, pki_source(pki), Path(tmp)).start(loop)
        try:
            assert web.squatter is not None
            taken = web.squatter.getsockname()[1]
            assert web.https_port != taken or web.http_port != taken
            reply = raw_get("127.0.2.201", web.http_port, "b.test", tls=False)
            assert reply.startswith(b"HTTP/1.1 301")  # http: redirect to https on the same host
        finally:
            web.stop()
            web.squatter.close()
            loop.stop()
