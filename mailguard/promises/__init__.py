"""From a privacy statement to promises, a check profile, and verdicts on the promises.

    statement (file or URL) --read--> Statement --analyse--> Analysis --from_analysis--> Profile
    Profile (or checks/<domain>.toml, or the baseline) --effective_promises--> Promises
    Promises + a scan's MeasureResults --verdicts.judge--> PromiseResults on the ScanReport

The scanner knows nothing of promises: :func:`attach` adds the verdicts to a finished report
(``mailguard.app.scan.PromiseScan`` does both for each domain of a run).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from ..core.config import Config
from ..core.model import Fulfilment, Promise, ScanReport
from . import profile as profiles
from . import verdicts
from .extract import Analysis, analyse
from .profile import Profile
from .statement import Document, Statement, load_document, parse_document


@dataclass(frozen=True)
class ReadStatement:
    statement: Statement
    analysis: Analysis
    profile: Profile


def read(source: str, config: Config | None = None) -> ReadStatement:
    """Read a statement (path or URL) and derive its analysis and check profile."""
    return understand(load_document(source, config))


def understand(document: Document) -> ReadStatement:
    """Pure: a statement's bytes -> its text, analysis and check profile."""
    statement = parse_document(document)
    analysis = analyse(statement.text, statement.language, links=statement.links, source_url=statement.url)
    return ReadStatement(statement, analysis, profiles.from_analysis(analysis, document.source))


def profile_for(domain: str, *, explicit: Profile | None = None, checks_dir: Path | None = None) -> Profile:
    """The profile a scan of ``domain`` uses: the one given, else checks/<domain>.toml (or a profile
    there naming the domain), else the baseline."""
    if explicit is not None:
        return explicit
    if checks_dir is not None:
        path = profiles.find(checks_dir, domain)
        if path is not None:
            return profiles.load(path)
    return profiles.baseline(domain)


def config_for(profile: Profile, config: Config) -> Config:
    """The scan settings a profile adds: its DKIM selectors (and its processors') and web hosts."""
    selectors = tuple(dict.fromkeys(config.dkim_selectors + profiles.dkim_selectors(profile)))
    hosts = tuple(dict.fromkeys(config.web_hosts + profile.web_hosts))
    return dataclasses.replace(config, dkim_selectors=selectors, web_hosts=hosts)


def attach(report: ScanReport, profile: Profile, *, every_domain: bool = False) -> ScanReport:
    """The report with verdicts on the profile's promises for its domain (none if it was not scanned).
    ``every_domain``: the profile was chosen for this scan, so all its promises hold here."""
    domain = None if every_domain else report.domain
    promises: tuple[Promise, ...] = profiles.effective_promises(profile, domain)
    if report.error:  # nothing was observed: every promise is not verifiable, and the report says why
        return dataclasses.replace(report, promises=verdicts.unscannable(promises, report.error))
    return dataclasses.replace(report, promises=verdicts.judge(promises, report.measures))


def broken(report: ScanReport) -> bool:
    """A promise of this report is not upheld."""
    return any(r.verdict == Fulfilment.NOT_UPHELD for r in report.promises)


__all__ = ["Document", "Profile", "ReadStatement", "Statement", "attach", "broken", "config_for", "load_document",
           "profile_for", "profiles", "read", "understand", "verdicts"]
