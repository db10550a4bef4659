"""CAA (RFC 8659), the pure part: parse a CAA RRset, and decide whether an issuer may issue.

Kept apart from the measure so that parsing and matching are plain functions of their input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ...core.errors import ParseError

CRITICAL = 0x80  # the Issuer Critical Flag (RFC 8659 §4.1)
KNOWN_TAGS = frozenset({"issue", "issuewild", "iodef", "contactemail", "contactphone", "issuemail",
                        "issuevmc"})

# RFC 8659 §4.2: label = (ALPHA / DIGIT) *( *("-") (ALPHA / DIGIT) )
_LABEL = r"[A-Za-z0-9](?:-*[A-Za-z0-9])*"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_PARAMETER = re.compile(rf"({_LABEL})[ \t]*=[ \t]*([\x21-\x3a\x3c-\x7e]*)")


@dataclass(frozen=True)
class IssueProperty:
    """One issue/issuewild value: the CA domain (None: ';' alone, no CA may issue) and parameters."""

    domain: str | None
    parameters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CaaRecord:
    flags: int
    tag: str
    value: str

    @property
    def critical(self) -> bool:
        return bool(self.flags & CRITICAL)


@dataclass(frozen=True)
class CaaPolicy:
    """A relevant CAA RRset, understood.

    malformed: (tag, value, why) for issue/issuewild values that do not parse; such a property
    authorises no CA (a CA cannot tell whom it names).
    unknown_critical: tags with the critical flag that no CA is required to understand.
    """

    records: tuple[CaaRecord, ...]
    issue: tuple[IssueProperty, ...]
    issuewild: tuple[IssueProperty, ...]
    iodef: tuple[str, ...]
    malformed: tuple[tuple[str, str, str], ...]
    unknown_critical: tuple[str, ...]
    has_issue: bool
    has_issuewild: bool


def parse_issue_value(value: str) -> IssueProperty:
    """``issue-value = *WSP [issuer-domain-name *WSP] [";" *WSP [parameters *WSP]]`` (RFC 8659 §4.2)."""
    head, semicolon, rest = value.partition(";")
    name = head.strip(" \t")
    if name and not _DOMAIN.fullmatch(name):
        raise ParseError(f"issuer domain {name!r} is not a domain name", value, 0)
    parameters: list[tuple[str, str]] = []
    if semicolon:
        for piece in rest.split(";"):
            text = piece.strip(" \t")
            if not text:
                if rest.strip(" \t"):
                    raise ParseError("empty parameter", value, len(head) + 1)
                continue
            match = _PARAMETER.fullmatch(text)
            if match is None:
                raise ParseError(f"parameter {text!r} is not tag=value", value, len(head) + 1)
            parameters.append((match.group(1).lower(), match.group(2)))
    return IssueProperty(name.lower().rstrip(".") or None, tuple(parameters))


def parse_caa(records: Iterable[tuple[int, str, str]]) -> CaaPolicy:
    """Understand a CAA RRset given as (flags, tag, value) triples."""
    parsed = tuple(CaaRecord(flags, tag.lower(), value) for flags, tag, value in records)
    issue: list[IssueProperty] = []
    wild: list[IssueProperty] = []
    malformed: list[tuple[str, str, str]] = []
    for record in parsed:
        if record.tag not in ("issue", "issuewild"):
            continue
        try:
            (issue if record.tag == "issue" else wild).append(parse_issue_value(record.value))
        except ParseError as exc:
            malformed.append((record.tag, record.value, exc.message))
    return CaaPolicy(
        records=parsed, issue=tuple(issue), issuewild=tuple(wild),
        iodef=tuple(r.value for r in parsed if r.tag == "iodef"),
        malformed=tuple(malformed),
        unknown_critical=tuple(r.tag for r in parsed if r.critical and r.tag not in KNOWN_TAGS),
        has_issue=any(r.tag == "issue" for r in parsed),
        has_issuewild=any(r.tag == "issuewild" for r in parsed),
    )


def authorizes(policy: CaaPolicy, issuer_domains: Iterable[str], *, wildcard: bool) -> bool:
    """May a CA known by ``issuer_domains`` issue for this name (RFC 8659 §4.2, §4.3)?

    For a wildcard certificate, issuewild properties rule when there are any; otherwise issue.
    No property of the ruling kind: CAA does not restrict issuance. A critical tag the CA may not
    understand forbids issuance (§4.1); a malformed property names no CA.
    """
    if policy.unknown_critical:
        return False
    if wildcard and policy.has_issuewild:
        properties, present = policy.issuewild, True
    else:
        properties, present = policy.issue, policy.has_issue
    if not present:
        return True
    names = {d.lower().rstrip(".") for d in issuer_domains}
    return any(p.domain is not None and p.domain in names for p in properties)


def allowed_issuers(policy: CaaPolicy, *, wildcard: bool) -> tuple[str, ...]:
    """The CA domains the ruling properties name (empty: none may issue, or no restriction)."""
    properties = policy.issuewild if wildcard and policy.has_issuewild else policy.issue
    return tuple(dict.fromkeys(p.domain for p in properties if p.domain))


def iodef_ok(value: str) -> bool:
    """iodef takes a mailto:, http: or https: URL (RFC 8659 §4.4)."""
    lowered = value.strip().lower()
    if lowered.startswith("mailto:"):
        return "@" in lowered
    return lowered.startswith(("https://", "http://")) and len(lowered) > len("https://")


# Issuer organisations (as in a certificate's issuer O or CN, lower-case substrings) and the CAA
# domains that CA honours, from the public CAs' own CP/CPS documents. Which CAA domain a CA honours
# cannot be read from its certificate: any other CA (a private one, a lab's) is named by the user
# (--caa-identity "ISSUER=CAA-DOMAIN", see :func:`issuer_domains`).
CA_DOMAINS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("let's encrypt", ("letsencrypt.org",)),
    ("isrg", ("letsencrypt.org",)),
    ("digicert", ("digicert.com", "symantec.com", "geotrust.com", "rapidssl.com", "thawte.com",
                  "digitalcertvalidation.com")),
    ("geotrust", ("digicert.com", "geotrust.com")),
    ("rapidssl", ("digicert.com", "rapidssl.com")),
    ("thawte", ("digicert.com", "thawte.com")),
    ("quovadis", ("quovadisglobal.com", "digicert.com")),
    ("sectigo", ("sectigo.com", "comodoca.com", "comodo.com", "usertrust.com", "trust-provider.com")),
    ("comodo", ("sectigo.com", "comodoca.com", "comodo.com")),
    ("usertrust", ("sectigo.com", "usertrust.com")),
    ("zerossl", ("sectigo.com", "zerossl.com")),
    ("globalsign", ("globalsign.com",)),
    ("google trust services", ("pki.goog", "google.com")),
    ("amazon", ("amazon.com", "amazontrust.com", "awstrust.com", "amazonaws.com")),
    ("godaddy", ("godaddy.com", "starfieldtech.com")),
    ("starfield", ("starfieldtech.com", "godaddy.com")),
    ("entrust", ("entrust.net", "affirmtrust.com")),
    ("buypass", ("buypass.com", "buypass.no")),
    ("microsoft", ("microsoft.com",)),
    ("certum", ("certum.pl", "certum.eu")),
    ("asseco", ("certum.pl", "certum.eu")),
    ("harica", ("harica.gr",)),
    ("ssl.com", ("ssl.com",)),
    ("actalis", ("actalis.it",)),
    ("identrust", ("identrust.com",)),
    ("telia", ("telia.com", "teliasonera.com")),
    ("swisssign", ("swisssign.com",)),
    ("cloudflare", ("digicert.com", "letsencrypt.org", "pki.goog", "sectigo.com")),
)


def issuer_names(issuer: str) -> tuple[str, ...]:
    """The O and CN values of an issuer written as ``CN=...,O=...`` (RFC 4514 form)."""
    names = []
    for part in issuer.split(","):
        key, _, value = part.strip().partition("=")
        if key.strip().upper() in ("O", "CN") and value.strip():
            names.append(value.strip())
    return tuple(names)


def issuer_domains(issuer: str, identities: Iterable[tuple[str, str]] = ()) -> tuple[str, ...]:
    """The CAA domains of the CA named in ``issuer``: those the user gave for its organisation or
    common name exactly (``identities``: (issuer name, CAA domain) pairs), else the public CAs'
    table; empty when unknown."""
    names = issuer_names(issuer)
    given = tuple(dict.fromkeys(domain for name, domain in identities if name in names))
    if given:
        return given
    lowered = issuer.lower()
    found: dict[str, None] = {}
    for needle, domains in CA_DOMAINS:
        if needle in lowered:
            found.update(dict.fromkeys(domains))
    return tuple(found)
