"""The pure security.txt parser and judge (RFC 9116), table-driven and fuzzed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailguard.core.model import Verdict
from mailguard.measures.web.securitytxt import judge_security_txt, parse_expires, parse_security_txt

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
URL = "https://example.nl/.well-known/security.txt"

# RFC 9116 §3's example, with a signature
SIGNED = """-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA256

# Our security address
Contact: mailto:security@example.com
- Expires: 2027-01-01T00:00:00.000Z
Preferred-Languages: en, nl
Canonical: https://example.nl/.well-known/security.txt
-----BEGIN PGP SIGNATURE-----

iHUEARYIAB0WIQ...
-----END PGP SIGNATURE-----
"""


def codes(text, now=NOW, url=URL):
    return {c.code: c.verdict for c in judge_security_txt(parse_security_txt(text), now, url)}


def test_minimal_valid_file():
    found = codes("Contact: mailto:security@example.nl\r\nExpires: 2027-03-01T00:00:00Z\r\n")
    assert found == {"SECTXT-CONTACT": Verdict.PASS, "SECTXT-EXPIRES-OK": Verdict.PASS}


def test_signed_file_is_unwrapped():
    parsed = parse_security_txt(SIGNED)
    assert parsed.signed
    assert parsed.values("contact") == ("mailto:security@example.com",)
    assert parsed.values("expires") == ("2027-01-01T00:00:00.000Z",)  # dash-escaping undone
    assert parsed.bad_lines == ()
    assert codes(SIGNED)["SECTXT-EXPIRES-OK"] == Verdict.PASS


@pytest.mark.parametrize(("text", "code", "verdict"), [
    ("Expires: 2027-03-01T00:00:00Z\n", "SECTXT-CONTACT-MISSING", Verdict.FAIL),
    ("Contact: mailto:a@example.nl\n", "SECTXT-EXPIRES-MISSING", Verdict.FAIL),
    ("Contact: mailto:a@example.nl\nExpires: 2026-01-01T00:00:00Z\n", "SECTXT-EXPIRED", Verdict.FAIL),
    ("Contact: mailto:a@example.nl\nExpires: 2026-11-23T12:00:00+00:00\n", "SECTXT-EXPIRED", Verdict.FAIL),
    ("Contact: mailto:a@example.nl\nExpires: 2029-01-01T00:00:00Z\n", "SECTXT-EXPIRES-FAR", Verdict.WARN),
    ("Contact: mailto:a@example.nl\nExpires: 1 January 2027\n", "SECTXT-EXPIRES-INVALID", Verdict.FAIL),
    ("Contact: mailto:a@example.nl\nExpires: 2027-01-01\n", "SECTXT-EXPIRES-INVALID", Verdict.FAIL),
    ("Contact: mailto:a@example.nl\nExpires: 2027-01-01T00:00:00\n", "SECTXT-EXPIRES-INVALID", Verdict.FAIL),
    ("Contact: http://example.nl/report\nExpires: 2027-01-01T00:00:00Z\n", "SECTXT-CONTACT-INVALID",
     Verdict.WARN),
    ("Contact: mailto:a@example.nl\nExpires: 2027-01-01T00:00:00Z\nExpires: 2027-02-01T00:00:00Z\n",
     "SECTXT-REPEATED", Verdict.WARN),
    ("Contact: mailto:a@example.nl\nExpires: 2027-01-01T00:00:00Z\nthis is not a field\n",
     "SECTXT-BAD-LINES", Verdict.WARN),
    ("Contact: mailto:a@example.nl\nExpires: 2027-01-01T00:00:00Z\nCanonical: https://other.nl/security.txt\n",
     "SECTXT-CANONICAL-MISMATCH", Verdict.WARN),
])
def test_judged(text, code, verdict):
    assert codes(text)[code] == verdict


def test_expiry_uses_the_injected_clock():
    text = "Contact: tel:+31201234567\nExpires: 2027-01-01T00:00:00Z\n"
    assert codes(text)["SECTXT-EXPIRES-OK"] == Verdict.PASS
    assert codes(text, now=NOW + timedelta(days=60))["SECTXT-EXPIRED"] == Verdict.FAIL


def test_field_names_are_case_insensitive_and_comments_ignored():
    parsed = parse_security_txt("# hi\ncOnTaCt:   https://example.nl/contact  \n\n#Expires: x\n")
    assert parsed.values("contact") == ("https://example.nl/contact",)
    assert parsed.values("expires") == ()


@pytest.mark.parametrize(("value", "ok"), [
    ("2027-01-01T00:00:00Z", True), ("2027-01-01t00:00:00z", True), ("2027-01-01T00:00:00.5+02:00", True),
    ("2027-13-01T00:00:00Z", False), ("2027-01-01 00:00:00Z", False), ("", False), ("2027-01-01T25:00:00Z",
                                                                                    False),
])
def test_rfc3339_dates(value, ok):
    assert (parse_expires(value) is not None) == ok


@given(st.text(max_size=400))
def test_fuzz_never_crashes(text):
    parsed = parse_security_txt(text)
    judge_security_txt(parsed, NOW, URL)


@given(st.binary(max_size=300))
def test_fuzz_bytes_decoded_leniently(data):
    parse_security_txt(data.decode("utf-8", "replace"))
