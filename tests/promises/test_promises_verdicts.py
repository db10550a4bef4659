"""Verdicts on promises, table-driven from constructed measure results (pure), in both languages."""

from __future__ import annotations

from typing import Any

import pytest

from mailguard.core.model import Area, Finding, Fulfilment, MeasureResult, Promise, Verdict
from mailguard.promises.verdicts import judge, quote, render_reason

P, INFO, W, F, N = Verdict.PASS, Verdict.INFO, Verdict.WARN, Verdict.FAIL, Verdict.NOT_TESTED

BEST_NL = "Daarnaast gebruiken we ook DKIM en DMARC voor de best mogelijke beveiliging van onze e-mail."


def found(code: str, verdict: Verdict, reason: str = "", **params: Any) -> Finding:
    return Finding(code=code, check=code.lower(), verdict=verdict, reason=reason or code.lower(), params=params)


def measure(name: str, *findings: Finding, **data: Any) -> MeasureResult:
    worst = max((f.verdict for f in findings), key=[INFO, P, N, W, F].index, default=INFO)
    return MeasureResult(name=name, title=name.upper(), area=Area.MAIL_AUTH, status=worst,
                         findings=tuple(findings), data=data)


def promise(kind: str, sentence: str = "We promise it.", **settings: Any) -> Promise:
    return Promise(kind, sentence, ("firm.test",), settings)


def one(p: Promise, *measures: MeasureResult):
    result, = judge([p], measures)
    return result


# --- DMARC, with data shaped as the DMARC measure writes it ------------------------------------

def dmarc(policy: str | None, *, sp: str | None = None, pct: int = 100, testing: bool = False,
          record: str | None = "v=DMARC1; ...") -> MeasureResult:
    verdict = {"reject": P, "quarantine": P, "none": W, None: F}[policy]
    return measure("dmarc", found(f"DMARC-POLICY-{str(policy).upper()}", verdict),
                   record=record, policy=policy, p=policy, sp=sp or policy, pct=pct, testing=testing,
                   applied_policy="quarantine" if testing and policy == "reject" else policy,
                   enforcing=policy in ("quarantine", "reject"))


@pytest.mark.parametrize(("settings", "observed", "verdict", "code"), [
    # "best possible protection": reject is required
    ({"dmarc_policy": "reject", "purpose": "best"}, dmarc("reject"), Fulfilment.UPHELD, "PROMISE-DMARC-UPHELD"),
    ({"dmarc_policy": "reject", "purpose": "best"}, dmarc("quarantine"), Fulfilment.PARTLY, "PROMISE-DMARC-WEAKER"),
    ({"dmarc_policy": "reject", "purpose": "best"}, dmarc("none"), Fulfilment.NOT_UPHELD, "PROMISE-DMARC-NONE"),
    # protection against mail in the company's name: quarantine or reject
    ({"dmarc_policy": "quarantine", "purpose": "anti-spoofing"}, dmarc("quarantine"), Fulfilment.UPHELD,
     "PROMISE-DMARC-UPHELD"),
    ({"dmarc_policy": "quarantine", "purpose": "anti-spoofing"}, dmarc("none"), Fulfilment.NOT_UPHELD,
     "PROMISE-DMARC-NONE"),
    # DMARC merely named: p=none is published DMARC that protects nothing
    ({"dmarc_policy": "quarantine"}, dmarc("none"), Fulfilment.PARTLY, "PROMISE-DMARC-MONITOR"),
    ({"dmarc_policy": "none"}, dmarc("none"), Fulfilment.UPHELD, "PROMISE-DMARC-UPHELD"),
    # weakened in other ways
    ({"dmarc_policy": "reject"}, dmarc("reject", sp="none"), Fulfilment.PARTLY, "PROMISE-DMARC-SUBDOMAINS"),
    ({"dmarc_policy": "reject"}, dmarc("reject", pct=20), Fulfilment.PARTLY, "PROMISE-DMARC-PCT"),
    ({"dmarc_policy": "reject"}, dmarc("reject", testing=True), Fulfilment.PARTLY, "PROMISE-DMARC-TESTING"),
    # absent or broken
    ({"dmarc_policy": "quarantine"}, dmarc(None, record=None), Fulfilment.NOT_UPHELD, "PROMISE-DMARC-MISSING"),
    ({"dmarc_policy": "quarantine"}, dmarc(None), Fulfilment.NOT_UPHELD, "PROMISE-DMARC-INVALID"),
])
def test_dmarc(settings, observed, verdict, code):
    result = one(promise("dmarc", BEST_NL, **settings), observed)
    assert (result.verdict, result.code) == (verdict, code)
    assert result.measures == ("dmarc",) and result.findings


