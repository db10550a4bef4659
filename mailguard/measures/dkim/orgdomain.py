"""DMARC identifier alignment (RFC 7489 §3.1.1) of a DKIM signing domain (d=) with the From domain.

Organizational domains come from :mod:`mailguard.core.psl` (the Public Suffix List bundled by the
``publicsuffixlist`` package), the same ones the DMARC measure uses.
"""

from __future__ import annotations

from ...core.psl import same_organization


def aligned(signing_domain: str, author_domain: str) -> tuple[bool, bool]:
    """(strict, relaxed) alignment: strict wants the same name, relaxed the same organization."""
    d = signing_domain.rstrip(".").lower()
    a = author_domain.rstrip(".").lower()
    return d == a, same_organization(d, a)


__all__ = ["aligned"]
