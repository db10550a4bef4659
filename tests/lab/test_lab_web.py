"""The lab's web servers themselves: one port number on every address, virtual hosts, rebinding."""

from __future__ import annotations

import contextlib
import socket
import ssl
import tempfile
import time
from pathlib import Path

from mailguard.lab import Lab
from mailguard.lab.http_server import LabWeb, Reply, Site, page, pki_source
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


def test_a_client_that_stops_reading_cannot_hold_an_endless_reply():
    """A client that asks for an endless body and then never reads: once the send buffers are
    full, the lab gives up after its read timeout instead of waiting on it for ever."""
    loop = BackgroundLoop().start()
    with tempfile.TemporaryDirectory() as tmp:
        sites = [Site("a.test", ("127.0.2.200",), http={"/": Reply(200, (), b"x", endless=True)})]
        web = LabWeb(sites, pki_source(LabPki(Path(tmp))), Path(tmp), read_timeout=0.5).start(loop)
        try:
            with socket.create_connection(("127.0.2.200", web.http_port), timeout=10) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
                time.sleep(3)  # read nothing: the lab's writes back up and its drain must time out
                received = 0
                with contextlib.suppress(ConnectionResetError):
                    while (chunk := sock.recv(1 << 20)) and received < 64 << 20:
                        received += len(chunk)
            # Still sending after the pause would run to the 256 MiB limit; a lab that gave up
            # sent only what the socket buffers held.
            assert received < 64 << 20
        finally:
            web.stop()
            loop.stop()
