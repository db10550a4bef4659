"""BIMI's pure parts: the assertion record, the SVG Tiny PS check, the mark certificate."""

from __future__ import annotations

import base64
import contextlib
import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailguard.core.errors import ParseError
from mailguard.lab import bimi as labbimi
from mailguard.measures.bimi.record import is_bimi_record, parse_record, parse_tag_list
from mailguard.measures.bimi.svg import check_svg, parse_view_box
from mailguard.measures.bimi.vmc import (
    NOT_CHECKED,
    TRUSTED,
    UNTRUSTED,
    check_chain,
    decode_data_uri,
    logotype_svg,
    parse_pem_chain,
    read_mark_certificate,
)
from mailguard.net.certs import load_bundle

# -- the assertion record ------------------------------------------------------------------------

GOOD = "v=BIMI1; l=https://bimi.example/logo.svg; a=https://bimi.example/vmc.pem"


@pytest.mark.parametrize(("text", "logo", "authority", "declined"), [
    (GOOD, ("https://bimi.example/logo.svg",), "https://bimi.example/vmc.pem", False),
    ("v=BIMI1; l=https://bimi.example/logo.svg", ("https://bimi.example/logo.svg",), "", False),
    ("v=BIMI1;l=https://bimi.example/logo.svg;", ("https://bimi.example/logo.svg",), "", False),
    ("  v = BIMI1 ;\tl = https://bimi.example/logo.svg ; ", ("https://bimi.example/logo.svg",), "", False),
    ("v=BIMI1; l=; a=;", (), "", True),  # declination to publish
    ("v=BIMI1; l=", (), "", True),
    ("v=BIMI1; l=https://b.example/1.svg,https://b.example/2.svg",
     ("https://b.example/1.svg", "https://b.example/2.svg"), "", False),
])
def test_records_that_parse(text, logo, authority, declined):
    record = parse_record(text)
    assert record.logo == logo
    assert record.authority == authority
    assert record.declined is declined
    assert record.problems == ()


@pytest.mark.parametrize(("text", "message", "position"), [
    ("", "first tag must be v=BIMI1", 0),
    ("l=https://b.example/l.svg; v=BIMI1", "first tag must be v=BIMI1", 0),
    ("v=BIMI2; l=https://b.example/l.svg", "not v=BIMI1", 0),
    ("v=bimi1; l=https://b.example/l.svg", "not v=BIMI1", 0),
    ("v=BIMI1; a=https://b.example/a.pem", "no l= tag", 34),
    ("v=BIMI1; l=x; l=y", "appears twice", 14),
    ("v=BIMI1;; l=x", "empty tag", 8),
    ("v=BIMI1; l https://b.example/l.svg", "has no '='", 9),
    ("v=BIMI1; 1l=x", "invalid tag name", 9),
    ("v=BIMI1; l=x\x00y", "control character", 9),
    ("v=BIMI1; l=" + "x" * 3000, "longer than", 2048),
])
def test_records_a_receiver_discards(text, message, position):
    with pytest.raises(ParseError) as caught:
        parse_record(text)
    assert message in caught.value.message
    assert caught.value.position == position


@pytest.mark.parametrize(("text", "codes"), [
    ("v=BIMI1; l=http://b.example/l.svg", ["not-https"]),
    ("v=BIMI1; l=https://b.example/l.svg; a=http://b.example/a.pem", ["not-https"]),
    ("v=BIMI1; l=logo.svg", ["not-a-uri"]),
    ("v=BIMI1; l=https://b.example/l.svg; avp=maybe", ["bad-avp"]),
    ("v=BIMI1; l=https://a.example/1,https://a.example/2,https://a.example/3", ["too-many-logos"]),
])
def test_record_problems(text, codes):
    assert [code for code, _ in parse_record(text).problems] == codes


def test_unknown_tags_are_kept_and_ignored():
    record = parse_record(GOOD + "; x=1; future=yes")
    assert record.unknown == ("x", "future")
    assert record.problems == ()


@pytest.mark.parametrize(("text", "is_bimi"), [
    (GOOD, True), ("v=BIMI1", True), (" v = BIMI1 ;l=", True), ("v=BIMI10; l=", False),
    ("v=spf1 -all", False), ("l=x; v=BIMI1", False), ("", False), ("v=DMARC1; p=reject", False),
])
def test_which_txt_records_are_bimi(text, is_bimi):
    assert is_bimi_record(text) is is_bimi


def test_tag_list_byte_by_byte_prefixes_never_crash():
    for end in range(len(GOOD) + 1):
        try:
            parse_record(GOOD[:end])
        except ParseError as exc:
            assert exc.position is not None and 0 <= exc.position <= len(GOOD)


