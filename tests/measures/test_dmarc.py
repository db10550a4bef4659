"""The DMARC measure against the lab's real DNS server: every lab case, its verdicts and evidence."""

from __future__ import annotations

import dataclasses
import time

import dns.message
import dns.rcode
import pytest

from mailguard.core.model import Verdict
from mailguard.lab import ZONES, LabDns, load_zone_dir, load_zone_text
from mailguard.measures import dmarc
from mailguard.render.json import to_jsonable
from tests.conftest import codes, run_measure, run_scan

# domain -> (measure status, the findings that must be there with their verdicts)
CASES = {
    "good.test": ("pass", {"DMARC-RECORD": "info", "DMARC-POLICY-REJECT": "pass", "DMARC-RUA": "info",
                           "DMARC-ALIGNMENT": "info"}),
    "weak.test": ("warn", {"DMARC-POLICY-NONE": "warn", "DMARC-REPORT-UNAUTHORIZED": "warn"}),
    "broken.test": ("fail", {"DMARC-TAG-INVALID": "fail", "DMARC-POLICY-FALLBACK": "fail",
                             "DMARC-TAG-REMOVED": "warn"}),
    "nomail.test": ("pass", {"DMARC-POLICY-REJECT": "pass", "DMARC-NULL-MX-REJECT": "pass",
                             "DMARC-NO-RUA-NULL-MX": "info"}),
    "dmarc.test": ("warn", {"DMARC-POLICY-REJECT": "pass", "DMARC-SP-WEAKER": "warn"}),
    "inherit.dmarc.test": ("pass", {"DMARC-INHERITED": "info", "DMARC-POLICY-QUARANTINE": "pass"}),
    "gone.dmarc.test": ("warn", {"DMARC-INHERITED": "info", "DMARC-POLICY-REJECT": "pass",
                                 "DMARC-METHODS-DIFFER": "warn"}),
    "none.dmarc.test": ("warn", {"DMARC-POLICY-NONE": "warn"}),
    "badtags.dmarc.test": ("warn", {"DMARC-TAG-INVALID": "warn", "DMARC-FO-IGNORED": "info",
                                    "DMARC-POLICY-REJECT": "pass"}),
    "badpolicy.dmarc.test": ("fail", {"DMARC-TAG-INVALID": "fail", "DMARC-POLICY-FALLBACK": "fail"}),
    "unknown.dmarc.test": ("warn", {"DMARC-TAG-UNKNOWN": "warn"}),
    # Issue 17: tag names are case-insensitive; only the value DMARC1 is case-sensitive.
    "upper.dmarc.test": ("pass", {"DMARC-POLICY-REJECT": "pass", "DMARC-RUA": "info"}),
    "lowerversion.dmarc.test": ("fail", {"DMARC-NOT-DMARC": "fail"}),
    # Issue 17: a record of any size DNS allows is fetched (over TCP after a truncated UDP answer)
    "big.dmarc.test": ("pass", {"DMARC-POLICY-REJECT": "pass", "DMARC-RUA": "info"}),
    "pct.dmarc.test": ("warn", {"DMARC-PCT": "warn", "DMARC-TAG-REMOVED": "warn",
                                "DMARC-POLICY-QUARANTINE": "pass"}),
    "testing.dmarc.test": ("warn", {"DMARC-TESTING": "warn"}),
    "removed.dmarc.test": ("warn", {"DMARC-TAG-REMOVED": "warn"}),
    "two.dmarc.test": ("fail", {"DMARC-MULTIPLE": "fail", "DMARC-INHERITED": "info",
                                "DMARC-METHODS-DIFFER-BIS-ONLY": "warn"}),
    "spweak.dmarc.test": ("warn", {"DMARC-SP-WEAKER": "warn", "DMARC-NP-WEAKER": "warn",
                                   "DMARC-ORG-DIFFERS": "info"}),
    "extrua.dmarc.test": ("warn", {"DMARC-REPORT-AUTHORIZED": "pass", "DMARC-REPORT-UNAUTHORIZED": "warn",
                                   "DMARC-RUF": "info"}),
    "badrua.dmarc.test": ("warn", {"DMARC-URI-INVALID": "warn", "DMARC-NO-RUA": "warn"}),
    "notfirst.dmarc.test": ("fail", {"DMARC-NOT-DMARC": "fail", "DMARC-INHERITED": "info"}),
    "broken.dmarc.test": ("fail", {"DMARC-SYNTAX": "fail", "DMARC-POLICY-REJECT": "pass",
                                   "DMARC-NO-RUA": "warn"}),
    "nopolicy.dmarc.test": ("warn", {"DMARC-P-MISSING": "warn", "DMARC-POLICY-NONE": "warn"}),
    "orgunit.dmarc.test": ("pass", {"DMARC-POLICY-REJECT": "pass", "DMARC-ORG-DIFFERS": "info"}),
    "team.orgunit.dmarc.test": ("warn", {"DMARC-INHERITED": "info", "DMARC-POLICY-REJECT": "pass",
                                         "DMARC-METHODS-DIFFER": "warn"}),
    "shop.registry.dmarc.test": ("warn", {"DMARC-INHERITED-PSD": "info", "DMARC-POLICY-NONE": "warn",
                                          "DMARC-METHODS-DIFFER": "warn"}),
    # Issue 17: quarantine on a null-MX domain enforces, only less than recommended: a warning.
    "nullmx.dmarc.test": ("warn", {"DMARC-NULL-MX-WEAK": "warn", "DMARC-POLICY-QUARANTINE": "pass"}),
    "nullnone.dmarc.test": ("fail", {"DMARC-NULL-MX-WEAK": "fail", "DMARC-POLICY-NONE": "warn"}),
    "a.b.c.d.e.f.g.h.deep.dmarc.test": ("pass", {"DMARC-INHERITED": "info"}),
}


