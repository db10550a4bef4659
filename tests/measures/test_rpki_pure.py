"""RPKI route origin validation (RFC 6811 §2) and the parsers of VRP exports and origin lookups."""

from __future__ import annotations

import contextlib
import ipaddress
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailguard.core.errors import ParseError
from mailguard.measures.rpki.roa import (
    INVALID,
    NOT_FOUND,
    VALID,
    Route,
    Vrp,
    VrpTable,
    covers,
    origin_query,
    origins_for,
    parse_asn,
    parse_origin,
    parse_validity_json,
    parse_vrp_json,
    validate,
)


def vrp(prefix: str, max_length: int | None, asn: int) -> Vrp:
    network = ipaddress.ip_network(prefix)
    return Vrp(network, network.prefixlen if max_length is None else max_length, asn)


def route(prefix: str, asn: int) -> Route:
    return Route(ipaddress.ip_network(prefix), asn)


# RFC 6811 §2: covered = VRP prefix length <= route length and the leading bits agree; matched =
# covered, route length <= maxLength and the same (non-zero) AS. Valid: some VRP matches; Invalid:
# some cover, none match; NotFound: none cover.
ROV_TABLE = [
    # (VRPs, route, state, reason)
    ([("192.0.2.0/24", 24, 64500)], ("192.0.2.0/24", 64500), VALID, ""),
    ([("192.0.2.0/24", None, 64500)], ("192.0.2.0/24", 64500), VALID, ""),  # no maxLength: the length
    ([("192.0.2.0/24", 24, 64500)], ("192.0.2.0/24", 64501), INVALID, "as"),
    ([("192.0.2.0/24", 24, 64500)], ("192.0.2.128/25", 64500), INVALID, "length"),  # too specific
    ([("192.0.2.0/24", 25, 64500)], ("192.0.2.128/25", 64500), VALID, ""),  # maxLength reaches
    ([("192.0.2.0/24", 24, 64500)], ("192.0.2.0/23", 64500), NOT_FOUND, ""),  # less specific: not covered
    ([("192.0.2.0/24", 24, 64500)], ("198.51.100.0/24", 64500), NOT_FOUND, ""),
    ([], ("192.0.2.0/24", 64500), NOT_FOUND, ""),
    # one matching VRP makes it valid whatever else covers it
    ([("192.0.0.0/16", 16, 64999), ("192.0.2.0/24", 24, 64500)], ("192.0.2.0/24", 64500), VALID, ""),
    # the AS is authorised on a less specific with a short maxLength, another AS on this prefix:
    # the route's own AS is covered but too specific -> reason length
    ([("192.0.0.0/16", 16, 64500), ("192.0.2.0/24", 24, 64999)], ("192.0.2.0/24", 64500), INVALID, "length"),
    # AS 0 never matches, not even a route "originated" by AS 0 (RFC 6483 §4, RFC 7607)
    ([("192.0.2.0/24", 24, 0)], ("192.0.2.0/24", 64500), INVALID, "as"),
    ([("192.0.2.0/24", 24, 0)], ("192.0.2.0/24", 0), INVALID, "as"),
    # the whole address space as a VRP covers everything
    ([("0.0.0.0/0", 32, 64500)], ("203.0.113.7/32", 64500), VALID, ""),
    # families never cover each other
    ([("::/0", 128, 64500)], ("192.0.2.0/24", 64500), NOT_FOUND, ""),
    ([("2001:db8::/32", 48, 64500)], ("2001:db8:1::/48", 64500), VALID, ""),
    ([("2001:db8::/32", 48, 64500)], ("2001:db8:1:2::/64", 64500), INVALID, "length"),
    ([("2001:db8::/32", 48, 64500)], ("2001:db8:1::/48", 64511), INVALID, "as"),
    ([("2001:db8::/32", 32, 64500)], ("2001:db9::/32", 64500), NOT_FOUND, ""),
]


@pytest.mark.parametrize(("vrps", "announced", "state", "reason"), ROV_TABLE)
def test_route_origin_validation(vrps, announced, state, reason):
    table = [vrp(*v) for v in vrps]
    got = validate(route(*announced), table)
    assert (got.state, got.reason) == (state, reason)
    assert VrpTable(table).validate(route(*announced)) == got  # the index finds the same VRPs


