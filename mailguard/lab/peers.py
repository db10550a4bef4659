"""The lab's cases for the measures the peers have: IPv6, RPKI and BIMI (zone: ``peers.test``).

* IPv6: ``v6ok.peers.test`` serves the same page on 127.0.4.2 and ``::1``; ``v6diff`` and
  ``v6status`` serve another page, or another status, over IPv6 than over IPv4.
* RPKI: :data:`LAB_VRPS`, written as a Routinator JSON export (``vrps.json``) that
  ``Lab.config()`` names, and ``rpki.peers.test`` (127.0.4.9, plain http) playing a Routinator
  HTTP service: ``/json`` (the VRPs), ``/api/v1/validity/AS/prefix`` (one route's validity), and
  ``/stall/json`` / ``/endless/json`` for a source that never answers or never ends.
* BIMI: ``bimi.peers.test`` (127.0.4.10, https) serves logos right and wrong in each way SVG Tiny
  PS names and mark certificates from the lab's mark CA (``Lab.marks``; its root is what
  ``Lab.config()`` gives as ``bimi_ca``): good, expired, from another CA, for another name, with
  another logo. ``good.test``'s own logo and certificate are served there too.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ..measures.rpki.roa import Route, Vrp, VrpTable, parse_asn, parse_prefix, validate
from .bimi import (
    BIG_LOGO,
    EXTERNAL_LOGO,
    GOOD_LOGO,
    NOT_SQUARE_LOGO,
    NOT_TINY_PS_LOGO,
    SCRIPT_LOGO,
    MarkCa,
    logo,
)
from .http_server import NOT_FOUND, Reply, Site, page, text
from .http_server import Route as WebRoute
from .mail import ipv6_loopback
from .web import site_routes

V6: tuple[str, ...] = ("::1",) if ipv6_loopback() else ()
RPKI_ADDRESS = "127.0.4.9"
BIMI_ADDRESS = "127.0.4.10"
ORIGIN_ZONE = "origin.asn.peers.test"
ORIGIN6_ZONE = "origin6.asn.peers.test"

# (prefix, maxLength, AS): what a relying party would have validated for the lab.
LAB_VRPS: tuple[tuple[str, int, int], ...] = (
    ("127.0.0.0/24", 24, 64500),
    ("127.0.4.0/24", 24, 64500),
    ("127.0.6.0/24", 24, 64500),
    ("127.0.7.0/24", 24, 64500),
    ("127.0.8.0/24", 24, 64500),
    ("::1/128", 128, 64500),
)
SVG = "image/svg+xml"
PEM = "application/pem-certificate-chain"


def vrp_export() -> dict[str, object]:
    """The lab's VRPs as ``routinator vrps --format json`` writes them."""
    return {"metadata": {"generated": 0, "generatedTime": "2026-01-01T00:00:00Z"},
            "roas": [{"asn": f"AS{asn}", "prefix": prefix, "maxLength": length, "ta": "lab"}
                     for prefix, length, asn in LAB_VRPS]}


def write_vrps(directory: Path) -> Path:
    path = directory / "vrps.json"
    path.write_text(json.dumps(vrp_export(), indent=1))
    return path


def _table() -> VrpTable:
    return VrpTable(Vrp(parse_prefix(p), length, asn, "lab") for p, length, asn in LAB_VRPS)


