"""Verdicts on promises: what the measures found, read against what the statement promised.

Pure: (promises, measure results) in, :class:`~mailguard.core.model.PromiseResult` records out. Each
verdict follows from findings the report also shows, and its reasoning is a message-table entry
(English and Dutch) that names the fact that decided it and quotes the statement's words.

A promise rests on measures by name (:data:`KIND_MEASURES`). A measure that is not in the report
makes the promise "not tested" ("measure not available"), never a crash; a measure that could not
observe anything makes it "not tested" too. Kinds no outside scan can see (2FA, firewalls,
backups...) are "not verifiable from outside". Measures whose facts this module knows (SPF,
DMARC, DKIM, DNSSEC, STARTTLS, MTA-STS, the website's) are read through the typed facts each of
those measures exports (``promise_facts``: the measure that writes its data is the one that reads
it); for others, and for results of a shape they do not know, the verdict follows the worst finding. The
reasoning's texts are in :mod:`.reasons`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core import messages
from ..core.i18n import both, translate
from ..core.model import Finding, Fulfilment, MeasureResult, Promise, PromiseResult, Verdict
from ..measures import dmarc, dnssec, mtasts, spf, starttls
from ..measures.dkim import measure as dkim
from . import patterns
from .reasons import BASELINE_NL, SENDS_NL, UNVERIFIABLE

# The measures each verifiable kind rests on, by registry name; the first present ones are used.
KIND_MEASURES: Mapping[str, tuple[str, ...]] = {
    "spf": ("spf",),
    "dkim": ("dkim",),
    "dmarc": ("dmarc",),
    "mail-tls": ("starttls",),
    "dane": ("dane",),
    "mta-sts": ("mta-sts",),
    "dnssec": ("dnssec",),
    # the website: reachable over https, its certificate and TLS, http -> https, HSTS
    "https": ("web-https", "web-tls", "web-redirect", "hsts"),
}


_STRENGTH = {"none": 0, "quarantine": 1, "reject": 2}
_ACTION = {"quarantine": both("quarantine", "dmarc action verb"), "reject": both("refuse", "dmarc action verb")}
_ACTION_NONE = both("accept", "dmarc action verb")
_BASELINE_QUOTE_NL = translate("the baseline ({what})", "nl", "baseline quote")


@dataclass(frozen=True)
class Issue:
    """One reason for a verdict; the worst issues decide, the rest are listed after them."""

    verdict: Fulfilment
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()


_RANK = {Fulfilment.NOT_UPHELD: 4, Fulfilment.PARTLY: 3, Fulfilment.NOT_TESTED: 2, Fulfilment.UPHELD: 1,
         Fulfilment.NOT_VERIFIABLE: 0}

Judge = Callable[[Promise, Mapping[str, MeasureResult], dict[str, Any]], list[Issue]]


# --- entry points ---------------------------------------------------------------------------

def judge(promises: Iterable[Promise], measures: Iterable[MeasureResult]) -> tuple[PromiseResult, ...]:
    """A verdict on every promise, from the measures in the report."""
    by_name = {m.name: m for m in measures}
    return tuple(judge_one(p, by_name) for p in promises)


def unscannable(promises: Iterable[Promise], error: str) -> tuple[PromiseResult, ...]:
    """The verdicts of a domain that could not be scanned: not verifiable, with why."""
    return tuple(_result(p, [Issue(Fulfilment.NOT_VERIFIABLE, "PROMISE-UNSCANNABLE",
                                   {"claim": quote(p), "claim_nl": quote(p, lang="nl"), "error": error})], ())
                 for p in promises)


def judge_one(promise: Promise, by_name: Mapping[str, MeasureResult]) -> PromiseResult:
    base = {"claim": quote(promise), "claim_nl": quote(promise, lang="nl")}
    if promise.kind not in patterns.VERIFIABLE:
        what = UNVERIFIABLE.get(promise.kind, (promise.kind, promise.kind))
        return _result(promise, [Issue(Fulfilment.NOT_VERIFIABLE, "PROMISE-NOT-VERIFIABLE",
                                       {**base, "what_en": what[0], "what_nl": what[1]})], ())
    if promise.settings.get("scope") == "processors":
        return _result(promise, [Issue(Fulfilment.NOT_VERIFIABLE, "PROMISE-PROCESSORS-SCOPE", base)], ())
    names = _relevant(promise, KIND_MEASURES.get(promise.kind, ()))
    present = {n: by_name[n] for n in names if n in by_name}
    if not present:
        return _result(promise, [Issue(Fulfilment.NOT_TESTED, "PROMISE-MEASURE-MISSING",
                                       {**base, "measures": "/".join(names[:2])})], ())
    consulted = tuple(present)
    unobserved = [m for m in present.values() if _unobserved(m)]
    if len(unobserved) == len(present):
        first = unobserved[0]
        why = next((f.reason for f in first.findings), "no result")
        return _result(promise, [Issue(Fulfilment.NOT_VERIFIABLE, "PROMISE-NOT-OBSERVED",
                                       {**base, "measure": first.title, "why": why}, first.findings)], consulted)
    context = dict(base)
    specific = _JUDGES.get(promise.kind)
    issues = specific(promise, {**by_name, **present}, context) if specific else []
    if issues:
        issues += _unexplained_failures(issues, list(present.values()), context)
    else:
        issues = _by_findings(list(present.values()), context)
    issues = _on_evidence(issues, list(present.values()), context)
    return _result(promise, issues, consulted + _extra_measures(promise, by_name))


# Upheld verdicts that rest on checks having passed (not on a record the measure read and judged).
_UPHELD_BY_PASSES = frozenset({"PROMISE-FINDINGS-PASS", "PROMISE-HTTPS-UPHELD"})


def _on_evidence(issues: list[Issue], present: list[MeasureResult], context: dict[str, Any]) -> list[Issue]:
    """"Upheld" is a claim: only a check that passed can carry it. When the reading would uphold a
    promise that no passing check behind it proves (every check not tested, not applicable or for
    information: a domain without a web host, DANE with nothing to check), the promise is not
    verifiable, with what was found instead."""
    deciding = max(issues, key=lambda i: _RANK[i.verdict])
    if deciding.verdict != Fulfilment.UPHELD or deciding.code not in _UPHELD_BY_PASSES:
        return issues  # the readings of SPF, DMARC, DKIM... rest on the record they observed
    findings = [f for m in present for f in m.findings]
    if any(f.verdict == Verdict.PASS for f in findings):
        return issues
    why = [f for f in findings if f.verdict in (Verdict.NOT_TESTED, Verdict.INFO)] or findings
    return [Issue(Fulfilment.NOT_VERIFIABLE, "PROMISE-NO-EVIDENCE",
                  {**context, "why": _problems(why, "en"), "why_nl": _problems(why, "nl")}, tuple(why[:4]))]


def _unexplained_failures(issues: list[Issue], present: list[MeasureResult],
                          context: dict[str, Any]) -> list[Issue]:
    """A promise is never upheld beside a failed check its reading did not weigh: the failures
    the measures report that no issue rests on make it partly upheld at best."""
    if any(i.verdict == Fulfilment.NOT_UPHELD for i in issues):
        return []
    weighed = {id(f) for i in issues if i.verdict != Fulfilment.UPHELD for f in i.findings}
    fails = [f for m in present for f in m.findings if f.verdict == Verdict.FAIL and id(f) not in weighed]
    if not fails:
        return []
    return [Issue(Fulfilment.PARTLY, "PROMISE-FINDINGS-WARN",
                  {**context, "measure": "/".join(m.title for m in present),
                   "problems_en": _problems(fails, "en"), "problems_nl": _problems(fails, "nl")}, tuple(fails))]


def render_reason(result: PromiseResult, lang: str = "en") -> str:
    """The reasoning of a verdict in ``lang``: the deciding issue, then any others after it."""
    text = messages.render(result.code, result.params, lang)
    also = [messages.render(a["code"], a["params"], lang) for a in result.params.get("also", ())]
    if also:
        text += ("; ook: " if lang == "nl" else "; also: ") + "; ".join(also)
    return text


# --- helpers --------------------------------------------------------------------------------

def _result(promise: Promise, issues: list[Issue], measures: tuple[str, ...]) -> PromiseResult:
    ranked = sorted(issues, key=lambda i: -_RANK[i.verdict])
    main, rest = ranked[0], [i for i in ranked[1:] if i.verdict in (Fulfilment.PARTLY, Fulfilment.NOT_UPHELD,
                                                                     Fulfilment.NOT_TESTED)]
    params = dict(main.params)
    if rest:
        params["also"] = [{"code": i.code, "params": dict(i.params)} for i in rest]
    unique: dict[int, Finding] = {}
    for issue in [main, *rest]:
        for found in issue.findings:
            unique.setdefault(id(found), found)
    findings = tuple(unique.values())
    result = PromiseResult(promise=promise, verdict=main.verdict, code=main.code, reason="", params=params,
                           measures=tuple(dict.fromkeys(measures)), findings=findings)
    return PromiseResult(promise=promise, verdict=main.verdict, code=main.code,
                         reason=render_reason(result, "en"), params=params, measures=result.measures,
                         findings=findings)


def _relevant(promise: Promise, names: tuple[str, ...]) -> tuple[str, ...]:
    """The measures a promise rests on given its settings: HSTS and the redirect only when required."""
    if promise.kind == "https":
        skip = {"web-redirect"} if promise.settings.get("require_redirect") is False else set()
        skip |= set() if promise.settings.get("require_hsts") else {"hsts"}
        return tuple(n for n in names if n not in skip)
    return names


def _unobserved(measure: MeasureResult) -> bool:
    """Nothing was observed: every finding is "not tested" (a timeout, SERVFAIL, the deadline)."""
    return all(f.verdict == Verdict.NOT_TESTED for f in measure.findings)


def _extra_measures(promise: Promise, by_name: Mapping[str, MeasureResult]) -> tuple[str, ...]:
    if promise.kind == "spf" and promise.settings.get("purpose") and "dmarc" in by_name:
        return ("dmarc",)
    return ()


def quote(promise: Promise, max_words: int = 16, *, lang: str = "en") -> str:
    """The statement's words a verdict quotes: the whole sentence, or the part around what it promises."""
    sentence = promise.sentence.strip()
    if sentence.startswith("baseline:"):
        if lang == "nl" and promise.kind in BASELINE_NL:
            return _BASELINE_QUOTE_NL.format(what=BASELINE_NL[promise.kind])
        return "the baseline (" + re.sub(r"\s*\(internet\.nl[^)]*\)", "", sentence[9:]).strip() + ")"
    words = sentence.split()
    if len(words) <= max_words:
        return f"“{sentence}”"
    anchor = _anchor(sentence, promise)
    at = len(sentence[:anchor].split()) if anchor is not None else 0
    start = max(0, min(at - 5, len(words) - max_words))
    part = " ".join(words[start:start + max_words])
    return f"“{'…' if start else ''}{part}{'…' if start + max_words < len(words) else ''}”"


