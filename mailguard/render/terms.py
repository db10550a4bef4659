"""mailguard's own words that are not finding prose: promise kinds, measure titles, check names
and evidence kinds. Their Dutch is in the gettext catalog (one context per table, see
mailguard.core.i18n); finding reasons live in the one table of codes, mailguard.core.messages.

A name that is a protocol, a record type or an HTTP header (SPF, DKIM, STARTTLS, MTA-STS,
Content-Security-Policy) is the same in every language and is not listed; anything else a
Dutch reader sees must be here and in the catalog. tests/render/test_render_nl.py fails on a name
that is missing.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..core.i18n import dutch

# Names that are protocols, record types or header fields: the same in Dutch.
PROTOCOL_NAMES = frozenset({
    "spf", "dkim", "dmarc", "dnssec", "dane", "mta-sts", "https", "MX", "SPF", "DKIM", "DMARC", "STARTTLS",
    "MTA-STS", "TLS-RPT", "HSTS", "security.txt", "CAA", "DNSSEC", "DANE", "BIMI", "IPv6", "RPKI",
    "Content-Security-Policy", "Referrer-Policy", "X-Content-Type-Options", "Contact", "Expires", "rua",
    "http", "dns", "tls", "smtp", "location",
})

PROMISE_KINDS: tuple[str, ...] = (
    '2fa',
    'access-control',
    'antivirus',
    'audit',
    'backup',
    'dane',
    'dkim',
    'dmarc',
    'dnssec',
    'encryption-at-rest',
    'firewall',
    'https',
    'mail-tls',
    'monitoring',
    'mta-sts',
    'pseudonymisation',
    'security-measures',
    'spf',
    'training',
)
PROMISE_KINDS_NL: Mapping[str, str] = dutch("promise kind", PROMISE_KINDS)

MEASURE_TITLES: tuple[str, ...] = (
    'Website reachable',
    'HTTP to HTTPS',
    'Website TLS and certificate',
    'Security headers',
)
MEASURE_TITLES_NL: Mapping[str, str] = dutch("measure title", MEASURE_TITLES)

CHECKS: tuple[str, ...] = (
    'BIMI logo',
    'BIMI logo size',
    'BIMI mark certificate',
    'BIMI record',
    'CAA iodef',
    'CAA records',
    'DANE match',
    'DKIM keys',
    'DMARC alignment',
    'DMARC enforcement for BIMI',
    'DMARC record',
    'DNS lookup limit',
    'HSTS header',
    'HSTS includeSubDomains',
    'HSTS max-age',
    'HSTS over http',
    'HSTS preload',
    'MTA-STS record',
    'MX host address',
    'MX host name',
    'MX host signed',
    'MX hosts',
    'MX names per mx',
    'MX records',
    'MX secure',
    'MX signature',
    'SMTP banner',
    'SPF record',
    'TLS version',
    'TLS versions',
    'TLS-RPT record',
    'TLSA present',
    'TLSA record',
    'TLSA secure',
    'TLSA usable',
    'TLSA usage',
    'TXT signature',
    'address',
    'alignment',
    'all qualifier',
    'certificate',
    'certificate chain',
    'certificate dates',
    'certificate issuer',
    'certificate key',
    'certificate name',
    'certificate signature',
    'cipher suite',
    'cipher suites',
    'domain signed',
    'framing',
    'http to https',
    'include loop',
    'included record',
    'key',
    'key record',
    'mail server AAAA',
    'mail server reachable over IPv6',
    'mx patterns',
    'name server AAAA',
    'name server reachable over IPv6',
    'null MX',
    'one SPF record',
    'personal data over http',
    'policy',
    'policy fetch',
    'policy max_age',
    'policy mode',
    'ptr mechanism',
    'record length',
    'record syntax',
    'record tags',
    'redirect',
    'redirect chain',
    'report authorization',
    'reports',
    'resolver AD bit',
    'route origin validation',
    'same website over IPv4 and IPv6',
    'security headers',
    'common selectors',
    'selector',
    'selector alias',
    'selector lookups',
    'served over https',
    'signed message',
    'subdomain policy',
    'term order',
    'trust anchor',
    'usable key',
    'void lookup limit',
    'web hosts',
    'web server AAAA',
    'web server reachable over IPv6',
    'website',
)
CHECKS_NL: Mapping[str, str] = dutch("check", CHECKS)

EVIDENCE_KINDS: tuple[str, ...] = (
    'input',
)
EVIDENCE_KINDS_NL: Mapping[str, str] = dutch("evidence kind", EVIDENCE_KINDS)


def _lookup(table: Mapping[str, str], text: str, lang: str) -> str:
    return table.get(text, text) if lang == "nl" else text


def promise_kind(kind: str, lang: str) -> str:
    return _lookup(PROMISE_KINDS_NL, kind, lang)


def measure_title(title: str, lang: str) -> str:
    return _lookup(MEASURE_TITLES_NL, title, lang)


def check(name: str, lang: str) -> str:
    return _lookup(CHECKS_NL, name, lang)


def evidence_kind(kind: str, lang: str) -> str:
    return _lookup(EVIDENCE_KINDS_NL, kind, lang)


def missing_nl(name: str, table: Mapping[str, str]) -> bool:
    """True when a Dutch reader would see this English name untranslated."""
    return name not in PROTOCOL_NAMES and name not in table


def titles_in(text: str, lang: str) -> str:
    """``text`` with every measure title in it in ``lang`` (titles are distinctive phrases)."""
    if lang != "nl":
        return text
    for english in sorted(MEASURE_TITLES_NL, key=len, reverse=True):
        text = text.replace(english, MEASURE_TITLES_NL[english])
    return text


def about(label: str, lang: str) -> str:
    """A recommendation's "Title: check (subject)" in ``lang``."""
    if lang != "nl" or ": " not in label:
        return label
    title, _, rest = label.partition(": ")
    name, paren, subject = rest.partition(" (")
    return f"{measure_title(title, lang)}: {check(name, lang)}{paren}{subject}"