def test_validity_lists_which_vrps_matched_and_which_did_not():
    vrps = [vrp("192.0.0.0/16", 16, 64500), vrp("192.0.2.0/24", 24, 64999), vrp("192.0.2.0/24", 24, 64500),
            vrp("10.0.0.0/8", 24, 64500)]
    got = validate(route("192.0.2.0/24", 64500), vrps)
    assert got.matched == (vrp("192.0.2.0/24", 24, 64500),)
    assert got.unmatched_as == (vrp("192.0.2.0/24", 24, 64999),)
    assert got.unmatched_length == (vrp("192.0.0.0/16", 16, 64500),)


def test_covers_is_prefix_containment():
    assert covers(vrp("192.0.2.0/24", 24, 1), ipaddress.ip_network("192.0.2.0/24"))
    assert covers(vrp("192.0.0.0/22", 24, 1), ipaddress.ip_network("192.0.3.0/24"))
    assert not covers(vrp("192.0.0.0/23", 24, 1), ipaddress.ip_network("192.0.2.0/24"))


networks4 = st.builds(lambda a, n: ipaddress.ip_network((a, n), strict=False),
                      st.integers(0, 2**32 - 1), st.integers(0, 32))


@given(st.lists(st.tuples(networks4, st.integers(0, 32), st.integers(0, 5)), max_size=30),
       networks4, st.integers(0, 5))
@settings(max_examples=200, deadline=None)
def test_index_agrees_with_brute_force(raw, prefix, origin):
    vrps = [Vrp(p, max(p.prefixlen, m), a) for p, m, a in raw]
    announced = Route(prefix, origin)
    assert VrpTable(vrps).validate(announced) == validate(announced, vrps)
    state = validate(announced, vrps).state
    matches = [v for v in vrps if covers(v, prefix) and v.asn == origin != 0 and prefix.prefixlen <= v.max_length]
    assert (state == VALID) == bool(matches)
    assert (state == NOT_FOUND) == (not any(covers(v, prefix) for v in vrps))


# -- VRP exports -------------------------------------------------------------------------------------

ROUTINATOR = {"metadata": {"generated": 0, "generatedTime": "1970-01-01T00:00:00Z"},
              "roas": [{"asn": "AS64500", "prefix": "192.0.2.0/24", "maxLength": 24, "ta": "ripe"},
                       {"asn": "AS64501", "prefix": "2001:db8::/32", "maxLength": 48, "ta": "arin"}]}
RPKI_CLIENT = {"metadata": {"buildtime": "2026-01-01T00:00:00Z", "roas": 2},
               "roas": [{"asn": 64500, "prefix": "192.0.2.0/24", "maxLength": 24, "ta": "ripe",
                         "expires": 1800000000},
                        {"asn": 64501, "prefix": "2001:db8::/32", "maxLength": 48, "ta": "arin",
                         "expires": 1800000000}]}


@pytest.mark.parametrize("export", [ROUTINATOR, RPKI_CLIENT], ids=["routinator", "rpki-client"])
def test_both_exports_parse_to_the_same_table(export):
    table = parse_vrp_json(json.dumps(export))
    assert len(table) == 2
    assert table.covering(ipaddress.ip_network("2001:db8:5::/48")) == (
        Vrp(ipaddress.ip_network("2001:db8::/32"), 48, 64501, "arin"),)
    assert table.validate(route("192.0.2.0/24", 64500)).state == VALID


@pytest.mark.parametrize(("text", "message", "position"), [
    ("{", "not JSON", 1),
    ("[]", '"roas" list', None),
    ('{"roas": {}}', '"roas" list', None),
    ('{"roas": [1]}', "expected an object", 0),
    ('{"roas": [{"asn": "AS1", "prefix": "192.0.2.1/24", "maxLength": 24}]}', "not a prefix", 0),
    ('{"roas": [{"asn": "AS1", "prefix": "192.0.2.0/24", "maxLength": 23}]}', "maxLength 23 outside", 0),
    ('{"roas": [{"asn": "AS1", "prefix": "192.0.2.0/24", "maxLength": 33}]}', "maxLength 33 outside", 0),
    ('{"roas": [{"asn": "AS1", "prefix": "192.0.2.0/24", "maxLength": 24},'
     ' {"asn": "ASX", "prefix": "192.0.2.0/24", "maxLength": 24}]}', "not an AS number", 1),
    ('{"roas": [{"asn": 4294967296, "prefix": "192.0.2.0/24", "maxLength": 24}]}', "out of range", 0),
    ('{"roas": [{"asn": true, "prefix": "192.0.2.0/24", "maxLength": 24}]}', "not an AS number", 0),
])
def test_bad_exports_say_where(text, message, position):
    with pytest.raises(ParseError) as caught:
        parse_vrp_json(text)
    assert message in str(caught.value)
    assert caught.value.position == position