def _anchor(sentence: str, promise: Promise) -> int | None:
    purpose = promise.settings.get("purpose")
    lists = {"best": patterns.BEST, "anti-spoofing": patterns.ANTI_SPOOFING}
    if purpose in lists:
        match = patterns.compile_list(lists[purpose]).search(sentence)
        if match:
            return match.start()
    for regex in patterns.compile_kinds().get(promise.kind, ()):
        match = regex.search(sentence)
        if match:
            return match.start()
    return None


def _render_finding(finding: Finding, lang: str) -> str:
    if lang == "en":
        return finding.reason
    try:
        return messages.render(finding.code, finding.params, lang)
    except KeyError:  # a code this mailguard does not know (a report from elsewhere)
        return finding.reason


def _problems(findings: Sequence[Finding], lang: str, limit: int = 3) -> str:
    texts = [_render_finding(f, lang) for f in findings]
    shown = "; ".join(dict.fromkeys(texts[:limit]))
    more = len(texts) - limit
    return shown + (f" (+{more})" if more > 0 else "")


def _by_findings(present: list[MeasureResult], context: dict[str, Any]) -> list[Issue]:
    """Where no specific reading exists: the worst finding of the measures decides."""
    findings = [f for m in present for f in m.findings]
    measure = "/".join(m.title for m in present)
    for verdict, fulfilment, code in ((Verdict.FAIL, Fulfilment.NOT_UPHELD, "PROMISE-FINDINGS-FAIL"),
                                      (Verdict.WARN, Fulfilment.PARTLY, "PROMISE-FINDINGS-WARN"),
                                      (Verdict.NOT_TESTED, Fulfilment.NOT_TESTED, "PROMISE-FINDINGS-UNTESTED")):
        hits = [f for f in findings if f.verdict == verdict]
        if hits:
            return [Issue(fulfilment, code, {**context, "measure": measure, "problems_en": _problems(hits, "en"),
                                             "problems_nl": _problems(hits, "nl")}, tuple(hits))]
    passed = [f for f in findings if f.verdict == Verdict.PASS]
    return [Issue(Fulfilment.UPHELD, "PROMISE-FINDINGS-PASS", {**context, "measure": measure,
                                                                "count": len(passed)}, tuple(passed))]