def test_the_reasoning_quotes_the_statement_and_exists_in_dutch():
    result = one(promise("dmarc", BEST_NL, dmarc_policy="reject", purpose="best"), dmarc("none"))
    assert result.reason == ("DMARC is published with p=none: it does not stop others from sending mail in "
                             f"your name, so “{BEST_NL}” is not upheld")
    assert render_reason(result, "nl").startswith("DMARC staat op p=none: dat houdt niemand tegen")


def test_several_reasons_are_all_given():
    result = one(promise("dmarc", dmarc_policy="reject"), dmarc("reject", sp="none", pct=50))
    assert result.verdict == Fulfilment.PARTLY
    assert "sp=none" in result.reason and "also: " in result.reason and "pct=50" in result.reason
    assert "; ook: " in render_reason(result, "nl")


# --- SPF, with data shaped as the SPF measure writes it -----------------------------------------

def spf(all_term: str | None, *, includes: tuple[str, ...] = (), ips: tuple[str, ...] = (),
        permerror: bool = False, extra: tuple[Finding, ...] = (), record: str | None = "v=spf1 ...") -> MeasureResult:
    terms = [{"term": f"include:{d}", "kind": "include"} for d in includes]
    terms += [{"term": f"ip4:{ip}", "kind": "ip4"} for ip in ips]
    tree = [{"domain": "firm.test", "via": None, "terms": terms}]
    tree += [{"domain": d, "via": "include", "terms": []} for d in includes]
    first = found("SPF-PRESENT", P) if record else found("SPF-MISSING", F)
    return measure("spf", first, *extra, record=record, records=[record] if record else [], tree=tree,
                   all=all_term, permerror=permerror)


@pytest.mark.parametrize(("settings", "observed", "verdict", "code"), [
    ({"spf_all": "~all"}, spf("~all"), Fulfilment.UPHELD, "PROMISE-SPF-UPHELD"),
    ({"spf_all": "-all"}, spf("-all"), Fulfilment.UPHELD, "PROMISE-SPF-UPHELD"),
    ({"spf_all": "-all"}, spf("~all"), Fulfilment.PARTLY, "PROMISE-SPF-SOFT"),
    ({"spf_all": "~all"}, spf("?all"), Fulfilment.NOT_UPHELD, "PROMISE-SPF-OPEN"),
    ({"spf_all": "~all"}, spf("+all"), Fulfilment.NOT_UPHELD, "PROMISE-SPF-OPEN"),
    ({"spf_all": "~all"}, spf(None), Fulfilment.NOT_UPHELD, "PROMISE-SPF-NO-ALL"),
    ({"spf_all": "~all"}, spf(None, record=None), Fulfilment.NOT_UPHELD, "PROMISE-SPF-MISSING"),
    ({"spf_all": "~all"}, spf("-all", permerror=True, extra=(found("SPF-LOOKUPS", F, "11 DNS lookups"),)),
     Fulfilment.NOT_UPHELD, "PROMISE-SPF-INVALID"),
    ({"spf_all": "~all"}, spf("-all", includes=("open.example",),
                              extra=(found("SPF-INCLUDE-PLUS-ALL", F, domain="open.example"),)),
     Fulfilment.NOT_UPHELD, "PROMISE-SPF-INCLUDE-OPEN"),
    # a failure the SPF reading does not weigh still keeps the promise from being upheld
    ({"spf_all": "~all"}, spf("-all", extra=(found("SPF-SOMETHING-NEW", F, "a new check failed"),)),
     Fulfilment.PARTLY, "PROMISE-FINDINGS-WARN"),
])
def test_spf(settings, observed, verdict, code):
    result = one(promise("spf", **settings), observed)
    assert (result.verdict, result.code) == (verdict, code)


