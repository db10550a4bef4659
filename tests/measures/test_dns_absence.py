"""Issue 17: absence only from NXDOMAIN or NODATA, on a real name server that fails in each way.

A DMARC or SPF lookup that ends in SERVFAIL, a timeout, or a truncated UDP answer whose TCP retry
fails is "not tested" with the reason, never "no record". A record of any size DNS allows (a 4 KB
DMARC record: the UDP answer is truncated, RFC 6891 §7) is fetched over TCP (RFC 7766) and judged.
"""

from __future__ import annotations

import dataclasses

import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from mailguard.core.model import Verdict
from mailguard.lab import ZONES, LabDns, load_zone_dir, load_zone_text
from mailguard.measures import dmarc, spf
from mailguard.measures.web import headers, hsts, redirects, securitytxt
from mailguard.measures.web import https as reach
from mailguard.measures.web import tls as web_tls
from tests.conftest import codes, run_measure


def txt_strings(text: str, size: int = 250) -> str:
    """A long TXT value as quoted character-strings of at most 255 octets (RFC 1035 §3.3.14)."""
    return " ".join(f'"{text[i:i + size]}"' for i in range(0, len(text), size))


# 120 report addresses at the domain itself: about 4.5 KB, well over a 1232-byte UDP answer
BIG_DMARC = "v=DMARC1; p=reject; rua=" + ",".join(f"mailto:dmarc-{i:03}@absence.test" for i in range(120))
ZONE = f"""$TTL 300
@ IN SOA ns.absence.test. h.absence.test. 1 2 3 4 5
@ IN NS ns.absence.test.
ns IN A 127.0.0.1
big IN A 127.0.0.1
_dmarc.big IN TXT {txt_strings(BIG_DMARC)}
notcp IN A 127.0.0.1
_dmarc.notcp IN TXT {txt_strings(BIG_DMARC)}
notcp IN TXT {txt_strings("v=spf1 " + " ".join(f"ip4:192.0.2.{i}" for i in range(1, 250)) + " -all")}
servfail IN A 127.0.0.1
_dmarc.servfail IN TXT "v=DMARC1; p=reject"
servfail IN TXT "v=spf1 -all"
slow IN A 127.0.0.1
_dmarc.slow IN TXT "v=DMARC1; p=reject"
slow IN TXT "v=spf1 -all"
nodata IN A 127.0.0.1
webfail IN A 127.0.0.1
www.webfail IN A 127.0.0.1
halffail IN TXT "v=spf1 -all"
"""