def _coded(measure: MeasureResult, *fragments: str) -> tuple[Finding, ...]:
    return tuple(f for f in measure.findings if any(fr in f.code for fr in fragments))


# --- DMARC ----------------------------------------------------------------------------------

def dmarc_facts(measure: MeasureResult | None) -> dmarc.DmarcFacts | None:
    """The DMARC measure's facts, or None when it observed nothing or gave a shape unknown here."""
    if measure is None or _unobserved(measure):
        return None
    return dmarc.promise_facts(measure)


def _judge_dmarc(promise: Promise, by_name: Mapping[str, MeasureResult], context: dict[str, Any]) -> list[Issue]:
    measure = by_name["dmarc"]
    facts = dmarc_facts(measure)
    if facts is None:
        return []
    deciding = tuple(f for f in measure.findings if f.verdict != Verdict.INFO)[:4]
    required = str(promise.settings.get("dmarc_policy", "quarantine"))
    purpose = promise.settings.get("purpose", "")
    policy = facts.policy
    if not facts.found:
        return [Issue(Fulfilment.NOT_UPHELD, "PROMISE-DMARC-MISSING", context, deciding)]
    written = facts.written
    if isinstance(written, str) and written.lower() not in _STRENGTH:
        return [Issue(Fulfilment.NOT_UPHELD, "PROMISE-DMARC-BAD-POLICY", {**context, "written": written}, deciding)]
    if not facts.valid or policy not in _STRENGTH:
        return [Issue(Fulfilment.NOT_UPHELD, "PROMISE-DMARC-INVALID", context, deciding)]
    params = {**context, "policy": policy, "required": required, "pct": facts.pct}
    if _STRENGTH[policy] < _STRENGTH.get(required, 1):
        if policy == "none":
            return [Issue(Fulfilment.NOT_UPHELD if purpose else Fulfilment.PARTLY,
                          "PROMISE-DMARC-NONE" if purpose else "PROMISE-DMARC-MONITOR", params, deciding)]
        return [Issue(Fulfilment.PARTLY, "PROMISE-DMARC-WEAKER", params, deciding)]
    issues = []
    sp = str(facts.subdomain_policy or policy).lower()
    if sp in _STRENGTH and _STRENGTH[sp] < _STRENGTH.get(required, 1):
        issues.append(Issue(Fulfilment.PARTLY, "PROMISE-DMARC-SUBDOMAINS", {**params, "subdomain_policy": sp},
                            deciding))
    if facts.pct < 100 and policy != "none":
        issues.append(Issue(Fulfilment.PARTLY, "PROMISE-DMARC-PCT", params, deciding))
    if facts.testing:
        issues.append(Issue(Fulfilment.PARTLY, "PROMISE-DMARC-TESTING",
                            {**params, "applied": facts.applied or "none"}, deciding))
    action = _ACTION.get(policy, _ACTION_NONE)
    issues.append(Issue(Fulfilment.UPHELD, "PROMISE-DMARC-UPHELD",
                        {**params, "action": action[0], "action_nl": action[1]}, deciding))
    return issues


