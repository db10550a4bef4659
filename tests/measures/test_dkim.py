"""The DKIM key measure on the lab: the demo domains and the cases of dkim.test."""

from __future__ import annotations

import pytest

from mailguard.core.model import MeasureResult
from mailguard.lab import Lab, load_zone_text
from mailguard.measures.dkim import measure as dkim
from mailguard.measures.dkim.selectors import COMMON_SELECTORS
from tests.conftest import codes, run_measure


def run(lab: Lab, domain: str, *selectors: str, **overrides) -> MeasureResult:
    return run_measure(dkim, domain, lab.config(dkim_selectors=selectors, **overrides))


def by_subject(result: MeasureResult, subject: str) -> dict[str, str]:
    return {f.code: f.verdict.value for f in result.findings if f.subject == subject}


def key_facts(result: MeasureResult, selector: str) -> dict:
    return next(k for k in result.data["keys"] if k["selector"] == selector)


def dns_names(finding) -> set[str]:
    return {e.data["query"]["name"] for e in finding.evidence}


# -- the demo domains -----------------------------------------------------------------------------

def test_good_domain_rsa2048_and_ed25519_pass(lab):
    result = run(lab, "good.test", "ed1")
    assert result.status.value == "pass"
    assert by_subject(result, "selector1") == {"DKIM-KEY-RSA-STRONG": "pass"}
    assert by_subject(result, "ed1") == {"DKIM-KEY-ED25519": "pass"}
    assert key_facts(result, "selector1")["bits"] == 2048
    assert key_facts(result, "selector1")["provider"] == "Microsoft 365"
    assert key_facts(result, "ed1")["key_type"] == "ed25519" and key_facts(result, "ed1")["origin"] == "given"
    assert sorted(result.data["usable"]) == ["ed1", "selector1"]
    strong = next(f for f in result.findings if f.code == "DKIM-KEY-RSA-STRONG")
    assert dns_names(strong) == {"selector1._domainkey.good.test"}
    assert strong.evidence[0].data["records"][0]["data"].startswith('"v=DKIM1; k=rsa;')
    assert "Microsoft 365" in strong.reason and strong.rfc == "RFC 8301 §3.2"


def test_weak_domain_1024_bits_and_testing_mode_warn(lab):
    result = run(lab, "weak.test")
    assert result.status.value == "warn"
    assert by_subject(result, "default") == {"DKIM-KEY-RSA-1024": "warn", "DKIM-KEY-TESTING": "warn"}
    facts = key_facts(result, "default")
    assert facts["bits"] == 1024 and facts["testing"] is True and facts["usable"] is True


def test_broken_domain_revoked_is_info_and_512_bits_fail(lab):
    result = run(lab, "broken.test", "old", "s512")
    assert result.status.value == "fail"
    assert by_subject(result, "old") == {"DKIM-KEY-REVOKED": "info"}
    assert by_subject(result, "s512") == {"DKIM-KEY-RSA-WEAK": "fail"}
    assert key_facts(result, "s512")["bits"] == 512
    assert key_facts(result, "old")["revoked"] is True
    # nothing usable is left: said once for the domain
    assert codes(result)["DKIM-NO-USABLE-KEY"] == "warn"


def test_revoked_key_alone_warns_that_no_key_is_usable(lab):
    result = run(lab, "broken.test", "old")
    assert codes(result) == {"DKIM-KEY-REVOKED": "info", "DKIM-NO-USABLE-KEY": "warn",
                             "DKIM-PROBES-EMPTY": "info"}
    assert result.status.value == "warn"


def test_null_mx_domain_needs_no_key(lab):
    result = run(lab, "nomail.test")
    assert codes(result) == {"DKIM-NONE-NULL-MX": "info"}


