"""The lab the project owns: real servers on loopback that ``mailguard demo`` and the tests scan.

:class:`Lab` starts every lab service on one background loop and hands out a :class:`Config`
that points mailguard at them, restricted to loopback so that nothing leaves the machine.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import dns.zone

from ..config import LOOPBACK_ONLY, Config
from .dns_server import LabDns, load_zone_dir, load_zone_text
from .http_server import LabWeb, Site, pki_source
from .mail import mail_servers
from .pki import LabPki
from .runner import BackgroundLoop
from .smtp_server import LabSmtp, MailServer
from .web import lab_sites

ZONES = Path(__file__).parent / "zones"
DEMO_DOMAINS = ("good.test", "weak.test", "broken.test", "nomail.test")
# Selectors of demo keys that no provider table holds, as a check profile would name them.
DEMO_DKIM_SELECTORS = ("ed1", "old", "s512")


class Lab:
    def __init__(self, *, extra_zones: Iterable[dns.zone.Zone] = (), dns_delay: float = 0.0,
                 extra_sites: Iterable[Site] = ()) -> None:
        self.zones = load_zone_dir(ZONES) + list(extra_zones)
        self.extra_sites = list(extra_sites)
        self.web: LabWeb | None = None
        self.dns_delay = dns_delay
        self.loop: BackgroundLoop | None = None
        self.dns: LabDns | None = None
        self.files: Path | None = None
        self.pki: LabPki | None = None
        self.smtp: LabSmtp | None = None

    def start(self) -> Lab:
        self.loop = BackgroundLoop().start()
        self.dns = LabDns(self.zones, delay=self.dns_delay).start(self.loop)
        self.files = Path(tempfile.mkdtemp(prefix="mailguard-lab-"))
        self.pki = LabPki(self.files)
        self.smtp = LabSmtp(mail_servers(self.pki)).start(self.loop)
        sites = lab_sites(self.pki.now) + self.extra_sites
        self.web = LabWeb(sites, pki_source(self.pki), self.files).start(self.loop)
        return self

    def stop(self) -> None:
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
        self.dns = self.loop = self.smtp = self.pki = self.files = self.web = None

    def config(self, **overrides: Any) -> Config:
        """A Config that scans this lab: its resolver, loopback only, short timeouts."""
        assert self.dns is not None and self.smtp is not None and self.pki is not None, "start the lab first"
        assert self.web is not None
        base = Config(nameservers=((self.dns.host, self.dns.port),), allowed_networks=LOOPBACK_ONLY,
                      timeout=2.0, deadline=20.0, smtp_port=self.smtp.port, ca_bundle=self.pki.bundle_path,
                      https_port=self.web.https_port, http_port=self.web.http_port)
        return dataclasses.replace(base, **overrides)

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = [
    "DEMO_DKIM_SELECTORS", "DEMO_DOMAINS", "Lab", "LabDns", "LabPki", "LabSmtp", "LabWeb", "MailServer", "Site",
    "load_zone_dir", "load_zone_text",
]
