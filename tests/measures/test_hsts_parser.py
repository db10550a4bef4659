"""The pure HSTS parser and judge (RFC 6797 §6.1, §8.1), table-driven and fuzzed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailguard.core.errors import ParseError
from mailguard.core.model import Verdict
from mailguard.measures.web.hsts import (
    ONE_YEAR,
    HstsPolicy,
    judge_header,
    parse_hsts,
    preload_problems,
)

VALID = [
    # RFC 6797 §6.2 examples
    ("max-age=31536000", HstsPolicy(31536000, False, False)),
    ("max-age=15768000 ; includeSubDomains", HstsPolicy(15768000, True, False)),
    ('max-age="31536000"', HstsPolicy(31536000, False, False)),
    ("max-age=0", HstsPolicy(0, False, False)),
    ("max-age=0; includeSubDomains", HstsPolicy(0, True, False)),
    # names are case-insensitive, order is free, empty directives are allowed
    ("INCLUDESUBDOMAINS; Max-Age=63072000; Preload", HstsPolicy(63072000, True, True)),
    ("max-age=63072000;;includeSubDomains;", HstsPolicy(63072000, True, False)),
    ("  max-age=10  ", HstsPolicy(10, False, False)),
    # unknown directives are ignored but kept (§6.1 item 3)
    ('max-age=10; report-uri="https://x.example/;r"', HstsPolicy(10, False, False, ("report-uri",))),
    # absurdly large values are clamped, not an error
    ("max-age=" + "9" * 30, HstsPolicy(10**18, False, False)),
]

INVALID = [
    "",                                   # max-age is required
    "includeSubDomains",
    "max-age",                            # no value
    "max-age=",                           # empty value
    "max-age=-1",
    "max-age=1e6",
    "max-age=abc",
    "max-age=1; max-age=2",              # each directive at most once (§6.1 item 2)
    "max-age=1; includeSubDomains; includesubdomains",
    "max-age=1; includeSubDomains=yes",  # takes no value
    'max-age="31536000',                 # unterminated quoted-string
    "max-age=1; inc lude",               # not a token
    "max-age=\u0661",                    # a non-ASCII digit is not DIGIT
]


@pytest.mark.parametrize(("value", "expected"), VALID)
def test_valid_headers(value, expected):
    assert parse_hsts(value) == expected


@pytest.mark.parametrize("value", INVALID)
def test_invalid_headers_raise_with_position(value):
    with pytest.raises(ParseError) as info:
        parse_hsts(value)
    assert info.value.position is not None


def _codes(values, apex=False):
    checks, _ = judge_header(tuple(values), apex=apex)
    return {c.code: c.verdict for c in checks}


def test_judging_thresholds():
    assert _codes([f"max-age={ONE_YEAR}"]) == {"HSTS-OK": Verdict.PASS}
    assert _codes([f"max-age={ONE_YEAR - 1}"]) == {"HSTS-SHORT": Verdict.WARN}
    assert _codes(["max-age=0"]) == {"HSTS-DISABLED": Verdict.FAIL}
    assert _codes([]) == {"HSTS-MISSING": Verdict.FAIL}
    assert _codes(["max-age=oops"]) == {"HSTS-INVALID": Verdict.FAIL}


def test_apex_without_include_subdomains_is_noted():
    assert _codes([f"max-age={ONE_YEAR}"], apex=True)["HSTS-NO-SUBDOMAINS"] == Verdict.INFO
    assert "HSTS-NO-SUBDOMAINS" not in _codes([f"max-age={ONE_YEAR}; includeSubDomains"], apex=True)


def test_only_the_first_of_several_headers_counts():
    found = _codes(["max-age=60", f"max-age={ONE_YEAR}"])
    assert found == {"HSTS-MULTIPLE": Verdict.INFO, "HSTS-SHORT": Verdict.WARN}


def test_preload_rules():
    ready = HstsPolicy(ONE_YEAR, True, True)
    assert preload_problems(ready, verified=True, same_host_upgrade=True, www_https=True) == []
    assert preload_problems(ready, verified=True, same_host_upgrade=None, www_https=None) == []
    problems = preload_problems(HstsPolicy(600, False, False), verified=False, same_host_upgrade=False,
                                www_https=False)
    assert len(problems) == 6
    assert preload_problems(None, verified=True, same_host_upgrade=True,
                            www_https=True) == ["no valid HSTS header"]


@given(st.text(max_size=200))
def test_fuzz_never_crashes(value):
    try:
        policy = parse_hsts(value)
    except ParseError:
        return
    assert policy.max_age >= 0


@given(st.integers(min_value=0, max_value=10**12), st.booleans(), st.booleans(),
       st.sampled_from([";", " ; ", ";  ;"]))
def test_fuzz_round_trip(max_age, subdomains, preload, separator):
    parts = [f"max-age={max_age}"] + ["includeSubDomains"] * subdomains + ["preload"] * preload
    assert parse_hsts(separator.join(parts)) == HstsPolicy(max_age, subdomains, preload)