def test_null_mx_domain_with_a_revoked_wildcard_key_is_one_pass(lab):
    """parked.test: null MX and ``*._domainkey`` with an empty p=: every guess hits the wildcard."""
    result = run(lab, "parked.test")
    assert codes(result) == {"DKIM-NULL-MX-REVOKED": "pass"}
    assert len(result.findings) == 1 and result.status.value == "pass"
    revoked = result.findings[0]
    # its evidence: the null MX, then every revoked key answer
    assert revoked.evidence[0].data["query"]["type"] == "MX"
    assert revoked.params["count"] == len(result.data["keys"]) > 1
    assert all(k["revoked"] for k in result.data["keys"])


def test_a_revoked_key_beside_mail_is_still_no_usable_key(lab):
    """The same revoked key on a domain that receives mail is not a pass."""
    result = run(lab, "broken.test", "old")
    assert "DKIM-NULL-MX-REVOKED" not in codes(result)
    assert codes(result)["DKIM-NO-USABLE-KEY"] == "warn"


# -- none found where _domainkey exists: not tested, never failed, the selectors tried listed -------

def test_no_key_found_is_not_tested_naming_every_selector_tried(lab):
    result = run(lab, "hidden.dkim.test")
    assert codes(result) == {"DKIM-NONE-FOUND": "not tested"}
    assert result.status.value == "not tested"
    none = result.findings[0]
    assert "cannot be listed from DNS" in none.reason and "--dkim-selector" in none.reason
    for selector in ("google", "selector1", "k1", "s1", "mailo", "zoho", "default", "s2048"):
        assert f"{selector}._domainkey.hidden.dkim.test" in result.data["tried"]
        assert selector in none.reason
    # the evidence is every NXDOMAIN/NODATA answer
    assert len(none.evidence) == len(COMMON_SELECTORS) + 1
    assert {e.data["status"] for e in none.evidence} <= {"nxdomain", "nodata"}


def test_the_given_selector_finds_what_discovery_cannot(lab):
    result = run(lab, "hidden.dkim.test", "private")
    assert codes(result) == {"DKIM-KEY-ED25519": "pass", "DKIM-PROBES-EMPTY": "info"}


def test_nxdomain_at_domainkey_is_said(lab):
    result = run(lab, "mailhost.test")
    assert codes(result) == {"DKIM-NONE-NO-DOMAINKEY": "warn"}
    assert "_domainkey.mailhost.test does not exist" in result.findings[0].reason


def test_invalid_selector_is_not_asked(lab):
    result = run(lab, "good.test", "bad selector", "")
    assert codes(result)["DKIM-SELECTOR-INVALID"] == "info"
    assert not any("bad selector" in name for name in result.data["tried"])


def test_duplicate_and_upper_case_selectors_are_asked_once(lab):
    result = run(lab, "good.test", "Selector1", "ed1", "ED1")
    assert result.data["tried"].count("selector1._domainkey.good.test") == 1
    assert result.data["tried"].count("ed1._domainkey.good.test") == 1
    assert key_facts(result, "selector1")["origin"] == "given"


# -- dkim.test: one case per subdomain ------------------------------------------------------------------

@pytest.mark.parametrize("domain, code, words", [
    ("malformed.dkim.test", "DKIM-KEY-MALFORMED", "p= is required"),
    ("duplicate.dkim.test", "DKIM-KEY-MALFORMED", "appears twice"),
    ("vnotfirst.dkim.test", "DKIM-KEY-MALFORMED", "first tag"),
    ("badbase64.dkim.test", "DKIM-KEY-BAD-BASE64", "not valid base64"),
    ("notakey.dkim.test", "DKIM-KEY-UNLOADABLE", "RSA public key"),
    ("unknowntype.dkim.test", "DKIM-KEY-UNKNOWN-TYPE", "k=dsa"),
    ("edwrong.dkim.test", "DKIM-KEY-UNLOADABLE", "32-byte"),
    ("sha1.dkim.test", "DKIM-KEY-SHA1-ONLY", "h=sha1"),
    ("notemail.dkim.test", "DKIM-KEY-NOT-EMAIL", "s=other"),
])
def test_broken_key_records_fail_with_evidence(lab, domain, code, words):
    result = run(lab, domain)
    failing = [f for f in result.findings if f.code == code]
    assert len(failing) == 1 and failing[0].verdict.value == "fail", codes(result)
    assert words in failing[0].reason
    assert dns_names(failing[0]) == {f"default._domainkey.{domain}"}
    assert result.status.value == "fail"
    assert codes(result)["DKIM-NO-USABLE-KEY"] == "warn"