@pytest.mark.parametrize(("value", "number"), [("AS64500", 64500), ("as1", 1), ("64500", 64500), (0, 0),
                                               ("AS4294967295", 4294967295)])
def test_asn_forms(value, number):
    assert parse_asn(value) == number


@pytest.mark.parametrize("value", ["AS", "AS-1", "AS1.5", "٣", None, 1.5, -1, "AS4294967296"])
def test_asn_rejects(value):
    with pytest.raises(ParseError):
        parse_asn(value)


@given(st.binary(max_size=300))
def test_vrp_parser_never_crashes_on_junk(data):
    with contextlib.suppress(ParseError):
        parse_vrp_json(data)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                  max_size=4),
                    max_leaves=20))
def test_vrp_parser_on_any_json_shape(value):
    for document in (value, {"roas": value}, {"roas": [value]}):
        with contextlib.suppress(ParseError):
            parse_vrp_json(json.dumps(document))


# -- Routinator's validity API ----------------------------------------------------------------------

VALIDITY = """{
  "validated_route": {
    "route": {"origin_asn": "AS64500", "prefix": "192.0.2.0/25"},
    "validity": {"state": "invalid", "reason": "length",
      "description": "At least one VRP Covers the Route Prefix, but ...",
      "VRPs": {"matched": [],
               "unmatched_as": [{"asn": "AS64999", "prefix": "192.0.2.0/24", "max_length": "25"}],
               "unmatched_length": [{"asn": "AS64500", "prefix": "192.0.2.0/24", "max_length": "24"}]}}
  },
  "generatedTime": "2026-01-01T00:00:00Z"
}"""


def test_validity_answer_gives_the_covering_vrps():
    answer = parse_validity_json(VALIDITY)
    assert answer.route == route("192.0.2.0/25", 64500)
    assert answer.state == INVALID
    assert sorted(answer.covering) == [vrp("192.0.2.0/24", 24, 64500), vrp("192.0.2.0/24", 25, 64999)]
    ours = validate(answer.route, answer.covering)
    assert (ours.state, ours.reason) == (INVALID, "length")


@pytest.mark.parametrize("text", ["{}", '{"validated_route": {}}', "[1]", "null",
                                  VALIDITY.replace('"invalid"', '"maybe"'),
                                  VALIDITY.replace('"max_length": "24"', '"max_length": "x"')])
def test_validity_answer_rejects_other_json(text):
    with pytest.raises(ParseError):
        parse_validity_json(text)


# -- origin lookups ---------------------------------------------------------------------------------


def test_origin_query_names():
    assert origin_query("192.0.2.10", "origin.asn.cymru.com", "origin6.asn.cymru.com") == \
        "10.2.0.192.origin.asn.cymru.com"
    name = origin_query("2001:db8::1", "origin.asn.cymru.com", "origin6.asn.cymru.com.")
    assert name == "1." + "0." * 23 + "8.b.d.0.1.0.0.2.origin6.asn.cymru.com"


@pytest.mark.parametrize(("text", "origins", "prefix", "country"), [
    ("64500 | 192.0.2.0/24 | NL | ripencc | 2001-01-01", (64500,), "192.0.2.0/24", "NL"),
    ("64500 64501 | 192.0.2.0/24 | NL | ripencc | 2001-01-01", (64500, 64501), "192.0.2.0/24", "NL"),
    ("64500|192.0.2.0/24", (64500,), "192.0.2.0/24", ""),
    ("AS64500 | 2001:db8::/32 | US | arin |", (64500,), "2001:db8::/32", "US"),
])
def test_origin_records(text, origins, prefix, country):
    origin = parse_origin(text)
    assert origin.origins == origins
    assert str(origin.prefix) == prefix
    assert origin.country == country


@pytest.mark.parametrize(("text", "position"), [("", 0), ("64500", 0), (" | 192.0.2.0/24", 0),
                                                ("x | 192.0.2.0/24", 0), ("64500 | nonsense | NL", 7)])
def test_origin_record_errors(text, position):
    with pytest.raises(ParseError) as caught:
        parse_origin(text)
    assert caught.value.position == position


def test_origins_keep_only_records_for_the_address():
    found, problems = origins_for("192.0.2.10", ["64500 | 192.0.2.0/24 | NL | r | d",
                                                 "64501 | 198.51.100.0/24 | NL | r | d",
                                                 "garbage"])
    assert [str(o.prefix) for o in found] == ["192.0.2.0/24"]
    assert len(problems) == 2


@given(st.text(max_size=120))
def test_origin_parser_never_crashes(text):
    with contextlib.suppress(ParseError):
        parse_origin(text)
