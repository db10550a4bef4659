"""The SPF measure's verdicts on the lab: the demo domains and the spf.test cases."""

from __future__ import annotations

import pytest

from mailguard.measures import spf
from mailguard.measures.spf.lookups import Reply, drive_sync
from mailguard.measures.spf.walker import MAX_QUERIED_TERMS, MAX_RECORDS, walk
from tests.conftest import codes, run_measure
from tests.spf_support import running_spf_lab


@pytest.fixture(scope="module")
def spf_lab():
    yield from running_spf_lab()


def measure(lab, domain, **overrides):
    return run_measure(spf, domain, lab.config(**overrides))


# -- the demo domains --------------------------------------------------------------------------

def test_good_test_passes_with_its_tree_in_data(spf_lab):
    result = measure(spf_lab, "good.test")
    assert result.status.value == "pass", codes(result)
    assert codes(result) == {"SPF-PRESENT": "pass", "SPF-LOOKUPS-OK": "pass", "SPF-VOID-NONE": "pass",
                             "SPF-ALL-FAIL": "pass"}
    data = result.data
    assert data["record"] == "v=spf1 mx include:_spf.mailhost.test -all"
    assert (data["lookups"], data["void_lookups"], data["all"], data["all_qualifier"]) == (2, 0, "-all", "fail")
    assert [r["domain"] for r in data["tree"]] == ["good.test", "_spf.mailhost.test"]
    assert data["tree"][1]["via"] == "include" and data["permerror"] is False


def test_weak_test_notes_its_one_void_a_without_a_warning(spf_lab):
    # Issue 17: one void lookup is within the limit of two (RFC 7208 §4.6.4): a note, not a warning.
    result = measure(spf_lab, "weak.test")
    found = codes(result)
    assert found["SPF-VOID-SOME"] == "info"  # 'a' on a name without an address
    void = next(f for f in result.findings if f.code == "SPF-VOID-SOME")
    assert "within the limit of 2" in void.reason and void.evidence
    assert "warn" not in {v for k, v in found.items() if k.startswith("SPF-VOID")}
    assert found["SPF-ALL-SOFTFAIL"] == "pass"  # ~all: see the module docstring


def test_broken_test_two_records_and_plus_all(spf_lab):
    result = measure(spf_lab, "broken.test")
    found = codes(result)
    assert found == {"SPF-MULTIPLE": "fail", "SPF-ALL-PASS": "fail"}
    multiple = next(f for f in result.findings if f.code == "SPF-MULTIPLE")
    assert multiple.params["count"] == 2 and multiple.evidence[0].data["query"]["type"] == "TXT"
    assert result.data["permerror"] is True


def test_nomail_test_null_mx_with_minus_all(spf_lab):
    assert codes(measure(spf_lab, "nomail.test"))["SPF-NULL-MX-OK"] == "pass"


# -- spf.test cases: (domain, {code: verdict} that must be among the findings) ------------------

