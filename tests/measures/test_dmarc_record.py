"""The DMARC record parser (RFC 7489 §6.3-6.4, DMARCbis RFC 9989 §4.7-4.8): pure, table-driven."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailguard.core.errors import ParseError
from mailguard.measures.dmarc.record import (
    is_dmarc_record,
    looks_like_dmarc,
    parse_lenient,
    parse_record,
    parse_uri,
    parse_uri_list,
)

# -- valid records --------------------------------------------------------------------------------


def test_rfc7489_appendix_b_examples_parse():
    # RFC 7489 Appendix B.2: monitoring, with third-party reports, and a partial quarantine
    record = parse_record("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com")
    assert record.p == "none" and record.rua[0].address == "dmarc-feedback@example.com"
    record = parse_record("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; "
                          "ruf=mailto:auth-reports@thirdparty.example.net")
    assert record.ruf[0].host == "thirdparty.example.net"
    record = parse_record("v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,"
                          "mailto:tld-test@thirdparty.example.net!10m; pct=25")
    assert (record.p, record.pct) == ("quarantine", 25)
    assert [u.size for u in record.rua] == ["", "10m"]
    assert record.rua[1].uri == "mailto:tld-test@thirdparty.example.net"


def test_every_dmarcbis_tag_is_understood():
    record = parse_record("v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; fo=1:d:s; "
                          "rua=mailto:a@example.com; ruf=mailto:f@example.com; psd=n; t=y")
    assert (record.p, record.sp, record.np) == ("reject", "quarantine", "reject")
    assert (record.adkim, record.aspf, record.fo, record.psd, record.testing) == ("s", "r", ("1", "d", "s"),
                                                                                "n", True)
    assert record.problems == ()


@pytest.mark.parametrize("text", [
    "v=DMARC1;p=reject",
    "v=DMARC1; p=reject",
    "v=DMARC1 ; p = reject ;",            # dmarc-sep = *WSP ";" *WSP, equals = *WSP "=" *WSP
    "v\t=\tDMARC1;\tp=reject;\t",
    "v=DMARC1; p=reject;",                # a trailing separator is allowed
    "v=DMARC1; p=reject; ",
    "v=DMARC1; p=REJECT",                 # ABNF literals are case-insensitive (RFC 5234 §2.3)
    "v=DMARC1; p=reject ",                # trailing white space at the end is tolerated
])
def test_white_space_and_case_as_the_abnf_allows(text):
    assert parse_record(text).p == "reject"


# Issue 17: tag names are ABNF quoted strings, case-insensitive (RFC 5234 §2.3, RFC 7489 §6.4);
# only the value of v is case-sensitive (%s"DMARC1").
@pytest.mark.parametrize(("text", "p", "sp", "adkim"), [
    ("V=DMARC1; P=reject", "reject", None, "r"),
    ("v=DMARC1; P=quarantine; SP=none", "quarantine", "none", "r"),
    ("V=DMARC1; p=reject; ADKIM=s", "reject", None, "s"),
    ("V = DMARC1 ; Sp=reject; P=none", "none", "reject", "r"),
])
def test_tag_names_are_case_insensitive(text, p, sp, adkim):
    assert is_dmarc_record(text)
    record = parse_record(text)
    assert (record.p, record.sp, record.adkim) == (p, sp, adkim)
    assert not [problem for problem in record.problems if problem.kind not in ("p-not-second",)]


@pytest.mark.parametrize("text", ["v=dmarc1; p=reject", "V=Dmarc1; p=reject", "V=DMARC2; P=reject"])
def test_the_version_value_stays_case_sensitive(text):
    assert not is_dmarc_record(text)
    with pytest.raises(ParseError):
        parse_record(text)


def test_defaults_when_tags_are_absent():
    record = parse_record("v=DMARC1; p=reject")
    assert (record.adkim, record.aspf, record.fo) == ("r", "r", ("0",))
    assert (record.psd, record.testing) == ("u", False)
    assert record.sp is None and record.np is None and record.pct is None
    assert record.subdomain_policy == "reject" and record.nonexistent_policy == "reject"
    assert parse_record("v=DMARC1; p=reject; sp=none").nonexistent_policy == "none"


# -- syntax errors: ParseError with the position -----------------------------------------------

@pytest.mark.parametrize(("text", "position", "words"), [
    ("", 0, "does not start with v=DMARC1"),
    ("v=spf1 -all", 0, "does not start"),
    ("v=DMARC2; p=reject", 0, "does not start"),
    ("p=reject; v=DMARC1", 10, "must be the first tag"),
    (" v=DMARC1; p=reject", 0, "white space before"),
    ("v=dmarc1; p=reject", 0, "case-sensitive"),
    ("v=DMARC1 p=reject", 8, "expected ';'"),
    ("v=DMARC1; p reject", 12, "expected '='"),
    ("v=DMARC1; p=", 12, "empty value"),
    ("v=DMARC1; p= ; sp=none", 13, "empty value"),
    ("v=DMARC1;; p=reject", 9, "empty tag"),
    ("v=DMARC1; 1p=reject", 10, "tag name"),
    ("v=DMARC1; rua_x=mailto:a@example.com", 13, "expected '='"),
    ("v=DMARC1; p=rej\x01ect", 15, "not allowed"),
    ("v=DMARC1; p=r\u00e9ject", 13, "not allowed"),
])
def test_syntax_errors_raise_with_position(text, position, words):
    with pytest.raises(ParseError) as caught:
        parse_record(text)
    assert caught.value.position == position
    assert words in caught.value.message


def test_lenient_parse_skips_the_broken_tag_and_keeps_the_rest():
    record = parse_lenient("v=DMARC1; p=reject; rua mailto:x@example.com; sp=none")
    assert (record.p, record.sp, record.rua) == ("reject", "none", ())
    [syntax] = [p for p in record.problems if p.kind == "syntax"]
    assert syntax.position == 24
    with pytest.raises(ParseError):
        parse_record(record.text)


# -- tag values: problems with positions, never exceptions -----------------------------------

@pytest.mark.parametrize(("text", "kind", "tag", "position"), [
    ("v=DMARC1; p=rejected", "invalid-value", "p", 12),
    ("v=DMARC1; p=reject; sp=all", "invalid-value", "sp", 23),
    ("v=DMARC1; p=reject; np=block", "invalid-value", "np", 23),
    ("v=DMARC1; p=reject; adkim=relaxed", "invalid-value", "adkim", 26),
    ("v=DMARC1; p=reject; pct=101", "invalid-value", "pct", 24),
    ("v=DMARC1; p=reject; pct=-5", "invalid-value", "pct", 24),
    ("v=DMARC1; p=reject; ri=4294967296", "invalid-value", "ri", 23),
    ("v=DMARC1; p=reject; rf=iodef", "invalid-value", "rf", 23),
    ("v=DMARC1; p=reject; fo=0:1; ruf=mailto:a@example.com", "invalid-value", "fo", 23),
    ("v=DMARC1; p=reject; fo=x; ruf=mailto:a@example.com", "invalid-value", "fo", 23),
    ("v=DMARC1; p=reject; t=yes", "invalid-value", "t", 22),
    ("v=DMARC1; p=reject; psd=x", "invalid-value", "psd", 24),
    ("v=DMARC1; p=reject; rua=dmarc@example.com", "invalid-value", "rua", 24),
    ("v=DMARC1; p=reject; foo=bar", "unknown-tag", "foo", 20),
    ("v=DMARC1; p=reject; P=none", "duplicate-tag", "p", 20),  # P= is p=: a second p
    ("v=DMARC1; p=reject; pct=50", "removed-tag", "pct", 20),
    ("v=DMARC1; p=reject; rf=afrf", "removed-tag", "rf", 20),
    ("v=DMARC1; p=reject; ri=3600", "removed-tag", "ri", 20),
    ("v=DMARC1; p=reject; p=none", "duplicate-tag", "p", 20),
    ("v=DMARC1; p=reject; v=DMARC1", "duplicate-tag", "v", 20),
    ("v=DMARC1; rua=mailto:a@example.com", "p-missing", "p", 34),
    ("v=DMARC1; rua=mailto:a@example.com; p=reject", "p-not-second", "p", 36),
    ("v=DMARC1; p=reject; fo=1", "fo-without-ruf", "fo", 20),
])
def test_value_problems_are_reported_with_position(text, kind, tag, position):
    record = parse_record(text)  # no ParseError: the tag-list itself is well formed
    matching = [p for p in record.problems if p.kind == kind and p.tag == tag]
    assert matching, record.problems
    assert matching[0].position == position


def test_invalid_values_fall_back_and_duplicates_keep_the_first():
    assert parse_record("v=DMARC1; p=rejected").p is None
    assert parse_record("v=DMARC1; p=reject; adkim=x").adkim == "r"
    assert parse_record("v=DMARC1; p=reject; p=none").p == "reject"
    assert parse_record("v=DMARC1; p=reject; P=none").p == "reject"  # tag names are case-sensitive


# -- report URIs ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "valid", "host", "size", "supported"), [
    ("mailto:dmarc@example.com", True, "example.com", "", True),
    ("mailto:dmarc@example.com!10m", True, "example.com", "10m", True),
    ("mailto:dmarc@example.com!100", True, "example.com", "100", True),
    ("MAILTO:dmarc@Example.COM.", True, "example.com", "", True),
    ("mailto:dmarc@example.com?subject=DMARC", True, "example.com", "", True),
    ("mailto:d%2Bmarc@example.com", True, "example.com", "", True),
    ("https://reports.example.com/dmarc", True, "reports.example.com", "", False),
    ("ftp://reports.example.com/dmarc", True, "", "", False),
    ("dmarc@example.com", False, "", "", False),
    ("mailto:", False, "", "", False),
    ("mailto:@example.com", False, "", "", False),
    ("mailto:dmarc", False, "", "", False),
    ("mailto:a@@example.com", False, "", "", False),
    ("mailto:a@localhost", False, "", "", False),
    ("mailto:a@exa_mple..com", False, "", "", False),
    ("mailto:a@example.com extra", False, "", "", False),
    ("https:/reports.example.com", False, "", "", False),
    ("", False, "", "", False),
])
def test_report_uris(text, valid, host, size, supported):
    uri = parse_uri(text)
    assert (uri.valid, uri.host, uri.size, uri.supported) == (valid, host, size, supported), uri
    assert uri.valid or uri.error


def test_uri_list_positions_point_into_the_record():
    text = "v=DMARC1; p=reject; rua=mailto:a@example.com , mailto:b@example.net"
    record = parse_record(text)
    assert [text[u.position:u.position + len(u.text)] for u in record.rua] == [u.text for u in record.rua]
    assert [u.host for u in record.rua] == ["example.com", "example.net"]
    assert [u.position for u in parse_uri_list("mailto:a@x.example,,mailto:b@y.example", 5)] == [5, 24, 25]


# -- what counts as a DMARC record at all ------------------------------------------------------

@pytest.mark.parametrize(("text", "is_record", "lookalike"), [
    ("v=DMARC1; p=reject", True, False),
    ("v=DMARC1", True, False),
    ("v=DMARC10; p=reject", False, True),
    ("v=DMARC1 p=reject", False, True),
    ("p=reject; v=DMARC1", False, True),
    ("v=dmarc1; p=reject", False, True),
    ("v=spf1 -all", False, False),
    ("google-site-verification=abc", False, False),
])
def test_record_identification(text, is_record, lookalike):
    assert is_dmarc_record(text) is is_record
    assert looks_like_dmarc(text) is lookalike


# -- hostile input: only ParseError, whole and in pieces ----------------------------------------

RECORD = ("v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; pct=100; fo=1; "
          "rua=mailto:a@example.com!10m,https://r.example.net/x; ruf=mailto:f@example.com; psd=u; t=n")


def test_every_prefix_parses_or_raises_parse_error():
    for end in range(len(RECORD) + 1):
        try:
            parse_record(RECORD[:end])
        except ParseError as exc:
            assert exc.position is not None and 0 <= exc.position <= end


dmarc_alphabet = st.sampled_from(list("v=DMARC1;, \t:!@.-pnsrquaefitodk0123456789mlxhyYZ\x00\xe9/?%"))


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_fuzz_any_text_gives_a_record_or_parse_error(text):
    try:
        record = parse_record(text)
    except ParseError as exc:
        assert exc.position is not None and 0 <= exc.position <= len(text)
    else:
        assert record.text == text


@settings(max_examples=300, deadline=None)
@given(st.lists(dmarc_alphabet, max_size=80).map("".join))
def test_fuzz_lenient_never_raises_after_a_valid_version(tail):
    text = "v=DMARC1;" + tail
    record = parse_lenient(text)
    for problem in record.problems:
        assert 0 <= problem.position <= len(text)
    assert record.p in (None, "none", "quarantine", "reject")


# -- every explanation the parser gives has its Dutch translation ------------------------------

BROKEN = [
    "", "v=DMARC2", " v=DMARC1", "v=DMARC1 p=none", "v=dmarc1", "p=none; v=DMARC1", "v=DMARC1;; p=none",
    "v=DMARC1; 1=x", "v=DMARC1; p none", "v=DMARC1; p=", "v=DMARC1; p=\x01",
    "v=DMARC1; p=x; sp=x; np=x; adkim=x; aspf=x; pct=x; rf=x; ri=x; psd=x; t=x",
    "v=DMARC1; fo=x; ruf=mailto:a@example.com", "v=DMARC1; fo=0:1; ruf=mailto:a@example.com",
    "v=DMARC1; fo=d:d; ruf=mailto:a@example.com",
    "v=DMARC1; rua=,a@example.com,mailto:a b@example.com,mailto:,mailto:a@@example.com,mailto:a@x,https:/x",
]


def test_every_parser_explanation_has_a_dutch_translation():
    from mailguard.measures.dmarc.codes import DETAILS_NL

    explained = set()
    for text in BROKEN:
        try:
            record = parse_lenient(text)
        except ParseError as exc:
            explained.add(exc.message)
            continue
        explained |= {p.detail for p in record.problems if p.kind in ("syntax", "invalid-value")}
    assert explained <= set(DETAILS_NL), explained - set(DETAILS_NL)
    assert len(explained) == len(DETAILS_NL)  # and the table holds nothing the parser never says