def test_malformed_record_reports_the_position(lab):
    facts = key_facts(run(lab, "duplicate.dkim.test"), "default")
    assert "at position 16" in facts["error"] and facts["usable"] is False


def test_multiple_records_at_one_selector_warn(lab):
    result = run(lab, "multiple.dkim.test")
    assert codes(result)["DKIM-KEY-MULTIPLE"] == "warn"
    assert len([k for k in result.data["keys"] if k["selector"] == "default"]) == 2


def test_cname_selector_is_fine_and_its_chain_reported(lab):
    result = run(lab, "cname.dkim.test")
    found = by_subject(result, "selector1")
    assert found == {"DKIM-SELECTOR-CNAME": "info", "DKIM-KEY-RSA-STRONG": "pass"}
    alias = next(f for f in result.findings if f.code == "DKIM-SELECTOR-CNAME")
    target = "selector1-cname-dkim-test._domainkey.provider.dkim.test"
    assert target in alias.reason
    assert alias.evidence[0].data["cnames"] == [f"selector1._domainkey.cname.dkim.test -> {target}"]
    assert key_facts(result, "selector1")["cnames"] == alias.evidence[0].data["cnames"]
    assert result.status.value == "pass"


def test_dangling_cname_selector_is_noted_in_the_one_finding(lab):
    result = run(lab, "dangling.dkim.test")
    assert codes(result) == {"DKIM-NONE-FOUND": "not tested"}
    assert "selector1 (CNAME)" in result.findings[0].reason


def test_a_txt_record_that_is_not_a_key_is_ignored(lab):
    result = run(lab, "notdkim.dkim.test")
    assert codes(result) == {"DKIM-NONE-FOUND": "not tested"}
    assert "default (TXT)" in result.findings[0].reason


def test_a_named_dangling_or_not_key_selector_still_has_its_own_row(lab):
    # a selector a signed message named keeps its row; a selector the user named is a warning
    result = run(lab, "notdkim.dkim.test", "default")
    assert codes(result) == {"DKIM-SELECTOR-MISSING": "warn", "DKIM-NONE-FOUND": "not tested"}
    assert "(TXT, not v=DKIM1)" in only(result, "DKIM-SELECTOR-MISSING").reason


# -- issue 17: records read as RFC 6376 says; the guesses that find nothing are one finding ----------

def only(result: MeasureResult, code: str):
    [item] = [f for f in result.findings if f.code == code]
    return item


@pytest.mark.parametrize("domain", ["vtypo.dkim.test", "vlower.dkim.test"])
def test_a_version_other_than_dkim1_discards_the_record(lab, domain):
    # RFC 6376 §3.6.1: a v= with any other value than DKIM1 is discarded: no key, not a broken key
    result = run(lab, domain)
    assert codes(result) == {"DKIM-NONE-FOUND": "not tested"}
    assert "default (TXT)" in result.findings[0].reason and result.data["keys"] == []


def test_unknown_tags_are_ignored_without_comment(lab):
    result = run(lab, "unknowntag.dkim.test")
    assert codes(result) == {"DKIM-KEY-ED25519": "pass", "DKIM-PROBES-EMPTY": "info"}
    assert result.status.value == "pass"
    assert not any("foo" in f.reason or "acme" in f.reason for f in result.findings)


def test_a_selector_the_user_named_without_a_key_is_a_warning(lab):
    result = run(lab, "good.test", "nosuch")
    missing = only(result, "DKIM-SELECTOR-MISSING")
    assert missing.verdict.value == "warn" and missing.subject == "nosuch"
    assert "nosuch._domainkey.good.test" in missing.reason and "NXDOMAIN" in missing.reason
    assert dns_names(missing) == {"nosuch._domainkey.good.test"}
    assert result.status.value == "warn"  # the other keys pass, but the named one is missing