CASES = [
    ("nospf.spf.test", {"SPF-MISSING": "fail"}),
    ("nx.spf.test", {"SPF-MISSING": "fail"}),
    ("nullmx-nospf.spf.test", {"SPF-MISSING-NULL-MX": "fail"}),
    ("nullmx-soft.spf.test", {"SPF-NULL-MX-WEAK": "warn"}),
    ("two.spf.test", {"SPF-MULTIPLE": "fail"}),
    ("other-txt.spf.test", {"SPF-PRESENT": "pass", "SPF-ALL-FAIL": "pass"}),
    ("syntax.spf.test", {"SPF-SYNTAX": "fail"}),
    ("unknown-mech.spf.test", {"SPF-SYNTAX": "fail"}),
    ("nonascii.spf.test", {"SPF-SYNTAX": "fail"}),
    ("inc-syntax.spf.test", {"SPF-SYNTAX": "fail"}),
    ("pass.spf.test", {"SPF-LOOKUPS-OK": "pass", "SPF-ALL-FAIL": "pass"}),
    ("softfail.spf.test", {"SPF-ALL-SOFTFAIL": "pass"}),
    ("neutral.spf.test", {"SPF-ALL-NEUTRAL": "warn"}),
    ("plusall.spf.test", {"SPF-ALL-PASS": "fail"}),
    ("noall.spf.test", {"SPF-ALL-MISSING": "warn"}),
    ("redir.spf.test", {"SPF-ALL-FAIL": "pass", "SPF-LOOKUPS-OK": "pass"}),
    ("redir-none.spf.test", {"SPF-TARGET-NO-SPF": "fail", "SPF-ALL-MISSING": None}),
    ("redir-noall.spf.test", {"SPF-ALL-MISSING": "warn"}),
    ("redir-all.spf.test", {"SPF-REDIRECT-IGNORED": "warn", "SPF-ALL-NEUTRAL": "warn"}),
    ("after-all.spf.test", {"SPF-AFTER-ALL": "warn"}),
    ("chain.spf.test", {"SPF-LOOKUPS-OVER": "fail"}),
    ("ten.spf.test", {"SPF-LOOKUPS-NEAR": "warn"}),
    ("near.spf.test", {"SPF-LOOKUPS-NEAR": "warn"}),
    ("loop-a.spf.test", {"SPF-LOOP": "fail"}),
    ("rloop-a.spf.test", {"SPF-LOOP": "fail"}),
    ("void.spf.test", {"SPF-VOID-OVER": "fail"}),
    ("void2.spf.test", {"SPF-VOID-AT-LIMIT": "warn"}),
    ("mxmany.spf.test", {"SPF-MX-LIMIT": "fail"}),
    ("ptr.spf.test", {"SPF-PTR": "warn"}),
    ("macro.spf.test", {"SPF-DYNAMIC": "info", "SPF-LOOKUPS-OK": "pass"}),
    ("exists.spf.test", {"SPF-LOOKUPS-OK": "pass", "SPF-VOID-NONE": "pass"}),
    ("exp.spf.test", {"SPF-ALL-FAIL": "pass", "SPF-LOOKUPS-OK": "pass"}),
    ("long.spf.test", {"SPF-LENGTH": "warn", "SPF-ALL-FAIL": "pass"}),
    ("ip6.spf.test", {"SPF-ALL-FAIL": "pass"}),
    ("inc-none.spf.test", {"SPF-TARGET-NO-SPF": "fail"}),
    ("inc-nx.spf.test", {"SPF-TARGET-NO-SPF": "fail", "SPF-VOID-SOME": "info"}),
    ("inc-plusall.spf.test", {"SPF-INCLUDE-PLUS-ALL": "fail"}),
    ("inc-temp.spf.test", {"SPF-TREE-UNTESTED": "not tested"}),
    ("silent.spf.test", {"SPF-LOOKUP-FAILED": "not tested"}),
]


@pytest.mark.parametrize(("domain", "expected"), CASES, ids=[c[0] for c in CASES])
def test_measure_verdicts(spf_lab, domain, expected):
    found = codes(measure(spf_lab, domain, timeout=0.5))
    assert {code: found.get(code) for code in expected} == expected, found


def test_chain_counts_eleven_lookups_and_predicts_permerror(spf_lab):
    result = measure(spf_lab, "chain.spf.test")
    assert result.data["lookups"] == 11 and result.data["permerror"] is True
    assert len(result.data["tree"]) == 12  # the chain and its 11 includes, every one fetched
    over = next(f for f in result.findings if f.code == "SPF-LOOKUPS-OVER")
    assert len(over.evidence) == 12 and over.rfc == "RFC 7208 §4.6.4"


@pytest.mark.parametrize(("domain", "lookups"), [("ten.spf.test", 10), ("near.spf.test", 9)])
def test_lookups_near_the_limit(spf_lab, domain, lookups):
    assert measure(spf_lab, domain).data["lookups"] == lookups


def test_loop_names_the_chain(spf_lab):
    result = measure(spf_lab, "loop-a.spf.test")
    loop = next(f for f in result.findings if f.code == "SPF-LOOP")
    assert loop.params["chain"] == "loop-a.spf.test -> loop-b.spf.test -> loop-a.spf.test"
    assert result.data["loops"] == [loop.params["chain"]]


def test_one_void_lookup_is_within_the_limit_and_the_record_passes(spf_lab):
    # Issue 17: RFC 7208 §4.6.4 allows two void lookups; one is no reason to warn.
    result = measure(spf_lab, "void1.spf.test")
    assert codes(result)["SPF-VOID-SOME"] == "info"
    assert result.status.value == "pass" and result.data["void_lookups"] == 1


def test_void_lookups_carry_their_evidence(spf_lab):
    result = measure(spf_lab, "void.spf.test")
    over = next(f for f in result.findings if f.code == "SPF-VOID-OVER")
    assert over.params["count"] == 3 and over.params["family"] == ""
    statuses = {e.data["status"] for e in over.evidence}
    assert statuses == {"nxdomain"} and len(over.evidence) == 6  # A and AAAA for each 'a'


def test_syntax_error_has_its_position(spf_lab):
    syntax = next(f for f in measure(spf_lab, "syntax.spf.test").findings if f.code == "SPF-SYNTAX")
    assert syntax.params["position"] == 26 and "dotted-quad" in syntax.params["error"]