def test_spf_processors_and_senders_must_be_covered():
    processors = [{"name": "Google Workspace", "sends": "the company's own e-mail", "spf_include": "_spf.google.com",
                   "dkim_selectors": ["google"]},
                  {"name": "Moneybird", "sends": "invoices and payment reminders", "spf_include": "",
                   "dkim_selectors": []}]
    p = promise("spf", spf_all="~all", processors=processors, senders=["192.0.2.7", "relay.firm.test"])
    covered = one(p, spf("-all", includes=("_spf.google.com", "relay.firm.test"), ips=("192.0.2.0/24",)))
    assert covered.verdict == Fulfilment.UPHELD
    missing = one(p, spf("-all", includes=("relay.firm.test",)))
    assert (missing.verdict, missing.code) == (Fulfilment.PARTLY, "PROMISE-SPF-SENDER-MISSING")
    assert missing.reason.startswith("Google Workspace sends the company's own e-mail for you, but "
                                     "_spf.google.com is not in your SPF record")
    assert "192.0.2.7" in missing.reason  # the uncovered address is named too
    assert "de eigen e-mail van het bedrijf" in render_reason(missing, "nl")


def test_spf_against_spoofing_needs_dmarc_that_enforces():
    p = promise("spf", "SPF om te voorkomen dat u mail uit onze naam krijgt.", spf_all="~all",
                purpose="anti-spoofing")
    assert one(p, spf("-all"), dmarc("reject")).verdict == Fulfilment.UPHELD
    weak = one(p, spf("-all"), dmarc("none"))
    assert (weak.verdict, weak.code) == (Fulfilment.PARTLY, "PROMISE-SPF-NO-DMARC")
    assert weak.measures == ("spf", "dmarc")
    assert one(p, spf("-all")).verdict == Fulfilment.UPHELD  # without a DMARC measure SPF alone decides


# --- DKIM, with data shaped as the DKIM measure writes it ---------------------------------------

def key(selector: str, bits: int = 2048, *, usable: bool = True, testing: bool = False) -> dict[str, Any]:
    return {"selector": selector, "key_type": "rsa", "bits": bits, "usable": usable, "testing": testing}


def dkim(*keys: dict[str, Any], none_code: str = "DKIM-NONE-FOUND") -> MeasureResult:
    findings = [found("DKIM-KEY-RSA-STRONG", P, subject=k["selector"]) for k in keys] or [found(none_code, W)]
    return measure("dkim", *findings, keys=list(keys), usable=[k["selector"] for k in keys if k["usable"]])


@pytest.mark.parametrize(("settings", "observed", "verdict", "code"), [
    ({"dkim_min_bits": 1024}, dkim(key("s1")), Fulfilment.UPHELD, "PROMISE-DKIM-UPHELD"),
    ({"dkim_min_bits": 2048}, dkim(key("s1", 1024)), Fulfilment.PARTLY, "PROMISE-DKIM-WEAK"),
    ({"dkim_min_bits": 1024}, dkim(key("s1", testing=True)), Fulfilment.PARTLY, "PROMISE-DKIM-TESTING"),
    ({"dkim_min_bits": 1024}, dkim(key("s1", usable=False)), Fulfilment.NOT_UPHELD, "PROMISE-DKIM-NONE-USABLE"),
    # absence proven (RFC 8020: nothing below _domainkey) versus selectors merely unknown
    ({}, dkim(none_code="DKIM-NONE-NO-DOMAINKEY"), Fulfilment.NOT_UPHELD, "PROMISE-DKIM-NO-DOMAINKEY"),
    ({}, dkim(), Fulfilment.NOT_VERIFIABLE, "PROMISE-DKIM-UNKNOWN-SELECTOR"),
])
def test_dkim(settings, observed, verdict, code):
    result = one(promise("dkim", **settings), observed)
    assert (result.verdict, result.code) == (verdict, code)


def test_dkim_of_a_sending_processor_must_be_published():
    processors = [{"name": "Mailchimp", "sends": "newsletters", "dkim_selectors": ["k1", "k2"]}]
    p = promise("dkim", processors=processors)
    assert one(p, dkim(key("google"), key("k2"))).verdict == Fulfilment.UPHELD
    result = one(p, dkim(key("google")))
    assert (result.verdict, result.code) == (Fulfilment.PARTLY, "PROMISE-DKIM-PROCESSOR-MISSING")
    assert "Mailchimp sends newsletters for you" in result.reason and "k1, k2" in result.reason


# --- the other measures ---------------------------------------------------------------------

def starttls(*hosts: dict[str, Any], extra: tuple[Finding, ...] = ()) -> MeasureResult:
    findings = [found("STARTTLS-WORKS", P, subject=h["host"]) for h in hosts if h["starttls"]] + list(extra)
    return measure("starttls", *findings, hosts=list(hosts), all_starttls=all(h["starttls"] for h in hosts))


