"""Trust anchors: the shipped IANA root anchors, and the --trust-anchor file format."""

from __future__ import annotations

import dns.dnssec
import pytest

from mailguard.core.errors import ParseError
from mailguard.measures.dnssec import load_anchors, parse_anchors

KSK_2017_DS = "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"
KSK_2024_DS = "683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16"


def test_the_default_anchors_are_the_iana_root_ksks():
    anchors = load_anchors()
    assert anchors.zone == "."
    assert sorted((d.key_tag, d.algorithm, d.digest_type, d.digest.hex().upper()) for d in anchors.ds) == [
        (20326, 8, 2, KSK_2017_DS), (38696, 8, 2, KSK_2024_DS)]


def test_the_shipped_root_dnskeys_hash_to_the_shipped_digests():
    # The two forms of each anchor must agree, or a typo in one would go unnoticed.
    anchors = load_anchors()
    made = {dns.dnssec.make_ds(".", key, "SHA256").to_text().upper() for key in anchors.dnskeys}
    assert made == {f"20326 8 2 {KSK_2017_DS}", f"38696 8 2 {KSK_2024_DS}"}
    assert {k.flags for k in anchors.dnskeys} == {257}


@pytest.mark.parametrize("text", [
    ". IN DS 20326 8 2 " + KSK_2017_DS,
    ".\t172800\tIN\tDS\t20326 8 2 " + KSK_2017_DS,
    "; comment\n\n. DS 20326 8 2 " + KSK_2017_DS + " ; trailing comment\n",
])
def test_presentation_format_variants(text):
    assert [d.key_tag for d in parse_anchors(text).ds] == [20326]


def test_an_anchor_for_another_zone():
    anchors = parse_anchors("example.nl. IN DS 12345 13 2 " + "AB" * 32)
    assert anchors.zone == "example.nl." and anchors.describe() == "example.nl. (DS 12345)"


@pytest.mark.parametrize("text, why", [
    ("", "no DS or DNSKEY"),
    (". IN A 127.0.0.1", "is not DS or DNSKEY"),
    (". IN DS 20326 8 2 nothex", "bad trust anchor line"),
    (". IN DS 1 8 2 " + "00" * 32 + "\nnl. IN DS 2 8 2 " + "00" * 32, "one owner name"),
    (". IN", "no record type"),
])
def test_bad_files_are_parse_errors(text, why):
    with pytest.raises(ParseError, match=why):
        parse_anchors(text)


def test_the_error_points_at_the_bad_line():
    good = ". IN DS 20326 8 2 " + KSK_2017_DS + "\n"
    with pytest.raises(ParseError) as caught:
        parse_anchors(good + ". IN DS 1 2 3\n")
    assert caught.value.position == len(good)
