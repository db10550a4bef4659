"""A signed DNS world made in the test, answered in-process: for the pure chain validator.

The zones are signed with the lab's signer; the answers come from the lab server's ``handle``
(no socket: a function from query to response), round-tripped through wire format and turned
into the same DnsAnswer observations the DNS client makes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import dns.flags
import dns.message

from mailguard.lab import LabDns, load_zone_text
from mailguard.lab.dnssec import Fault, sign_lab
from mailguard.measures.dnssec import ChainValidator, Question, Validation, parse_anchors
from mailguard.measures.dnssec.anchors import TrustAnchors
from mailguard.net.dns import DnsAnswer, _answer, _failure

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

ZONES = {
    "test.": """$TTL 300
@ IN SOA ns.test. h.test. 1 2 3 4 300
@ IN NS ns.test.
ns IN A 127.0.0.1
""",
    "signed.test.": """$TTL 300
@ IN SOA ns.signed.test. h.signed.test. 1 2 3 4 300
@ IN NS ns.signed.test.
@ IN MX 10 mail.signed.test.
@ IN TXT "v=spf1 -all"
ns IN A 127.0.0.1
mail IN A 127.0.0.2
alias IN CNAME mail.signed.test.
a.b.deep IN A 127.0.0.3
*.wild IN TXT "wildcard"
_25._tcp.mail IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
""",
    "unsigned.test.": """$TTL 300
@ IN SOA ns.unsigned.test. h.unsigned.test. 1 2 3 4 300
@ IN NS ns.unsigned.test.
@ IN MX 10 mail.unsigned.test.
mail IN A 127.0.0.4
""",
    "broken.test.": """$TTL 300
@ IN SOA ns.broken.test. h.broken.test. 1 2 3 4 300
@ IN NS ns.broken.test.
@ IN MX 10 mail.broken.test.
mail IN A 127.0.0.5
""",
    "old.test.": """$TTL 300
@ IN SOA ns.old.test. h.old.test. 1 2 3 4 300
@ IN NS ns.old.test.
@ IN MX 10 mail.old.test.
""",
    "mismatch.test.": """$TTL 300
@ IN SOA ns.mismatch.test. h.mismatch.test. 1 2 3 4 300
@ IN NS ns.mismatch.test.
@ IN MX 10 mail.mismatch.test.
""",
}

SIGNING = {".": Fault.VALID, "test.": Fault.VALID, "signed.test.": Fault.VALID,
           "broken.test.": Fault.BAD_SIGNATURE, "old.test.": Fault.EXPIRED,
           "mismatch.test.": Fault.DS_MISMATCH}

Mangle = Callable[[Question, dns.message.Message], dns.message.Message | None]


class World:
    def __init__(self, *, nsec3: Mapping[str, bool] | None = None, now: datetime = NOW) -> None:
        zones = [load_zone_text(origin, text) for origin, text in ZONES.items()]
        self.signed = sign_lab(zones, SIGNING, now=now, nsec3=nsec3 or {})
        self.server = LabDns(self.signed.zones, dnssec=self.signed.view)  # never started: no socket
        self.anchors: TrustAnchors = parse_anchors(self.signed.anchor_text)
        self.asked: list[Question] = []

    def answer(self, question: Question, mangle: Mangle | None = None) -> DnsAnswer:
        query = dns.message.make_query(question.name or ".", question.rdtype, want_dnssec=True)
        query.flags |= dns.flags.CD
        started = time.monotonic()
        response = self.server.handle(query, "udp")
        assert response is not None
        response = dns.message.from_wire(response.to_wire())
        if mangle is not None:
            response = mangle(question, response)
            if response is None:
                return _failure(question.name, question.rdtype, "lab", "timeout", "no answer", started, "t")
        return _answer(question.name, question.rdtype, "lab", response, False, started, "t")

    def validate(self, name: str, rdtype: str, *, mangle: Mangle | None = None, now: datetime = NOW,
                 prefetch: bool = True, anchors: TrustAnchors | None = None) -> Validation:
        validator = ChainValidator(name, rdtype, anchors or self.anchors, now, prefetch=prefetch)
        for _ in range(100):
            questions = validator.needs()
            if not questions:
                break
            for question in questions:
                self.asked.append(question)
                validator.feed(question, self.answer(question, mangle))
        result = validator.result
        assert result is not None
        return result