def test_a_named_selector_below_an_nxdomain_domainkey_is_a_warning_too(lab):
    result = run(lab, "mailhost.test", "s2026")
    assert codes(result)["DKIM-SELECTOR-MISSING"] == "warn"


def test_common_selectors_that_found_nothing_are_one_finding(lab):
    # a wildcard TXT (no key) answers every guess: one row listing them, not fifty
    result = run(lab, "wild.dkim.test", "private", dkim_guess="all")
    assert codes(result) == {"DKIM-KEY-ED25519": "pass", "DKIM-PROBES-EMPTY": "info"}
    probes = only(result, "DKIM-PROBES-EMPTY")
    guessed = [c for c in COMMON_SELECTORS if c != "private"]
    assert probes.params["count"] == len(guessed) == len(probes.evidence)
    assert dns_names(probes) == {f"{c}._domainkey.wild.dkim.test" for c in guessed}
    assert "google (TXT)" in probes.reason
    assert len(result.findings) == 2


def test_strict_flag_is_kept_in_data(lab):
    result = run(lab, "strict.dkim.test")
    assert result.status.value == "pass" and key_facts(result, "google")["strict"] is True


# -- lookups that get no answer: not tested, never fail ----------------------------------------------

ZONE = """$TTL 300
@ IN SOA ns.slowdkim.test. h.slowdkim.test. 1 2 3 4 5
@ IN NS ns.slowdkim.test.
ns IN A 127.0.0.1
"""


@pytest.fixture(scope="module")
def silent_lab():
    import dns.name

    with Lab(extra_zones=[load_zone_text("slowdkim.test", ZONE)]) as running:
        running.dns.silent.add(dns.name.from_text("_domainkey.slowdkim.test"))
        yield running


def test_silent_selector_lookups_are_not_tested(silent_lab):
    result = run(silent_lab, "slowdkim.test", timeout=0.3)
    found = codes(result)
    assert found["DKIM-LOOKUP-FAILED"] == "not tested"
    assert found["DKIM-NONE-UNTESTED"] == "not tested"
    assert "fail" not in found.values() and "warn" not in found.values()
    assert result.status.value == "not tested"


def test_every_dkim_code_has_english_dutch_and_a_reference():
    import string

    from mailguard.measures.dkim import eml as dkim_message

    for table in (dkim.MESSAGES, dkim_message.MESSAGES):
        for code, message in table.items():
            assert message.en and message.nl and message.rfc, code
            fields = {f for _, f, _, _ in string.Formatter().parse(message.en) if f}
            dutch = {f for _, f, _, _ in string.Formatter().parse(message.nl) if f}
            assert dutch <= fields, code


def test_dutch_reasons_render(lab):
    from mailguard.core import messages

    result = run(lab, "broken.test", "old", "s512")
    for f in result.findings:
        text = messages.render(f.code, f.params, "nl")
        assert "{" not in text, text


# -- RFC 8020: no guessing below a _domainkey that does not exist -------------------------------

def test_no_guessed_selectors_are_asked_below_an_nxdomain_domainkey(lab):
    """nomail.test has no _domainkey name at all: the ~50 provider selectors cannot exist there."""
    result = run(lab, "nomail.test", "given1")
    asked = set(result.data["tried"])
    assert asked == {"given1._domainkey.nomail.test"}
    queried = {e.data["query"]["name"] for e in result.evidence}
    assert not any(f"{c}._domainkey.nomail.test" in queried for c in COMMON_SELECTORS if c != "given1")


def test_guessed_selectors_are_asked_when_domainkey_exists(lab):
    # the three most common first; the key is under one of them, so the long list is not needed
    result = run(lab, "good.test")
    assert sorted(result.data["tried"]) == [f"{s}._domainkey.good.test" for s in ("google", "selector1", "selector2")]
    assert len(run(lab, "good.test", dkim_guess="all").data["tried"]) >= len(COMMON_SELECTORS) - 1