def test_nested_syntax_error_names_the_included_domain(spf_lab):
    syntax = next(f for f in measure(spf_lab, "inc-syntax.spf.test").findings if f.code == "SPF-SYNTAX")
    assert syntax.subject == "syntax.spf.test"


def test_redirect_gives_the_effective_all(spf_lab):
    data = measure(spf_lab, "redir.spf.test").data
    assert (data["all"], data["all_domain"]) == ("-all", "pass.spf.test")


def test_non_spf_txt_beside_the_record_is_ignored(spf_lab):
    data = measure(spf_lab, "other-txt.spf.test").data
    assert data["records"] == ["v=spf1 ip4:192.0.2.10 -all"]


def test_long_record_is_joined_from_its_strings(spf_lab):
    result = measure(spf_lab, "long.spf.test")
    assert result.data["record"].endswith("ip4:198.51.100.40 -all")
    assert next(f for f in result.findings if f.code == "SPF-LENGTH").params["length"] > 450


def test_unreachable_lookup_is_not_tested_never_fail(spf_lab):
    result = measure(spf_lab, "silent.spf.test", timeout=0.5)
    assert result.status.value == "not tested"
    assert all(f.verdict.value != "fail" for f in result.findings)


def test_every_finding_has_an_rfc_reference(spf_lab):
    for domain, _ in CASES:
        for item in measure(spf_lab, domain, timeout=0.5).findings:
            assert item.rfc.startswith("RFC "), item.code


def test_every_code_has_dutch_text():
    for code, message in spf.MESSAGES.items():
        assert message.nl and message.nl != message.en, code


# -- the walker alone (pure) -------------------------------------------------------------------

def test_walk_stops_at_its_bound_on_a_hostile_fan_out():
    """Every record includes 9 more names: the walk fetches a bounded number and says so."""
    asked = []

    def answer(question):
        asked.append(question)
        if question.rdtype == "TXT":
            children = " ".join(f"include:n{i}.{question.name}" for i in range(9))
            return Reply(question.name, "TXT", "ok", (f"v=spf1 {children} -all",))
        return Reply(question.name, question.rdtype, "nodata")

    tree = drive_sync(walk("fan.example"), answer)
    assert tree.truncated and len(tree.records) == MAX_RECORDS
    assert tree.lookups > 10 and len(asked) == MAX_RECORDS
    assert spf.would_permerror(tree)


def test_walk_bounds_the_lookups_of_a_huge_record():
    """One record with 200 'a' terms: at most MAX_QUERIED_TERMS are looked up."""
    asked = []

    def answer(question):
        asked.append(question)
        if question.rdtype == "TXT":
            terms = " ".join(f"a:h{i}.big.example" for i in range(200))
            return Reply(question.name, "TXT", "ok", (f"v=spf1 {terms} -all",))
        return Reply(question.name, question.rdtype, "ok", ("192.0.2.1",) if question.rdtype == "A" else ())

    tree = drive_sync(walk("big.example"), answer)
    assert tree.truncated and tree.lookups == 200
    assert len(asked) == 1 + 2 * MAX_QUERIED_TERMS
    assert "SPF-TRUNCATED" in {f.code for f in spf.judge(tree)}


def test_walk_counts_void_per_address_family():
    """'a' asks A for IPv4 senders and AAAA for IPv6 ones: an IPv4-only name is void for IPv6."""
    records = {"v4only.example": {"TXT": ("v=spf1 a a:x.v4only.example a:y.v4only.example -all",),
                                  "A": ("192.0.2.1",)},
               "x.v4only.example": {"A": ("192.0.2.2",)}, "y.v4only.example": {"A": ("192.0.2.3",)}}

    def answer(question):
        values = records.get(question.name, {}).get(question.rdtype, ())
        return Reply(question.name, question.rdtype, "ok" if values else "nodata", values)

    tree = drive_sync(walk("v4only.example"), answer)
    assert (tree.void_ipv4, tree.void_ipv6) == (0, 3)
    over = next(f for f in spf.judge(tree) if f.code == "SPF-VOID-OVER")
    assert over.params["family"] == " for IPv6 senders"


def test_every_finding_carries_evidence(spf_lab):
    for domain, _ in CASES:
        for item in measure(spf_lab, domain, timeout=0.5).findings:
            assert item.evidence, (domain, item.code)


def test_recommendations_are_registered_for_the_privacy_officer():
    from mailguard.render import advice

    key, message = advice.recommendation_for("SPF-LOOKUPS-OVER")
    assert key == "SPF-LOOKUPS-" and "10" in message.en and message.nl
    assert advice.recommendation_for("SPF-MULTIPLE")[0] == "SPF-MULTIPLE"
