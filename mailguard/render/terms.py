"""mailguard's own words that are not finding prose: promise kinds, measure titles, check names
and evidence kinds, in Dutch. (Finding reasons live in the one table of codes, mailguard.core.messages.)

A name that is a protocol, a record type or an HTTP header (SPF, DKIM, STARTTLS, MTA-STS,
Content-Security-Policy) is the same in every language and is not listed; anything else a
Dutch reader sees must be here. tests/test_render_nl.py fails on a name that is missing.
"""

from __future__ import annotations

from collections.abc import Mapping

# Names that are protocols, record types or header fields: the same in Dutch.
PROTOCOL_NAMES = frozenset({
    "spf", "dkim", "dmarc", "dnssec", "dane", "mta-sts", "https", "MX", "SPF", "DKIM", "DMARC", "STARTTLS",
    "MTA-STS", "TLS-RPT", "HSTS", "security.txt", "CAA", "DNSSEC", "DANE", "BIMI", "IPv6", "RPKI",
    "Content-Security-Policy", "Referrer-Policy", "X-Content-Type-Options", "Contact", "Expires", "rua",
    "http", "dns", "tls", "smtp", "location",
})

PROMISE_KINDS_NL: Mapping[str, str] = {
    "2fa": "tweestapsverificatie",
    "access-control": "toegangsbeheer",
    "antivirus": "virusscanner",
    "audit": "audits",
    "backup": "back-ups",
    "dane": "DANE",
    "dkim": "DKIM",
    "dmarc": "DMARC",
    "dnssec": "DNSSEC",
    "encryption-at-rest": "versleutelde opslag",
    "firewall": "firewall",
    "https": "https",
    "mail-tls": "versleuteld mailtransport (TLS)",
    "monitoring": "bewaking",
    "mta-sts": "MTA-STS",
    "pseudonymisation": "pseudonimisering",
    "security-measures": "beveiligingsmaatregelen",
    "spf": "SPF",
    "training": "bewustwordingstraining",
}

MEASURE_TITLES_NL: Mapping[str, str] = {
    "Website reachable": "Website bereikbaar",
    "HTTP to HTTPS": "Van HTTP naar HTTPS",
    "Website TLS and certificate": "TLS en certificaat van de website",
    "Security headers": "Beveiligingsheaders",
}

CHECKS_NL: Mapping[str, str] = {
    "BIMI logo": "BIMI-logo",
    "BIMI logo size": "grootte van het BIMI-logo",
    "BIMI mark certificate": "BIMI-merkcertificaat",
    "BIMI record": "BIMI-record",
    "CAA iodef": "CAA iodef",
    "CAA records": "CAA-records",
    "DANE match": "DANE-overeenkomst",
    "DKIM keys": "DKIM-sleutels",
    "DMARC alignment": "DMARC-uitlijning",
    "DMARC enforcement for BIMI": "DMARC-handhaving voor BIMI",
    "DMARC record": "DMARC-record",
    "DNS lookup limit": "limiet op DNS-opvragingen",
    "HSTS header": "HSTS-header",
    "HSTS includeSubDomains": "HSTS includeSubDomains",
    "HSTS max-age": "HSTS max-age",
    "HSTS over http": "HSTS via http",
    "HSTS preload": "HSTS-preload",
    "MTA-STS record": "MTA-STS-record",
    "MX host address": "adres van de MX-host",
    "MX host name": "naam van de MX-host",
    "MX host signed": "MX-host ondertekend",
    "MX hosts": "MX-hosts",
    "MX names per mx": "MX-namen per mx",
    "MX records": "MX-records",
    "MX secure": "MX beveiligd",
    "MX signature": "MX-handtekening",
    "SMTP banner": "SMTP-begroeting",
    "SPF record": "SPF-record",
    "TLS version": "TLS-versie",
    "TLS versions": "TLS-versies",
    "TLS-RPT record": "TLS-RPT-record",
    "TLSA present": "TLSA aanwezig",
    "TLSA record": "TLSA-record",
    "TLSA secure": "TLSA beveiligd",
    "TLSA usable": "TLSA bruikbaar",
    "TLSA usage": "TLSA-gebruik",
    "TXT signature": "TXT-handtekening",
    "address": "adres",
    "alignment": "uitlijning",
    "all qualifier": "all-kwalificatie",
    "certificate": "certificaat",
    "certificate chain": "certificaatketen",
    "certificate dates": "geldigheid van het certificaat",
    "certificate issuer": "uitgever van het certificaat",
    "certificate key": "sleutel van het certificaat",
    "certificate name": "naam op het certificaat",
    "certificate signature": "handtekening van het certificaat",
    "cipher suite": "versleutelingsmethode",
    "cipher suites": "versleutelingsmethoden",
    "domain signed": "domein ondertekend",
    "framing": "inbedden in andere sites",
    "http to https": "van http naar https",
    "include loop": "include-lus",
    "included record": "ingesloten record",
    "key": "sleutel",
    "key record": "sleutelrecord",
    "mail server AAAA": "AAAA van de mailserver",
    "mail server reachable over IPv6": "mailserver bereikbaar via IPv6",
    "mx patterns": "mx-patronen",
    "name server AAAA": "AAAA van de naamserver",
    "name server reachable over IPv6": "naamserver bereikbaar via IPv6",
    "null MX": "null-MX",
    "one SPF record": "één SPF-record",
    "personal data over http": "persoonsgegevens via http",
    "policy": "beleid",
    "policy fetch": "beleid ophalen",
    "policy max_age": "max_age van het beleid",
    "policy mode": "modus van het beleid",
    "ptr mechanism": "ptr-mechanisme",
    "record length": "recordlengte",
    "record syntax": "recordsyntaxis",
    "record tags": "recordtags",
    "redirect": "doorverwijzing",
    "redirect chain": "keten van doorverwijzingen",
    "report authorization": "toestemming voor rapporten",
    "reports": "rapporten",
    "resolver AD bit": "AD-bit van de resolver",
    "route origin validation": "herkomstvalidatie van de route",
    "same website over IPv4 and IPv6": "dezelfde website via IPv4 en IPv6",
    "security headers": "beveiligingsheaders",
    "common selectors": "gangbare selectors",
    "selector": "selector",
    "selector alias": "selectoralias",
    "selector lookups": "selector-opvragingen",
    "served over https": "geleverd via https",
    "signed message": "ondertekend bericht",
    "subdomain policy": "beleid voor subdomeinen",
    "term order": "volgorde van termen",
    "trust anchor": "vertrouwensanker",
    "usable key": "bruikbare sleutel",
    "void lookup limit": "limiet op lege opvragingen",
    "web hosts": "webhosts",
    "web server AAAA": "AAAA van de webserver",
    "web server reachable over IPv6": "webserver bereikbaar via IPv6",
    "website": "website",
}

EVIDENCE_KINDS_NL: Mapping[str, str] = {"input": "invoer"}


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