def mx_host(host: str, ok: bool | None = True, version: str = "TLSv1.3", valid: bool = True) -> dict[str, Any]:
    return {"host": host, "starttls": ok, "tls": {"version": version, "cert_valid": valid} if ok else None}


@pytest.mark.parametrize(("settings", "observed", "verdict", "code"), [
    ({"min_tls": "1.2"}, starttls(mx_host("mx1"), mx_host("mx2", version="TLSv1.2")), Fulfilment.UPHELD,
     "PROMISE-MAILTLS-UPHELD"),
    ({"min_tls": "1.2"}, starttls(mx_host("mx1"), mx_host("mx2", ok=False),
                                  extra=(found("STARTTLS-NOT-OFFERED", F),)), Fulfilment.NOT_UPHELD,
     "PROMISE-MAILTLS-MISSING"),
    ({"min_tls": "1.2"}, starttls(mx_host("mx1", version="TLSv1")), Fulfilment.PARTLY, "PROMISE-MAILTLS-OLD"),
    ({"require_valid_certificate": True}, starttls(mx_host("mx1", valid=False)), Fulfilment.PARTLY,
     "PROMISE-MAILTLS-CERT"),
    ({}, starttls(mx_host("mx1"), extra=(found("TLS-CIPHER-INSUFFICIENT", F, "RC4 accepted"),)),
     Fulfilment.PARTLY, "PROMISE-MAILTLS-WEAK"),
    ({}, starttls(mx_host("mx1"), mx_host("mx2", ok=None), extra=(found("STARTTLS-UNREACHABLE", N),)),
     Fulfilment.NOT_TESTED, "PROMISE-FINDINGS-UNTESTED"),
    ({}, measure("starttls", found("STARTTLS-NULL-MX", INFO), hosts=[], null_mx=True), Fulfilment.NOT_VERIFIABLE,
     "PROMISE-MAILTLS-NO-MAIL"),
])
def test_mail_tls(settings, observed, verdict, code):
    result = one(promise("mail-tls", **settings), observed)
    assert (result.verdict, result.code) == (verdict, code)


@pytest.mark.parametrize(("observed", "verdict", "code"), [
    (measure("dnssec", found("DNSSEC-SIGNED", P), status="secure", hosts={"mx.firm.test": "secure"}),
     Fulfilment.UPHELD, "PROMISE-DNSSEC-SECURE"),
    (measure("dnssec", found("DNSSEC-UNSIGNED", F), status="insecure"), Fulfilment.NOT_UPHELD,
     "PROMISE-DNSSEC-UNSIGNED"),
    (measure("dnssec", found("DNSSEC-BOGUS", F), status="bogus"), Fulfilment.NOT_UPHELD, "PROMISE-DNSSEC-BOGUS"),
    (measure("dnssec", found("DNSSEC-SIGNED", P), found("DNSSEC-HOST-BOGUS", F, subject="mx.firm.test"),
             status="secure", hosts={"mx.firm.test": "bogus"}), Fulfilment.PARTLY, "PROMISE-DNSSEC-HOSTS"),
    (measure("dnssec", found("DNSSEC-UNTESTED", N), status="indeterminate"), Fulfilment.NOT_VERIFIABLE,
     "PROMISE-NOT-OBSERVED"),
])
def test_dnssec(observed, verdict, code):
    result = one(promise("dnssec"), observed)
    assert (result.verdict, result.code) == (verdict, code)


@pytest.mark.parametrize(("mode", "verdict"), [("enforce", Fulfilment.UPHELD), ("testing", Fulfilment.PARTLY),
                                               ("none", Fulfilment.NOT_UPHELD)])
def test_mta_sts_mode(mode, verdict):
    observed = measure("mta-sts", found("MTASTS-POLICY", P), policy={"mode": mode, "mx": ["mx1.firm.test"]})
    assert one(promise("mta-sts", mta_sts_mode="enforce"), observed).verdict == verdict


def web(name: str, *findings: Finding) -> MeasureResult:
    return measure(name, *findings)


REACH = web("web-https", found("HTTPS-OK", P))
TLS_OK = web("web-tls", found("TLS-CERT-TRUSTED", P), found("TLS-CERT-NAME-MATCH", P))
REDIRECT_OK = web("web-redirect", found("REDIRECT-SAME-HOST", P))
HSTS_OK = web("hsts", found("HSTS-OK", P))


