"""The SPF grammar (RFC 7208 §4.5, §4.6, §5, §6, §7.1, §12): table-driven, byte by byte, and fuzzed."""

from __future__ import annotations

import contextlib
import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailguard.core.errors import ParseError
from mailguard.measures.spf.grammar import (
    Literal,
    Macro,
    Mechanism,
    Modifier,
    is_spf_record,
    parse_domain_spec,
    parse_explanation,
    parse_macro_string,
    parse_record,
    select_records,
)

# -- §4.5 version detection --------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("v=spf1", True),
    ("v=spf1 -all", True),
    ("V=SPF1 -all", True),  # ABNF strings are case-insensitive
    ("v=spf1  -all", True),
    ("v=spf10", False),  # the version ends with a space or the end of the record
    ("v=spf1-all", False),
    (" v=spf1 -all", False),  # exactly "v=spf1" at the start
    ("v=spf2.0/pra -all", False),
    ("spf1", False),
    ("", False),
])
def test_4_5_version(text, expected):
    assert is_spf_record(text) is expected


def test_4_5_selection_keeps_only_spf_records():
    assert select_records(["google-site-verification=x", "v=spf1 -all", "v=spf10"]) == ("v=spf1 -all",)


# -- valid records -----------------------------------------------------------------------------

def _summary(term):
    if isinstance(term, Modifier):
        return ("mod", term.name, term.value.source)
    spec = term.domain_spec.source if term.domain_spec else None
    network = str(term.network) if term.network else None
    return (term.qualifier, term.name, spec, network, term.cidr4, term.cidr6)


VALID = [
    ("v=spf1", []),
    ("v=spf1 -all", [("-", "all", None, None, None, None)]),
    ("v=spf1 all", [("+", "all", None, None, None, None)]),
    ("v=spf1 ~ALL", [("~", "all", None, None, None, None)]),
    ("v=spf1 ?all ", [("?", "all", None, None, None, None)]),  # trailing spaces (§4.6.1 *SP)
    ("v=spf1   a    mx", [("+", "a", None, None, None, None), ("+", "mx", None, None, None, None)]),
    ("v=spf1 a/24", [("+", "a", None, None, 24, None)]),
    ("v=spf1 a//64", [("+", "a", None, None, None, 64)]),
    ("v=spf1 a/0//0", [("+", "a", None, None, 0, 0)]),
    ("v=spf1 mx:mail.example.org/28//96", [("+", "mx", "mail.example.org", None, 28, 96)]),
    ("v=spf1 a:foo:bar/baz.example.com", [("+", "a", "foo:bar/baz.example.com", None, None, None)]),
    ("v=spf1 a:foo.example.xn--zckzah", [("+", "a", "foo.example.xn--zckzah", None, None, None)]),
    ("v=spf1 a:example.org.", [("+", "a", "example.org.", None, None, None)]),
    ("v=spf1 ptr", [("+", "ptr", None, None, None, None)]),
    ("v=spf1 -ptr:example.org", [("-", "ptr", "example.org", None, None, None)]),
    ("v=spf1 ip4:192.0.2.1", [("+", "ip4", None, "192.0.2.1/32", None, None)]),
    ("v=spf1 ip4:192.0.2.1/24", [("+", "ip4", None, "192.0.2.0/24", None, None)]),
    ("v=spf1 ip4:0.0.0.0/0", [("+", "ip4", None, "0.0.0.0/0", None, None)]),
    ("v=spf1 ip6:2001:db8::/32", [("+", "ip6", None, "2001:db8::/32", None, None)]),
    ("v=spf1 ip6:::ffff:192.0.2.1", [("+", "ip6", None, "::ffff:c000:201/128", None, None)]),
    ("v=spf1 IP6:2001:DB8::1/128", [("+", "ip6", None, "2001:db8::1/128", None, None)]),
    ("v=spf1 include:_spf.example.org", [("+", "include", "_spf.example.org", None, None, None)]),
    ("v=spf1 exists:%{i}._spf.%{d}", [("+", "exists", "%{i}._spf.%{d}", None, None, None)]),
    ("v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d}", [("+", "exists", "%{ir}.%{l1r+-}._spf.%{d}", None, None, None)]),
    ("v=spf1 a:macro%%percent%_space%-url.example.com",
     [("+", "a", "macro%%percent%_space%-url.example.com", None, None, None)]),
    ("v=spf1 exists:%{d}%%", [("+", "exists", "%{d}%%", None, None, None)]),  # ends in a macro-expand
    ("v=spf1 redirect=_spf.example.org", [("mod", "redirect", "_spf.example.org")]),
    ("v=spf1 -all exp=explain._spf.%{d}", [("-", "all", None, None, None, None), ("mod", "exp", "explain._spf.%{d}")]),
    ("v=spf1 moo.cow-far_out=man:dog/cat", [("mod", "moo.cow-far_out", "man:dog/cat")]),  # §4.6.1 name
    ("v=spf1 default=+", [("mod", "default", "+")]),
    ("v=spf1 foo=", [("mod", "foo", "")]),  # an unknown modifier's macro-string may be empty
    ("v=spf1 foo=%{c}%{r}%{t}", [("mod", "foo", "%{c}%{r}%{t}")]),  # never expanded: all letters
    ("v=spf1 a=b.example.org", [("mod", "a", "b.example.org")]),  # a name then "=" is a modifier
    ("v=spf1 redirect=a.example.org exp=b.example.org", [("mod", "redirect", "a.example.org"),
                                                        ("mod", "exp", "b.example.org")]),
]


