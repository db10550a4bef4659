"""The lab the project owns: real servers on loopback that ``mailguard demo`` and the tests scan.

:class:`Lab` starts every lab service on one background loop and hands out a :class:`Config`
that points mailguard at them, restricted to loopback so that nothing leaves the machine.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dns.zone

from ..core.config import LOOPBACK_ONLY, Config
from .bimi import MarkCa
from .dns_server import BIND_ATTEMPTS, LabDns, LabDnsMirror, LabDnsSilent, load_zone_dir, load_zone_text
from .dnssec import DEFAULT_SIGNING, DnssecView, Fault, SignedLab, sign_lab
from .http_server import LabWeb, Site, pki_source
from .mail import ipv6_loopback, mail_servers
from .peers import ORIGIN6_ZONE, ORIGIN_ZONE, peers_sites, write_vrps
from .pki import LabPki
from .runner import BackgroundLoop
from .smtp_server import LabSmtp, MailServer
from .web import lab_sites

ZONES = Path(__file__).parent / "zones"
DEMO_DOMAINS = ("good.test", "weak.test", "broken.test", "nomail.test")
# lame.test is delegated in test.zone to ns1 (LAME_SILENT: reads, never answers) and ns2
# (127.0.0.55: nothing listens there, the port is closed).
LAME_ZONES = ("lame.test",)
LAME_SILENT = "127.0.0.54"
# Selectors of demo keys that no provider table holds, as a check profile would name them.
# The lab CA's organisation and the CAA domain its zones name: given to scans like any private CA's
# (--caa-identity), never part of the public CAs' table.
LAB_CA_ORGANISATION = "mailguard lab"
LAB_CAA_DOMAIN = "ca.mailguard.test"

DEMO_DKIM_SELECTORS = ("ed1", "old", "s512")


def hosting_customer_zone(i: int) -> dns.zone.Zone:
    """``c<i>.test``, a hosting company's customer: its own apex and www on the lab's web server
    (127.0.0.20), mail through the shared mx1.good.test, SPF and DMARC reject. Benchmarks and
    tests scan thousands of them as one batch."""
    return load_zone_text(f"c{i}.test", f"""$TTL 300
