"""The registry of measures. A new measure is one module here and one line in ``REGISTRY``.

Each measure module has ``NAME``, ``TITLE``, ``AREA``, a ``MESSAGES`` table (registered with
:mod:`mailguard.core.messages`), pure parse/judge functions, and one coroutine
``run(net, domain, config) -> MeasureResult`` that gathers, parses and judges. A measure that
asks many questions no chain depends on sets ``BULK = True``: the scanner starts it just after
the others, so that their first questions (and so their answers) come before its flood.
"""

from __future__ import annotations

from types import ModuleType

from . import bimi, dane, dmarc, dnssec, ipv6, mtasts, mx, spf, starttls, tlsrpt
from .dkim import measure as dkim
from .rpki import measure as rpki
from .web import caa, headers, hsts, redirects, securitytxt
from .web import https as reach
from .web import tls as web_tls

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
        from ..core.errors import InputError

        raise InputError(f"unknown measure(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return tuple(m for m in REGISTRY if m.NAME in names)
