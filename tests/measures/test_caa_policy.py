"""CAA (RFC 8659): parsing issue values, deciding whether an issuer may issue, the tree climb."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailguard.core.errors import ParseError
from mailguard.core.model import Verdict
from mailguard.measures.web.caa import climb, covered_by_wildcard, judge_policy
from mailguard.measures.web.caa_policy import (
    IssueProperty,
    allowed_issuers,
    authorizes,
    iodef_ok,
    issuer_domains,
    parse_caa,
    parse_issue_value,
)


@pytest.mark.parametrize(("value", "expected"), [
    # RFC 8659 §4.2 and §4.3 examples
    ("ca.example.net", IssueProperty("ca.example.net")),
    ("ca.example.net; account=230123", IssueProperty("ca.example.net", (("account", "230123"),))),
    (";", IssueProperty(None)),
    ("", IssueProperty(None)),
    ("  letsencrypt.org  ", IssueProperty("letsencrypt.org")),
    ("LetsEncrypt.ORG", IssueProperty("letsencrypt.org")),
    ("ca.example.net; policy=ev; account=1", IssueProperty("ca.example.net", (("policy", "ev"), ("account",
                                                                                                 "1")))),
    ("ca.example.net;", IssueProperty("ca.example.net")),
])
def test_issue_values(value, expected):
    assert parse_issue_value(value) == expected


@pytest.mark.parametrize("value", ["ca..example", "-ca.example", "ca.example.net; account", "ca example",
                                   "ca.example; =1", "ca.example; a=1;; b=2", "http://ca.example"])
def test_malformed_issue_values(value):
    with pytest.raises(ParseError):
        parse_issue_value(value)


LE = ("letsencrypt.org",)
LAB = ("ca.mailguard.test",)


def policy(*records):
    return parse_caa(records)


@pytest.mark.parametrize(("records", "issuer", "wildcard", "allowed"), [
    ([(0, "issue", "letsencrypt.org")], LE, False, True),
    ([(0, "issue", "letsencrypt.org")], LAB, False, False),
    ([(0, "issue", "letsencrypt.org"), (0, "issue", "ca.mailguard.test")], LAB, False, True),
    ([(0, "issue", ";")], LE, False, False),                       # nobody
    ([(0, "iodef", "mailto:a@b.example")], LAB, False, True),       # no issue property: unrestricted
    # issuewild rules wildcard certificates when present (§4.3); else issue applies to them too
    ([(0, "issue", "letsencrypt.org"), (0, "issuewild", ";")], LE, True, False),
    ([(0, "issue", "letsencrypt.org"), (0, "issuewild", ";")], LE, False, True),
    ([(0, "issue", ";"), (0, "issuewild", "letsencrypt.org")], LE, True, True),
    ([(0, "issue", "letsencrypt.org")], LE, True, True),
    # an unknown critical tag forbids issuance (§4.1); an unknown non-critical one is ignored
    ([(128, "tbs", "x"), (0, "issue", "letsencrypt.org")], LE, False, False),
    ([(0, "tbs", "x"), (0, "issue", "letsencrypt.org")], LE, False, True),
    ([(128, "issue", "letsencrypt.org")], LE, False, True),         # critical but known
    # a malformed value names no CA
    ([(0, "issue", "letsencrypt..org")], LE, False, False),
    ([(0, "ISSUE", "letsencrypt.org")], LE, False, True),           # tags are case-insensitive
])
def test_authorizes(records, issuer, wildcard, allowed):
    assert authorizes(policy(*records), issuer, wildcard=wildcard) is allowed


def test_allowed_issuers_lists_the_ruling_kind():
    caa = policy((0, "issue", "a.example"), (0, "issue", "b.example; x=1"), (0, "issuewild", "c.example"))
    assert allowed_issuers(caa, wildcard=False) == ("a.example", "b.example")
    assert allowed_issuers(caa, wildcard=True) == ("c.example",)


@pytest.mark.parametrize(("issuer", "domain"), [
    ("CN=R11,O=Let's Encrypt,C=US", "letsencrypt.org"),
    ("CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1,O=DigiCert Inc,C=US", "digicert.com"),
    ("CN=Sectigo RSA Domain Validation Secure Server CA,O=Sectigo Limited,L=Salford,C=GB", "sectigo.com"),
    ("CN=WR2,O=Google Trust Services,C=US", "pki.goog"),
])
def test_issuer_table(issuer, domain):
    assert domain in issuer_domains(issuer)


def test_the_public_table_holds_no_lab_or_test_names():
    from mailguard.measures.web.caa_policy import CA_DOMAINS

    for needle, domains in CA_DOMAINS:
        assert "mailguard" not in needle and not any(d.endswith((".test", ".example", ".invalid")) for d in domains)


def test_a_ca_the_table_does_not_know_is_named_by_the_user_exactly():
    lab = "CN=mailguard lab issuing CA,O=mailguard lab"
    assert issuer_domains(lab) == ()
    assert issuer_domains(lab, [("mailguard lab", "ca.mailguard.test")]) == ("ca.mailguard.test",)
    assert issuer_domains(lab, [("mailguard lab issuing CA", "ca.mailguard.test")]) == ("ca.mailguard.test",)
    assert issuer_domains(lab, [("mailguard", "ca.mailguard.test")]) == ()  # exactly, not a part


def test_unknown_issuer_maps_to_nothing():
    assert issuer_domains("CN=Some Private CA,O=Acme") == ()


def test_climb_excludes_the_root():
    assert climb("www.shop.example.nl.") == ("www.shop.example.nl", "shop.example.nl", "example.nl", "nl")


@pytest.mark.parametrize(("value", "ok"), [
    ("mailto:security@example.nl", True), ("https://example.nl/caa", True), ("http://example.nl/x", True),
    ("mailto:nobody", False), ("ftp://example.nl/", False), ("reports at example.nl", False),
])
def test_iodef(value, ok):
    assert iodef_ok(value) is ok


def test_wildcard_coverage():
    assert covered_by_wildcard("www.example.nl", ("*.example.nl",))
    assert not covered_by_wildcard("www.example.nl", ("www.example.nl", "*.example.nl"))
    assert not covered_by_wildcard("a.b.example.nl", ("*.example.nl",))


def test_judge_policy_reports_problems():
    caa = policy((128, "tbs", "x"), (0, "issue", "bad..name"), (0, "iodef", "nonsense"))
    found = {c.code: c.verdict for c in judge_policy("example.nl", caa)}
    assert found["CAA-CRITICAL-UNKNOWN"] == Verdict.WARN
    assert found["CAA-MALFORMED"] == Verdict.WARN
    assert found["CAA-IODEF-INVALID"] == Verdict.WARN


@given(st.lists(st.tuples(st.integers(0, 255), st.sampled_from(["issue", "issuewild", "iodef", "tbs", "x"]),
                          st.text(max_size=60)), max_size=6),
       st.lists(st.sampled_from(["letsencrypt.org", "ca.mailguard.test", "x.example"]), max_size=2),
       st.booleans())
def test_fuzz_never_crashes(records, domains, wildcard):
    caa = parse_caa(records)
    authorizes(caa, domains, wildcard=wildcard)
    judge_policy("example.nl", caa)