@pytest.fixture(scope="module")
def results(lab):
    return {domain: run_measure(dmarc, domain, lab.config()) for domain in CASES}


@pytest.mark.parametrize("domain", list(CASES))
def test_lab_case_verdicts(results, domain):
    status, expected = CASES[domain]
    result = results[domain]
    found = codes(result)
    assert {code: found.get(code) for code in expected} == expected, [f.reason for f in result.findings]
    assert result.status.value == status
    assert Verdict.NOT_TESTED not in {f.verdict for f in result.findings}


@pytest.mark.parametrize("domain", list(CASES))
def test_every_finding_carries_its_evidence(results, domain):
    result = results[domain]
    asked = {e.data["query"]["name"] for e in result.evidence}
    assert f"_dmarc.{domain}" in asked
    for item in result.findings:
        assert item.evidence, item.code
        assert all(e in result.evidence for e in item.evidence)
        assert item.rfc


def test_a_4kb_record_comes_over_tcp(results):
    result = results["big.dmarc.test"]
    [asked] = [e for e in result.evidence if e.data["query"]["name"] == "_dmarc.big.dmarc.test"]
    assert asked.data["transport"] == "tcp" and asked.data["status"] == "ok"
    assert len(result.data["rua"]) == 120


def evidence_names(finding):
    return [(e.data["query"]["name"], e.data["query"]["type"], e.data["status"]) for e in finding.evidence]


def only(result, code):
    [item] = [f for f in result.findings if f.code == code]
    return item


def test_inheritance_says_from_where_and_shows_both_lookups(results):
    result = results["inherit.dmarc.test"]
    inherited = only(result, "DMARC-INHERITED")
    assert "inherited from its organizational domain dmarc.test via sp=quarantine" in inherited.reason
    assert evidence_names(inherited) == [("_dmarc.inherit.dmarc.test", "TXT", "nxdomain"),
                                         ("_dmarc.dmarc.test", "TXT", "ok")]
    assert result.data["source"] == "organizational" and result.data["inherited_from"] == "dmarc.test"
    assert (result.data["policy"], result.data["policy_tag"]) == ("quarantine", "sp")


def test_non_existent_subdomain_gets_np_with_the_nxdomain_as_evidence(results):
    result = results["gone.dmarc.test"]
    inherited = only(result, "DMARC-INHERITED")
    assert "np=reject" in inherited.reason
    assert ("gone.dmarc.test", "SOA", "nxdomain") in evidence_names(inherited)
    assert result.data["domain_exists"] is False
    assert (result.data["policy"], result.data["policy_tag"]) == ("reject", "np")


def test_p_none_is_monitoring_only_and_the_data_says_it_does_not_enforce(results):
    result = results["weak.test"]
    assert "stops no spoofing" in only(result, "DMARC-POLICY-NONE").reason
    assert result.data["policy"] == "none" and result.data["enforcing"] is False
    assert results["good.test"].data["enforcing"] is True
    # t=y: reject is published, quarantine applied: still enforcing
    testing = results["testing.dmarc.test"].data
    assert (testing["policy"], testing["applied_policy"]) == ("reject", "quarantine")
    assert testing["enforcing"] is True


