"""The BIMI measure on the lab: records, logos and mark certificates served over real HTTPS, the
DMARC prerequisite, and every wait bounded."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import dns.name
import pytest
from click.testing import CliRunner

from mailguard.cli import main
from mailguard.core.config import Config
from mailguard.core.model import Area, MeasureResult, Verdict
from mailguard.measures import bimi
from mailguard.measures.bimi import judge_dmarc
from mailguard.net import Net
from tests.conftest import run_measure


def codes(result: MeasureResult) -> dict[str, str]:
    return {f.code: f.verdict.value for f in result.findings}


def run_at(config: Config, domain: str, when: datetime) -> MeasureResult:
    async def go() -> MeasureResult:
        net = Net(config, now=lambda: when)
        try:
            return await bimi.run(net, domain, config)
        finally:
            await net.aclose()

    return asyncio.run(go())


GOOD = {"BIMI-RECORD": "info", "BIMI-LOGO-OK": "pass", "BIMI-VMC-LOGO-MATCH": "pass", "BIMI-VMC-NAME": "pass",
        "BIMI-VMC-VALID": "pass", "BIMI-VMC-CHAIN-TRUSTED": "pass", "BIMI-DMARC-ENFORCING": "pass"}

# case -> (status, the findings that must be there with their verdicts)
CASES = {
    "bimigood": ("pass", GOOD),
    "bimimissing": ("info", {"BIMI-NONE": "info"}),
    "bimiscript": ("fail", {"BIMI-SVG-FORBIDDEN": "fail", "BIMI-NO-VMC": "info"}),
    "bimiexternal": ("fail", {"BIMI-SVG-EXTERNAL": "fail"}),
    "bimitiny": ("fail", {"BIMI-SVG-NOT-TINY-PS": "fail", "BIMI-SVG-VERSION": "fail"}),
    "bimisquare": ("fail", {"BIMI-SVG-NOT-SQUARE": "fail"}),
    "bimibig": ("warn", {"BIMI-LOGO-LARGE": "warn", "BIMI-LOGO-OK": "pass"}),
    "bimihuge": ("fail", {"BIMI-LOGO-TOO-BIG": "fail"}),
    "bimihugevmc": ("fail", {"BIMI-VMC-TOO-BIG": "fail", "BIMI-LOGO-OK": "pass"}),
    "bimi404": ("fail", {"BIMI-LOGO-HTTP": "fail"}),
    "bimihttp": ("fail", {"BIMI-NOT-HTTPS": "fail"}),
    "bimiexpired": ("fail", {"BIMI-VMC-EXPIRED": "fail", "BIMI-VMC-CHAIN-TRUSTED": "pass"}),
    "bimiuntrusted": ("fail", {"BIMI-VMC-CHAIN-UNTRUSTED": "fail", "BIMI-VMC-VALID": "pass"}),
    "bimiwrongname": ("fail", {"BIMI-VMC-NAME-MISMATCH": "fail"}),
    "bimimismatch": ("fail", {"BIMI-VMC-LOGO-MISMATCH": "fail", "BIMI-LOGO-OK": "pass"}),
    "bimidmarcnone": ("fail", {"BIMI-DMARC-NOT-ENFORCING": "fail", "BIMI-LOGO-OK": "pass"}),
    "bimipct": ("fail", {"BIMI-DMARC-PCT": "fail"}),
    "bimisp": ("fail", {"BIMI-DMARC-SP-NONE": "fail"}),
    "bimideclined": ("info", {"BIMI-DECLINED": "info"}),
    "bimibadrecord": ("fail", {"BIMI-RECORD-INVALID": "fail"}),
    "bimitwo": ("fail", {"BIMI-MULTIPLE": "fail"}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_case(lab, case):
    status, expected = CASES[case]
    result = run_measure(bimi, f"{case}.peers.test", lab.config())
    got = codes(result)
    for code, verdict in expected.items():
        assert got.get(code) == verdict, (code, got)
    assert result.status.value == status, got
    assert all(f.evidence for f in result.findings if f.code != "BIMI-NO-VMC"), "findings carry evidence"


def test_good_case_evidence_is_the_record_the_logo_and_the_certificate(lab):
    result = run_measure(bimi, "bimigood.peers.test", lab.config())
    logo = next(f for f in result.findings if f.code == "BIMI-LOGO-OK")
    fetch = logo.evidence[0]
    assert fetch.kind == "http" and fetch.data["request"]["url"] == "https://bimi.peers.test/good.svg"
    assert fetch.data["verified"] is True
    chain = next(f for f in result.findings if f.code == "BIMI-VMC-CHAIN-TRUSTED")
    cert = next(e for e in chain.evidence if e.kind == "input")
    assert cert.data["bimi_eku"] is True and cert.data["leaf"]["sans"] == ["bimigood.peers.test"]
    record = next(f for f in result.findings if f.code == "BIMI-RECORD")
    assert record.evidence[0].data["query"]["name"] == "default._bimi.bimigood.peers.test"
    dmarc = next(f for f in result.findings if f.code == "BIMI-DMARC-ENFORCING")
    assert any("_dmarc.bimigood.peers.test" in e.summary for e in dmarc.evidence)
    assert result.data["dmarc"]["enforcing"] is True
    assert result.data["selectors"][0]["logo"]["problems"] == []


def test_without_a_ca_bundle_the_chain_is_not_checked(lab):
    got = codes(run_measure(bimi, "bimigood.peers.test", lab.config(bimi_ca=None)))
    assert got["BIMI-VMC-CHAIN-NOT-CHECKED"] == "info"
    assert "BIMI-VMC-CHAIN-TRUSTED" not in got


def test_expiry_follows_the_injected_clock(lab):
    later = run_at(lab.config(), "bimigood.peers.test", datetime.now(UTC) + timedelta(days=400))
    assert codes(later)["BIMI-VMC-EXPIRED"] == "fail"
    assert codes(later)["BIMI-VMC-CHAIN-TRUSTED"] == "pass"  # expired is not untrusted


def test_selectors_given_are_checked(lab):
    assert codes(run_measure(bimi, "bimiselector.peers.test", lab.config()))["BIMI-NONE"] == "info"
    result = run_measure(bimi, "bimiselector.peers.test", lab.config(bimi_selectors=("brand", "bad selector!")))
    subjects = {(f.subject, f.code) for f in result.findings}
    assert ("brand", "BIMI-LOGO-OK") in subjects and ("default", "BIMI-NONE") in subjects
    assert [s["selector"] for s in result.data["selectors"]] == ["default", "brand"]


def test_a_subdomain_falls_back_to_the_organizational_domain(lab):
    result = run_measure(bimi, "sub.good.test", lab.config())
    record = next(f for f in result.findings if f.code == "BIMI-RECORD")
    assert record.params["name"] == "default._bimi.good.test"
    names = [e.data["query"]["name"] for e in record.evidence]
    assert names == ["default._bimi.sub.good.test", "default._bimi.good.test"]
    assert result.status.value == "pass"


def test_good_test_publishes_bimi(lab):
    assert codes(run_measure(bimi, "good.test", lab.config())) == GOOD


def test_stalling_logo_and_certificate_are_not_tested_within_the_cap(lab):
    started = time.monotonic()
    result = run_measure(bimi, "bimistall.peers.test", lab.config(timeout=0.5))
    got = codes(result)
    assert got["BIMI-LOGO-UNREACHABLE"] == "not tested"
    assert got["BIMI-VMC-UNREACHABLE"] == "not tested"
    assert "fail" not in got.values()
    assert time.monotonic() - started < 0.5 * 3 + 3  # the seam's whole-exchange cap, plus slack


def test_a_record_lookup_that_fails_is_not_tested(lab):
    name = dns.name.from_text("default._bimi.bimigood.peers.test")
    lab.dns.silent.add(name)
    try:
        result = run_measure(bimi, "bimigood.peers.test", lab.config(timeout=0.3))
    finally:
        lab.dns.silent.discard(name)
    assert codes(result) == {"BIMI-LOOKUP-FAILED": "not tested"}


def test_dmarc_that_cannot_be_looked_up_leaves_the_prerequisite_untested(lab):
    name = dns.name.from_text("_dmarc.bimigood.peers.test")
    lab.dns.silent.add(name)
    try:
        result = run_measure(bimi, "bimigood.peers.test", lab.config(timeout=0.3))
    finally:
        lab.dns.silent.discard(name)
    assert codes(result)["BIMI-DMARC-UNTESTED"] == "not tested"


def dmarc_result(status: Verdict = Verdict.PASS, **data: object) -> MeasureResult:
    base = {"policy": None, "applied_policy": None, "pct": None, "sp": None, "enforcing": False,
            "discovery": {"dmarcbis": {"failed": []}}}
    return MeasureResult("dmarc", "DMARC", Area.MAIL_AUTH, status, (), data={**base, **data})


@pytest.mark.parametrize(("measured", "code"), [
    (dmarc_result(policy="reject", applied_policy="reject", pct=100, enforcing=True), "BIMI-DMARC-ENFORCING"),
    (dmarc_result(policy="quarantine", applied_policy="quarantine", enforcing=True), "BIMI-DMARC-ENFORCING"),
    (dmarc_result(policy="quarantine", applied_policy="quarantine", pct=99, enforcing=True), "BIMI-DMARC-PCT"),
    (dmarc_result(policy="reject", applied_policy="reject", sp="none", enforcing=True), "BIMI-DMARC-SP-NONE"),
    (dmarc_result(policy="none", applied_policy="none"), "BIMI-DMARC-NOT-ENFORCING"),
    # t=y: a published quarantine applied as none (RFC 9989 §4.7)
    (dmarc_result(policy="quarantine", applied_policy="none"), "BIMI-DMARC-NOT-ENFORCING"),
    (dmarc_result(Verdict.FAIL), "BIMI-DMARC-MISSING"),
    (dmarc_result(Verdict.NOT_TESTED, discovery={"dmarcbis": {"failed": ["x.example"]}}), "BIMI-DMARC-UNTESTED"),
])
def test_dmarc_prerequisite(measured, code):
    assert judge_dmarc(measured).code == code


def test_cli_bimi_options(lab):
    assert lab.marks is not None
    args = ["scan", "bimiselector.peers.test", "--nameserver", lab.dns.address, "--measure", "bimi",
            "--bimi-selector", "brand", "--bimi-ca", str(lab.marks.bundle_path), "--format", "json"]
    result = CliRunner().invoke(main, args)
    doc = json.loads(result.output)
    measure = doc["measures"][0]
    assert measure["name"] == "bimi" and measure["area"] == "mail-authentication"
    assert [s["selector"] for s in measure["data"]["selectors"]] == ["default", "brand"]


@pytest.mark.parametrize("args", [["--bimi-selector", "not a selector"], ["--bimi-ca", "/nonexistent.pem"]])
def test_cli_refuses_unusable_bimi_options(lab, args):
    result = CliRunner().invoke(main, ["scan", "good.test", "--nameserver", lab.dns.address, *args])
    assert result.exit_code == 2, result.output


def test_cli_refuses_a_ca_bundle_that_is_not_pem(lab, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    result = CliRunner().invoke(main, ["scan", "good.test", "--nameserver", lab.dns.address, "--bimi-ca", str(bad)])
    assert result.exit_code == 2 and "bad.pem" in result.output