class FailingDns(LabDns):
    """SERVFAIL for some names; for others, no answer over TCP (the UDP answer says TC)."""

    servfail = ("_dmarc.servfail.absence.test.", "servfail.absence.test.", "webfail.absence.test.",
                "www.webfail.absence.test.")
    servfail_a = ("halffail.absence.test.",)  # A fails, AAAA answers NODATA
    no_tcp = ("_dmarc.notcp.absence.test.", "notcp.absence.test.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.transports: list[tuple[str, str]] = []

    def handle(self, query, transport):
        name = query.question[0].name.to_text().lower() if query.question else ""
        self.transports.append((name, transport))
        rdtype = dns.rdatatype.to_text(query.question[0].rdtype) if query.question else ""
        if name in self.servfail or (name in self.servfail_a and rdtype == "A"):
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        if transport == "tcp" and name in self.no_tcp:
            return None  # the TCP connection stays silent
        return super().handle(query, transport)


@pytest.fixture(scope="module")
def server():
    zones = load_zone_dir(ZONES) + [load_zone_text("absence.test", ZONE)]
    with FailingDns(zones, silent=["_dmarc.slow.absence.test", "slow.absence.test"]) as running:
        yield running


def config(lab, server, timeout=0.5):
    return dataclasses.replace(lab.config(), nameservers=((server.host, server.port),), timeout=timeout)


def test_a_4kb_dmarc_record_is_fetched_over_tcp_and_judged(lab, server):
    result = run_measure(dmarc, "big.absence.test", config(lab, server, timeout=2.0))
    found = codes(result)
    assert found["DMARC-POLICY-REJECT"] == "pass", found
    assert "DMARC-NO-RECORD" not in found
    assert ("_dmarc.big.absence.test.", "tcp") in server.transports
    asked = [e for e in result.evidence if e.data["query"]["name"] == "_dmarc.big.absence.test"]
    assert asked[0].data["transport"] == "tcp" and asked[0].data["status"] == "ok"
    assert result.data["policy"] == "reject"


@pytest.mark.parametrize(("domain", "status"), [
    ("servfail.absence.test", "servfail"),
    ("slow.absence.test", "timeout"),
    ("notcp.absence.test", "timeout"),   # truncated over UDP, and TCP never answers
])
def test_a_dmarc_lookup_without_an_answer_is_not_tested_never_no_record(lab, server, domain, status):
    result = run_measure(dmarc, domain, config(lab, server))
    found = codes(result)
    assert found == {"DMARC-LOOKUP-FAILED": "not tested"}, found
    assert status in result.findings[0].reason
    assert result.status is Verdict.NOT_TESTED and result.data["policy"] is None


@pytest.mark.parametrize(("domain", "status"), [
    ("servfail.absence.test", "servfail"),
    ("slow.absence.test", "timeout"),
    ("notcp.absence.test", "timeout"),
])
def test_an_spf_lookup_without_an_answer_is_not_tested_never_no_record(lab, server, domain, status):
    result = run_measure(spf, domain, config(lab, server))
    found = codes(result)
    assert found == {"SPF-LOOKUP-FAILED": "not tested"}, found
    assert status in result.findings[0].reason
    assert result.status is Verdict.NOT_TESTED


def test_nodata_is_absence(lab, server):
    # the control: a name that exists without TXT records (NODATA) has no SPF and no DMARC
    assert codes(run_measure(spf, "nodata.absence.test", config(lab, server)))["SPF-MISSING"] == "fail"
    assert codes(run_measure(dmarc, "nodata.absence.test", config(lab, server)))["DMARC-NO-RECORD"] == "fail"


def test_a_whole_scan_judges_the_4kb_dmarc_record(lab, server):
    from tests.conftest import run_scan

    report = run_scan("big.absence.test", config(lab, server, timeout=2.0))
    [measure] = [m for m in report.measures if m.name == "dmarc"]
    assert codes(measure)["DMARC-POLICY-REJECT"] == "pass"
    every = [f.code for m in report.measures for f in m.findings]
    assert "DMARC-NO-RECORD" not in every


# -- websites: SERVFAIL on the addresses is not "no website" ------------------------------------------

@pytest.mark.parametrize("measure", [reach, redirects, web_tls, hsts, headers, securitytxt],
                         ids=lambda m: m.NAME)
def test_web_host_lookups_that_servfail_are_not_tested_never_no_website(lab, server, measure):
    result = run_measure(measure, "webfail.absence.test", config(lab, server))
    found = codes(result)
    assert not any(code.endswith("NO-WEB") or code == "WEB-NONE" or code == "WEB-NO-ADDRESS" for code in found)
    assert result.status is Verdict.NOT_TESTED, found
    assert any("servfail" in f.reason for f in result.findings)


def test_a_failed_a_lookup_beside_an_empty_aaaa_is_not_tested_either(lab, server):
    # the IPv4 address may be there: NODATA for AAAA alone proves no absence of a website
    result = run_measure(reach, "halffail.absence.test", config(lab, server))
    found = {f.subject: f.code for f in result.findings}
    assert found["halffail.absence.test"] == "WEB-LOOKUP-FAILED"
    assert "servfail" in next(f.reason for f in result.findings if f.code == "WEB-LOOKUP-FAILED")
    assert "WEB-NONE" not in found.values() and result.status is Verdict.NOT_TESTED