def dmarc_enforces(by_name: Mapping[str, MeasureResult]) -> bool | None:
    """True when DMARC is quarantine or reject, False when it is missing or none, None when unknown."""
    facts = dmarc_facts(by_name.get("dmarc"))
    if facts is None:
        return None
    return bool(facts.found and facts.valid and _STRENGTH.get(facts.policy or "", 0) >= 1)


# --- SPF ------------------------------------------------------------------------------------

def spf_facts(measure: MeasureResult | None) -> spf.SpfFacts | None:
    """The SPF measure's facts, or None when it observed nothing or gave a shape unknown here."""
    if measure is None or _unobserved(measure):
        return None
    return spf.promise_facts(measure)


def _covers(networks: Iterable[str], sender: str) -> bool | None:
    """Does an ip4/ip6 term cover ``sender`` (an address or network)? None: not an address."""
    try:
        wanted = ipaddress.ip_network(sender, strict=False)
    except ValueError:
        return None
    for text in networks:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            continue
        if network.version == wanted.version and wanted.subnet_of(network):  # type: ignore[arg-type]
            return True
    return False


def _judge_spf(promise: Promise, by_name: Mapping[str, MeasureResult], context: dict[str, Any]) -> list[Issue]:
    measure = by_name["spf"]
    facts = spf_facts(measure)
    if facts is None:
        return []  # facts this module cannot read: judge by the findings
    deciding = tuple(f for f in measure.findings if f.verdict != Verdict.INFO)[:4]
    if not facts.found:
        return [Issue(Fulfilment.NOT_UPHELD, "PROMISE-SPF-MISSING", context, deciding)]
    if facts.error:
        return [Issue(Fulfilment.NOT_UPHELD, "PROMISE-SPF-INVALID", {**context, "why": str(facts.error)},
                      deciding)]
    params = {**context, "all": facts.all, "required": promise.settings.get("spf_all", "~all")}
    if facts.all is None:
        return [Issue(Fulfilment.NOT_UPHELD, "PROMISE-SPF-NO-ALL", params, deciding)]
    open_include = _coded(measure, "INCLUDE-PLUS-ALL")
    if open_include:
        return [Issue(Fulfilment.NOT_UPHELD, "PROMISE-SPF-INCLUDE-OPEN",
                      {**params, "include": open_include[0].params.get("domain", "?")}, open_include)]
    if facts.all in {"+all", "?all"}:
        return [Issue(Fulfilment.NOT_UPHELD, "PROMISE-SPF-OPEN", params, deciding)]
    issues = []
    if params["required"] == "-all" and facts.all != "-all":
        issues.append(Issue(Fulfilment.PARTLY, "PROMISE-SPF-SOFT", params, deciding))
    for processor in promise.settings.get("processors", ()):
        include = str(processor.get("spf_include") or "").lower()
        if include and include not in facts.includes:
            issues.append(Issue(Fulfilment.PARTLY, "PROMISE-SPF-SENDER-MISSING",
                                {**params, **_processor_params(processor), "include": include}, deciding))
    for sender in promise.settings.get("senders", ()):
        covered = _covers(facts.networks, sender)
        if covered is None:
            covered = sender.lower().rstrip(".") in facts.includes
        if not covered:
            issues.append(Issue(Fulfilment.PARTLY, "PROMISE-SPF-SENDER-MISSING",
                                {**params, "processor": sender, "sends": "mail", "sends_nl": "mail",
                                 "include": sender}, deciding))
    if promise.settings.get("purpose") and dmarc_enforces(by_name) is False:
        issues.append(Issue(Fulfilment.PARTLY, "PROMISE-SPF-NO-DMARC", params,
                            deciding + tuple(by_name["dmarc"].findings[:2])))
    issues.append(Issue(Fulfilment.UPHELD, "PROMISE-SPF-UPHELD", params, deciding))
    return issues


