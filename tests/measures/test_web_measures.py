"""Every website measure on the lab's hosts, right and wrong in each way issue 4 names."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from mailguard.core.model import Verdict
from mailguard.lab.mail import ipv6_loopback
from mailguard.measures.web import caa, headers, hsts, redirects, securitytxt
from mailguard.measures.web import https as reach
from mailguard.measures.web import tls as web_tls
from mailguard.net import Net
from mailguard.net.tls import TlsOptions, local_refusal
from tests.conftest import run_measure


def by_subject(result):
    """subject -> {code: verdict}; every finding must carry evidence."""
    out: dict[str, dict[str, str]] = {}
    for f in result.findings:
        assert f.evidence, f"{f.code} has no evidence"
        out.setdefault(f.subject, {})[f.code] = f.verdict.value
    return out


def codes_of(result):
    return {f.code: f.verdict.value for f in result.findings}


def case(name: str) -> str:
    return f"{name}.webcases.test"


def run_at(measure, domain, config, now):
    async def go():
        net = Net(config, now=lambda: now)
        try:
            return await measure.run(net, domain, config)
        finally:
            await net.aclose()

    return asyncio.run(go())


# -- the demo domains ----------------------------------------------------------------------------

@pytest.mark.parametrize("measure", [reach, redirects, web_tls, hsts, headers, securitytxt, caa])
def test_good_test_is_right_in_every_way(lab, measure):
    result = run_measure(measure, "good.test", lab.config())
    assert result.status == Verdict.PASS, codes_of(result)
    assert result.area.value == "website"
    subjects = by_subject(result)
    assert any(s.startswith("www.good.test") for s in subjects)


def test_weak_test_is_lax(lab):
    config = lab.config()
    assert codes_of(run_measure(redirects, "weak.test", config)) == {
        "REDIRECT-TEMPORARY": "warn", "REDIRECT-NONE": "warn"}
    assert by_subject(run_measure(hsts, "weak.test", config))["weak.test @127.0.0.23"]["HSTS-SHORT"] == "warn"
    assert run_measure(headers, "weak.test", config).status == Verdict.WARN
    found = by_subject(run_measure(securitytxt, "weak.test", config))
    assert found["weak.test"] == {"SECTXT-MISSING": "warn"}  # the main host
    assert found["www.weak.test"] == {"SECTXT-MISSING": "info"}
    assert codes_of(run_measure(caa, "weak.test", config)) == {"CAA-MISSING": "info"}


def test_broken_test_is_wrong(lab):
    config = lab.config()
    found = by_subject(run_measure(redirects, "broken.test", config))
    assert found["broken.test @127.0.0.26"] == {"REDIRECT-PLAIN-FORM": "fail"}
    assert found["www.broken.test @127.0.0.27"] == {"REDIRECT-LOOP": "fail"}
    tls_found = codes_of(run_measure(web_tls, "broken.test", config))
    assert tls_found["TLS-CERT-EXPIRED"] == "fail" and tls_found["TLS-CERT-NAME-MISMATCH"] == "fail"
    assert codes_of(run_measure(hsts, "broken.test", config))["HSTS-CERT-INVALID"] == "fail"
    assert codes_of(run_measure(securitytxt, "broken.test", config))["SECTXT-EXPIRED"] == "fail"
    assert codes_of(run_measure(caa, "broken.test", config))["CAA-ISSUER-FORBIDDEN"] == "fail"


def test_domain_without_website(lab):
    result = run_measure(reach, "nomail.test", lab.config())
    assert codes_of(result) == {"WEB-NO-ADDRESS": "info", "WEB-NONE": "info"}
    assert result.status == Verdict.INFO


# -- reachability --------------------------------------------------------------------------------

def test_https_refused_while_http_answers(lab):
    found = by_subject(run_measure(reach, case("httponly"), lab.config()))
    assert found["httponly.webcases.test @127.0.2.19"] == {"HTTPS-REFUSED": "fail", "HTTP-ANSWERS": "info"}
    assert found["www.httponly.webcases.test"] == {"WEB-NO-ADDRESS": "info"}


def test_stalling_host_is_not_tested_never_failed(lab):
    result = run_measure(reach, case("stall"), lab.config(timeout=0.4))
    found = by_subject(result)["stall.webcases.test @127.0.2.15"]
    assert found == {"HTTPS-UNTESTED": "not tested", "HTTP-CLOSED": "info"}


def test_every_address_is_judged(lab):
    if not ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    found = by_subject(run_measure(reach, case("v6"), lab.config()))
    assert found["v6.webcases.test @127.0.2.22"]["HTTPS-OK"] == "pass"
    assert found["v6.webcases.test @::1"]["HTTPS-OK"] == "pass"


# -- http -> https ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "code", "verdict"), [
    ("good", "REDIRECT-SAME-HOST", "pass"),
    ("noredirect", "REDIRECT-NONE", "warn"),
    ("otherhost", "REDIRECT-OTHER-HOST-FIRST", "warn"),
    ("loop", "REDIRECT-LOOP", "fail"),
    ("temporary", "REDIRECT-TEMPORARY", "warn"),
    ("plainform", "REDIRECT-PLAIN-FORM", "fail"),
    ("toomany", "REDIRECT-TOO-MANY", "fail"),
    ("httponly", "REDIRECT-NONE", "warn"),
])
def test_redirect_cases(lab, name, code, verdict):
    result = run_measure(redirects, case(name), lab.config())
    assert codes_of(result) == {code: verdict}
    assert all(e.kind == "http" for f in result.findings for e in f.evidence)


# -- certificate and TLS (the shared evaluation) ------------------------------------------------

@pytest.mark.parametrize(("name", "code"), [
    ("expired", "TLS-CERT-EXPIRED"),
    ("wrongname", "TLS-CERT-NAME-MISMATCH"),
    ("selfsigned", "TLS-CERT-SELF-SIGNED"),
    ("untrusted", "TLS-CERT-UNTRUSTED"),
])
def test_certificate_cases(lab, name, code):
    result = run_measure(web_tls, case(name), lab.config())
    assert codes_of(result)[code] == "fail"
    host = result.data["hosts"][0]
    assert host["host"] == case(name) and host["issuer"]  # reported even when it does not validate


def test_tls10_accepted_where_openssl_allows(lab):
    if local_refusal(TlsOptions.only("TLSv1")):
        pytest.skip("this OpenSSL cannot offer TLS 1.0")
    found = [f for f in run_measure(web_tls, case("tls10"), lab.config()).findings
             if f.code == "TLS-OLD-VERSION-ACCEPTED"]
    assert {f.params["version"] for f in found} >= {"TLS 1.0"}
    assert all(f.verdict == Verdict.FAIL for f in found)


def test_tls_subject_is_host_and_port(lab):
    config = lab.config()
    result = run_measure(web_tls, case("good"), config)
    assert {f.subject for f in result.findings} == {f"good.webcases.test:{config.https_port}"}


# -- HSTS ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "code", "verdict"), [
    ("hstsshort", "HSTS-SHORT", "warn"),
    ("hstsmissing", "HSTS-MISSING", "fail"),
    ("expired", "HSTS-CERT-INVALID", "fail"),
    ("hstsplain", "HSTS-OVER-HTTP", "info"),
    ("good", "HSTS-PRELOAD-READY", "pass"),
    ("otherhost", "HSTS-OK", "pass"),
])
def test_hsts_cases(lab, name, code, verdict):
    assert codes_of(run_measure(hsts, case(name), lab.config()))[code] == verdict


def test_preload_needs_same_host_redirect(lab):
    found = codes_of(run_measure(hsts, case("otherhost"), lab.config()))
    assert found["HSTS-PRELOAD-CLAIMED"] == "warn"  # it says preload, but http goes elsewhere first


# -- security.txt ------------------------------------------------------------------------------------

def test_security_txt_cases(lab):
    config = lab.config()
    assert codes_of(run_measure(securitytxt, case("sectxtmissing"), config))["SECTXT-MISSING"] == "warn"
    assert codes_of(run_measure(securitytxt, case("sectxtexpired"), config))["SECTXT-EXPIRED"] == "fail"
    assert codes_of(run_measure(securitytxt, case("expired"), config))["SECTXT-CERT-INVALID"] == "warn"


def test_security_txt_expiry_follows_the_clock(lab):
    later = datetime.now(UTC) + timedelta(days=400)
    result = run_at(securitytxt, case("good"), lab.config(), later)
    assert codes_of(result)["SECTXT-EXPIRED"] == "fail"


# -- CAA -------------------------------------------------------------------------------------------------

def test_caa_cases(lab):
    config = lab.config()
    found = by_subject(run_measure(caa, case("caaforbid"), config))
    assert found["caaforbid.webcases.test"]["CAA-ISSUER-FORBIDDEN"] == "fail"
    assert found["caaforbid.webcases.test"]["CAA-PRESENT"] == "pass"
    good = by_subject(run_measure(caa, case("good"), config))
    assert good["webcases.test"]["CAA-PRESENT"] == "pass"  # found by climbing the tree
    assert good["good.webcases.test"]["CAA-ISSUER-ALLOWED"] == "pass"
    critical = codes_of(run_measure(caa, case("caacritical"), config))
    assert critical["CAA-CRITICAL-UNKNOWN"] == "warn" and critical["CAA-ISSUER-FORBIDDEN"] == "fail"


def test_caa_lookup_failure_is_not_tested(lab):
    lab.dns.silent.add(__import__("dns.name").name.from_text("caa-silent.webcases.test"))
    try:
        result = run_measure(caa, "caa-silent.webcases.test", lab.config(timeout=0.3))
    finally:
        lab.dns.silent.clear()
    assert codes_of(result)["CAA-LOOKUP-FAILED"] == "not tested"


# -- further web hosts (a contact form, a portal) ------------------------------------------------

def test_configured_web_hosts_are_checked_too(lab):
    config = lab.config(web_hosts=("plainform.webcases.test", "not a host name!"))
    found = by_subject(run_measure(redirects, "good.test", config))
    assert found["plainform.webcases.test @127.0.2.14"] == {"REDIRECT-PLAIN-FORM": "fail"}
    assert set(found) == {"good.test @127.0.0.20", "www.good.test @127.0.0.20", "good.test @::1",
                          "www.good.test @::1", "plainform.webcases.test @127.0.2.14"}


def test_cli_web_host_option(lab):
    from click.testing import CliRunner

    from mailguard.cli import main

    args = ["scan", "good.test", "--nameserver", lab.dns.address, "--measure", "web-redirect",
            "--web-host", "plainform.webcases.test", "--format", "json"]
    result = CliRunner().invoke(main, args)
    # the CLI scans the standard ports, where the lab does not listen: the host is there, untested
    assert result.exit_code == 0 and "plainform.webcases.test @127.0.2.14" in result.output
    bad = CliRunner().invoke(main, ["scan", "good.test", "--web-host", "not a host"])
    assert bad.exit_code == 2


def test_a_certificate_from_a_ca_nobody_named_is_not_tested_never_failed(lab):
    # good.test's CAA names ca.mailguard.test; without the lab's --caa-identity nothing says which
    # CAA domain its CA honours: the issuer check is not tested (with how to name it), not failed.
    config = lab.config(caa_identities=())
    found = codes_of(run_measure(caa, "good.test", config))
    assert found["CAA-ISSUER-UNKNOWN"] == "not tested" and "CAA-ISSUER-FORBIDDEN" not in found
    named = codes_of(run_measure(caa, "good.test", lab.config()))
    assert named["CAA-ISSUER-ALLOWED"] == "pass"


def test_the_lab_persona_with_an_unknown_ca_issuer(lab):
    """caaother.webcases.test: a trusted certificate from the lab's second CA (Lab Trust Services),
    which neither the shipped table nor the lab's --caa-identity maps to a CAA domain."""
    result = run_measure(caa, "caaother.webcases.test", lab.config())
    found = codes_of(result)
    assert found["CAA-ISSUER-UNKNOWN"] == "not tested" and "CAA-ISSUER-FORBIDDEN" not in found
    unknown = next(f for f in result.findings if f.code == "CAA-ISSUER-UNKNOWN")
    assert "Lab Trust Services" in unknown.reason and "--caa-identity" in unknown.reason
    mapped = lab.config(caa_identities=(*lab.config().caa_identities, ("Lab Trust Services", "ca.mailguard.test")))
    assert codes_of(run_measure(caa, "caaother.webcases.test", mapped))["CAA-ISSUER-ALLOWED"] == "pass"


