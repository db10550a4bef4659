"""Macro expansion (RFC 7208 §7), starting from the §7.4 examples verbatim."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailguard.core.errors import ParseError
from mailguard.measures.spf.grammar import parse_domain_spec, parse_explanation, parse_macro_string
from mailguard.measures.spf.macros import MacroContext, dotted_ip, expand, expand_domain, truncate_domain

# RFC 7208 §7.4: "The <sender> is strong-bad@email.example.com. The IPv4 SMTP client IP is
# 192.0.2.3. The IPv6 SMTP client IP is 2001:db8::cb01. The PTR domain name of the client IP
# is mx.example.org."
RFC = MacroContext(
    sender="strong-bad@email.example.com", local_part="strong-bad", sender_domain="email.example.com",
    domain="email.example.com", ip=ipaddress.IPv4Address("192.0.2.3"), validated_name="mx.example.org",
)
RFC6 = MacroContext(
    sender="strong-bad@email.example.com", local_part="strong-bad", sender_domain="email.example.com",
    domain="email.example.com", ip=ipaddress.IPv6Address("2001:db8::cb01"), validated_name="mx.example.org",
)

# The §7.4 table, verbatim.
RFC_7_4 = [
    ("%{s}", "strong-bad@email.example.com"),
    ("%{o}", "email.example.com"),
    ("%{d}", "email.example.com"),
    ("%{d4}", "email.example.com"),
    ("%{d3}", "email.example.com"),
    ("%{d2}", "example.com"),
    ("%{d1}", "com"),
    ("%{dr}", "com.example.email"),
    ("%{d2r}", "example.email"),
    ("%{l}", "strong-bad"),
    ("%{l-}", "strong.bad"),
    ("%{lr}", "strong-bad"),
    ("%{lr-}", "bad.strong"),
    ("%{l1r-}", "strong"),
    ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
    ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
    ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
    ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
    ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
]


@pytest.mark.parametrize(("macro", "expansion"), RFC_7_4, ids=[m for m, _ in RFC_7_4])
def test_7_4_examples(macro, expansion):
    assert expand(parse_macro_string(macro), RFC) == expansion


def test_7_4_ipv6_example():
    assert expand(parse_macro_string("%{ir}.%{v}._spf.%{d2}"), RFC6) == (
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com")


@pytest.mark.parametrize(("macro", "context", "expansion"), [
    ("%{i}", RFC, "192.0.2.3"),  # §7.3: dotted quad
    ("%{c}", RFC, "192.0.2.3"),
    ("%{i}", RFC6, "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1"),  # nibbles
    ("%{c}", RFC6, "2001:db8::cb01"),  # readable (RFC 5952) form
    ("%{v}", RFC, "in-addr"),
    ("%{v}", RFC6, "ip6"),
    ("%{p}", RFC, "mx.example.org"),
    ("%{p2}", RFC, "example.org"),
    ("%{h}", RFC, "unknown"),
    ("%{r}", RFC, "unknown"),  # §7.3: "unknown" when the receiver has no name
    ("%{t}", RFC, "0"),
    ("%%%_%-", RFC, "% %20"),  # §7.1 escapes
    ("%{S}", RFC, "strong-bad%40email.example.com"),  # upper case: URL-escaped (§7.3)
    ("%{D2R}", RFC, "example.email"),  # unreserved characters stay
    ("%{d9999}", RFC, "email.example.com"),  # more parts asked than exist: all of them
    ("%{l2r+-}", RFC, "bad.strong"),  # several delimiters (§7.1)
    ("%{o=}", RFC, "email.example.com"),  # a delimiter that does not occur: one part
])
def test_7_3_letters_and_transformers(macro, context, expansion):
    assert expand(parse_macro_string(macro), context) == expansion


def test_7_3_url_escaping_covers_everything_outside_unreserved():
    context = MacroContext(sender="~jack&jill=up-a_b3.c@e8.example.com", local_part="~jack&jill=up-a_b3.c",
                           sender_domain="e8.example.com", domain="e8.example.com",
                           ip=ipaddress.IPv4Address("192.0.2.1"))
    text = parse_explanation("http://example.com/why.html?l=%{L}")
    assert expand(text, context) == "http://example.com/why.html?l=~jack%26jill%3Dup-a_b3.c"


def test_7_3_trailing_dot_dropped_for_domains_only():
    assert expand_domain(parse_domain_spec("%{d}.d.spf.example.com."), RFC) == (
        "email.example.com.d.spf.example.com")
    assert expand(parse_explanation("This is a test."), RFC) == "This is a test."


def test_7_3_over_253_is_truncated_from_the_left_by_whole_labels():
    context = MacroContext(sender="t@somewhat.long.exp.example.com", local_part="t",
                           sender_domain="somewhat.long.exp.example.com", domain="x.example.com",
                           ip=ipaddress.IPv4Address("192.0.2.1"))
    spec = parse_domain_spec("foobar." + ".".join(["%{o}"] * 8) + ".example.com")
    name = expand_domain(spec, context)
    assert len(name) <= 253
    assert name.endswith(".example.com") and name.startswith("somewhat.long.exp.example.com.")
    whole = expand(spec, context)
    assert whole.endswith(name) and whole[: -len(name)].endswith(".")


def test_truncation_of_one_giant_label_leaves_nothing():
    assert truncate_domain("a" * 300) == ""
    assert truncate_domain("example.org") == "example.org"


def test_context_follows_the_domain_being_evaluated():
    inner = RFC.at("_spf.example.net")
    assert expand(parse_macro_string("%{d}/%{o}"), inner) == "_spf.example.net/email.example.com"


def test_dotted_ip():
    assert dotted_ip(ipaddress.ip_address("192.0.2.3")) == "192.0.2.3"
    assert dotted_ip(ipaddress.ip_address("::1")).endswith(".0.1") and dotted_ip(
        ipaddress.ip_address("::1")).count(".") == 31


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_expansion_never_fails_whatever_the_sender(local_part, macro_text):
    """Hostile local-parts (any Unicode) and any parseable macro-string expand without error."""
    context = MacroContext(sender=f"{local_part}@example.org", local_part=local_part,
                           sender_domain="example.org", domain="example.org",
                           ip=ipaddress.IPv4Address("192.0.2.1"))
    try:
        spec = parse_macro_string(macro_text)
    except ParseError:
        spec = parse_macro_string("%{l}.%{L}.%{l1r+-=_}")
    assert isinstance(expand(spec, context), str)