@pytest.mark.parametrize(("text", "terms"), VALID, ids=[v[0] for v in VALID])
def test_valid_records(text, terms):
    record = parse_record(text)
    assert [_summary(t) for t in record.terms] == terms
    assert record.text == text


# -- invalid records: (record, position of the error, words in the message) -------------------

INVALID = [
    ("v=spf10 -all", 0, "v=spf1"),
    ("x v=spf1", 0, "v=spf1"),
    ("v=spf1 -all\t", 11, "not allowed"),  # only SP separates terms (§4.6.1)
    ("v=spf1 a:ctrl.example.com\rptr", 25, "not allowed"),
    ("v=spf1 a:foo.example.com\x00", 24, "not allowed"),
    ("v=spf1 a:ex\u00e9mple.org -all", 11, "not allowed"),  # 7-bit ASCII only
    ("v=spf1 \ufeffa:garbage.example.net", 7, "not allowed"),
    ("v=spf1 foo:bar.example.org", 7, "unknown mechanism"),
    ("v=spf1 redirect:example.org", 7, "did you mean '='"),
    ("v=spf1 moo.cow/far_out=man:dog/cat", 7, "unknown mechanism"),
    ("v=spf1 1up=foo", 7, "unknown mechanism"),  # a modifier name starts with ALPHA
    ("v=spf1 =all", 7, "unknown mechanism"),
    ("v=spf1 -", 7, "missing mechanism"),
    ("v=spf1 +-all", 7, "unknown mechanism"),
    ("v=spf1 all:foo.example.org", 10, "no argument"),
    ("v=spf1 -all/24", 11, "no argument"),
    ("v=spf1 include", 14, "needs ':domain'"),
    ("v=spf1 include:", 15, "cannot be empty"),
    ("v=spf1 include:example.org/24", 23, "top-level label"),
    ("v=spf1 exists", 13, "needs ':domain'"),
    ("v=spf1 ptr/0", 10, "unexpected"),
    ("v=spf1 ptr:", 11, "cannot be empty"),
    ("v=spf1 a:", 9, "cannot be empty"),
    ("v=spf1 a/33", 9, "CIDR"),
    ("v=spf1 a//129", 10, "CIDR"),
    ("v=spf1 a/24/64", 8, "unexpected"),
    ("v=spf1 a/024", 9, "CIDR"),  # no leading zeros (§5.6)
    ("v=spf1 a:example.com:8080", 17, "top-level label"),
    ("v=spf1 a:111.222.33.44", 20, "top-level label"),  # all-numeric toplabel: an IP in 'a'
    ("v=spf1 a:abc.123", 13, "top-level label"),
    ("v=spf1 a:museum", 9, "top-level label"),  # a domain-spec is more than a toplabel
    ("v=spf1 a:museum.", 9, "top-level label"),
    ("v=spf1 a:example.-com", 17, "top-level label"),
    ("v=spf1 mx:%{d}.", 10, "top-level label"),
    ("v=spf1 ip4", 10, "needs ':address'"),
    ("v=spf1 ip4:", 10, "needs ':address'"),
    ("v=spf1 ip4:192.0.2", 11, "dotted-quad"),
    ("v=spf1 ip4:192.0.2.300", 11, "dotted-quad"),
    ("v=spf1 ip4:192.0.2.01", 11, "dotted-quad"),  # qnum has no leading zero
    ("v=spf1 ip4:192.0.2.1:8080", 11, "dotted-quad"),
    ("v=spf1 ip4:192.0.2.1/33", 21, "CIDR"),
    ("v=spf1 ip4:192.0.2.1/032", 21, "CIDR"),
    ("v=spf1 ip4:192.0.2.1//32", 11, "ADDRESS/LENGTH"),
    ("v=spf1 ip4:2001:db8::1", 11, "dotted-quad"),
    ("v=spf1 ip6::CAFE::BABE", 11, "IPv6"),
    ("v=spf1 ip6:2001:db8::/129", 22, "CIDR"),
    ("v=spf1 ip6:::1.1.1.1//33", 11, "ADDRESS/LENGTH"),
    ("v=spf1 ip6:fe80::1%eth0", 11, "IPv6"),
    ("v=spf1 ip6:192.0.2.1", 11, "IPv6"),
    ("v=spf1 redirect=", 16, "cannot be empty"),
    ("v=spf1 exp= -all", 11, "cannot be empty"),
    ("v=spf1 redirect=-all ?all", 16, "top-level label"),
    ("v=spf1 exp=-all", 11, "top-level label"),
    ("v=spf1 redirect=a.example.org redirect=b.example.org", 30, "more than once"),
    ("v=spf1 exp=a.example.org -all EXP=b.example.org", 30, "more than once"),
    ("v=spf1 exists:%(ir).sbl.example.com", 14, "must be followed"),
    ("v=spf1 exists:foo%.sbl.example.com", 17, "must be followed"),
    ("v=spf1 exists:foo%", 17, "must be followed"),
    ("v=spf1 exists:%{i.example.com", 14, "not closed"),
    ("v=spf1 exists:%{}.example.com", 14, "bad macro"),
    ("v=spf1 a:%{a}.example.com", 11, "unknown macro letter"),
    ("v=spf1 exists:%{d0}.example.com", 17, "nonzero"),
    ("v=spf1 exists:%{dr2}.example.com", 14, "bad macro"),  # digits come before r
    ("v=spf1 exists:%{d!}.example.com", 14, "bad macro"),
    ("v=spf1 -all exp=%{r}.example.com", 18, "explanation text"),  # c, r, t: exp text only (§7.2)
    ("v=spf1 a:%{c}.example.com", 11, "explanation text"),
    ("v=spf1 include:%{t}.example.com", 17, "explanation text"),
    ("v=spf1 -all foo=%abc", 16, "must be followed"),  # unknown modifiers need valid macros
]