def test_data_holds_what_the_promise_layer_reads(results):
    data = results["good.test"].data
    assert data["record"].startswith("v=DMARC1; p=reject")
    assert (data["p"], data["sp"], data["np"], data["pct"]) == ("reject", "reject", "reject", 100)
    assert (data["adkim"], data["aspf"]) == ("s", "s")
    assert (data["source"], data["record_domain"]) == ("domain", "good.test")
    assert data["tags"]["adkim"] == "s"
    assert data["rua"] == [{
        "uri": "mailto:dmarc@good.test", "scheme": "mailto", "address": "dmarc@good.test",
        "host": "good.test", "size": None, "valid": True, "error": None, "external": False,
        "authorization": "not needed", "authorization_query": None}]
    assert data["discovery"]["dmarcbis"]["queried"] == ["_dmarc.good.test", "_dmarc.test"]
    assert data["discovery"]["rfc7489"]["queried"] == ["_dmarc.good.test"]
    assert data["organizational_domain"] == {"dmarcbis": "good.test", "rfc7489": "good.test"}
    assert results["broken.test"].data["pct"] == 50


def test_external_report_destinations_exact_wildcard_and_missing(results):
    result = results["extrua.dmarc.test"]
    status = {(u["host"], u["authorization"]) for u in result.data["rua"] + result.data["ruf"]}
    assert status == {("exact.external.example", "authorized"), ("wild.external.example", "authorized"),
                      ("nope.external.example", "unauthorized")}
    refused = only(result, "DMARC-REPORT-UNAUTHORIZED")
    assert refused.subject == "mailto:fail@nope.external.example"
    assert evidence_names(refused) == [
        ("extrua.dmarc.test._report._dmarc.nope.external.example", "TXT", "nxdomain")]
    weak = only(results["weak.test"], "DMARC-REPORT-UNAUTHORIZED")
    assert evidence_names(weak)[0][0] == "weak.test._report._dmarc.elsewhere.test"


def test_two_records_are_discarded_and_the_methods_disagree(results):
    result = results["two.dmarc.test"]
    assert "2 DMARC records" in only(result, "DMARC-MULTIPLE").reason
    differ = only(result, "DMARC-METHODS-DIFFER-BIS-ONLY")
    assert "quarantine from dmarc.test" in differ.reason and "apply none at all" in differ.reason
    assert (differ.params["bis_policy"], differ.params["rfc_policy"]) == ("quarantine", None)
    assert result.data["discovery"]["rfc7489"]["multiple"] == ["two.dmarc.test"]


def test_psd_and_psd_n_cases_report_both_organizational_domains(results):
    shop = results["shop.registry.dmarc.test"].data
    assert shop["source"] == "psd" and shop["record_domain"] == "registry.dmarc.test"
    assert shop["organizational_domain"] == {"dmarcbis": "shop.registry.dmarc.test", "rfc7489": "dmarc.test"}
    team = results["team.orgunit.dmarc.test"].data
    assert team["organizational_domain"] == {"dmarcbis": "orgunit.dmarc.test", "rfc7489": "dmarc.test"}
    assert team["discovery"]["rfc7489"]["policy_domain"] == "dmarc.test"


def test_syntax_error_has_its_position_and_receivers_view_is_reported(results):
    result = results["broken.dmarc.test"]
    assert "position 24" in only(result, "DMARC-SYNTAX").reason
    assert result.data["policy"] == "reject"
    assert [p["kind"] for p in result.data["problems"]] == ["syntax"]


def test_deep_name_walk_is_capped_at_eight(results):
    queried = results["a.b.c.d.e.f.g.h.deep.dmarc.test"].data["discovery"]["dmarcbis"]["queried"]
    assert len(queried) == 8
    assert queried[:2] == ["_dmarc.a.b.c.d.e.f.g.h.deep.dmarc.test", "_dmarc.e.f.g.h.deep.dmarc.test"]


def test_dutch_text_exists_for_every_code():
    from mailguard.core import messages

    for code in dmarc.MESSAGES:
        message = messages.lookup(code)
        assert message.en and message.nl and message.en != message.nl and message.rfc


def test_scan_json_holds_the_dmarc_evidence(lab):
    report = to_jsonable(run_scan("weak.test", lab.config()))
    [measure] = [m for m in report["measures"] if m["name"] == "dmarc"]
    by_code = {f["code"]: f for f in measure["findings"]}
    record = by_code["DMARC-RECORD"]["evidence"][0]["data"]
    assert record["query"] == {"name": "_dmarc.weak.test", "type": "TXT"}
    assert record["records"][0]["data"] == '"v=DMARC1; p=none; rua=mailto:reports@elsewhere.test"'
    assert by_code["DMARC-POLICY-NONE"]["verdict"] == "warn"
    assert measure["data"]["policy"] == "none"


# -- a resolver that fails: not tested, never fail --------------------------------------------