@given(st.text(max_size=200))
def test_record_parser_never_crashes(text):
    try:
        parse_tag_list(text)
        parse_record(text)
    except ParseError:
        pass


# -- the SVG ------------------------------------------------------------------------------------------


def problems(svg: bytes) -> dict[str, str]:
    return dict(check_svg(svg).problems())


def test_good_logo_has_no_problems():
    facts = check_svg(labbimi.GOOD_LOGO)
    assert facts.problems() == ()
    assert facts.tiny_ps and facts.square
    assert facts.title == "Peers"


@pytest.mark.parametrize(("svg", "code", "detail"), [
    (labbimi.SCRIPT_LOGO, "forbidden", "<script>"),
    (labbimi.EXTERNAL_LOGO, "external", "xlink:href=https://tracker.example/x.svg#a"),
    (labbimi.NOT_TINY_PS_LOGO, "not-tiny-ps", 'baseProfile="tiny"'),
    (labbimi.NOT_TINY_PS_LOGO, "version", 'version="1.1"'),
    (labbimi.NOT_SQUARE_LOGO, "not-square", "viewBox 0 0 200 100"),
    (labbimi.logo(title_element=False), "no-title", "no <title>"),
    (labbimi.logo(title=" "), "no-title", "empty <title>"),
    (labbimi.logo(body='<image href="data:image/png;base64,AAAA"/>'), "forbidden", "<image>"),
    (labbimi.logo(body='<image href="https://x.example/p.png"/>'), "external", "href=https://x.example/p.png"),
    (labbimi.logo(body="<foreignObject><p/></foreignObject>"), "forbidden", "<foreignObject>"),
    (labbimi.logo(body='<a xlink:href="#g"><rect/></a>'), "forbidden", "<a>"),
    (labbimi.logo(body='<animate attributeName="r" to="10"/>'), "forbidden", "<animate>"),
    (labbimi.logo(body='<rect onclick="x()"/>'), "handlers", "onclick"),
    (labbimi.logo(body='<rect fill="url(https://x.example/p#g)"/>'), "external", "url(https://x.example/p#g)"),
    (labbimi.logo(body="<style>rect{fill:url('http://x.example/i.png')}</style>"), "external",
     "url(http://x.example/i.png)"),
    (labbimi.logo(body='<style>@import "https://x.example/s.css";</style>'), "external", "@import in a style"),
    (labbimi.logo(view_box="0 0 100"), "no-viewbox", "is not four numbers"),
    (labbimi.logo(view_box="0 0 0 0"), "no-viewbox", "no positive width"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" baseProfile="tiny-ps" version="1.2"><title>t</title></svg>',
     "no-viewbox", "no viewBox"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 1 1" x="0">'
     b'<title>t</title></svg>', "root-xy", 'x="0"'),
    (b'<svg version="1.2" baseProfile="tiny-ps" viewBox="0 0 1 1"><title>t</title></svg>', "not-svg", "none"),
    (b'<?xml-stylesheet href="https://x.example/s.css"?><svg xmlns="http://www.w3.org/2000/svg" version="1.2" '
     b'baseProfile="tiny-ps" viewBox="0 0 1 1"><title>t</title></svg>', "external", "xml-stylesheet"),
])
def test_each_way_a_logo_is_wrong(svg, code, detail):
    found = problems(svg)
    assert code in found, found
    assert detail in found[code]


def test_internal_references_and_namespaces_are_fine():
    svg = labbimi.logo(body='<use xlink:href="#g"/><rect fill="url(#g)" style="fill: url( #g )"/>')
    assert problems(svg) == {}


@pytest.mark.parametrize(("svg", "message"), [
    (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><svg>&b;</svg>',
     "DOCTYPE is not allowed"),
    (b'<!DOCTYPE svg SYSTEM "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg/>', "DOCTYPE"),
    (b'<svg><x>&ext;</x></svg>', "undefined entity"),
    (b"", "no element found"),
    (b"<svg>", "no element found"),
    (b"<svg></g>", "mismatched tag"),
    (b"\xff\xfe<svg/>", "not well-formed"),
    (b"<svg>" + b"<g>" * 300 + b"</g>" * 300 + b"</svg>", "levels"),
])
def test_hostile_or_broken_xml_is_refused_with_a_position(svg, message):
    with pytest.raises(ParseError) as caught:
        check_svg(svg)
    assert message in caught.value.message
    assert caught.value.position is not None


def test_good_logo_fed_cut_short_never_crashes():
    for end in range(0, len(labbimi.GOOD_LOGO), 7):
        with contextlib.suppress(ParseError):
            check_svg(labbimi.GOOD_LOGO[:end])