@pytest.mark.parametrize(("text", "position", "words"), INVALID, ids=[i[0] for i in INVALID])
def test_invalid_records(text, position, words):
    with pytest.raises(ParseError) as raised:
        parse_record(text)
    assert raised.value.position == position, raised.value
    assert words in raised.value.message
    assert "RFC 7208" in raised.value.message


# -- parts of the record -----------------------------------------------------------------------

def test_mechanism_result_and_dns_cost():
    record = parse_record("v=spf1 ip4:192.0.2.0/24 a mx ptr exists:%{i}.x.example include:a.example "
                          "-all redirect=b.example")
    assert [m.result for m in record.mechanisms][-1] == "fail"
    assert [m.queries_dns for m in record.mechanisms] == [False, True, True, True, True, True, False]
    assert record.all is not None and record.all.text == "-all"
    assert record.effective_redirect is None  # §6.1: ignored beside "all"
    assert len(record.dns_terms) == 5


def test_redirect_counts_when_there_is_no_all():
    record = parse_record("v=spf1 include:a.example redirect=b.example")
    assert record.redirect is not None and record.effective_redirect is record.redirect
    assert [t.text for t in record.dns_terms] == ["include:a.example", "redirect=b.example"]


def test_positions_point_at_terms():
    record = parse_record("v=spf1  a:x.example   -all")
    assert [(t.text, t.position) for t in record.terms] == [("a:x.example", 8), ("-all", 22)]
    assert isinstance(record.terms[0], Mechanism)


