"""A fixed, constructed ScanReport for golden-file and renderer tests (no network, no clock)."""

from __future__ import annotations

from mailguard.core import i18n, messages
from mailguard.core.messages import Message
from mailguard.core.model import (
    Area,
    Evidence,
    Finding,
    Fulfilment,
    MeasureResult,
    Promise,
    PromiseResult,
    ScanReport,
    Verdict,
)
from mailguard.measures.score import scores

# The fixture's own codes: English in the table, Dutch added to the catalog as an extension would.
_CODES = {  # code: (English, Dutch, reference)
    "TEST-DMARC-NONE": ("DMARC policy is p=none: forged mail is delivered",
                        "DMARC-beleid is p=none: vervalste mail wordt afgeleverd", "RFC 7489 §6.3"),
    "TEST-DMARC-RUA": ("aggregate reports go to {rua}", "verzamelrapporten gaan naar {rua}", "RFC 7489 §7.2"),
    "TEST-HTTPS-OK": ("{url} redirects to https", "{url} stuurt door naar https", "RFC 9110 §15.4"),
    "TEST-CERT-OK": ("certificate valid for {days} more days", "certificaat nog {days} dagen geldig", ""),
    "TEST-STARTTLS-UNTESTED": ("port 25 unreachable from here: not tested",
                               "poort 25 vanaf hier onbereikbaar: niet getest", ""),
    "TEST-PROMISE-DMARC-WEAK": (
        "DMARC is published with p=none: it does not stop others from sending mail in your name",
        "DMARC staat op p=none: dat houdt anderen niet tegen om mail uit uw naam te sturen", ""),
    "TEST-PROMISE-HTTPS-OK": ("every web host redirects to https with a valid certificate",
                              "elke webhost stuurt door naar https met een geldig certificaat", ""),
    "TEST-PROMISE-2FA": ("two-factor authentication cannot be observed from outside",
                         "tweestapsverificatie is van buitenaf niet waar te nemen", ""),
}
messages.register({code: Message(en, rfc) for code, (en, _nl, rfc) in _CODES.items()})
i18n.add_translations("nl", {en: nl for en, nl, _rfc in _CODES.values()})

DMARC_DNS = Evidence(
    "dns",
    "TXT _dmarc.example.test @127.0.0.1:53 NOERROR flags=qr aa 1 RR ttl=300 1.2 ms udp",
    {
        "query": {"name": "_dmarc.example.test", "type": "TXT"},
        "status": "ok",
        "resolver": "127.0.0.1:53",
        "rcode": "NOERROR",
        "flags": ["qr", "aa"],
        "ad": False,
        "transport": "udp",
        "time": "2026-03-01T09:00:00.100+00:00",
        "elapsed_ms": 1.2,
        "cnames": [],
        "records": [
            {
                "name": "_dmarc.example.test",
                "type": "TXT",
                "ttl": 300,
                "data": '"v=DMARC1; p=none; rua=mailto:dmarc@example.test"',
            }
        ],
        "records_omitted": 0,
    },
)
MX_DNS = Evidence(
    "dns",
    "MX example.test @127.0.0.1:53 NOERROR flags=qr aa 1 RR ttl=3600 0.9 ms udp",
    {
        "query": {"name": "example.test", "type": "MX"},
        "status": "ok",
        "resolver": "127.0.0.1:53",
        "rcode": "NOERROR",
        "flags": ["qr", "aa"],
        "ad": False,
        "transport": "udp",
        "time": "2026-03-01T09:00:00.090+00:00",
        "elapsed_ms": 0.9,
        "cnames": [],
        "records": [{"name": "example.test", "type": "MX", "ttl": 3600, "data": "10 mx.example.test."}],
        "records_omitted": 0,
    },
)
TLS = Evidence(
    "tls",
    "www.example.test:443 TLSv1.3 TLS_AES_256_GCM_SHA384",
    {
        "host": "www.example.test",
        "port": 443,
        "version": "TLSv1.3",
        "certificate": {
            "subject": "CN=www.example.test",
            "issuer": "CN=Lab CA <lab@example.test>",
            "not_after": "2026-06-01T00:00:00Z",
            "fingerprint_sha256": "ab12" * 16,
        },
    },
)
HTTP = Evidence(
    "http",
    "GET http://www.example.test/ -> 301 https://www.example.test/",
    {
        "url": "http://www.example.test/",
        "status": 301,
        "headers": {"location": "https://www.example.test/", "server": "lab"},
    },
)

