"""The RPKI measure on the lab: origin lookups answered by the lab's zone, VRPs from a file, from a
Routinator-like /json and from its validity API, and every way it can not be tested."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import dns.name
import pytest
from click.testing import CliRunner

from mailguard.cli import main
from mailguard.core.config import Config
from mailguard.core.errors import InputError
from mailguard.core.model import MeasureResult
from mailguard.lab import Lab
from mailguard.measures.rpki import measure as rpki
from mailguard.net import Net
from tests.conftest import run_measure

CASES = [
    ("rpkivalid.peers.test", "127.0.6.1", "RPKI-VALID", "pass"),
    ("rpkiwrongas.peers.test", "127.0.7.1", "RPKI-INVALID-AS", "fail"),
    ("rpkitoospecific.peers.test", "127.0.8.1", "RPKI-INVALID-LENGTH", "fail"),
    ("rpkinotfound.peers.test", "127.0.9.1", "RPKI-NOT-FOUND", "warn"),
    ("rpkinoroute.peers.test", "127.0.10.1", "RPKI-NO-ROUTE", "not tested"),
    ("rpkijunk.peers.test", "127.0.11.1", "RPKI-ORIGIN-UNREADABLE", "not tested"),
]


def by_address(result: MeasureResult) -> dict[str, tuple[str, str]]:
    return {f.subject: (f.code, f.verdict.value) for f in result.findings}


def rpki_url(lab: Lab, path: str) -> str:
    return f"http://rpki.peers.test:{lab.config().http_port}{path}"


@pytest.mark.parametrize(("domain", "address", "code", "verdict"), CASES)
def test_each_case_from_a_vrp_file(lab, domain, address, code, verdict):
    result = run_measure(rpki, domain, lab.config())
    assert by_address(result)[address] == (code, verdict)
    # the zone's name server (127.0.0.1 and ::1) is checked too, and is valid
    assert by_address(result)["127.0.0.1"] == ("RPKI-VALID", "pass")
    assert by_address(result)["::1"] == ("RPKI-VALID", "pass")
    item = next(f for f in result.findings if f.subject == address)
    origin = item.evidence[0]
    assert origin.kind == "dns" and origin.data["query"]["type"] == "TXT"
    assert origin.data["query"]["name"] == ".".join(reversed(address.split("."))) + ".origin.asn.peers.test"
    if verdict in ("pass", "fail", "warn"):
        source = next(e for e in item.evidence if e.kind == "input")
        assert source.data["vrps"] == 6 and len(source.data["sha256"]) == 64


def test_invalid_findings_name_the_roas_and_the_route(lab):
    result = run_measure(rpki, "rpkitoospecific.peers.test", lab.config())
    item = next(f for f in result.findings if f.code == "RPKI-INVALID-LENGTH")
    assert item.params["prefix"] == "127.0.8.0/25" and item.params["asn"] == 64500
    assert "127.0.8.0/24-24 AS64500" in item.reason
    route = next(a for a in result.data["addresses"] if a["address"] == "127.0.8.1")["routes"][0]
    assert route["state"] == "invalid" and route["reason"] == "length"


def test_demo_domains(lab):
    good = run_measure(rpki, "good.test", lab.config())
    assert good.status.value == "pass"
    assert set(by_address(good)) == {"127.0.0.11", "127.0.0.12", "127.0.0.20", "127.0.0.53", "::1"}
    ipv6 = next(f for f in good.findings if f.subject == "::1")
    assert "mx1.good.test" in ipv6.params["hosts"] and "ns1.good.test" in ipv6.params["hosts"]
    broken = run_measure(rpki, "broken.test", lab.config())
    assert by_address(broken)["127.0.0.26"] == ("RPKI-INVALID-AS", "fail")  # a /32 from AS64666


def test_no_vrps_configured_is_not_tested_and_says_how(lab):
    result = run_measure(rpki, "rpkivalid.peers.test", lab.config(rpki_vrps=None))
    assert [(f.code, f.verdict.value) for f in result.findings] == [("RPKI-NO-DATA", "not tested")]
    assert "--rpki-vrps FILE" in result.findings[0].reason and "--rpki-url" in result.findings[0].reason
    assert result.evidence == ()  # nothing was asked of anyone


def test_vrp_list_from_a_routinator_json_url(lab):
    config = lab.config(rpki_vrps=None, rpki_url=rpki_url(lab, "/json"))
    for domain, address, code, verdict in CASES:
        result = run_measure(rpki, domain, config)
        assert by_address(result)[address] == (code, verdict), domain
    fetch = next(e for e in result.evidence if e.kind == "http")
    assert fetch.data["request"]["url"].endswith("/json") and fetch.data["http_status"] == 200


def test_validity_api_of_a_routinator(lab):
    config = lab.config(rpki_vrps=None, rpki_url=rpki_url(lab, "/"))
    for domain, address, code, verdict in CASES:
        result = run_measure(rpki, domain, config)
        assert by_address(result)[address] == (code, verdict), domain
    result = run_measure(rpki, "rpkiwrongas.peers.test", config)
    item = next(f for f in result.findings if f.code == "RPKI-INVALID-AS")
    asked = [e.data["request"]["url"] for e in item.evidence if e.kind == "http"]
    assert asked == [rpki_url(lab, "/api/v1/validity/AS64666/127.0.7.0/24")]


def test_a_stalling_source_is_not_tested_within_the_time_cap(lab):
    config = lab.config(rpki_vrps=None, rpki_url=rpki_url(lab, "/stall/json"), timeout=0.5)
    started = time.monotonic()
    result = run_measure(rpki, "rpkivalid.peers.test", config)
    assert [(f.code, f.verdict.value) for f in result.findings] == [("RPKI-SOURCE-FAILED", "not tested")]
    assert "timeout" in result.findings[0].reason
    assert time.monotonic() - started < 0.5 * 3 + 3  # the seam's whole-exchange cap, plus slack


def test_an_endless_source_stops_at_the_size_cap(lab):
    async def go() -> rpki.Validator:
        config = lab.config(rpki_vrps=None, rpki_url=rpki_url(lab, "/endless/json"))
        net = Net(config)
        try:
            source = rpki.source_of(config)
            assert source is not None and source.kind == "json"
            return await rpki.validator(net, source, cap=64 * 1024)
        finally:
            await net.aclose()

    checker = asyncio.run(go())
    assert checker.table is None and checker.error == "larger than the cap"


def test_a_missing_validity_api_is_not_tested(lab):
    config = lab.config(rpki_vrps=None, rpki_url=rpki_url(lab, "/nowhere/"))
    result = run_measure(rpki, "rpkivalid.peers.test", config)
    assert by_address(result)["127.0.6.1"] == ("RPKI-VALIDITY-FAILED", "not tested")
    assert "HTTP 404" in next(f.reason for f in result.findings if f.subject == "127.0.6.1")


def test_origin_lookups_that_fail_are_not_tested(lab):
    zone = dns.name.from_text("origin.asn.peers.test")
    lab.dns.silent.add(zone)
    try:
        started = time.monotonic()
        result = run_measure(rpki, "rpkivalid.peers.test", lab.config(timeout=0.3))
    finally:
        lab.dns.silent.discard(zone)
    assert by_address(result)["127.0.6.1"] == ("RPKI-ORIGIN-FAILED", "not tested")
    assert by_address(result)["::1"] == ("RPKI-VALID", "pass")  # the IPv6 zone still answered
    assert time.monotonic() - started < 5


def test_an_origin_service_that_knows_nothing_is_not_tested(lab):
    # the lab's DNS has no Team Cymru zone: every origin lookup is NXDOMAIN
    config = lab.config(rpki_origin_zone="origin.asn.cymru.com", rpki_origin6_zone="origin6.asn.cymru.com")
    result = run_measure(rpki, "rpkivalid.peers.test", config)
    assert {(f.code, f.verdict.value) for f in result.findings} == {("RPKI-NO-ROUTE", "not tested")}


def test_source_kinds():
    assert rpki.source_of(Config()) is None
    assert rpki.source_of(Config(rpki_vrps=Path("v.json"))) == rpki.Source("file", "v.json")
    assert rpki.source_of(Config(rpki_url="http://r:8323/json")).kind == "json"
    assert rpki.source_of(Config(rpki_url="http://r:8323/json/")).kind == "json"
    assert rpki.source_of(Config(rpki_url="http://r:8323/")).kind == "api"


@pytest.mark.parametrize("url", ["ftp://r/json", "r:8323", "http://", "http:///json"])
def test_bad_urls_are_refused(url):
    with pytest.raises(InputError):
        rpki.check_url(url)


def test_vrp_files_are_read_once_and_bad_ones_refused(tmp_path):
    good = tmp_path / "vrps.json"
    good.write_text(json.dumps({"roas": [{"asn": 64500, "prefix": "192.0.2.0/24", "maxLength": 24}]}))
    assert rpki.load_vrps(good) is rpki.load_vrps(good)
    bad = tmp_path / "bad.json"
    bad.write_text('{"roas": [{"asn": "AS1", "prefix": "192.0.2.1/24"}]}')
    with pytest.raises(InputError, match="roas\\[0\\]|position 0"):
        rpki.load_vrps(bad)
    with pytest.raises(InputError):
        rpki.load_vrps(tmp_path / "missing.json")


# -- the command line -------------------------------------------------------------------------------------


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_cli_scan_with_a_vrp_file(lab):
    assert lab.vrps is not None
    result = invoke("scan", "rpkiwrongas.peers.test", "--nameserver", lab.dns.address, "--measure", "rpki",
                    "--rpki-vrps", str(lab.vrps), "--rpki-origin-zone", "origin.asn.peers.test",
                    "--rpki-origin6-zone", "origin6.asn.peers.test", "--format", "json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.output)
    measure = doc["measures"][0]
    assert measure["name"] == "rpki" and measure["area"] == "domain"
    assert {f["code"] for f in measure["findings"]} >= {"RPKI-INVALID-AS", "RPKI-VALID"}


@pytest.mark.parametrize("args", [
    ["--rpki-vrps", "/nonexistent/vrps.json"],
    ["--rpki-url", "ftp://routinator/json"],
    ["--rpki-origin-zone", "not a zone"],
])
def test_cli_refuses_unusable_rpki_options(lab, args):
    result = invoke("scan", "good.test", "--nameserver", lab.dns.address, *args)
    assert result.exit_code == 2, result.output


def test_cli_refuses_a_file_and_a_url_together(lab, tmp_path):
    assert lab.vrps is not None
    result = invoke("scan", "good.test", "--nameserver", lab.dns.address, "--rpki-vrps", str(lab.vrps),
                    "--rpki-url", "http://routinator.example:8323/json")
    assert result.exit_code == 2 and "not both" in result.output


def test_config_file_keys(tmp_path, lab):
    from mailguard.app.settings import parse

    settings = parse({"rpki_vrps": "vrps.json", "bimi_ca": "roots.pem", "bimi_selectors": ["brand"],
                      "rpki_url": "http://127.0.0.1:8323/json"}, tmp_path / "mailguard.toml")
    assert settings.rpki_vrps == tmp_path / "vrps.json" and settings.bimi_ca == tmp_path / "roots.pem"
    assert settings.bimi_selectors == ("brand",) and settings.rpki_url == "http://127.0.0.1:8323/json"
    assert lab.vrps is not None
    config = tmp_path / "mailguard.toml"
    config.write_text(f'rpki_vrps = "{lab.vrps}"\nreport_dir = "{tmp_path / "reports"}"\n')
    result = invoke("scan", "rpkinotfound.peers.test", "--config", str(config), "--nameserver", lab.dns.address,
                    "--measure", "rpki", "--rpki-origin-zone", "origin.asn.peers.test")
    assert "RPKI [warn]" in result.output and "has no ROA" in result.output, result.output
