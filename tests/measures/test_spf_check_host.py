"""check_host() against the lab, case by case from the text of RFC 7208 (section in each id).

The cases live in mailguard/lab/zones/spf.test.zone; tests/spf_support.py adds reverse DNS and
a name that never answers.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailguard.measures.spf import Result, evaluate
from mailguard.measures.spf.check_host import check_host, identity
from mailguard.measures.spf.lookups import Reply, drive_sync, parse_ip
from mailguard.net import Net
from tests.spf_support import check, running_spf_lab


@pytest.fixture(scope="module")
def spf_lab():
    yield from running_spf_lab()

P, F, S, N = Result.PASS, Result.FAIL, Result.SOFTFAIL, Result.NEUTRAL
NONE, TEMP, PERM = Result.NONE, Result.TEMPERROR, Result.PERMERROR

# (id citing the section, client ip, MAIL FROM, HELO, expected result)
CASES = [
    # §2.4: a null reverse-path is checked as postmaster@HELO
    ("2.4-null-sender-uses-helo-pass", "192.0.2.40", "", "helo.spf.test", P),
    ("2.4-null-sender-uses-helo-fail", "192.0.2.41", "<>", "helo.spf.test", F),
    # §4.3: malformed, single-label or over-long domains give none; NXDOMAIN gives none
    ("4.3-empty-label-none", "192.0.2.10", "a@pass..spf.test", "", NONE),
    ("4.3-label-over-63-none", "192.0.2.10", "a@" + "x" * 64 + ".spf.test", "", NONE),
    ("4.3-name-over-253-none", "192.0.2.10", "a@" + "abcdefgh." * 28 + "spf.test", "", NONE),
    ("4.3-single-label-none", "192.0.2.10", "a@localhost", "", NONE),
    ("4.3-domain-literal-none", "192.0.2.10", "a@[192.0.2.10]", "", NONE),
    ("4.3-helo-literal-none", "192.0.2.10", "", "[192.0.2.10]", NONE),
    ("4.3-nxdomain-none", "192.0.2.10", "a@nx.spf.test", "", NONE),
    ("4.3-no-local-part-is-postmaster", "192.0.2.10", "@pass.spf.test", "", P),
    # §4.4: a DNS failure of the record lookup is temperror
    ("4.4-timeout-temperror", "192.0.2.10", "a@silent.spf.test", "", TEMP),
    # §4.5: record selection
    ("4.5-no-spf-record-none", "192.0.2.10", "a@nospf.spf.test", "", NONE),
    ("4.5-two-records-permerror", "192.0.2.1", "a@two.spf.test", "", PERM),
    ("4.5-other-txt-ignored", "192.0.2.10", "a@other-txt.spf.test", "", P),
    ("4.5-version-case-insensitive-pass", "192.0.2.10", "a@upper.spf.test", "", P),
    ("4.5-version-case-insensitive-fail", "192.0.2.11", "a@upper.spf.test", "", F),
    ("3.3-strings-joined-without-space", "192.0.2.10", "a@split.spf.test", "", P),
    ("3.3-strings-joined-fail", "192.0.2.11", "a@split.spf.test", "", F),
    ("4.5-non-ascii-in-other-txt-ignored", "192.0.2.10", "a@nonascii-other.spf.test", "", P),
    # §4.6: any syntax error anywhere is permerror, before anything is evaluated
    ("4.6-non-ascii-record-permerror", "192.0.2.10", "a@nonascii.spf.test", "", PERM),
    ("4.6-syntax-error-after-match-permerror", "192.0.2.10", "a@syntax.spf.test", "", PERM),
    ("5-unknown-mechanism-permerror", "192.0.2.10", "a@unknown-mech.spf.test", "", PERM),
    ("6-duplicate-redirect-permerror", "192.0.2.10", "a@dup-redirect.spf.test", "", PERM),
    ("4.6.1-unknown-modifiers-ignored", "192.0.2.10", "a@unknown-mod.spf.test", "", P),
    # §4.6.2: the qualifier of the first matching mechanism is the result
    ("4.6.2-plus-default-pass", "192.0.2.200", "a@pass.spf.test", "", P),
    ("4.6.2-minus-fail", "198.51.100.1", "a@pass.spf.test", "", F),
    ("4.6.2-tilde-softfail", "192.0.2.11", "a@softfail.spf.test", "", S),
    ("4.6.2-question-neutral", "192.0.2.11", "a@neutral.spf.test", "", N),
    ("5.1-plus-all-passes-anyone", "203.0.113.9", "a@plusall.spf.test", "", P),
    ("5.1-mechanisms-after-all-ignored", "192.0.2.11", "a@after-all.spf.test", "", F),
    # §4.7: no match and no redirect is neutral
    ("4.7-default-neutral", "192.0.2.11", "a@noall.spf.test", "", N),
    ("4.7-empty-record-neutral", "192.0.2.11", "a@empty.spf.test", "", N),
    # §4.6.4: processing limits
    ("4.6.4-eleven-lookups-permerror", "192.0.2.99", "a@chain.spf.test", "", PERM),
    ("4.6.4-ten-lookups-allowed", "192.0.2.99", "a@ten.spf.test", "", P),
    ("4.6.4-include-loop-permerror", "192.0.2.10", "a@loop-a.spf.test", "", PERM),
    ("4.6.4-redirect-loop-permerror", "192.0.2.10", "a@rloop-a.spf.test", "", PERM),
    ("4.6.4-three-void-lookups-permerror", "192.0.2.10", "a@void.spf.test", "", PERM),
    ("4.6.4-two-void-lookups-allowed", "192.0.2.10", "a@void2.spf.test", "", P),
    ("4.6.4-more-than-10-mx-permerror", "192.0.2.23", "a@mxmany.spf.test", "", PERM),
    # §5: an IPv4-mapped IPv6 client is an IPv4 client
    ("5-ipv4-mapped-is-ipv4", "::ffff:192.0.2.30", "a@a.spf.test", "", P),
    # §5.3 a, with dual-cidr
    ("5.3-a-ipv4", "192.0.2.30", "a@a.spf.test", "", P),
    ("5.3-a-ipv6-uses-aaaa", "2001:db8:3::30", "a@a.spf.test", "", P),
    ("5.3-a-no-match", "192.0.2.31", "a@a.spf.test", "", F),
    ("5.3-a-cidr4", "192.0.2.40", "a@a-cidr.spf.test", "", P),
    ("5.3-a-cidr4-outside", "192.0.2.48", "a@a-cidr.spf.test", "", F),
    ("5.3-a-cidr6", "2001:db8:3::ffff:1", "a@a-cidr.spf.test", "", P),
    ("5.3-a-cidr6-outside", "2001:db8:4::1", "a@a-cidr.spf.test", "", F),
    # §5.4 mx
    ("5.4-mx-ipv4", "192.0.2.21", "a@mx.spf.test", "", P),
    ("5.4-mx-ipv6", "2001:db8:2::21", "a@mx.spf.test", "", P),
    ("5.4-mx-no-match", "192.0.2.22", "a@mx.spf.test", "", F),
    ("5.4-mx-cidr", "192.0.2.200", "a@mx-cidr.spf.test", "", P),
    ("5.4-null-mx-matches-nothing", "192.0.2.21", "a@mx-null.spf.test", "", N),
    ("5.4-no-implicit-mx-from-a", "192.0.2.22", "a@mx-none.spf.test", "", F),
    # §5.5 ptr
    ("5.5-ptr-validated", "192.0.2.50", "a@ptr.spf.test", "", P),
    ("5.5-ptr-validated-ipv6", "2001:db8:5::50", "a@ptr.spf.test", "", P),
    ("5.5-ptr-not-validated", "192.0.2.51", "a@ptr.spf.test", "", F),
    ("5.5-ptr-no-ptr-record", "192.0.2.52", "a@ptr.spf.test", "", F),
    ("5.5-ptr-other-domain", "192.0.2.50", "a@ptr-other.spf.test", "", F),
    ("4.6.4-ptr-tenth-name-used", "192.0.2.61", "a@ptr.spf.test", "", P),
    # §5.6 ip4 / ip6
    ("5.6-ip6", "2001:db8:6::1", "a@ip6.spf.test", "", P),
    ("5.6-ip6-outside", "2001:db8:7::1", "a@ip6.spf.test", "", F),
    ("5.6-ipv4-client-never-matches-ip6", "192.0.2.1", "a@ip6.spf.test", "", F),
    # §5.7 exists: an A query, whatever the client's address family
    ("5.7-exists", "198.51.100.7", "a@exists.spf.test", "", P),
    ("5.7-exists-ipv6-client-asks-a", "2001:db8:9::1", "a@exists.spf.test", "", P),
    ("5.7-exists-nx", "198.51.100.7", "a@exists-nx.spf.test", "", F),
    # §5.2 include and its result table
    ("5.2-include-pass-matches", "192.0.2.10", "a@inc.spf.test", "", P),
    ("5.2-include-fail-does-not-match", "198.51.100.1", "a@inc.spf.test", "", F),
    ("5.2-include-softfail-does-not-match", "192.0.2.11", "a@inc-soft.spf.test", "", F),
    ("5.2-include-none-permerror", "192.0.2.10", "a@inc-none.spf.test", "", PERM),
    ("5.2-include-nxdomain-permerror", "192.0.2.10", "a@inc-nx.spf.test", "", PERM),
    ("5.2-include-temperror", "192.0.2.10", "a@inc-temp.spf.test", "", TEMP),
    ("5.2-include-permerror", "198.51.100.1", "a@inc-syntax.spf.test", "", PERM),
    ("5.2-include-plus-all-passes-anyone", "203.0.113.9", "a@inc-plusall.spf.test", "", P),
    # §6.1 redirect
    ("6.1-redirect-pass", "192.0.2.10", "a@redir.spf.test", "", P),
    ("6.1-redirect-fail", "198.51.100.1", "a@redir.spf.test", "", F),
    ("6.1-redirect-to-no-record-permerror", "192.0.2.10", "a@redir-none.spf.test", "", PERM),
    ("6.1-redirect-ignored-with-all", "192.0.2.10", "a@redir-all.spf.test", "", N),
    # §7 macros
    ("7-macro-ip-reversed", "192.0.2.10", "bob@macro.spf.test", "", P),
    ("7-macro-local-part", "192.0.2.11", "alice@macro.spf.test", "", P),
    ("7-macro-no-match", "192.0.2.11", "bob@macro.spf.test", "", F),
    ("7-macro-helo", "192.0.2.40", "a@helo-macro.spf.test", "helo.spf.test", P),
    ("7.1-escapes-percent-space-url-space", "192.0.2.70", "a@escapes.spf.test", "", P),
    ("7.3-upper-case-macro-url-escaped", "192.0.2.1", "a+b@upper-macro.spf.test", "", P),
    ("7.3-upper-case-macro-no-match", "192.0.2.1", "a-b@upper-macro.spf.test", "", F),
    ("7-macro-invalid-helo-no-match", "192.0.2.40", "a@helo-macro.spf.test", "JUMPIN' JUPITER", F),
]


@pytest.mark.parametrize(("ip", "sender", "helo", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_rfc7208_case(spf_lab, ip, sender, helo, expected):
    outcome = check(spf_lab, ip, sender, helo)
    assert outcome.result is expected, outcome.reason


def test_every_result_value_is_reachable():
    assert {c[4] for c in CASES} == set(Result)


# -- §6.2 explanations ------------------------------------------------------------------------

def test_6_2_explanation_is_macro_expanded_on_fail(spf_lab):
    outcome = check(spf_lab, "192.0.2.77", "a@exp.spf.test")
    assert outcome.result is F
    assert outcome.explanation == ("192.0.2.77 is not one of exp.spf.test's designated mail servers; "
                                   "see https://spf.test/why?s=a%40exp.spf.test")


def test_6_2_no_explanation_unless_fail(spf_lab):
    outcome = check(spf_lab, "192.0.2.10", "a@exp.spf.test")
    assert outcome.result is P and outcome.explanation is None


@pytest.mark.parametrize("domain", ["exp-two", "exp-nx", "exp-bad"])
def test_6_2_broken_explanations_are_ignored(spf_lab, domain):
    """Two TXT records, no record, or a syntax error: proceed as if there were no exp=."""
    outcome = check(spf_lab, "192.0.2.77", f"a@{domain}.spf.test")
    assert outcome.result is F and outcome.explanation is None


def test_6_2_redirect_uses_the_targets_exp_not_the_originals(spf_lab):
    outcome = check(spf_lab, "192.0.2.77", "a@exp-redirect.spf.test")
    assert (outcome.result, outcome.explanation) == (F, "explained by the redirect target")


def test_6_2_include_does_not_use_the_included_exp(spf_lab):
    outcome = check(spf_lab, "192.0.2.77", "a@exp-include.spf.test")
    assert (outcome.result, outcome.explanation) == (F, "explained by the including record")


@pytest.mark.parametrize(("sender", "why"), [
    ("a@" + "x" * 63 + ".spf.test", "does not exist"),  # 63 octets is a valid label: it is looked up
    ("a@" + "x" * 64 + ".spf.test", "not a valid"),  # 64 is not: none without a query
    ("a@" + "abcdefgh." * 27 + "spf.test", "does not exist"),  # 251 octets
    ("a@" + "abcdefgh." * 28 + "spf.test", "not a valid"),  # 260 octets
])
def test_4_3_length_limits_decide_before_any_query(spf_lab, sender, why):
    outcome = check(spf_lab, "192.0.2.10", sender)
    assert outcome.result is NONE and why in outcome.reason
    assert bool(outcome.evidence) is (why == "does not exist")


def test_4_3_postmaster_substituted_for_a_missing_local_part(spf_lab):
    outcome = check(spf_lab, "192.0.2.77", "@exp.spf.test")
    assert outcome.explanation is not None and outcome.explanation.endswith("s=postmaster%40exp.spf.test")


@pytest.mark.parametrize(("ip", "expected"), [("192.0.2.50", "connect from mail.ptr.spf.test"),
                                              ("192.0.2.77", "connect from unknown")])
def test_7_3_p_macro_is_the_validated_name_or_unknown(spf_lab, ip, expected):
    assert check(spf_lab, ip, "a@exp-p.spf.test").explanation == expected


# -- counts, trace and evidence ----------------------------------------------------------------

def test_4_6_4_lookups_are_counted_over_includes(spf_lab):
    outcome = check(spf_lab, "192.0.2.99", "a@ten.spf.test")
    assert outcome.lookups == 10 and outcome.void_lookups == 0


def test_4_6_4_permerror_names_the_eleventh_lookup(spf_lab):
    outcome = check(spf_lab, "192.0.2.99", "a@chain.spf.test")
    assert "c10.chain.spf.test" in outcome.reason and outcome.rfc == "RFC 7208 §4.6.4"


def test_4_6_2_evaluation_stops_at_the_first_match(spf_lab):
    """Lazy evaluation: the void lookups after a match are never made."""
    outcome = check(spf_lab, "192.0.2.1", "a@void2.spf.test")
    assert outcome.result is F and outcome.void_lookups == 2
    assert check(spf_lab, "192.0.2.30", "a@a.spf.test").lookups == 1


def test_trace_carries_the_dns_evidence(spf_lab):
    outcome = check(spf_lab, "192.0.2.10", "a@inc.spf.test")
    queried = [e.data["query"]["name"] for step in outcome.trace for e in step.evidence]
    assert queried[:2] == ["inc.spf.test", "pass.spf.test"]
    assert {e.data["query"]["name"] for e in outcome.evidence} == {"inc.spf.test", "pass.spf.test"}
    assert outcome.mechanism == "include:pass.spf.test"


def test_4_4_timeout_is_temperror_within_the_timeout(spf_lab):
    started = time.monotonic()
    outcome = check(spf_lab, "192.0.2.10", "a@inc-temp.spf.test", timeout=0.5)
    assert outcome.result is TEMP and "timeout" in outcome.reason
    assert time.monotonic() - started < 3


def test_2_6_6_deadline_ends_as_temperror(spf_lab):
    async def go():
        net = Net(spf_lab.config(timeout=5))
        try:
            return await evaluate(net, parse_ip("192.0.2.10"), "a@silent.spf.test", deadline=0.3)
        finally:
            await net.aclose()

    started = time.monotonic()
    outcome = asyncio.run(go())
    assert outcome.result is TEMP and "0.3 s" in outcome.reason
    assert time.monotonic() - started < 3


# -- pure: the machine driven by a table, where answer order must be controlled -----------------

def _answers(table):
    def answer(question):
        values = table.get((question.name, question.rdtype))
        return Reply(question.name, question.rdtype, "ok" if values else "nxdomain", tuple(values or ()))
    return answer


def test_4_6_4_only_the_first_10_ptr_names_are_used():
    """More than 10 PTR names: the rest MUST be ignored (no permerror: spammers own their PTRs)."""
    names = [f"n{i}.example.org" for i in range(1, 12)]
    table = {("7.2.0.192.in-addr.arpa", "PTR"): names, ("n11.example.org", "A"): ["192.0.2.7"],
             ("example.org", "TXT"): ["v=spf1 ptr -all"]}
    ip = parse_ip("192.0.2.7")
    outcome = drive_sync(check_host(ip, "example.org", "a@example.org"), _answers(table))
    assert outcome.result is F
    table[("n10.example.org", "A")] = ["192.0.2.7"]
    outcome = drive_sync(check_host(ip, "example.org", "a@example.org"), _answers(table))
    assert outcome.result is P


def test_4_6_4_void_lookups_counted_per_term_not_per_query():
    """An mx whose MX exists but whose hosts have no address is one term, not a void lookup."""
    table = {("example.org", "TXT"): ["v=spf1 mx mx mx mx -all"],
             ("example.org", "MX"): ["mx1.example.org", "mx2.example.org"]}
    outcome = drive_sync(check_host(parse_ip("192.0.2.7"), "example.org", "a@example.org"), _answers(table))
    assert outcome.result is F and outcome.void_lookups == 0


@pytest.mark.parametrize(("table", "failing"), [
    ({}, ("example.org", "TXT")),  # §4.4: the record lookup
    ({("example.org", "TXT"): ["v=spf1 a:h.example.org -all"]}, ("h.example.org", "A")),  # §5
    ({("example.org", "TXT"): ["v=spf1 include:i.example.org -all"]}, ("i.example.org", "TXT")),
    ({("example.org", "TXT"): ["v=spf1 mx -all"], ("example.org", "MX"): ["m.example.org"]},
     ("m.example.org", "A")),
])
def test_5_servfail_is_temperror(table, failing):
    answer = _answers(table)

    def with_servfail(question):
        if (question.name, question.rdtype) == failing:
            return Reply(question.name, question.rdtype, "servfail")
        return answer(question)

    outcome = drive_sync(check_host(parse_ip("192.0.2.7"), "example.org", "a@example.org"), with_servfail)
    assert outcome.result is TEMP and "servfail" in outcome.reason


def test_5_5_ptr_dns_error_is_no_match_not_temperror():
    """§5.5: "If a DNS error occurs while doing the PTR RR lookup, then this mechanism fails to match"."""
    table = {("example.org", "TXT"): ["v=spf1 ptr ?all"]}
    answer = _answers(table)

    def ptr_fails(question):
        return Reply(question.name, "PTR", "timeout") if question.rdtype == "PTR" else answer(question)

    outcome = drive_sync(check_host(parse_ip("192.0.2.7"), "example.org", "a@example.org"), ptr_fails)
    assert outcome.result is N


TOKENS = st.sampled_from([
    "a", "mx", "ptr", "-all", "~all", "?all", "+all", "ip4:192.0.2.0/24", "ip6:2001:db8::/32",
    "a:h.example.org/24", "mx:example.org//64", "exists:%{i}.x.example.org", "include:example.org",
    "include:b.example.org", "include:c.example.org", "redirect=b.example.org", "redirect=c.example.org",
    "exp=e.example.org", "include:%{l}.example.org", "a:%{d2}", "ptr:example.org", "foo=bar", "bad:term",
])
RECORDS = st.lists(TOKENS, max_size=12).map(lambda terms: " ".join(["v=spf1", *terms]))


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["example.org", "b.example.org", "c.example.org"]),
                       st.lists(RECORDS, min_size=1, max_size=2), min_size=1),
       st.sampled_from(["192.0.2.7", "2001:db8::7"]))
def test_hostile_trees_always_end_with_a_result(records, ip):
    """Loops, fan-out, bad syntax, macros: the machine always ends, with one of the 7 results."""
    table = {(name, "TXT"): texts for name, texts in records.items()}
    table[("example.org", "MX")] = ["example.org", "b.example.org"]
    table[("e.example.org", "TXT")] = ["%{i} denied by %{d}"]
    asked = []

    def answer(question):
        asked.append(question)
        return _answers(table)(question)

    outcome = drive_sync(check_host(parse_ip(ip), "example.org", "a@example.org"), answer)
    assert outcome.result in set(Result)
    assert outcome.lookups <= 11 and outcome.void_lookups <= 3
    assert len(asked) <= 1 + 11 * 12  # bounded by the limits, whatever the records say


# -- the identity (pure) -----------------------------------------------------------------------

@pytest.mark.parametrize(("mail_from", "helo", "expected"), [
    ("alice@example.org", "mx.example.net", ("mailfrom", "alice@example.org", "example.org")),
    ("<alice@example.org>", "", ("mailfrom", "alice@example.org", "example.org")),
    ("", "mx.example.net", ("helo", "postmaster@mx.example.net", "mx.example.net")),
    ("<>", "mx.example.net.", ("helo", "postmaster@mx.example.net", "mx.example.net")),
    ("@example.org", "", ("mailfrom", "postmaster@example.org", "example.org")),
    ("example.org", "", ("mailfrom", "postmaster@example.org", "example.org")),
    ('"a@b"@example.org', "", ("mailfrom", '"a@b"@example.org', "example.org")),
    ("jan@bücher.example", "", ("mailfrom", "jan@xn--bcher-kva.example", "xn--bcher-kva.example")),
])
def test_2_4_and_4_3_identity(mail_from, helo, expected):
    who = identity(mail_from, helo)
    assert (who.kind, who.sender, who.domain) == expected