@ IN SOA ns.good.test. hostmaster.c{i}.test. 1 3600 600 86400 300
@ IN NS ns.good.test.
@ IN A 127.0.0.20
www IN A 127.0.0.20
@ IN MX 10 mx1.good.test.
@ IN TXT "v=spf1 mx -all"
_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@c{i}.test"
""")


class Lab:
    """The lab's servers. Its DNS is DNSSEC-signed from a lab root of its own (see
    :mod:`.signing`); ``signing`` adds zones to sign (or break) beside ``DEFAULT_SIGNING``."""

    def __init__(self, *, extra_zones: Iterable[dns.zone.Zone] = (), dns_delay: float = 0.0,
                 extra_sites: Iterable[Site] = (), signing: Mapping[str, Fault] | None = None) -> None:
        self.zones = load_zone_dir(ZONES) + list(extra_zones)
        self.extra_sites = list(extra_sites)
        self.web: LabWeb | None = None
        self.dns_delay = dns_delay
        self.signing = {**DEFAULT_SIGNING, **(signing or {})}
        self.loop: BackgroundLoop | None = None
        self.dns: LabDns | None = None
        self.dns6: LabDns | None = None  # the same server on ::1 and the same port (name servers' AAAA)
        self.silent_ns: LabDns | None = None  # lame.test's silent name server, on the same port
        self.files: Path | None = None
        self.pki: LabPki | None = None
        self.smtp: LabSmtp | None = None
        self.signed: SignedLab | None = None
        self.trust_anchor: Path | None = None
        self.marks: MarkCa | None = None  # the mark CA of BIMI's certificates (its root: bimi_ca)
        self.vrps: Path | None = None  # the lab's VRPs as a Routinator JSON export

    def start(self) -> Lab:
        self.files = Path(tempfile.mkdtemp(prefix="mailguard-lab-"))
        self.pki = LabPki(self.files)
        # The zones are signed now, with keys made now; the lab root's DS is the trust anchor.
        self.signed = sign_lab(self.zones, self.signing, now=datetime.now(UTC))
        self.trust_anchor = self.files / "lab-root-anchor.txt"
        self.trust_anchor.write_text("; the lab root's KSK, made at Lab start\n" + self.signed.anchor_text)
        self.loop = BackgroundLoop().start()
        self._start_dns()
        self.smtp = LabSmtp(mail_servers(self.pki)).start(self.loop)
        self.marks = MarkCa(self.files, self.pki.now)
        self.vrps = write_vrps(self.files)
        marks_elsewhere = MarkCa(self.files, self.pki.now, label="other-mark")
        sites = lab_sites(self.pki.now) + peers_sites(self.pki.now, self.marks, marks_elsewhere) + self.extra_sites
        self.web = LabWeb(sites, pki_source(self.pki), self.files).start(self.loop)
        return self

    def _start_dns(self) -> None:
        """The lab resolver on 127.0.0.1, and its mirror on ::1 at the same port (when this machine
        has ::1); a port taken on ::1 by someone else means trying another one."""
        assert self.loop is not None and self.signed is not None
        for _attempt in range(BIND_ATTEMPTS):
            self.dns = LabDns(self.signed.zones, delay=self.dns_delay, dnssec=self.signed.view,
                              lame=LAME_ZONES).start(self.loop)
            if not ipv6_loopback():
                self._start_silent_ns()
                return
            try:
                self.dns6 = LabDnsMirror(self.dns).start(self.loop)
                self._start_silent_ns()
                return
            except OSError:
                self.dns.stop()
        raise OSError("no port free for the lab DNS on both 127.0.0.1 and ::1")

    def _start_silent_ns(self) -> None:
        """The silent server of lame.test; if its address and port are taken, the port-closed
        server is all lame.test has, which is just as lame."""
        assert self.dns is not None and self.loop is not None
        try:
            self.silent_ns = LabDnsSilent(host=LAME_SILENT, port=self.dns.port).start(self.loop)
        except OSError:
            self.silent_ns = None

    def stop(self) -> None:
        if self.silent_ns is not None:
            self.silent_ns.stop()
            self.silent_ns = None
        if self.dns6 is not None:
            self.dns6.stop()
            self.dns6 = None
        if self.web is not None:
            self.web.stop()
        if self.smtp is not None:
            self.smtp.stop()
        if self.dns is not None:
            self.dns.stop()
        if self.loop is not None:
            self.loop.stop()
        if self.files is not None:
            shutil.rmtree(self.files, ignore_errors=True)
        self.dns = self.loop = self.smtp = self.pki = self.files = self.web = self.trust_anchor = None
        self.marks = self.vrps = None

    def config(self, **overrides: Any) -> Config:
        """A Config that scans this lab: its resolver, loopback only, short timeouts, its SMTP port,
        its CA and its DNSSEC root anchor."""
        assert self.dns is not None and self.smtp is not None and self.pki is not None, "start the lab first"
        assert self.web is not None
        base = Config(nameservers=((self.dns.host, self.dns.port),), allowed_networks=LOOPBACK_ONLY,
                      public_networks=False, timeout=2.0, deadline=20.0, smtp_port=self.smtp.port,
                      ca_bundle=self.pki.bundle_path,
                      https_port=self.web.https_port, http_port=self.web.http_port,
                      dns_port=self.dns.port, trust_anchor=self.trust_anchor,
                      rpki_vrps=self.vrps, rpki_origin_zone=ORIGIN_ZONE, rpki_origin6_zone=ORIGIN6_ZONE,
                      bimi_ca=self.marks.bundle_path if self.marks else None,
                      caa_identities=((LAB_CA_ORGANISATION, LAB_CAA_DOMAIN),))
        return dataclasses.replace(base, **overrides)

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = [
    "DEMO_DKIM_SELECTORS", "DEMO_DOMAINS", "DnssecView", "Fault", "Lab", "LabDns", "LabPki", "LabSmtp",
    "LabWeb", "MailServer", "Site",
    "hosting_customer_zone", "load_zone_dir", "load_zone_text",
]