FAILCASE = """$TTL 300
@ IN SOA ns.failcase.test. h.failcase.test. 1 2 3 4 5
@ IN NS ns.failcase.test.
ns IN A 127.0.0.1
_dmarc IN TXT "v=DMARC1; p=reject"
sub IN A 127.0.0.1
_dmarc.servfail IN TXT "v=DMARC1; p=reject"
_dmarc.slow IN TXT "v=DMARC1; p=reject"
_dmarc.ext IN TXT "v=DMARC1; p=reject; rua=mailto:r@broken-reports.external.example"
_dmarc.many IN TXT {many}
"""


def txt_strings(text, size=200):
    """A long TXT value as several quoted character-strings (each at most 255 octets)."""
    return " ".join(f'"{text[i:i + size]}"' for i in range(0, len(text), size))


# a hostile record: 40 external report hosts
FAILCASE = FAILCASE.format(many=txt_strings(
    "v=DMARC1; p=reject; rua=" + ",".join(f"mailto:r@h{i}.external.example" for i in range(40))))


class FailingDns(LabDns):
    """SERVFAIL for some names, and a log of every name asked."""

    servfail = ("_dmarc.servfail.failcase.test.", "_dmarc.failcase.test.",
                "ext.failcase.test._report._dmarc.broken-reports.external.example.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked: list[str] = []

    def handle(self, query, transport):
        name = query.question[0].name.to_text().lower() if query.question else ""
        self.asked.append(name)
        if name in self.servfail:
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        return super().handle(query, transport)


@pytest.fixture(scope="module")
def failing():
    zones = load_zone_dir(ZONES) + [load_zone_text("failcase.test", FAILCASE)]
    with FailingDns(zones, silent=["_dmarc.slow.failcase.test"]) as server:
        yield server


def failing_config(lab, server, timeout=2.0):
    return dataclasses.replace(lab.config(), nameservers=((server.host, server.port),), timeout=timeout)


def test_servfail_on_the_record_is_not_tested(lab, failing):
    result = run_measure(dmarc, "servfail.failcase.test", failing_config(lab, failing))
    assert codes(result) == {"DMARC-LOOKUP-FAILED": "not tested"}
    assert result.status is Verdict.NOT_TESTED
    assert "servfail" in result.findings[0].reason
    assert result.data["policy"] is None


def test_timeout_on_the_record_is_not_tested_and_ends_within_the_timeout(lab, failing):
    started = time.monotonic()
    result = run_measure(dmarc, "slow.failcase.test", failing_config(lab, failing, timeout=0.5))
    assert time.monotonic() - started < 5
    assert codes(result) == {"DMARC-LOOKUP-FAILED": "not tested"}
    assert "timeout" in result.findings[0].reason


def test_failed_parent_lookup_never_becomes_no_record(lab, failing):
    # _dmarc.sub has no record and _dmarc.failcase.test fails: the policy may be up there
    result = run_measure(dmarc, "sub.failcase.test", failing_config(lab, failing))
    found = codes(result)
    assert found == {"DMARC-WALK-INCOMPLETE": "not tested"}
    assert "DMARC-NO-RECORD" not in found and result.status is Verdict.NOT_TESTED


def test_failed_authorization_lookup_is_not_tested(lab, failing):
    result = run_measure(dmarc, "ext.failcase.test", failing_config(lab, failing))
    assert codes(result)["DMARC-REPORT-UNTESTED"] == "not tested"
    assert result.data["rua"][0]["authorization"] == "untested"


def test_hostile_record_is_bounded(lab, failing):
    failing.asked.clear()
    result = run_measure(dmarc, "many.failcase.test", failing_config(lab, failing))
    report_queries = {n for n in failing.asked if "._report._dmarc." in n}
    assert len(report_queries) == 10
    assert len([f for f in result.findings if f.code == "DMARC-REPORT-UNAUTHORIZED"]) == 10
    assert len(only(result, "DMARC-RECORD").reason) < 400
    assert {u["authorization"] for u in result.data["rua"][10:]} == {"not checked"}


def test_walk_sends_at_most_eight_dmarc_queries(lab, failing):
    failing.asked.clear()
    run_measure(dmarc, "a.b.c.d.e.f.g.h.deep.dmarc.test", failing_config(lab, failing))
    dmarc_queries = {n for n in failing.asked if n.startswith("_dmarc.")}
    assert len(dmarc_queries) <= 8
    assert "_dmarc.d.e.f.g.h.deep.dmarc.test." not in dmarc_queries  # skipped by the jump to 7 labels


def test_dutch_reports_have_no_english_or_unfilled_fields(results):
    from mailguard.core import messages

    for result in results.values():
        for item in result.findings:
            text = messages.render(item.code, item.params, "nl")
            assert "{" not in text, (item.code, text)
            for english in (" the ", "receivers", " is not ", "expected"):
                assert english not in text, (item.code, text)
