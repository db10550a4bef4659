from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailguard.core.errors import InvalidDomain
from mailguard.core.names import normalize_domain


@pytest.mark.parametrize(("given_name", "expected"), [
    ("Example.NL", "example.nl"), ("example.nl.", "example.nl"), ("bücher.example", "xn--bcher-kva.example"),
])
def test_normalize(given_name, expected):
    assert normalize_domain(given_name) == expected


@pytest.mark.parametrize("bad", ["exa mple..nl", "", "..", "nl", "a..b", "-a.nl", "a-.nl", "x" * 64 + ".nl",
                                 ("a" * 60 + ".") * 5 + "nl", "under_score.nl", "a b.nl"])
def test_reject(bad):
    with pytest.raises(InvalidDomain):
        normalize_domain(bad)


@given(st.text(max_size=300))
def test_never_crashes(text):
    try:
        result = normalize_domain(text)
    except InvalidDomain:
        return
    assert 3 <= len(result) <= 253 and ".." not in result