@pytest.mark.parametrize(("settings", "observed", "verdict", "code"), [
    ({"require_hsts": True}, (REACH, TLS_OK, REDIRECT_OK, HSTS_OK), Fulfilment.UPHELD, "PROMISE-HTTPS-UPHELD"),
    # a certificate browsers reject, or personal data asked over plain http: not upheld
    ({}, (REACH, web("web-tls", found("TLS-CERT-EXPIRED", F, "certificate expired")), REDIRECT_OK),
     Fulfilment.NOT_UPHELD, "PROMISE-HTTPS-BROKEN"),
    ({}, (REACH, TLS_OK, web("web-redirect", found("REDIRECT-PLAIN-FORM", F, "a form over http"))),
     Fulfilment.NOT_UPHELD, "PROMISE-HTTPS-BROKEN"),
    ({}, (web("web-https", found("HTTPS-REFUSED", F)), TLS_OK, REDIRECT_OK), Fulfilment.NOT_UPHELD,
     "PROMISE-HTTPS-BROKEN"),
    # working https, weaker than promised: partly
    ({}, (REACH, web("web-tls", found("TLS-OLD-VERSION-ACCEPTED", F, "TLS 1.0 is still accepted")), REDIRECT_OK),
     Fulfilment.PARTLY, "PROMISE-HTTPS-WEAK"),
    ({}, (REACH, TLS_OK, web("web-redirect", found("REDIRECT-NONE", W, "http does not redirect"))),
     Fulfilment.PARTLY, "PROMISE-HTTPS-WEAK"),
    ({"require_hsts": True}, (REACH, TLS_OK, REDIRECT_OK, web("hsts", found("HSTS-MISSING", F, "no HSTS"))),
     Fulfilment.PARTLY, "PROMISE-HTTPS-WEAK"),
    # what the profile does not require is not held against the promise
    ({"require_hsts": False, "require_redirect": False},
     (REACH, TLS_OK, web("web-redirect", found("REDIRECT-NONE", W)), web("hsts", found("HSTS-MISSING", F))),
     Fulfilment.UPHELD, "PROMISE-HTTPS-UPHELD"),
    # a temporary redirect is no broken promise
    ({}, (REACH, TLS_OK, web("web-redirect", found("REDIRECT-TEMPORARY", W))), Fulfilment.UPHELD,
     "PROMISE-HTTPS-UPHELD"),
])
def test_the_website(settings, observed, verdict, code):
    result = one(promise("https", **{"require_redirect": True, **settings}), *observed)
    assert (result.verdict, result.code) == (verdict, code)


def test_the_website_measures_consulted_follow_the_settings():
    strict = one(promise("https", require_redirect=True, require_hsts=True), REACH, TLS_OK, REDIRECT_OK, HSTS_OK)
    assert strict.measures == ("web-https", "web-tls", "web-redirect", "hsts")
    mild = one(promise("https", require_redirect=False), REACH, TLS_OK, REDIRECT_OK, HSTS_OK)
    assert mild.measures == ("web-https", "web-tls")


def test_a_dmarc_policy_that_is_no_policy():
    observed = measure("dmarc", found("DMARC-POLICY-UNUSABLE", F), record="v=DMARC1; p=rejected",
                       tags={"p": "rejected"}, policy="none", p="none", pct=100)
    result = one(promise("dmarc", dmarc_policy="quarantine"), observed)
    assert (result.verdict, result.code) == (Fulfilment.NOT_UPHELD, "PROMISE-DMARC-BAD-POLICY")
    assert "p=rejected, which is no policy" in result.reason


# --- what cannot be judged ------------------------------------------------------------------

def test_a_measure_that_is_not_in_the_report_means_not_tested_never_a_crash():
    result = one(promise("dane"))
    assert (result.verdict, result.code) == (Fulfilment.NOT_TESTED, "PROMISE-MEASURE-MISSING")
    assert "measure not available" in result.reason


def test_a_measure_that_observed_nothing_means_not_verifiable_with_why():
    observed = measure("dmarc", found("DMARC-LOOKUP-FAILED", N, "the lookup timed out"))
    result = one(promise("dmarc", dmarc_policy="reject"), observed)
    assert (result.verdict, result.code) == (Fulfilment.NOT_VERIFIABLE, "PROMISE-NOT-OBSERVED")
    assert "the lookup timed out" in result.reason


def test_unreadable_data_falls_back_to_the_findings():
    observed = measure("dmarc", found("DMARC-SOMETHING", F, "broken in a new way"), unexpected="shape")
    result = one(promise("dmarc"), observed)
    assert (result.verdict, result.code) == (Fulfilment.NOT_UPHELD, "PROMISE-FINDINGS-FAIL")
    assert "broken in a new way" in result.reason and result.findings == observed.findings