@given(st.binary(max_size=400))
def test_svg_check_never_crashes_on_junk(data):
    with contextlib.suppress(ParseError):
        check_svg(data)


@given(st.text(alphabet="<>/=\"' svgtiyle:#&;xabc", max_size=200))
def test_svg_check_never_crashes_on_markup_like_text(text):
    with contextlib.suppress(ParseError):
        check_svg(text.encode())


@pytest.mark.parametrize(("text", "box"), [("0 0 100 100", (0, 0, 100, 100)), ("0,0,1e2,1E2", (0, 0, 100, 100)),
                                           (" -5 -5  10\t10 ", (-5, -5, 10, 10)), ("0, 0, .5, .5", (0, 0, .5, .5))])
def test_view_box(text, box):
    assert parse_view_box(text) == box


# -- the mark certificate ----------------------------------------------------------------------------

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def cas(tmp_path_factory):
    directory = Path(tmp_path_factory.mktemp("marks"))
    return labbimi.MarkCa(directory, NOW), labbimi.MarkCa(directory, NOW, label="other")


def test_mark_certificate_facts(cas):
    ca, _ = cas
    pem = ca.issue(["bimi.example"], labbimi.GOOD_LOGO)
    mark = read_mark_certificate(pem, NOW)
    assert mark.bimi_eku and mark.logotype
    assert mark.logo == labbimi.GOOD_LOGO  # the logotype's gzip data: URI, decoded
    assert mark.names == ("bimi.example",)
    assert len(mark.chain) == 2
    assert not mark.leaf.expired
    check = check_chain(mark.chain, load_bundle(ca.bundle_path), NOW)
    assert check.status == TRUSTED
    assert len(check.path) == 3


def test_mark_certificate_from_another_ca_is_untrusted(cas):
    ca, other = cas
    mark = read_mark_certificate(other.issue(["bimi.example"], labbimi.GOOD_LOGO), NOW)
    check = check_chain(mark.chain, load_bundle(ca.bundle_path), NOW)
    assert check.status == UNTRUSTED
    assert "lab other issuing CA" in check.reason


def test_a_bundle_without_usable_certificates_trusts_nothing(cas):
    mark = read_mark_certificate(cas[0].issue(["bimi.example"], labbimi.GOOD_LOGO), NOW)
    check = check_chain(mark.chain, (), NOW)
    assert check.status == UNTRUSTED and "no usable certificate" in check.reason


def test_chain_not_checked_without_a_bundle(cas):
    mark = read_mark_certificate(cas[0].issue(["bimi.example"], labbimi.GOOD_LOGO), NOW)
    assert check_chain(mark.chain, None, NOW).status == NOT_CHECKED


def test_expired_mark_is_still_recognised_as_trusted_chain(cas):
    ca, _ = cas
    mark = read_mark_certificate(ca.issue(["bimi.example"], labbimi.GOOD_LOGO, days_valid=(-400, -10)), NOW)
    assert mark.leaf.expired
    assert check_chain(mark.chain, load_bundle(ca.bundle_path), NOW).status == TRUSTED


def test_mark_without_logotype_or_bimi_eku(cas):
    mark = read_mark_certificate(cas[0].issue(["bimi.example"], None, bimi_eku=False), NOW)
    assert not mark.bimi_eku and not mark.logotype and mark.logo is None


def test_later_mark_time_moves_expiry(cas):
    mark = read_mark_certificate(cas[0].issue(["bimi.example"], labbimi.GOOD_LOGO), NOW + timedelta(days=400))
    assert mark.leaf.expired


@pytest.mark.parametrize(("uri", "body"), [
    ("data:image/svg+xml;base64," + base64.b64encode(b"<svg/>").decode(), b"<svg/>"),
    ("data:image/svg+xml;base64," + base64.b64encode(gzip.compress(b"<svg/>")).decode(), b"<svg/>"),
    ("data:image/svg+xml,%3Csvg%2F%3E", b"<svg/>"),
])
def test_data_uris(uri, body):
    assert decode_data_uri(uri) == (body, "")


def test_gzip_bomb_in_a_logotype_is_bounded():
    bomb = base64.b64encode(gzip.compress(b"\0" * (3 * 1024 * 1024))).decode()
    logo, error = decode_data_uri("data:image/svg+xml;base64," + bomb)
    assert logo is None and "larger than" in error


@given(st.binary(max_size=300))
def test_logotype_walk_never_crashes(data):
    logotype_svg(data)


@pytest.mark.parametrize("data", [b"", b"not pem", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
def test_bad_evidence_documents(data):
    with pytest.raises(ParseError):
        parse_pem_chain(data)