def _processor_params(processor: Mapping[str, Any]) -> dict[str, Any]:
    sends = str(processor.get("sends") or "mail")
    return {"processor": processor.get("name", "?"), "sends": sends, "sends_nl": SENDS_NL.get(sends, sends)}


# --- DKIM -----------------------------------------------------------------------------------

def _sends_no_mail(by_name: Mapping[str, MeasureResult]) -> bool:
    """A null MX (RFC 7505): the domain declares it sends and receives no mail."""
    mx = by_name.get("mx")
    return mx is not None and bool(mx.data.get("null_mx") or _coded(mx, "MX-NULL"))


def _judge_dkim(promise: Promise, by_name: Mapping[str, MeasureResult], context: dict[str, Any]) -> list[Issue]:
    measure = by_name["dkim"]
    facts = dkim.promise_facts(measure)
    if facts is None:
        return []
    keys = facts.keys
    usable = [k for k in keys if k.usable]
    params = {**context, "domain": promise.domains[0] if promise.domains else ""}
    if not keys and _sends_no_mail(by_name):
        return [Issue(Fulfilment.NOT_VERIFIABLE, "PROMISE-DKIM-NO-MAIL", params, _coded(by_name["mx"], "NULL"))]
    if not keys:
        absent = _coded(measure, "NO-DOMAINKEY")
        if absent:
            return [Issue(Fulfilment.NOT_UPHELD, "PROMISE-DKIM-NO-DOMAINKEY", params, absent)]
        untested = tuple(f for f in measure.findings if f.verdict == Verdict.NOT_TESTED)
        return [Issue(Fulfilment.NOT_VERIFIABLE, "PROMISE-DKIM-UNKNOWN-SELECTOR", params,
                      untested or tuple(measure.findings))]
    names = ", ".join(dict.fromkeys(k.selector for k in (usable or keys)))
    params["selectors"] = names
    key_findings = tuple(f for f in measure.findings if f.code.startswith("DKIM-KEY"))
    if not usable:
        return [Issue(Fulfilment.NOT_UPHELD, "PROMISE-DKIM-NONE-USABLE", params, key_findings)]
    issues = []
    required = int(promise.settings.get("dkim_min_bits", 1024))
    rsa_bits = [k.bits for k in usable if k.key_type == "rsa" and k.bits]
    if rsa_bits and len(rsa_bits) == len(usable) and max(rsa_bits) < required:
        issues.append(Issue(Fulfilment.PARTLY, "PROMISE-DKIM-WEAK",
                            {**params, "bits": max(rsa_bits), "required": required}, key_findings))
    if all(k.testing for k in usable):
        issues.append(Issue(Fulfilment.PARTLY, "PROMISE-DKIM-TESTING", params, key_findings))
    published = {k.selector.lower() for k in usable}
    for processor in promise.settings.get("processors", ()):
        selectors = [s.lower() for s in processor.get("dkim_selectors", ())]
        if selectors and not published & set(selectors):
            issues.append(Issue(Fulfilment.PARTLY, "PROMISE-DKIM-PROCESSOR-MISSING",
                                {**params, **_processor_params(processor), "selectors": ", ".join(selectors)},
                                key_findings))
    issues.append(Issue(Fulfilment.UPHELD, "PROMISE-DKIM-UPHELD", params, key_findings))
    return issues