@pytest.mark.parametrize("kind", ["2fa", "firewall", "antivirus", "backup", "encryption-at-rest", "audit",
                                  "access-control", "pseudonymisation", "training", "monitoring",
                                  "security-measures"])
def test_what_no_outside_scan_can_see(kind):
    result = one(promise(kind), dmarc("reject"))
    assert result.verdict == Fulfilment.NOT_VERIFIABLE and result.measures == ()
    assert "cannot be seen from outside" in result.reason
    assert "van buitenaf niet te zien" in render_reason(result, "nl")


def test_promises_about_processors_systems_are_not_verifiable():
    result = one(promise("https", scope="processors"))
    assert (result.verdict, result.code) == (Fulfilment.NOT_VERIFIABLE, "PROMISE-PROCESSORS-SCOPE")


def test_quotes_are_short_and_centred_on_the_promise():
    long = ("SPF is een van de drie internetstandaarden die wij gebruiken om te voorkomen dat jij uit onze "
            "naam e-mails ontvangt die virussen bevatten, spam zijn of bedoeld zijn om gegevens te bemachtigen.")
    text = quote(Promise("dmarc", long, (), {"purpose": "anti-spoofing"}))
    assert text.startswith("“…") and "uit onze naam" in text and len(text.split()) <= 16
    assert quote(Promise("dmarc", "baseline: a DMARC policy (internet.nl, Forum Standaardisatie)")) == \
        "the baseline (a DMARC policy)"
    assert quote(Promise("dmarc", "baseline: a DMARC policy"), lang="nl") == \
        "de basislijn (een DMARC-beleid quarantine of reject)"


# --- verdicts only on evidence -------------------------------------------------------------------

def test_a_website_promise_with_no_web_host_is_not_verifiable_never_upheld():
    # Every web measure says only that there is no web host with an address: nothing passed.
    nothing = [web(n, found("WEB-NO-ADDRESS", N, "no web host with an address"))
               for n in ("web-https", "web-tls", "web-redirect")]
    result = one(promise("https"), *nothing)
    assert result.verdict == Fulfilment.NOT_VERIFIABLE and result.code in ("PROMISE-NO-EVIDENCE",
                                                                          "PROMISE-NOT-OBSERVED")
    info_only = [web(n, found("WEB-NO-HOST", INFO, "no web host with an address"))
                 for n in ("web-https", "web-tls", "web-redirect")]
    result = one(promise("https"), *info_only)
    assert result.verdict == Fulfilment.NOT_VERIFIABLE and result.code == "PROMISE-NO-EVIDENCE"
    assert "no web host with an address" in result.reason


def test_a_promise_upheld_by_zero_passed_checks_is_not_verifiable():
    dane = measure("dane", found("DANE-NO-TLSA", INFO, "no TLSA records to check"))
    result = one(promise("dane"), dane)
    assert result.verdict == Fulfilment.NOT_VERIFIABLE and "no TLSA records to check" in result.reason
    passed = one(promise("dane"), measure("dane", found("DANE-TLSA-MATCH", P)))
    assert passed.verdict == Fulfilment.UPHELD


def test_dkim_on_a_domain_that_sends_no_mail_is_not_applicable_never_not_upheld():
    null_mx = measure("mx", found("MX-NULL", INFO, "null MX"), null_mx=True)
    result = one(promise("dkim"), dkim(none_code="DKIM-NO-DOMAINKEY"), null_mx)
    assert result.verdict == Fulfilment.NOT_VERIFIABLE and result.code == "PROMISE-DKIM-NO-MAIL"
    # ... while on a mail domain, a _domainkey that does not exist proves DKIM absent (RFC 8020)
    mail = measure("mx", found("MX-OK", P), null_mx=False)
    absent = one(promise("dkim"), dkim(none_code="DKIM-NO-DOMAINKEY"), mail)
    assert absent.verdict == Fulfilment.NOT_UPHELD and "does not exist" in absent.reason


def test_an_unscannable_domain_makes_every_promise_not_verifiable_with_why():
    from mailguard.promises.verdicts import unscannable

    results = unscannable([promise("spf"), promise("https"), promise("2fa")], "no answer from the resolver")
    assert {r.verdict for r in results} == {Fulfilment.NOT_VERIFIABLE}
    assert all("could not be scanned (no answer from the resolver)" in r.reason for r in results)
