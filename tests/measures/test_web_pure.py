"""Pure website judging: security headers, personal-data forms, redirect chains, reachability."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailguard.core.model import Evidence, Verdict
from mailguard.measures.web.forms import personal_data_fields
from mailguard.measures.web.headers import (
    effective_referrer_policy,
    judge_csp,
    judge_framing,
    judge_nosniff,
    judge_referrer,
    parse_csp,
)
from mailguard.measures.web.redirects import describe_chain, judge_chain, upgrades_on_same_host
from mailguard.net.http import FINAL, LOOP, OK, REFUSED, TIMEOUT, TOO_MANY, HttpResponse, RedirectChain

# -- security headers: info or warn, never fail -----------------------------------------------


def verdicts(checks):
    return {c.code: c.verdict for c in checks}


def test_csp_parsing_keeps_first_directive():
    directives = parse_csp("default-src 'self'; script-src 'self' ; DEFAULT-SRC *;;")
    assert [(d.name, d.sources) for d in directives] == [("default-src", ("'self'",)),
                                                          ("script-src", ("'self'",))]


@pytest.mark.parametrize(("csp", "report_only", "expected"), [
    ((), (), {"HEADERS-CSP-MISSING": Verdict.INFO}),
    ((), ("default-src 'self'",), {"HEADERS-CSP-REPORT-ONLY": Verdict.INFO}),
    (("default-src 'self'",), (), {"HEADERS-CSP": Verdict.PASS}),
    (("script-src 'self' 'unsafe-inline' 'unsafe-eval'",), (),
     {"HEADERS-CSP": Verdict.PASS, "HEADERS-CSP-UNSAFE": Verdict.INFO}),
    (("script-src 'nonce-abc' 'unsafe-inline'",), (), {"HEADERS-CSP": Verdict.PASS}),
    (("default-src *",), (), {"HEADERS-CSP": Verdict.PASS, "HEADERS-CSP-UNSAFE": Verdict.INFO}),
])
def test_csp(csp, report_only, expected):
    assert verdicts(judge_csp(csp, report_only)) == expected


@pytest.mark.parametrize(("csp", "xfo", "code", "verdict"), [
    (("frame-ancestors 'none'",), (), "HEADERS-FRAME-OK", Verdict.PASS),
    (("frame-ancestors 'self'",), ("ALLOW-FROM https://x",), "HEADERS-FRAME-OK", Verdict.PASS),  # CSP wins
    (("frame-ancestors *",), ("DENY",), "HEADERS-FRAME-OPEN", Verdict.WARN),
    ((), ("deny",), "HEADERS-FRAME-OK", Verdict.PASS),
    ((), ("SAMEORIGIN",), "HEADERS-FRAME-OK", Verdict.PASS),
    ((), ("ALLOW-FROM https://x.example",), "HEADERS-FRAME-INVALID", Verdict.WARN),
    (("default-src 'self'",), (), "HEADERS-FRAME-MISSING", Verdict.WARN),
])
def test_framing(csp, xfo, code, verdict):
    assert verdicts(judge_framing(csp, xfo)) == {code: verdict}


def test_nosniff_and_referrer():
    assert verdicts(judge_nosniff(("NoSniff",))) == {"HEADERS-NOSNIFF": Verdict.PASS}
    assert verdicts(judge_nosniff(())) == {"HEADERS-NOSNIFF-MISSING": Verdict.WARN}
    assert effective_referrer_policy(("no-referrer, bogus", "strict-origin")) == "strict-origin"
    assert effective_referrer_policy(("unsafe-url, nonsense",)) == "unsafe-url"
    assert verdicts(judge_referrer(("unsafe-url",))) == {"HEADERS-REFERRER-LEAKY": Verdict.WARN}
    assert verdicts(judge_referrer(("nonsense",))) == {"HEADERS-REFERRER-MISSING": Verdict.INFO}
    assert verdicts(judge_referrer(("same-origin",))) == {"HEADERS-REFERRER": Verdict.PASS}


@given(st.lists(st.text(max_size=80), max_size=3), st.lists(st.text(max_size=40), max_size=2))
def test_headers_never_fail_and_never_crash(csp, other):
    checks = [*judge_csp(tuple(csp), ()), *judge_framing(tuple(csp), tuple(other)),
              *judge_nosniff(tuple(other)), *judge_referrer(tuple(other))]
    assert all(c.verdict != Verdict.FAIL for c in checks)


# -- forms asking for personal data -------------------------------------------------------------

@pytest.mark.parametrize(("html", "fields"), [
    ("<form><input type=password name=pw></form>", ("input type=password name=pw",)),
    ("<FORM><INPUT TYPE=EMAIL NAME=mail><input type=hidden name=t></FORM>", ("input type=email name=mail",)),
    ("<input name=naam>", ("input type=text name=naam",)),
    ("<form><textarea name=message></textarea></form>", ("textarea name=message",)),
    ("<form role=search><input name=term></form>", ()),
    ("<form><input type=search name=x><input name=q><input type=submit></form>", ()),
    ("<p>no form at all</p>", ()),
    ("", ()),
])
def test_personal_data_fields(html, fields):
    assert personal_data_fields(html) == fields


@given(st.text(max_size=300))
def test_forms_fuzz(html):
    assert len(personal_data_fields(html)) <= 20


# -- redirect chains (HttpResponse observations built by hand) --------------------------------

def hop(url, code=None, location=None, status=OK):
    headers = (("location", location),) if location else ()
    return HttpResponse("GET", url, "", "127.0.0.1", 80, status, "", 1.0, Evidence("http", url),
                        code=code, headers=headers)


def chain(*hops, end=FINAL, next_url=""):
    return RedirectChain(hops[0].url, tuple(hops), end, next_url)


def judged(walk, fields=()):
    return verdicts(judge_chain(walk, fields, max_hops=10))


def test_same_host_permanent_redirect_passes():
    walk = chain(hop("http://a.example/", 301, "https://a.example/"), hop("https://a.example/", 200))
    assert judged(walk) == {"REDIRECT-SAME-HOST": Verdict.PASS}
    assert describe_chain(walk) == "http://a.example/ 301 -> https://a.example/ 200"
    walk = chain(hop("http://a.example/", 308, "/"), hop("https://a.example/", 200))
    assert upgrades_on_same_host(walk.hops[0]) is False  # a relative Location keeps the scheme


@pytest.mark.parametrize("code", [302, 303, 307])
def test_temporary_redirect_warns(code):
    walk = chain(hop("http://a.example/", code, "https://a.example/"), hop("https://a.example/", 200))
    assert judged(walk) == {"REDIRECT-TEMPORARY": Verdict.WARN}


def test_other_host_first_and_via_http():
    walk = chain(hop("http://a.example/", 301, "https://www.a.example/"), hop("https://www.a.example/", 200))
    assert judged(walk) == {"REDIRECT-OTHER-HOST-FIRST": Verdict.WARN}
    walk = chain(hop("http://a.example/", 301, "http://www.a.example/"),
                 hop("http://www.a.example/", 301, "https://www.a.example/"), hop("https://www.a.example/",
                                                                                  200))
    assert judged(walk) == {"REDIRECT-VIA-HTTP": Verdict.WARN}


def test_plain_content():
    assert judged(chain(hop("http://a.example/", 200))) == {"REDIRECT-NONE": Verdict.WARN}
    assert judged(chain(hop("http://a.example/", 200)), ("input type=password",)) == {
        "REDIRECT-PLAIN-FORM": Verdict.FAIL}
    assert judged(chain(hop("http://a.example/", 404)), ("input type=password",)) == {
        "REDIRECT-NONE": Verdict.WARN}


def test_loops_caps_and_failures():
    loop = chain(hop("http://a.example/", 301, "http://a.example/x"), hop("http://a.example/x", 301, "/"),
                 end=LOOP, next_url="http://a.example/")
    assert judged(loop) == {"REDIRECT-LOOP": Verdict.FAIL}
    many = chain(hop("http://a.example/", 301, "/1"), end=TOO_MANY, next_url="http://a.example/1")
    assert judged(many) == {"REDIRECT-TOO-MANY": Verdict.FAIL}
    assert judged(chain(hop("http://a.example/", status=REFUSED))) == {"REDIRECT-NO-HTTP": Verdict.INFO}
    broken = chain(hop("http://a.example/", 301, "https://a.example/"), hop("https://a.example/",
                                                                            status=TIMEOUT))
    assert judged(broken) == {"REDIRECT-BROKEN": Verdict.NOT_TESTED}


# -- reachability: a closed port is a failure only when the host visibly answers otherwise ------

def front(https_status, http_status, code=200):
    from mailguard.measures.web.common import Front

    https = hop("https://a.example/", code if https_status == OK else None, status=https_status)
    http = hop("http://a.example/", code if http_status == OK else None, status=http_status)
    return Front("a.example", "127.0.0.1", https, http, None)


@pytest.mark.parametrize(("https_status", "http_status", "code", "verdict"), [
    (OK, OK, "HTTPS-OK", Verdict.PASS),
    (REFUSED, OK, "HTTPS-REFUSED", Verdict.FAIL),
    (TIMEOUT, OK, "HTTPS-SILENT", Verdict.FAIL),
    (REFUSED, REFUSED, "HTTPS-UNTESTED", Verdict.NOT_TESTED),
    (TIMEOUT, TIMEOUT, "HTTPS-UNTESTED", Verdict.NOT_TESTED),
    ("certificate", OK, "HTTPS-CERT-INVALID", Verdict.WARN),
    ("tls", REFUSED, "HTTPS-TLS-FAILED", Verdict.FAIL),
    ("protocol", OK, "HTTPS-BROKEN", Verdict.FAIL),
])
def test_reachability(https_status, http_status, code, verdict):
    from mailguard.measures.web.https import judge_front

    assert verdicts(judge_front(front(https_status, http_status)))[code] == verdict


@pytest.mark.parametrize(("status", "code", "verdict"), [
    (REFUSED, "MTASTS-POLICY-UNTESTED", Verdict.NOT_TESTED),
    (TIMEOUT, "MTASTS-POLICY-UNTESTED", Verdict.NOT_TESTED),
    ("certificate", "MTASTS-POLICY-CERT", Verdict.FAIL),
    ("no-address", "MTASTS-POLICY-UNREACHABLE", Verdict.FAIL),
    ("tls", "MTASTS-POLICY-UNREACHABLE", Verdict.FAIL),
])
def test_policy_fetch_failures(status, code, verdict):
    from mailguard.measures.mtasts import judge_fetch

    assert verdicts(judge_fetch(hop("https://mta-sts.a.example/.well-known/mta-sts.txt", status=status))) == {
        code: verdict}