def validity_reply(path: str) -> Reply:
    """Routinator's ``/api/v1/validity/AS/prefix`` for the lab's VRPs."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    if len(parts) != 6 or parts[:3] != ["api", "v1", "validity"]:
        return NOT_FOUND
    try:
        route = Route(parse_prefix(f"{parts[4]}/{parts[5]}"), parse_asn(parts[3]))
    except Exception:  # noqa: BLE001 - a bad request, as Routinator answers one
        return page("bad request", status=400)
    got = validate(route, _table().covering(route.prefix))
    body = {"validated_route": {
        "route": {"origin_asn": f"AS{route.origin}", "prefix": str(route.prefix)},
        "validity": {"state": got.state, **({"reason": got.reason} if got.reason else {}),
                     "description": "lab", "VRPs": {
                         name: [{"asn": f"AS{v.asn}", "prefix": str(v.prefix), "max_length": str(v.max_length)}
                                for v in vrps]
                         for name, vrps in (("matched", got.matched), ("unmatched_as", got.unmatched_as),
                                            ("unmatched_length", got.unmatched_length))}}},
        "generatedTime": "2026-01-01T00:00:00Z"}
    return text(json.dumps(body), content_type="application/json")


def rpki_site() -> Site:
    routes: dict[str, WebRoute] = {
        "/json": text(json.dumps(vrp_export()), content_type="application/json"),
        "/stall/json": Reply(stall=True),
        "/endless/json": Reply(200, (("Content-Type", "application/json"),), b'{"roas": [' + b" " * 4096,
                               endless=True),
        "*": validity_reply,
    }
    return Site("rpki.peers.test", (RPKI_ADDRESS,), {}, http=routes, serve_https=False)


def bimi_site(marks: MarkCa, other: MarkCa) -> Site:
    """Logos and mark certificates, right and wrong."""
    def svg(body: bytes) -> Reply:
        return Reply(200, (("Content-Type", SVG),), body)

    def pem(body: bytes) -> Reply:
        return Reply(200, (("Content-Type", PEM),), body)

    case = "bimigood.peers.test"
    routes: dict[str, WebRoute] = {
        "/good.svg": svg(GOOD_LOGO),
        "/script.svg": svg(SCRIPT_LOGO),
        "/external.svg": svg(EXTERNAL_LOGO),
        "/nottiny.svg": svg(NOT_TINY_PS_LOGO),
        "/notsquare.svg": svg(NOT_SQUARE_LOGO),
        "/big.svg": svg(BIG_LOGO),
        "/stall.svg": Reply(stall=True),
        "/stall.pem": Reply(stall=True),
        "/huge.svg": Reply(200, (("Content-Type", SVG),), GOOD_LOGO[:200], endless=True),
        "/huge.pem": Reply(200, (("Content-Type", "application/pem-certificate-chain"),),
                           b"-----BEGIN CERTIFICATE-----\n", endless=True),
        "/good-test.svg": svg(logo("good.test")),
        "/good.pem": pem(marks.issue([case], GOOD_LOGO)),
        "/good-test.pem": pem(marks.issue(["good.test"], logo("good.test"))),
        "/expired.pem": pem(marks.issue(["bimiexpired.peers.test"], GOOD_LOGO, days_valid=(-400, -20))),
        "/untrusted.pem": pem(other.issue(["bimiuntrusted.peers.test"], GOOD_LOGO)),
        "/othername.pem": pem(marks.issue(["brand.elsewhere.example"], GOOD_LOGO)),
        "/otherlogo.pem": pem(marks.issue(["bimimismatch.peers.test"], logo("Another brand"))),
        "*": NOT_FOUND,
    }
    return Site("bimi.peers.test", (BIMI_ADDRESS,), routes)


def ipv6_sites(now: datetime) -> list[Site]:
    def other(name: str) -> dict[str, WebRoute]:
        return {"/": page(f"<!doctype html><title>{name}</title><h1>another site over IPv6</h1>"), "*": NOT_FOUND}

    sites = [Site("v6ok.peers.test", ("127.0.4.2", *V6), site_routes("v6ok.peers.test", now)),
             Site("v6diff.peers.test", ("127.0.4.4",), site_routes("v6diff.peers.test", now)),
             Site("v6status.peers.test", ("127.0.4.5",), site_routes("v6status.peers.test", now))]
    if V6:
        # The same names on ::1 with other pages: the lab picks the site by address and Host.
        sites += [Site("v6diff.peers.test", V6, other("v6diff.peers.test")),
                  Site("v6status.peers.test", V6, {"*": page("unavailable", status=503)})]
    return sites


def peers_sites(now: datetime, marks: MarkCa, other: MarkCa) -> list[Site]:
    return [*ipv6_sites(now), rpki_site(), bimi_site(marks, other)]


__all__ = ["BIMI_ADDRESS", "LAB_VRPS", "ORIGIN6_ZONE", "ORIGIN_ZONE", "RPKI_ADDRESS", "V6", "peers_sites",
           "validity_reply", "vrp_export", "write_vrps"]
