"""The Public Suffix List, behind one small interface (RFC 7489 §3.2 organizational domains).

The list comes from the ``publicsuffixlist`` package, which bundles a copy: nothing is downloaded
at run time, so a scan's answer does not depend on when or whether a fetch succeeded. The whole
list is used (ICANN and private sections), as the DMARC receivers that use a PSL do, so that
``someone.github.io`` is its own organization. Names not under any listed suffix fall back to the
list's default rule ``*``: their last label is the suffix (``good.test`` -> ``test``).

Everything here is pure: names in, names out. Names are compared lower-case, without a trailing
dot; internationalised names must be given as A-labels (``xn--...``), which is how mailguard
carries them everywhere.
"""

from __future__ import annotations

from functools import lru_cache

from publicsuffixlist import PublicSuffixList


@lru_cache(maxsize=1)
def _list() -> PublicSuffixList:
    # Parsing the bundled list takes ~40 ms: do it once, on first use.
    return PublicSuffixList()


def _clean(name: str) -> str:
    return name.strip().rstrip(".").lower()


def public_suffix(name: str) -> str | None:
    """The longest public suffix ``name`` ends in (``co.uk`` for ``a.example.co.uk``); None if invalid."""
    cleaned = _clean(name)
    if not cleaned:
        return None
    suffix = _list().publicsuffix(cleaned)
    return str(suffix) if suffix is not None else None


def is_public_suffix(name: str) -> bool:
    """True if ``name`` itself is a public suffix (``nl``, ``co.uk``, ``github.io``)."""
    cleaned = _clean(name)
    return bool(cleaned) and public_suffix(cleaned) == cleaned


def _is_address(name: str) -> bool:
    """An IP address, never a domain: IPv6 has colons, and no top-level domain is all digits
    (RFC 3696 §2), so ``10.0.0.1`` and ``0177.0.0.1`` are addresses."""
    return ":" in name or name.strip("[]").rsplit(".", 1)[-1].isdigit()


def registrable_domain(name: str) -> str | None:
    """The public suffix plus one label (``example.co.uk``); None for a public suffix itself."""
    cleaned = _clean(name)
    if not cleaned or _is_address(cleaned):
        return None
    found = _list().privatesuffix(cleaned)
    return str(found) if found is not None else None


def organizational_domain(name: str) -> str:
    """The RFC 7489 §3.2 Organizational Domain of ``name``.

    The registrable domain; for a name that is itself a public suffix (where §3.2's "x+1th label"
    does not exist), the name itself, so that a lookup there still has somewhere to go.
    """
    cleaned = _clean(name)
    return registrable_domain(cleaned) or cleaned


def same_organization(a: str, b: str) -> bool:
    """Whether two names share an organizational domain (RFC 7489 §3.2, relaxed alignment)."""
    return organizational_domain(a) == organizational_domain(b)


__all__ = ["is_public_suffix", "organizational_domain", "public_suffix", "registrable_domain",
           "same_organization"]