# -- issue 17: page checks on what was actually reached ------------------------------------------------

def test_an_https_redirect_loop_is_not_https_ok(lab):
    found = by_subject(run_measure(reach, case("httpsloop"), lab.config()))
    [where] = [s for s in found if s.startswith("httpsloop.webcases.test @")]
    assert found[where]["HTTPS-NO-PAGE"] == "fail" and "HTTPS-OK" not in found[where]
    result = run_measure(reach, case("httpsloop"), lab.config())
    no_page = next(f for f in result.findings if f.code == "HTTPS-NO-PAGE")
    assert "redirect loop" in no_page.reason and "httpsloop.webcases.test/a 301" in no_page.reason


@pytest.mark.parametrize(("measure", "code"), [
    (hsts, "HSTS-NO-PAGE"), (headers, "HEADERS-NO-PAGE"), (securitytxt, "SECTXT-NO-PAGE")])
def test_page_checks_on_a_redirect_loop_are_not_tested(lab, measure, code):
    # every 301 of the loop carries HSTS and the hardening headers: judged on those, all would pass
    result = run_measure(measure, case("httpsloop"), lab.config())
    mine = [f for f in result.findings if f.subject.startswith("httpsloop.webcases.test")]
    assert {f.code: f.verdict.value for f in mine} == {code: "not tested"}
    assert "no final page: redirect loop" in mine[0].reason
    assert len(mine[0].evidence) >= 2  # the hops walked


def test_the_http_loop_host_still_has_its_https_page_judged(lab):
    # loop.webcases.test loops on plain http only; its https front page is a page
    assert codes_of(run_measure(hsts, case("loop"), lab.config()))["HSTS-OK"] == "pass"
    assert "HEADERS-NO-PAGE" not in codes_of(run_measure(headers, case("loop"), lab.config()))