MX = MeasureResult(
    "mx",
    "MX",
    Area.MAIL_AUTH,
    Verdict.PASS,
    (
        Finding(
            "MX-PRESENT",
            "MX records",
            Verdict.PASS,
            "1 MX record(s): 10 mx.example.test",
            "RFC 5321 §5.1",
            {"count": 1, "hosts": "10 mx.example.test"},
            (MX_DNS,),
        ),
    ),
    (MX_DNS,),
)
DMARC = MeasureResult(
    "dmarc",
    "DMARC",
    Area.MAIL_AUTH,
    Verdict.FAIL,
    (
        Finding(
            "TEST-DMARC-NONE",
            "policy",
            Verdict.FAIL,
            "DMARC policy is p=none: forged mail is delivered",
            "RFC 7489 §6.3",
            {},
            (DMARC_DNS,),
        ),
        Finding(
            "TEST-DMARC-RUA",
            "reporting",
            Verdict.PASS,
            "aggregate reports go to mailto:dmarc@example.test",
            "RFC 7489 §7.2",
            {"rua": "mailto:dmarc@example.test"},
            (DMARC_DNS,),
        ),
    ),
    (DMARC_DNS,),
)
WEB = MeasureResult(
    "https",
    "HTTPS",
    Area.WEBSITE,
    Verdict.PASS,
    (
        Finding(
            "TEST-HTTPS-OK",
            "redirect to https",
            Verdict.PASS,
            "http://www.example.test/ redirects to https",
            "RFC 9110 §15.4",
            {"url": "http://www.example.test/"},
            (HTTP,),
            "www.example.test",
        ),
        Finding(
            "TEST-CERT-OK",
            "certificate",
            Verdict.PASS,
            "certificate valid for 92 more days",
            "",
            {"days": 92},
            (TLS,),
            "www.example.test",
        ),
    ),
    (HTTP, TLS),
)
STARTTLS = MeasureResult(
    "starttls",
    "STARTTLS",
    Area.MAIL_TRANSPORT,
    Verdict.NOT_TESTED,
    (
        Finding(
            "TEST-STARTTLS-UNTESTED",
            "STARTTLS offered",
            Verdict.NOT_TESTED,
            "port 25 unreachable from here: not tested",
            "RFC 3207",
            {},
            (),
            "mx.example.test",
        ),
    ),
)

PROMISES = (
    PromiseResult(
        Promise(
            "dmarc",
            "Wij gebruiken SPF, DKIM en DMARC voor de best mogelijke bescherming van onze e-mail.",
            ("example.test",),
            {"dmarc_policy": "reject"},
        ),
        Fulfilment.NOT_UPHELD,
        "TEST-PROMISE-DMARC-WEAK",
        "DMARC is published with p=none: it does not stop others from sending mail in your name",
        {},
        ("dmarc",),
        (DMARC.findings[0],),
    ),
    PromiseResult(
        Promise("https", "We use SSL and https:// for all personal data.", ("example.test",)),
        Fulfilment.UPHELD,
        "TEST-PROMISE-HTTPS-OK",
        "every web host redirects to https with a valid certificate",
        {},
        ("https",),
        WEB.findings,
    ),
    PromiseResult(
        Promise("2fa", "Medewerkers loggen in met tweestapsverificatie."),
        Fulfilment.NOT_VERIFIABLE,
        "TEST-PROMISE-2FA",
        "two-factor authentication cannot be observed from outside",
    ),
)

MEASURES = (MX, DMARC, WEB, STARTTLS)

REPORT = ScanReport(
    domain="example.test",
    started="2026-03-01T09:00:00.000+00:00",
    finished="2026-03-01T09:00:01.250+00:00",
    elapsed_ms=1250.0,
    mailguard_version="0.1.0",
    resolvers=("127.0.0.1:53",),
    measures=MEASURES,
    promises=PROMISES,
    scores=scores(MEASURES),
    scanned_from="scanner.example.test",
    extra={
        "changes": {
            "previous": "20260201T090000Z.json",
            "previous_started": "2026-02-01T09:00:00.000+00:00",
            "worse": True,
            "changes": [
                {
                    "code": "CHANGE-DMARC-WEAKER",
                    "direction": "worse",
                    "subject": "DMARC _dmarc.example.test",
                    "params": {
                        "name": "_dmarc.example.test",
                        "old": "v=DMARC1; p=reject",
                        "new": "v=DMARC1; p=none; rua=mailto:dmarc@example.test",
                    },
                    "text": "DMARC policy of _dmarc.example.test weakened: v=DMARC1; p=reject -> "
                    "v=DMARC1; p=none; rua=mailto:dmarc@example.test",
                },
                {
                    "code": "CHANGE-SCORE",
                    "direction": "worse",
                    "subject": "overall",
                    "params": {"area": "overall", "old": 100, "new": 67},
                    "text": "score overall: 100 -> 67",
                },
            ],
        },
        "signature": {"signer": "Privacy office <privacy@example.test>", "key_fingerprint": "SHA256:abcdef"},
    },
)