def test_macro_structure():
    spec = parse_domain_spec("%{L2r-_}.%{ir}%%%_%-.example.org")
    macros = [p for p in spec.parts if isinstance(p, Macro)]
    assert [(m.letter, m.digits, m.reverse, m.delimiters, m.escape) for m in macros] == [
        ("l", 2, True, "-_", True), ("i", None, True, "", False)]
    escapes = [p.text for p in spec.parts if isinstance(p, Literal) and p.is_escape]
    assert escapes == ["%", " ", "%20"]
    assert spec.letters == {"l", "i"}


def test_huge_digit_transformer_means_all_parts():
    spec = parse_macro_string("%{d" + "9" * 5000 + "}")
    assert isinstance(spec.parts[0], Macro) and spec.parts[0].digits is not None


def test_explanation_allows_spaces_and_every_letter():
    text = parse_explanation("%{i} is not allowed to send for %{d} (checked by %{r} at %{t}, %{c})")
    assert text.letters == {"i", "d", "r", "t", "c"}
    with pytest.raises(ParseError):
        parse_explanation("The %{x}-files")
    with pytest.raises(ParseError):
        parse_explanation("caf\u00e9")


def test_network_types():
    record = parse_record("v=spf1 ip4:192.0.2.7/16 ip6:2001:db8::7/64")
    assert [m.network for m in record.mechanisms] == [ipaddress.ip_network("192.0.0.0/16"),
                                                      ipaddress.ip_network("2001:db8::/64")]


# -- whole, byte by byte, and junk -------------------------------------------------------------

GOOD = ("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a:mail.example.org/28//64 mx ptr:example.org "
        "exists:%{ir}.%{l1r-}._spf.%{d2} include:_spf.example.net ~all exp=why.%{d} foo=bar")


def test_every_prefix_parses_or_fails_cleanly():
    """Fed one character at a time, the parser gives a record or a ParseError, never anything else."""
    for end in range(len(GOOD) + 1):
        try:
            parse_record(GOOD[:end])
        except ParseError as exc:
            assert exc.position is not None and 0 <= exc.position <= end


SPF_ALPHABET = st.sampled_from(list("v=spf1 :/.%{}-+~?_,=aimxptrdlosh0123456789ABCDEFrv") +
                               ["ip4:", "ip6:", "include:", "exists:", "redirect=", "exp=", "all",
                                "%{", "//", "\x00", "\t", "\u00e9", "\U0001f600"])


@settings(max_examples=400, deadline=None)
@given(st.lists(SPF_ALPHABET, max_size=40).map("".join))
def test_parser_raises_only_parse_error_on_spf_like_junk(tail):
    try:
        record = parse_record("v=spf1 " + tail)
    except ParseError as exc:
        assert exc.position is not None and 0 <= exc.position <= len(tail) + 7
    else:
        assert all(isinstance(t, (Mechanism, Modifier)) for t in record.terms)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_parser_raises_only_parse_error_on_any_text(text):
    for candidate in (text, "v=spf1 " + text):
        with contextlib.suppress(ParseError):
            parse_record(candidate)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_macro_parsers_raise_only_parse_error(text):
    for parse in (parse_macro_string, parse_domain_spec, parse_explanation):
        with contextlib.suppress(ParseError):
            parse(text)