# --- the website ----------------------------------------------------------------------------

# Failures that mean the website's https does not protect its visitors at all: no working https,
# a certificate browsers reject, or a form for personal data served over plain http.
_WEB_BROKEN = ("CERT-UNTRUSTED", "CERT-SELF-SIGNED", "CERT-NAME-MISMATCH", "CERT-EXPIRED", "CERT-NOT-YET-VALID",
               "CERT-MISSING", "HTTPS-CERT-INVALID", "HTTPS-REFUSED", "HTTPS-TLS-FAILED", "HTTPS-BROKEN",
               "TLS-HANDSHAKE-FAILED", "REDIRECT-PLAIN-FORM")
# Warnings that weaken what an https promise says (content over plain http, a short HSTS).
_WEB_WEAK_WARNINGS = ("REDIRECT-NONE", "REDIRECT-VIA-HTTP", "HSTS-SHORT")


def _judge_https(promise: Promise, by_name: Mapping[str, MeasureResult], context: dict[str, Any]) -> list[Issue]:
    present = [by_name[n] for n in _relevant(promise, KIND_MEASURES["https"]) if n in by_name]
    findings = [f for m in present for f in m.findings]
    fails = [f for f in findings if f.verdict == Verdict.FAIL]
    broken = tuple(f for f in fails if any(code in f.code for code in _WEB_BROKEN))
    problems = {"problems_en": "", "problems_nl": ""}
    if broken:
        problems = {"problems_en": _problems(broken, "en"), "problems_nl": _problems(broken, "nl")}
        return [Issue(Fulfilment.NOT_UPHELD, "PROMISE-HTTPS-BROKEN", {**context, **problems}, broken)]
    weak = tuple(fails) + tuple(f for f in findings if f.verdict == Verdict.WARN
                                and any(code in f.code for code in _WEB_WEAK_WARNINGS))
    issues = []
    if weak:
        problems = {"problems_en": _problems(weak, "en"), "problems_nl": _problems(weak, "nl")}
        issues.append(Issue(Fulfilment.PARTLY, "PROMISE-HTTPS-WEAK", {**context, **problems}, weak))
    untested = tuple(f for f in findings if f.verdict == Verdict.NOT_TESTED)
    if untested:
        issues.append(Issue(Fulfilment.NOT_TESTED, "PROMISE-FINDINGS-UNTESTED",
                            {**context, "measure": "/".join(m.title for m in present),
                             "problems_en": _problems(untested, "en"), "problems_nl": _problems(untested, "nl")},
                            untested))
    passed = tuple(f for f in findings if f.verdict == Verdict.PASS)
    issues.append(Issue(Fulfilment.UPHELD, "PROMISE-HTTPS-UPHELD",
                        {**context, "measure": "/".join(m.title for m in present), "count": len(passed)}, passed))
    return issues


