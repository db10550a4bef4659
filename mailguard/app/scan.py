"""Runs the selected measures of one domain concurrently, under one deadline, on one shared Net.

A scan's wall time is its longest chain of dependent queries: every measure starts at once, and
the DNS client's cache makes a question that two measures ask go out once. Beside the measures,
a preflight SOA query tells "the domain could not be scanned" (no resolver answered, the domain
does not exist) from findings; when it fails that way the measures are cancelled at once.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import promises
from .._version import __version__
from ..core import messages
from ..core.config import Config
from ..core.errors import InvalidDomain
from ..core.findings import finding, result
from ..core.messages import Message
from ..core.model import MeasureResult, ScanReport, Verdict
from ..core.names import normalize_domain
from ..measures import Measure, delegation, score, select
from ..net import Net
from ..net.dns import ERROR, NXDOMAIN, REFUSED, SERVFAIL, TIMEOUT
from ..promises.profile import Profile
from .statements import DEFAULT_BUDGET_S, read_statement

log = logging.getLogger(__name__)

MESSAGES = {
    "SCAN-DEADLINE": Message("not finished within the scan deadline of {deadline:g} s"),
    "SCAN-INTERNAL-ERROR": Message("mailguard could not evaluate this measure: {error}"),
}
messages.register(MESSAGES)

# Preflight statuses that mean nothing can be learned about this domain from this resolver.
_UNSCANNABLE = {TIMEOUT: "no answer from the resolver", ERROR: "the resolver could not be reached",
                REFUSED: "the resolver refused to answer", NXDOMAIN: "the domain does not exist (NXDOMAIN)"}


# Loop turns from a measure's start to its first question on the wire (task start, the measure's
# gather, the DNS client's task, the socket): the lead measures' questions are out after these.
_TURNS_TO_FIRST_QUESTION = 4


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


async def scan_domain(domain: str, config: Config, *, net: Net | None = None) -> ScanReport:
    """Scan one domain. With ``net`` given (a batch), its DNS cache is shared and it stays open."""
    domain = normalize_domain(domain)
    own = net is None
    net = net if net is not None else Net(config)
    started, clock = _now(), time.monotonic()
    deadline = asyncio.get_running_loop().time() + config.deadline
    measures = select(config.measures)
    error: str | None = None
    tasks: dict[str, asyncio.Future[MeasureResult]] = {}
    try:
        # Answers come back in the order questions went out, and a chain's next question waits
        # for its answer: the measures with chains of dependent questions go first, the bulk
        # ones (dozens of independent questions) a few loop turns later, once those are sent.
        for bulk in (False, True):
            if bulk:
                for _ in range(_TURNS_TO_FIRST_QUESTION):
                    await asyncio.sleep(0)
            for m in measures:
                if m.bulk == bulk:
                    tasks[m.name] = asyncio.ensure_future(_run_one(m, net, domain, config, deadline))
        error = await _preflight(net, domain)
        if error is not None:
            for task in tasks.values():
                task.cancel()
        outcomes = await asyncio.gather(*(tasks[m.name] for m in measures), return_exceptions=True)
        results = tuple(o for o in outcomes if isinstance(o, MeasureResult))
    finally:
        for task in tasks.values():  # a cancelled scan (deadline, Ctrl-C) leaves no measure running
            task.cancel()
        if own:
            await net.aclose()
    return ScanReport(
        domain=domain, started=started, finished=_now(),
        elapsed_ms=round((time.monotonic() - clock) * 1000, 2), mailguard_version=__version__,
        resolvers=net.dns.resolver_names, measures=results if error is None else (), error=error,
        scores=score.scores(results) if error is None else {}, scanned_from=socket.gethostname(),
        coverage=score.coverage(results) if error is None else {},
    )


async def _preflight(net: Net, domain: str) -> str | None:
    """Why nothing can be learned about ``domain`` from this resolver, or None if something can.

    A timeout or SERVFAIL may be the domain's own fault: when every name server its zone is
    delegated to fails to answer (a lame delegation), the reason names them, not the resolver.
    """
    answer = await net.dns.query(domain, "SOA")
    if answer.status in (TIMEOUT, SERVFAIL):
        lame = await delegation.explain_silence(net, domain)
        if lame is not None:
            return lame
    if answer.status not in _UNSCANNABLE:
        return None
    if answer.status == NXDOMAIN:
        # A resolver with no view of the public DNS (an offline sandbox) says NXDOMAIN to
        # everything; if even the top-level domain does not exist, say that instead.
        tld = domain.rsplit(".", 1)[-1]
        parent = await net.dns.query(tld, "SOA")
        if parent.status != "ok":
            return (f"the resolver ({answer.resolver}) does not know the top-level domain "
                    f".{tld} either ({parent.status}): it has no view of the public DNS")
    detail = f": {answer.error}" if answer.error else ""
    return f"{_UNSCANNABLE[answer.status]} ({answer.resolver}{detail})"


async def _run_one(measure: Measure, net: Net, domain: str, config: Config,
                   deadline: float) -> MeasureResult:
    started = time.monotonic()
    params: dict[str, Any]
    try:
        async with asyncio.timeout_at(deadline):
            return await measure.run(net, domain, config)
    except TimeoutError:
        code, params = "SCAN-DEADLINE", {"deadline": config.deadline}
    except Exception as exc:  # a bug in one measure must not lose the rest of the report
        log.exception("measure %s failed on %s", measure.name, domain)
        code, params = "SCAN-INTERNAL-ERROR", {"error": f"{type(exc).__name__}: {exc}"[:300]}
    elapsed = (time.monotonic() - started) * 1000
    return result(measure.name, measure.title, measure.area,
                  [finding(code, measure.title, Verdict.NOT_TESTED, **params)], elapsed_ms=elapsed)


def unscannable(domain: str, error: str) -> ScanReport:
    """The report of a domain that could not be scanned at all (e.g. an invalid name in a list)."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    return ScanReport(domain=domain, started=now, finished=now, elapsed_ms=0.0,
                      mailguard_version=__version__, resolvers=(), measures=(), error=error)


