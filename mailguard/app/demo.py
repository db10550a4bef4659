"""The demo world offline: the lab's demo domains and its demo company, scanned and reported.

``ixstudios.example`` is the demo company: a small web studio with a Dutch privacy statement of
its own (``mailguard/lab/statements/ixstudios.example.txt``), mail at a suite with five MX hosts,
SPF with three provider includes and ~all, DMARC at p=none, three DKIM keys and a website. Its
report is what a first-time user should see: a promise that is not upheld (DMARC does not stop
spoofing), others that are, and some that no scan from outside can verify.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from ..core.config import Config
from ..core.model import ScanReport
from ..lab import DEMO_DKIM_SELECTORS, DEMO_DOMAINS, Lab
from ..net import Net
from ..promises import read
from .publish import Written, write_report
from .scan import PromiseScan

COMPANY = "ixstudios.example"
STATEMENT = Path(__file__).resolve().parent.parent / "lab" / "statements" / f"{COMPANY}.txt"


def company_scan(config: Config) -> PromiseScan:
    """The promise scan of the demo company: its statement's promises hold for its domain."""
    profile = read(str(STATEMENT), config).profile
    return PromiseScan(by_domain={COMPANY: profile})


async def _scan(domain: str, config: Config, scan: PromiseScan) -> ScanReport:
    net = Net(config)
    try:
        return await scan.scan(domain, config, net)
    finally:
        await net.aclose()


def scan_company(lab: Lab) -> ScanReport:
    """The demo company's report, scanned with its statement against the running lab."""
    config = lab.config(deadline=60.0)
    return asyncio.run(_scan(COMPANY, config, company_scan(config)))


def write_reports(lab: Lab, root: Path, formats: Sequence[str], lang: str | None = None) -> list[Written]:
    """Scan every demo domain and the demo company, and write their reports under ``root``."""
    config = lab.config(dkim_selectors=DEMO_DKIM_SELECTORS, deadline=60.0)
    company = company_scan(config)
    written = []
    for domain in (COMPANY, *DEMO_DOMAINS):
        report = asyncio.run(_scan(domain, config, company if domain == COMPANY else PromiseScan()))
        chosen = lang or ("nl" if domain == COMPANY else "en")
        written.append(write_report(report, root, formats, lang=chosen))
    return written


def write_reports_command(root: Path, formats: Sequence[str], say: Callable[[str], None]) -> int:
    """``mailguard demo --report-dir DIR``: start the lab, write every demo report, name the files."""
    from ..render import pdf

    chosen = list(formats) or ["html", "md", "json", *(["pdf"] if pdf.available() else [])]
    with Lab() as lab:
        for written in write_reports(lab, root, chosen):
            for fmt, path in written.paths.items():
                if not fmt.endswith(".sig"):
                    say(f"{written.report.domain}: {path}")
    return 0