# --- DNSSEC ---------------------------------------------------------------------------------

def _judge_dnssec(promise: Promise, by_name: Mapping[str, MeasureResult], context: dict[str, Any]) -> list[Issue]:
    measure = by_name["dnssec"]
    facts = dnssec.promise_facts(measure)
    if facts is None:
        return []
    own = tuple(f for f in measure.findings if not f.subject)
    if facts.status == "insecure":
        return [Issue(Fulfilment.NOT_UPHELD, "PROMISE-DNSSEC-UNSIGNED", context, own)]
    if facts.status == "bogus":
        return [Issue(Fulfilment.NOT_UPHELD, "PROMISE-DNSSEC-BOGUS", context, own)]
    if facts.status != "secure":
        return []  # indeterminate or unknown: the findings say why
    issues = []
    if facts.bogus_hosts:
        issues.append(Issue(Fulfilment.PARTLY, "PROMISE-DNSSEC-HOSTS",
                            {**context, "hosts": ", ".join(facts.bogus_hosts)}, _coded(measure, "HOST-BOGUS")))
    issues.append(Issue(Fulfilment.UPHELD, "PROMISE-DNSSEC-SECURE", context, _coded(measure, "DNSSEC-SIGNED")))
    return issues


# --- STARTTLS -------------------------------------------------------------------------------

_TLS_ORDER = {"SSLv3": 0, "TLSv1": 1, "TLSv1.0": 1, "TLSv1.1": 2, "TLSv1.2": 3, "TLSv1.3": 4}


def _tls_rank(version: str) -> int:
    text = version if version.startswith(("TLS", "SSL")) else f"TLSv{version}"
    return _TLS_ORDER.get(text, -1)


