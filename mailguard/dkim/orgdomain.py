"""Organizational domains (RFC 7489 §3.2) for DMARC alignment of a DKIM d= with the From domain.

A local stand-in: the DMARC work brings ``mailguard/psl.py`` with the same function, and this
module should then defer to it. The list comes from the ``publicsuffixlist`` package, which
bundles a copy (nothing is downloaded at run time). Names under no listed suffix fall back to
the default rule ``*``: their last label is the suffix (``mail.good.test`` -> ``good.test``).
"""

from __future__ import annotations

from functools import lru_cache

from publicsuffixlist import PublicSuffixList


@lru_cache(maxsize=1)
def _list() -> PublicSuffixList:
    return PublicSuffixList()  # parsing the bundled list takes tens of ms: once, on first use


def organizational_domain(name: str) -> str:
    """The public suffix plus one label; a name that is itself a public suffix stays as it is."""
    cleaned = name.strip().rstrip(".").lower()
    found = _list().privatesuffix(cleaned) if cleaned else None
    return str(found) if found is not None else cleaned


def aligned(signing_domain: str, author_domain: str) -> tuple[bool, bool]:
    """(strict, relaxed) DMARC identifier alignment of a DKIM d= with the From domain (§3.1.1)."""
    d = signing_domain.rstrip(".").lower()
    a = author_domain.rstrip(".").lower()
    return d == a, organizational_domain(d) == organizational_domain(a)


__all__ = ["aligned", "organizational_domain"]
