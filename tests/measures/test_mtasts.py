"""MTA-STS and TLS-RPT measures on the lab: demo domains and one case per stscases.test subdomain."""

from __future__ import annotations

import pytest

from mailguard.core.model import Verdict
from mailguard.measures import mtasts, tlsrpt
from tests.conftest import run_measure


def codes(result):
    for f in result.findings:
        assert f.evidence, f"{f.code} has no evidence"
    return {f.code: f.verdict.value for f in result.findings}


def sts(name):
    return f"{name}.stscases.test"


def test_good_test(lab):
    result = run_measure(mtasts, "good.test", lab.config())
    assert result.status == Verdict.PASS, codes(result)
    assert codes(result) == {"MTASTS-RECORD": "pass", "MTASTS-POLICY-FETCHED": "pass",
                             "MTASTS-MODE-ENFORCE": "pass", "MTASTS-MAX-AGE-OK": "pass",
                             "MTASTS-MX-MATCH": "pass"}
    assert result.data["policy"] == {"mode": "enforce", "mx": ["mx1.good.test", "mx2.good.test"],
                                     "max_age": 1209600}
    assert result.area.value == "mail-transport"
    fetch = next(e for e in result.evidence if e.kind == "http")
    assert fetch.data["verified"] is True and fetch.data["request"]["url"].startswith("https://mta-sts.good.test/")


def test_weak_and_broken(lab):
    assert codes(run_measure(mtasts, "weak.test", lab.config()))["MTASTS-MODE-TESTING"] == "warn"
    broken = codes(run_measure(mtasts, "broken.test", lab.config()))
    assert broken["MTASTS-RECORD-MULTIPLE"] == "fail"
    assert broken["MTASTS-POLICY-REDIRECT"] == "fail"


def test_null_mx_and_nothing_published(lab):
    assert codes(run_measure(mtasts, "nomail.test", lab.config())) == {"MTASTS-NULL-MX": "info"}
    assert codes(run_measure(mtasts, "mailhost.test", lab.config())) == {"MTASTS-NONE": "info"}


@pytest.mark.parametrize(("name", "code", "verdict"), [
    ("good", "MTASTS-MX-MATCH", "pass"),                     # wildcard pattern matches both MX hosts
    ("testing", "MTASTS-MODE-TESTING", "warn"),
    ("none", "MTASTS-MODE-NONE", "warn"),
    ("badsyntax", "MTASTS-POLICY-INVALID", "fail"),
    ("mxmismatch", "MTASTS-MX-MISMATCH", "fail"),
    ("oversized", "MTASTS-POLICY-TOO-LARGE", "fail"),
    ("redirect", "MTASTS-POLICY-REDIRECT", "fail"),
    ("mediatype", "MTASTS-POLICY-MEDIA-TYPE", "fail"),
    ("notfound", "MTASTS-POLICY-STATUS", "fail"),
    ("twotxt", "MTASTS-RECORD-MULTIPLE", "fail"),
    ("notxt", "MTASTS-RECORD-MISSING", "warn"),
    ("badcert", "MTASTS-POLICY-CERT", "fail"),
    ("nohost", "MTASTS-POLICY-UNREACHABLE", "fail"),
])
def test_policy_cases(lab, name, code, verdict):
    assert codes(run_measure(mtasts, sts(name), lab.config()))[code] == verdict


def test_redirect_is_not_followed(lab):
    result = run_measure(mtasts, sts("redirect"), lab.config())
    fetches = [e for e in result.evidence if e.kind == "http"]
    assert len(fetches) == 1 and fetches[0].data["http_status"] == 301


def test_oversized_policy_read_stops_at_the_cap(lab):
    result = run_measure(mtasts, sts("oversized"), lab.config())
    fetch = next(e for e in result.evidence if e.kind == "http")
    assert fetch.data["truncated"] is True and fetch.data["body_bytes"] == mtasts.MAX_POLICY


def test_unanswered_lookup_is_not_tested(lab):
    import dns.name

    lab.dns.silent.add(dns.name.from_text("_mta-sts.quiet.stscases.test"))
    try:
        result = run_measure(mtasts, sts("quiet"), lab.config(timeout=0.3))
    finally:
        lab.dns.silent.clear()
    assert codes(result) == {"MTASTS-LOOKUP-FAILED": "not tested"}


@pytest.mark.parametrize(("domain", "expected"), [
    ("good.test", {"TLSRPT-RECORD": "pass"}),
    ("weak.test", {"TLSRPT-NONE": "info"}),
    ("broken.test", {"TLSRPT-BAD-URI": "fail"}),
    (sts("rpt-good"), {"TLSRPT-RECORD": "pass"}),
    (sts("rpt-baduri"), {"TLSRPT-BAD-URI": "fail"}),
    (sts("rpt-norua"), {"TLSRPT-INVALID": "fail"}),
    (sts("rpt-two"), {"TLSRPT-MULTIPLE": "fail"}),
    (sts("rpt-other"), {"TLSRPT-NONE": "info"}),
])
def test_tlsrpt_cases(lab, domain, expected):
    result = run_measure(tlsrpt, domain, lab.config())
    assert codes(result) == expected
    assert result.evidence[0].kind == "dns"
