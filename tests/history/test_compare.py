"""The comparison of two report documents (pure, table-driven)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailguard.core import messages
from mailguard.history.compare import compare, dmarc_strength, spf_all, txt_text
from mailguard.render import diff as render_diff


def dns(name: str, rdtype: str, *records: str, status: str = "ok") -> dict[str, Any]:
    return {
        "kind": "dns",
        "summary": f"{rdtype} {name}",
        "data": {
            "query": {"name": name, "type": rdtype},
            "status": status,
            "records": [{"name": name, "type": rdtype, "ttl": 300, "data": r} for r in records],
        },
    }


def doc(
    *evidence: dict[str, Any],
    findings: list[tuple[str, str, str]] = (),
    promises=(),
    scores=None,
    started="2026-01-01T00:00:00Z",
    error=None,
    domain="a.test",
) -> dict[str, Any]:
    return {
        "schema": "mailguard.report/1",
        "domain": domain,
        "started": started,
        "error": error,
        "measures": [
            {
                "name": "m",
                "title": "M",
                "area": "mail-authentication",
                "status": "pass",
                "evidence": list(evidence),
                "findings": [
                    {"code": "C", "check": c, "subject": s, "verdict": v, "reason": f"r-{v}", "evidence": []}
                    for c, s, v in findings
                ],
            }
        ],
        "promises": [{"promise": {"kind": k, "sentence": t}, "verdict": v} for k, t, v in promises],
        "scores": scores or {},
    }


def kinds(old, new) -> list[tuple[str, str]]:
    return [(c.code, c.direction) for c in compare(old, new).changes]


DMARC = "_dmarc.a.test"


@pytest.mark.parametrize(
    ("old", "new", "expected", "worse"),
    [
        # DMARC by policy, then pct
        (['"v=DMARC1; p=reject"'], ['"v=DMARC1; p=none"'], ("CHANGE-DMARC-WEAKER", "worse"), True),
        (['"v=DMARC1; p=none"'], ['"v=DMARC1; p=quarantine"'], ("CHANGE-DMARC-STRONGER", "better"), False),
        (['"v=DMARC1; p=reject"'], ['"v=DMARC1; p=reject; pct=50"'], ("CHANGE-DMARC-WEAKER", "worse"), True),
        (
            ['"v=DMARC1; p=reject; pct=20"'],
            ['"v=DMARC1; p=reject"'],
            ("CHANGE-DMARC-STRONGER", "better"),
            False,
        ),
        (['"v=DMARC1; p=reject"'], [], ("CHANGE-DMARC-REMOVED", "worse"), True),
        ([], ['"v=DMARC1; p=none"'], ("CHANGE-DMARC-ADDED", "better"), False),
        (
            ['"v=DMARC1; p=reject"'],
            ['"v=DMARC1; p=reject; rua=mailto:x@a.test"'],
            ("CHANGE-DMARC-CHANGED", "changed"),
            False,
        ),
        (
            ['"v=DMARC1; p=reject"'],
            ['"v=DMARC1; p=reject"', '"v=DMARC1; p=none"'],
            ("CHANGE-DMARC-WEAKER", "worse"),
            True,
        ),  # two records: none applies
        (['"v=DMARC1; p=reject"'], ['"v=DMARC1; " "p=none"'], ("CHANGE-DMARC-WEAKER", "worse"), True),
    ],
)
def test_dmarc_changes(old, new, expected, worse):
    result = compare(doc(dns(DMARC, "TXT", *old)), doc(dns(DMARC, "TXT", *new)))
    assert [(c.code, c.direction) for c in result.changes] == [expected]
    assert result.worse is worse


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('"v=spf1 mx -all"', '"v=spf1 mx ~all"', ("CHANGE-SPF-WEAKER", "worse")),
        ('"v=spf1 mx ~all"', '"v=spf1 mx -all"', ("CHANGE-SPF-STRONGER", "better")),
        ('"v=spf1 mx -all"', '"v=spf1 mx all"', ("CHANGE-SPF-WEAKER", "worse")),
        ('"v=spf1 mx ?all"', '"v=spf1 mx +all"', ("CHANGE-SPF-WEAKER", "worse")),
        ('"v=spf1 mx -all"', '"v=spf1 mx a -all"', ("CHANGE-SPF-CHANGED", "changed")),
        ('"v=spf1 mx -all"', '"v=spf1 redirect=_spf.a.test"', ("CHANGE-SPF-CHANGED", "changed")),
        ('"v=spf1 mx -all"', None, ("CHANGE-SPF-REMOVED", "worse")),
        (None, '"v=spf1 -all"', ("CHANGE-SPF-ADDED", "better")),
    ],
)
def test_spf_changes(old, new, expected):
    other = '"google-site-verification=abc"'
    before = [r for r in (old, other) if r]
    after = [r for r in (new, other) if r]
    assert kinds(doc(dns("a.test", "TXT", *before)), doc(dns("a.test", "TXT", *after))) == [expected]


def test_two_spf_records_are_worse():
    assert kinds(
        doc(dns("a.test", "TXT", '"v=spf1 -all"')),
        doc(dns("a.test", "TXT", '"v=spf1 -all"', '"v=spf1 mx -all"')),
    ) == [("CHANGE-SPF-WEAKER", "worse")]


def test_other_txt_changes_are_only_changed():
    assert kinds(
        doc(dns("a.test", "TXT", '"v=spf1 -all"', '"x=1"')),
        doc(dns("a.test", "TXT", '"v=spf1 -all"', '"x=2"')),
    ) == [("CHANGE-RECORDS", "changed")]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (["10 mx1.a.test.", "20 mx2.a.test."], ["10 mx1.a.test."], [("CHANGE-MX-REMOVED", "worse")]),
        (["10 mx1.a.test."], ["10 mx1.a.test.", "20 mx2.a.test."], [("CHANGE-MX-ADDED", "changed")]),
        (
            ["10 mx1.a.test."],
            ["10 mx.provider.test."],
            [("CHANGE-MX-REMOVED", "worse"), ("CHANGE-MX-ADDED", "changed")],
        ),
        (["10 mx1.a.test."], ["20 mx1.a.test."], [("CHANGE-RECORDS", "changed")]),
        (["10 mx1.a.test."], ["10 MX1.A.TEST."], [("CHANGE-RECORDS", "changed")]),  # same hosts, case differs
    ],
)
def test_mx_changes(old, new, expected):
    assert kinds(doc(dns("a.test", "MX", *old)), doc(dns("a.test", "MX", *new))) == expected


def test_a_failed_query_is_no_change():
    old = doc(dns(DMARC, "TXT", '"v=DMARC1; p=reject"'))
    new = doc(dns(DMARC, "TXT", status="timeout"))
    assert compare(old, new).changes == ()


def test_other_record_types_changed():
    result = compare(doc(dns("www.a.test", "A", "192.0.2.1")), doc(dns("www.a.test", "A", "192.0.2.2")))
    [change] = result.changes
    assert change.code == "CHANGE-RECORDS" and "192.0.2.2" in change.text and not result.worse


def tls(host: str, fingerprint: str, port: int = 443) -> dict[str, Any]:
    return {
        "kind": "tls",
        "summary": host,
        "data": {"host": host, "port": port, "certificate": {"fingerprint_sha256": fingerprint}},
    }


def test_certificate_replaced_in_mailguards_tls_evidence_shape():
    def starttls(leaf: str) -> dict[str, Any]:
        return {
            "kind": "tls",
            "summary": "TLS mx",
            "data": {
                "host": "mx1.a.test",
                "address": "127.0.0.11",
                "port": 25,
                "certificates": [{"subject": "CN=mx1", "sha256": leaf}, {"subject": "CN=CA", "sha256": "ca"}],
            },
        }

    result = compare(doc(starttls("aa")), doc(starttls("bb")))
    assert [(c.code, c.subject, c.params["new"]) for c in result.changes] == [
        ("CHANGE-CERT-REPLACED", "mx1.a.test:25", "bb")
    ]
    assert compare(doc(starttls("aa")), doc(starttls("aa"))).changes == ()


def test_certificate_replaced():
    result = compare(doc(tls("www.a.test", "aa")), doc(tls("www.a.test", "bb")))
    assert [(c.code, c.subject) for c in result.changes] == [("CHANGE-CERT-REPLACED", "www.a.test:443")]
    assert compare(doc(tls("www.a.test", "aa")), doc(tls("www.a.test", "aa"))).changes == ()
    assert compare(doc(tls("www.a.test", "aa")), doc(tls("mx.a.test", "bb", 25))).changes == ()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("pass", "fail", [("CHANGE-FINDING-WORSE", "worse")]),
        ("pass", "warn", [("CHANGE-FINDING-WORSE", "worse")]),
        ("warn", "fail", [("CHANGE-FINDING-WORSE", "worse")]),
        ("fail", "pass", [("CHANGE-FINDING-BETTER", "better")]),
        ("info", "pass", []),  # neither is a problem
        ("pass", "not tested", [("CHANGE-FINDING-UNTESTED", "changed")]),
        ("not tested", "fail", [("CHANGE-FINDING-UNTESTED", "changed")]),
        ("pass", "pass", []),
    ],
)
def test_finding_changes(old, new, expected):
    assert kinds(doc(findings=[("policy", "", old)]), doc(findings=[("policy", "", new)])) == expected


def test_findings_are_keyed_by_subject_and_take_the_lowest():
    old = doc(findings=[("addr", "mx1", "pass"), ("addr", "mx2", "pass")])
    new = doc(findings=[("addr", "mx1", "pass"), ("addr", "mx1", "fail"), ("addr", "mx3", "fail")])
    changes = {(c.code, c.subject) for c in compare(old, new).changes}
    assert changes == {("CHANGE-FINDING-WORSE", "addr (mx1)"), ("CHANGE-FINDING-NEW", "addr (mx3)")}
    gone = compare(doc(findings=[("addr", "mx9", "fail")]), doc())
    assert [(c.code, c.direction) for c in gone.changes] == [("CHANGE-FINDING-GONE", "better")]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("upheld", "not upheld", ("CHANGE-PROMISE-WORSE", "worse")),
        ("upheld", "partly upheld", ("CHANGE-PROMISE-WORSE", "worse")),
        ("not upheld", "upheld", ("CHANGE-PROMISE-BETTER", "better")),
        ("upheld", "not tested", ("CHANGE-PROMISE-CHANGED", "changed")),
    ],
)
def test_promise_changes(old, new, expected):
    sentence = "Wij gebruiken DMARC."
    result = compare(doc(promises=[("dmarc", sentence, old)]), doc(promises=[("dmarc", sentence, new)]))
    assert [(c.code, c.direction) for c in result.changes] == [expected]
    assert sentence in result.changes[0].text


def test_score_changes_are_shown_but_do_not_make_it_worse_alone():
    result = compare(doc(scores={"website": 90, "overall": 80}), doc(scores={"website": 70, "overall": 80}))
    assert [(c.code, c.direction, c.params["area"]) for c in result.changes] == [("CHANGE-SCORE", "worse", "website")]
    assert not result.worse


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"domain": "b.test"}, {}),
        ({}, {"error": "no answer"}),
        ({"error": "no answer"}, {}),
    ],
)
def test_not_comparable(old, new):
    result = compare(doc(**old), doc(**new))
    assert [c.code for c in result.changes] == ["CHANGE-NOT-COMPARABLE"] and not result.worse


def test_identical_reports_have_no_changes():
    d = doc(dns(DMARC, "TXT", '"v=DMARC1; p=reject"'), findings=[("x", "", "fail")], scores={"overall": 10})
    assert compare(d, d).changes == ()


def test_every_change_renders_in_dutch_and_english():
    result = compare(
        doc(dns(DMARC, "TXT", '"v=DMARC1; p=reject"'), findings=[("x", "", "pass")]),
        doc(dns(DMARC, "TXT", '"v=DMARC1; p=none"'), findings=[("x", "", "fail")]),
    )
    for change in result.changes:
        nl = messages.render(change.code, change.params, "nl")
        assert nl != change.text and "{" not in nl


def test_hostile_documents_do_not_crash():
    junk: list[Any] = [
        {},
        {"measures": "x"},
        {"measures": [1, None, {"findings": [None, 3]}]},
        {"measures": [{"evidence": [{"kind": "dns", "data": {"status": "ok", "query": 5}}]}]},
        {"promises": [{"promise": "x"}]},
        {"scores": [1]},
    ]
    for a in junk:
        for b in junk:
            compare(a, b)


@pytest.mark.parametrize(
    ("rdata", "text"),
    [
        ('"v=spf1 " "-all"', "v=spf1 -all"),
        ('"a\\"b"', 'a"b'),
        ("plain", "plain"),
        ('""', ""),
    ],
)
def test_txt_text(rdata, text):
    assert txt_text(rdata) == text


@pytest.mark.parametrize(
    ("record", "qualifier"),
    [
        ("v=spf1 -all", "-"),
        ("v=spf1 mx ~ALL", "~"),
        ("v=spf1 all", "+"),
        ("v=spf1 mx", ""),
        ("v=spf1 include:all.test -all", "-"),
    ],
)
def test_spf_all(record, qualifier):
    assert spf_all(record) == qualifier


def test_dmarc_strength():
    assert dmarc_strength(["v=DMARC1; p=Reject; pct=x"]) == (2, 100)
    assert dmarc_strength(["v=DMARC1"]) is None
    assert dmarc_strength([]) is None


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "measures",
                    "findings",
                    "evidence",
                    "data",
                    "kind",
                    "query",
                    "status",
                    "records",
                    "promises",
                    "promise",
                    "verdict",
                    "scores",
                    "domain",
                    "name",
                    "type",
                    "check",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(JSON, JSON)
def test_any_json_documents_compare_without_crashing(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        result = compare(a, b)
        assert isinstance(result.worse, bool)


def test_the_diff_text_writes_remote_control_characters_as_escapes():
    hostile = '"v=spf1 \x1b]0;owned\x07 -all"'
    old = doc(dns("a.test", "TXT", '"v=spf1 -all"'))
    new = doc(dns("a.test", "TXT", hostile), domain="a.test\x1b[2J")
    out = render_diff.render(compare(old, new))
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b" in out
