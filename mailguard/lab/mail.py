"""The lab's mail hosts: which MX address gets which certificate and which misbehaviour.

The demo zones point at these addresses: mx1/mx2.good.test (127.0.0.11/12) are right in every
way, mail.weak.test (127.0.0.14) has a 2048-bit RSA key (phase-out), expires within three weeks
and still speaks TLS 1.0/1.1 where the local OpenSSL can, mail.broken.test (127.0.0.15)
presents a certificate for another name. ``tls.test`` holds one case per subdomain.
"""

from __future__ import annotations

import socket
import ssl

from .pki import LabPki
from .smtp_server import MailServer

LEGACY = "DEFAULT:@SECLEVEL=0"  # lets OpenSSL 3 speak TLS 1.0/1.1 and offer RSA key exchange

# Addresses in tls.test with nothing listening: "port 25 unreachable" cases.
CLOSED_ADDRESS = "127.0.0.39"


def ipv6_loopback() -> bool:
    """Can this machine bind ::1?"""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


def mail_servers(pki: LabPki) -> list[MailServer]:
    def server(name: str, address: str, hostname: str, **kwargs: object) -> MailServer:
        return MailServer(name, address, hostname, **kwargs)  # type: ignore[arg-type]

    good1 = pki.issue(["mx1.good.test"], key="rsa3072")
    good2 = pki.issue(["mx2.good.test"], key="ec256")
    mailhost = pki.issue(["mx.mailhost.test"], key="ec256")
    weak = pki.issue(["mail.weak.test"], key="rsa2048", days_valid=(-80, 10))
    wrong = pki.issue(["www.elsewhere.example"], key="rsa3072")
    expired = pki.issue(["mx.expired.tls.test"], key="rsa3072", days_valid=(-100, -5))
    selfsigned = pki.issue(["mx.selfsigned.tls.test"], key="ec256", issuer="self")
    untrusted = pki.issue(["mx.untrusted.tls.test"], key="ec256", issuer="rogue")
    suite_names = ["aspmx.mailsuite.example", *(f"alt{n}.aspmx.mailsuite.example" for n in range(1, 5))]
    suite = pki.issue(suite_names, key="ec256")
    valid_any = pki.issue(["mx.tls10.tls.test", "mx.stall.tls.test", "mx.v6.tls.test"], key="ec256")
    ctx = pki.server_context
    servers = [
        server("good-1", "127.0.0.11", "mx1.good.test", tls=ctx(good1, "mx1.good.test")),
        server("good-2", "127.0.0.12", "mx2.good.test", tls=ctx(good2, "mx2.good.test")),
        server("mailhost", "127.0.0.13", "mx.mailhost.test", tls=ctx(mailhost, "mx.mailhost.test")),
        server(
            "weak",
            "127.0.0.14",
            "mail.weak.test",
            tls=ctx(weak, "mail.weak.test", min_version="TLSv1", ciphers=LEGACY),
        ),
        server("wrong-name", "127.0.0.15", "mail.broken.test", tls=ctx(wrong, "mail.broken.test")),
        server("expired", "127.0.0.31", "mx.expired.tls.test", tls=ctx(expired, "expired")),
        server("self-signed", "127.0.0.32", "mx.selfsigned.tls.test", tls=ctx(selfsigned, "selfsigned")),
        server("untrusted", "127.0.0.33", "mx.untrusted.tls.test", tls=ctx(untrusted, "untrusted")),
        server("no-starttls", "127.0.0.34", "mx.nostarttls.tls.test"),
        server("silent", "127.0.0.35", "mx.silent.tls.test", banner=False),
        server(
            "stall-tls", "127.0.0.36", "mx.stall.tls.test", tls=ctx(valid_any, "valid-any"), stall_tls=True
        ),
        server(
            "tls10",
            "127.0.0.37",
            "mx.tls10.tls.test",
            tls=ctx(valid_any, "tls10", min_version="TLSv1", ciphers=LEGACY),
        ),
        server("reject", "127.0.0.38", "mx.reject.tls.test", banner_code=554),
        server("dual-v4", "127.0.0.40", "mx.v6.tls.test", tls=ctx(valid_any, "dual-v4")),
        # the demo company ixstudios.example: the five MX hosts of its mail suite, right in every way
        *(server(f"suite-{n}", f"127.0.6.{n + 1}", name, tls=ctx(suite, f"suite-{n}"))
          for n, name in enumerate(suite_names)),
    ]
    if ipv6_loopback():
        # ::1 is also where good.test's MX hosts have their AAAA: SNI picks each name's own
        # certificate, so the mail servers look the same over IPv6 as over IPv4 (DANE included).
        v6 = ctx(valid_any, "dual-v6")
        by_name = {"mx1.good.test": ctx(good1, "v6-good-1"), "mx2.good.test": ctx(good2, "v6-good-2")}

        def choose(sslobj: ssl.SSLObject, server_name: str | None, _ctx: ssl.SSLContext) -> None:
            chosen = by_name.get((server_name or "").lower())
            if chosen is not None:
                sslobj.context = chosen

        v6.sni_callback = choose
        servers.append(server("dual-v6", "::1", "mx.v6.tls.test", tls=v6))
    return servers