class PromiseScan:
    """Scans one domain with the promises that hold for it, for :func:`mailguard.app.batch.scan_many`.

    The profile is chosen per domain (:func:`profile_for`, each file read once), adds its DKIM
    selectors and web hosts to the scan's settings, and its promises are judged on the finished
    report; the scanner itself knows nothing of promises.
    """

    def __init__(self, *, explicit: Profile | None = None, by_domain: Mapping[str, Profile] | None = None,
                 checks_dir: Path | None = None) -> None:
        self.explicit = explicit
        self.by_domain = dict(by_domain or {})
        self.checks_dir = checks_dir
        self._index: dict[str, Path] | None = None
        self._loaded: dict[Path, Profile] = {}

    def domains(self) -> tuple[str, ...]:
        """The domains the statements name (scanned when the user names none)."""
        if self.explicit is not None:
            return self.explicit.domains
        return tuple(self.by_domain)

    def profile(self, domain: str) -> Profile:
        if self.explicit is not None:
            return self.explicit
        if domain in self.by_domain:
            return self.by_domain[domain]
        path = self._paths().get(domain)
        if path is None:
            return promises.profiles.baseline(domain)
        if path not in self._loaded:
            self._loaded[path] = promises.profiles.load(path)
        return self._loaded[path]

    def _paths(self) -> dict[str, Path]:
        """Domain -> profile file, from the file names and from each file's ``domains``."""
        if self._index is None:
            self._index = promises.profiles.index(self.checks_dir) if self.checks_dir is not None else {}
        return self._index

    async def scan(self, name: str, config: Config, net: Net) -> ScanReport:
        try:
            domain = normalize_domain(name)
        except InvalidDomain as exc:
            return unscannable(name, str(exc))
        profile = self.profile(domain)
        report = await scan_domain(domain, promises.config_for(profile, config), net=net)
        return promises.attach(report, profile, every_domain=self.explicit is not None)


def promise_checker(config: Config, statement: str | None, profile_file: Path | None,
                    configured: Sequence[str], checks_dir: Path | None,
                    budget: float = DEFAULT_BUDGET_S) -> tuple[PromiseScan, str | None]:
    """Where each domain's promises come from, and the language of the statement or the profile
    given (for the report).

    --statement or --profile holds for every domain scanned; the config file's statements each
    hold for the domains they name; else checks/<domain>.toml; else the baseline."""
    explicit: Profile | None = None
    by_domain: dict[str, Profile] = {}
    language = None
    if statement is not None:
        explicit = read_statement(statement, config, budget=budget).profile
        language = explicit.language
    elif profile_file is not None:
        explicit = promises.profiles.load(profile_file)
        language = explicit.language
    else:
        for source in configured:
            read = read_statement(source, config, budget=budget).profile
            language = language or read.language
            for domain in read.domains:
                by_domain.setdefault(domain, read)
    return PromiseScan(explicit=explicit, by_domain=by_domain, checks_dir=checks_dir), language

