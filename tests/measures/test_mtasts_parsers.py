"""MTA-STS (RFC 8461) and TLS-RPT (RFC 8460): the pure record and policy parsers."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailguard.core.errors import ParseError
from mailguard.core.model import Verdict
from mailguard.measures.mtasts import (
    StsPolicy,
    StsRecord,
    judge_policy,
    judge_records,
    mx_matches,
    parse_sts_policy,
    parse_sts_record,
)
from mailguard.measures.tlsrpt import TlsRptRecord, judge_tlsrpt, parse_tlsrpt, uri_problem

# -- the _mta-sts TXT record (§3.1) -----------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("v=STSv1; id=20160831085700Z;", StsRecord("20160831085700Z")),   # the RFC's example
    ("v=STSv1;id=1", StsRecord("1")),
    ("v=STSv1 ;  id=abc ; ext.x-1=value", StsRecord("abc", (("ext.x-1", "value"),))),
    ("v=STSv1; id=" + "a" * 32, StsRecord("a" * 32)),
])
def test_sts_records(text, expected):
    assert parse_sts_record(text) == expected


@pytest.mark.parametrize("text", [
    "v=STSv2; id=1", "V=STSv1; id=1", "v=STSv1", "v=STSv1;", "v=STSv1; id=", "v=STSv1; id=a-b",
    "v=STSv1; id=" + "a" * 33, "v=STSv1; id=1; id=2", "v=STSv1 id=1", "v=STSv1; id=1; junk",
    "v=STSv1; id=1; x=a;b", "v=STSv1; id=1; x=a=b",
])
def test_bad_sts_records(text):
    with pytest.raises(ParseError):
        parse_sts_record(text)


def test_record_set_rules():
    assert judge_records(("v=spf1 -all",)) == ([], None)  # not an STS record: discarded
    checks, record = judge_records(("v=STSv1; id=1", "unrelated"))
    assert record == StsRecord("1") and checks[0].verdict == Verdict.PASS
    checks, record = judge_records(("v=STSv1; id=1", "v=STSv1; id=2"))
    assert record is None and checks[0].code == "MTASTS-RECORD-MULTIPLE"
    checks, record = judge_records(("v=STSv1; id=!",))
    assert record is None and checks[0].code == "MTASTS-RECORD-INVALID"


# -- the policy (§3.2) ------------------------------------------------------------------------

RFC_EXAMPLE = ("version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\n"
               "mx: backupmx.example.com\nmax_age: 604800\n")


def test_rfc_example_policy():
    assert parse_sts_policy(RFC_EXAMPLE) == StsPolicy(
        "STSv1", "enforce", ("mail.example.com", "*.example.net", "backupmx.example.com"), 604800)


def test_crlf_order_blank_lines_and_extensions():
    text = "mode: testing\r\nmax_age:86400\r\n\r\nversion: STSv1\r\nmx: MX.Example.COM.\r\nnew_field: 1 2\r\n"
    assert parse_sts_policy(text) == StsPolicy("STSv1", "testing", ("mx.example.com",), 86400,
                                               (("new_field", "1 2"),))


def test_mode_none_needs_no_mx():
    assert parse_sts_policy("version: STSv1\nmode: none\nmax_age: 86400\n").mx == ()


@pytest.mark.parametrize("text", [
    "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n",
    "version: STSv1\nmode: always\nmx: a.example\nmax_age: 1\n",
    "version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n",
    "version: STSv1\nmode: enforce\nmax_age: 1\n",                      # mx required
    "version: STSv1\nmode: enforce\nmx: a.example\n",                    # max_age required
    "mode: enforce\nmx: a.example\nmax_age: 1\n",                        # version required
    "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n",  # above the maximum
    "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n",
    "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: soon\n",
    "version: STSv1\nmode: enforce\nmx: mail.*.example\nmax_age: 1\n",  # wildcard not leftmost
    "version: STSv1\nmode: enforce\nmx: *mail.example\nmax_age: 1\n",
    "version: STSv1\nmode: enforce\nmx: *\nmax_age: 1\n",
    "version: STSv1\nmode: enforce\nmx a.example\nmax_age: 1\n",          # no colon
    "version: STSv1\nmode: enforce\nmode: testing\nmx: a.example\nmax_age: 1\n",
    "version: STSv1\nmode: enforce\nmx:\nmax_age: 1\n",
])
def test_bad_policies(text):
    with pytest.raises(ParseError):
        parse_sts_policy(text)


@pytest.mark.parametrize(("host", "pattern", "matches"), [
    ("mail.example.com", "mail.example.com", True),
    ("MAIL.example.com.", "mail.example.com", True),
    ("mail.example.net", "*.example.net", True),
    ("example.net", "*.example.net", False),              # §4.1: the wildcard needs one label
    ("foo.bar.example.net", "*.example.net", False),      # ... and only one
    ("mail.example.com", "example.com", False),
])
def test_mx_matching(host, pattern, matches):
    assert mx_matches(host, pattern) is matches


def test_mx_mismatch_fails_in_enforce_and_warns_in_testing():
    enforce = StsPolicy("STSv1", "enforce", ("*.example.net",), 604800)
    found = {c.code: c.verdict for c in judge_policy(enforce, ("mx1.example.net", "mx.other.example"))}
    assert found["MTASTS-MX-MISMATCH"] == Verdict.FAIL
    testing = StsPolicy("STSv1", "testing", ("*.example.net",), 60)
    found = {c.code: c.verdict for c in judge_policy(testing, ("mx.other.example",))}
    assert found == {"MTASTS-MODE-TESTING": Verdict.WARN, "MTASTS-MAX-AGE-SHORT": Verdict.WARN,
                     "MTASTS-MX-MISMATCH": Verdict.WARN}


@given(st.text(max_size=300))
def test_fuzz_policy_never_crashes(text):
    try:
        policy = parse_sts_policy(text)
    except ParseError:
        return
    assert policy.mode in ("enforce", "testing", "none")
    assert 0 <= policy.max_age <= 31557600


@given(st.text(max_size=120))
def test_fuzz_record_never_crashes(text):
    with contextlib.suppress(ParseError):
        parse_sts_record(text)


@given(st.lists(st.from_regex(r"[a-z]{1,8}(\.[a-z]{1,8}){1,3}", fullmatch=True), min_size=1, max_size=4),
       st.sampled_from(["enforce", "testing"]), st.integers(0, 31557600))
def test_fuzz_policy_round_trip(mx, mode, max_age):
    text = "\r\n".join(["version: STSv1", f"mode: {mode}", *(f"mx: {m}" for m in mx), f"max_age: {max_age}"])
    assert parse_sts_policy(text) == StsPolicy("STSv1", mode, tuple(mx), max_age)


# -- TLS-RPT (RFC 8460 §3) ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("v=TLSRPTv1; rua=mailto:reports@example.com", TlsRptRecord(("mailto:reports@example.com",))),
    ("v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt",
     TlsRptRecord(("https://reporting.example.com/v1/tlsrpt",))),
    ("v=TLSRPTv1;rua=mailto:a@example.com , https://r.example.com/;", TlsRptRecord(
        ("mailto:a@example.com", "https://r.example.com/"))),
    ("v=TLSRPTv1; rua=mailto:a@example.com; ext=1", TlsRptRecord(("mailto:a@example.com",), (("ext", "1"),))),
])
def test_tlsrpt_records(text, expected):
    assert parse_tlsrpt(text) == expected


@pytest.mark.parametrize("text", ["v=TLSRPTv2; rua=mailto:a@b.example", "v=TLSRPTv1", "v=TLSRPTv1;",
                                  "v=TLSRPTv1; rua=", "v=TLSRPTv1; rua=mailto:a@b.example,",
                                  "v=TLSRPTv1; rua=mailto:a@b.example; rua=mailto:c@d.example",
                                  "v=TLSRPTv1 rua=mailto:a@b.example"])
def test_bad_tlsrpt_records(text):
    with pytest.raises(ParseError):
        parse_tlsrpt(text)


@pytest.mark.parametrize(("uri", "ok"), [
    ("mailto:tlsrpt@example.nl", True), ("MAILTO:tls%2Brpt@example.nl", True),
    ("https://r.example.nl/", True),
    ("mailto:not-an-address", False), ("http://r.example.nl/", False), ("ftp://r.example.nl/", False),
    ("https:///nohost", False), ("example.nl", False),
])
def test_tlsrpt_uris(uri, ok):
    assert (uri_problem(uri) == "") is ok


def test_tlsrpt_judging():
    assert [c.code for c in judge_tlsrpt(())] == ["TLSRPT-NONE"]
    assert [c.code for c in judge_tlsrpt(("v=TLSRPTv1; rua=mailto:a@b.example",) * 2)] == ["TLSRPT-MULTIPLE"]
    mixed = judge_tlsrpt(("v=TLSRPTv1; rua=mailto:a@b.example,ftp://x.example/",))
    assert [(c.code, c.verdict) for c in mixed] == [("TLSRPT-RECORD", Verdict.PASS),
                                                    ("TLSRPT-BAD-URI", Verdict.WARN)]
    only_bad = judge_tlsrpt(("v=TLSRPTv1; rua=ftp://x.example/",))
    assert [(c.code, c.verdict) for c in only_bad] == [("TLSRPT-BAD-URI", Verdict.FAIL)]


@given(st.text(max_size=200))
def test_fuzz_tlsrpt_never_crashes(text):
    judge_tlsrpt((text,))
    judge_tlsrpt(("v=TLSRPTv1; rua=" + text,))