def _judge_mail_tls(promise: Promise, by_name: Mapping[str, MeasureResult],
                    context: dict[str, Any]) -> list[Issue]:
    measure = by_name["starttls"]
    facts = starttls.promise_facts(measure)
    entries = facts.hosts
    if not entries and (facts.null_mx or _coded(measure, "NULL-MX", "NO-MX")):
        return [Issue(Fulfilment.NOT_VERIFIABLE, "PROMISE-MAILTLS-NO-MAIL", context, tuple(measure.findings))]
    tested = [e for e in entries if e.starttls is not None]
    if not tested:
        return []
    failing = tuple(f for f in measure.findings if f.verdict == Verdict.FAIL)
    without = sorted({e.host for e in tested if e.starttls is False})
    if without:
        return [Issue(Fulfilment.NOT_UPHELD, "PROMISE-MAILTLS-MISSING", {**context, "hosts": ", ".join(without)},
                      failing)]
    required = str(promise.settings.get("min_tls", "1.2"))
    versions = sorted({e.version for e in tested if e.version}, key=_tls_rank)
    issues = []
    old = sorted({e.host for e in tested if e.version and _tls_rank(e.version) < _tls_rank(required)})
    if old:
        issues.append(Issue(Fulfilment.PARTLY, "PROMISE-MAILTLS-OLD", {**context, "hosts": ", ".join(old),
                            "version": versions[0] if versions else "?", "required": required}, failing))
    invalid = sorted({e.host for e in tested if e.handshake and not e.cert_valid})
    if invalid and promise.settings.get("require_valid_certificate"):
        issues.append(Issue(Fulfilment.PARTLY, "PROMISE-MAILTLS-CERT", {**context, "hosts": ", ".join(invalid)},
                            failing))
    elif failing:
        issues.append(Issue(Fulfilment.PARTLY, "PROMISE-MAILTLS-WEAK",
                            {**context, "problems_en": _problems(failing, "en"),
                             "problems_nl": _problems(failing, "nl")}, failing))
    untested = tuple(f for f in measure.findings if f.verdict == Verdict.NOT_TESTED)
    if len(tested) < len(entries) or untested:
        issues.append(Issue(Fulfilment.NOT_TESTED, "PROMISE-FINDINGS-UNTESTED",
                            {**context, "measure": measure.title, "problems_en": _problems(untested, "en"),
                             "problems_nl": _problems(untested, "nl")}, untested))
    issues.append(Issue(Fulfilment.UPHELD, "PROMISE-MAILTLS-UPHELD",
                        {**context, "version": "/".join(versions) or "?"}, _coded(measure, "STARTTLS-WORKS")))
    return issues


# --- MTA-STS --------------------------------------------------------------------------------

def _judge_mta_sts(promise: Promise, by_name: Mapping[str, MeasureResult], context: dict[str, Any]) -> list[Issue]:
    measure = by_name["mta-sts"]
    facts = mtasts.promise_facts(measure)
    if facts.mode is None or any(f.verdict == Verdict.FAIL for f in measure.findings):
        return []  # no usable policy: the findings say why
    mode, required = facts.mode, str(promise.settings.get("mta_sts_mode", "enforce"))
    params = {**context, "mode": mode, "required": required}
    order = {"none": 0, "testing": 1, "enforce": 2}
    if order.get(mode, 0) < order.get(required, 2):
        verdict = Fulfilment.NOT_UPHELD if mode == "none" else Fulfilment.PARTLY
        return [Issue(verdict, "PROMISE-MTASTS-MODE", params, tuple(measure.findings))]
    return [Issue(Fulfilment.UPHELD, "PROMISE-MTASTS-UPHELD", params, tuple(measure.findings))]


_JUDGES: Mapping[str, Judge] = {
    "dmarc": _judge_dmarc, "spf": _judge_spf, "dkim": _judge_dkim, "dnssec": _judge_dnssec,
    "mail-tls": _judge_mail_tls, "https": _judge_https, "mta-sts": _judge_mta_sts,
}
