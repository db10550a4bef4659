"""The catalog of measures: one typed :class:`Measure` per measure, in the order reports show them.

A new measure is its module (or package) here and one line in :data:`_MODULES`. Each measure
module has ``NAME``, ``TITLE``, ``AREA``, a ``MESSAGES`` table (registered with
:mod:`mailguard.core.messages`), pure parse/judge functions, and one coroutine
``run(net, domain, config) -> MeasureResult`` that gathers, parses and judges. A measure that
asks many questions no chain depends on sets ``BULK = True``: the scanner starts it just after
the others, so that their first questions (and so their answers) come before its flood.
A measure that sees server certificates exports ``certificate_expiries(data)``: the notAfter of
each certificate in its result's ``data`` (what the results database keeps as a scan's earliest
certificate expiry).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from types import ModuleType
from typing import Any

from ..core.config import Config
from ..core.errors import InputError
from ..core.model import Area, MeasureResult
from ..net import Net
from . import bimi, dane, dmarc, dnssec, ipv6, mtasts, mx, spf, starttls, tlsrpt
from .dkim import measure as dkim
from .rpki import measure as rpki
from .web import caa, headers, hsts, redirects, securitytxt
from .web import https as web_https
from .web import tls as web_tls

Run = Callable[[Net, str, Config], Awaitable[MeasureResult]]
Expiries = Callable[[Mapping[str, Any]], tuple[datetime, ...]]


@dataclass(frozen=True)
class Measure:
    """A measure as the scanner runs it and `mailguard measures` lists it."""

    name: str
    title: str
    area: Area
    run: Run
    bulk: bool = False  # many independent questions: started just after the chained measures
    expiries: Expiries | None = None  # the notAfter of the certificates in its data, if it sees any

    @classmethod
    def of(cls, module: ModuleType) -> Measure:
        return cls(module.NAME, module.TITLE, module.AREA, module.run, bool(getattr(module, "BULK", False)),
                   getattr(module, "certificate_expiries", None))


_MODULES: tuple[ModuleType, ...] = (
    mx,
    spf,
    dmarc,
    starttls,
    dkim,
    mtasts,
    tlsrpt,
    web_https,
    redirects,
    web_tls,
    hsts,
    headers,
    securitytxt,
    caa,
    dnssec,
    dane,
    bimi,
    ipv6,
    rpki,
)


@cache
def catalog() -> tuple[Measure, ...]:
    """Every measure, in report order."""
    return tuple(Measure.of(m) for m in _MODULES)


def by_name() -> dict[str, Measure]:
    return {m.name: m for m in catalog()}


def select(names: tuple[str, ...]) -> tuple[Measure, ...]:
    """The measures to run: all of them for an empty selection, else those named, in catalog order."""
    if not names:
        return catalog()
    known = by_name()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(f"unknown measure(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return tuple(m for m in catalog() if m.name in names)


def earliest_certificate_expiry(results: Iterable[tuple[str, Mapping[str, Any]]]) -> datetime | None:
    """The earliest notAfter among the server certificates (mail and web) in a scan's measure
    results, given as (measure name, its data); None when no certificate was seen."""
    known = by_name()
    found = [when for name, data in results if (m := known.get(name)) is not None and m.expiries is not None
             and isinstance(data, Mapping) for when in m.expiries(data)]
    return min(found, default=None)
