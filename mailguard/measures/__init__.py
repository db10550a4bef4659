"""The registry of measures. A new measure is one module here and one line in ``REGISTRY``.

Each measure module has ``NAME``, ``TITLE``, ``AREA``, a ``MESSAGES`` table (registered with
:mod:`mailguard.messages`), pure parse/judge functions, and one coroutine
``run(net, domain, config) -> MeasureResult`` that gathers, parses and judges. A measure that
asks many questions no chain depends on sets ``BULK = True``: the scanner starts it just after
the others, so that their first questions (and so their answers) come before its flood.
"""

from __future__ import annotations

from collections.abc import Awaitable
from types import ModuleType
from typing import Protocol

from ..config import Config
from ..model import Area, MeasureResult
from ..net import Net
from . import bimi, dane, dkim, dmarc, dnssec, ipv6, mtasts, mx, rpki, spf, starttls, tlsrpt
from .web import caa, headers, hsts, reach, redirects, securitytxt
from .web import tls as web_tls


class Measure(Protocol):
    NAME: str
    TITLE: str
    AREA: Area

    def run(self, net: Net, domain: str, config: Config) -> Awaitable[MeasureResult]: ...


REGISTRY: tuple[ModuleType, ...] = (
    mx,
    spf,
    dmarc,
    starttls,
    dkim,
    mtasts,
    tlsrpt,
    reach,
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


def by_name() -> dict[str, ModuleType]:
    return {m.NAME: m for m in REGISTRY}


def select(names: tuple[str, ...]) -> tuple[ModuleType, ...]:
    """The measures to run: all of them for an empty selection, else those named, in registry order."""
    if not names:
        return REGISTRY
    known = by_name()
    unknown = [n for n in names if n not in known]
    if unknown:
        from ..errors import InputError

        raise InputError(f"unknown measure(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return tuple(m for m in REGISTRY if m.NAME in names)
