"""Judging what DMARC discovery found. Pure: facts in, findings out.

Verdicts, and why:

* no record, several records at one name (all discarded), a record receivers ignore: ``fail``;
* ``p=none``: ``warn``. It is a valid record that produces reports, and DMARCbis tells domain
  owners to start there, but it stops no spoofing; the finding says so, and ``data["policy"]`` and
  ``data["enforcing"]`` let a promise such as "we protect against spoofing" demand quarantine or
  reject. For a null-MX domain (no mail at all, nothing to monitor) reject is the recommendation:
  quarantine still enforces, so it is a ``warn``; none or no policy fails;
* quarantine and reject: ``pass`` (quarantine with a note that reject is stronger);
* sp/np weaker than p, pct below 100, t=y testing mode, no rua, unknown/removed tags: ``warn``;
* a query that timed out or failed: ``not tested``, never ``fail``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ...core import psl
from ...core.errors import ParseError
from ...core.findings import finding
from ...core.model import Evidence, Finding, Verdict
from .codes import DETAILS_NL
from .discovery import Discovery, Found, ReceiverView, downgrade_for_testing, receiver_view
from .record import DmarcRecord, Problem, ReportUri, looks_like_dmarc, parse_lenient, policy_stronger

PASS, INFO, WARN, FAIL, NOT_TESTED = (Verdict.PASS, Verdict.INFO, Verdict.WARN, Verdict.FAIL,
                                      Verdict.NOT_TESTED)
RECORD, POLICY, SUBPOLICY, TAGS = "DMARC record", "policy", "subdomain policy", "record tags"
REPORTS, AUTHORIZATION, ALIGNMENT = "reports", "report authorization", "alignment"
DISCOVERY, NULL_MX = "policy discovery", "null MX"
MAX_DESTINATIONS = 10  # external report hosts checked per record
MAX_SHOWN = 300  # characters of a record quoted in a reason (data keeps it whole)
MAX_LOOKALIKES = 5  # non-DMARC TXT records reported per name


@dataclass(frozen=True)
class Authorization:
    """Whether a report destination in another organization agreed to receive reports (RFC 7489 §7.1).

    status: ``authorized``, ``unauthorized`` or ``untested`` (the query failed).
    """

    tag: str
    uri: ReportUri
    policy_domain: str
    query: str
    status: str
    dns_status: str = ""
    evidence: Evidence | None = None


@dataclass(frozen=True)
class Facts:
    """Everything the judge needs. evidence: ``_dmarc.<name>`` TXT evidence by name."""

    domain: str
    bis: Discovery
    rfc: Discovery
    evidence: Mapping[str, Evidence]
    exists: bool | None = None
    exists_evidence: Evidence | None = None
    null_mx: bool | None = None
    mx_evidence: Evidence | None = None
    authorizations: tuple[Authorization, ...] = ()


def _ev(*items: Evidence | None) -> list[Evidence]:
    return [e for e in items if e is not None]


def judge(facts: Facts) -> list[Finding]:
    own = facts.bis.lookups[0]
    own_ev = facts.evidence.get(own.name)
    if own.failed:
        return [finding("DMARC-LOOKUP-FAILED", RECORD, NOT_TESTED, evidence=_ev(own_ev),
                        domain=facts.domain, status=own.status)]
    findings = [*_lookalikes(facts), *_multiple(facts), *_walk_failures(facts)]
    policy = facts.bis.policy
    if policy is None:
        findings += _no_record(facts)
        findings += _null_mx(facts, None)
        return findings
    record = parse_lenient(policy.text)
    view = receiver_view(record)
    applied, tag = view.for_domain(facts.bis.source, facts.exists)
    policy_ev = _ev(own_ev, facts.evidence.get(policy.name))
    if facts.bis.source != "domain" and tag == "np":
        policy_ev += _ev(facts.exists_evidence)
    via = _via(record, view, tag)
    findings += _where(facts, policy, via, policy_ev)
    findings += _problems(record, policy.name, policy_ev)
    findings += _policy(facts, record, view, applied, via, policy_ev)
    findings += _subdomain_policies(facts, record, view, policy_ev)
    findings += _alignment(record, policy_ev)
    findings += _reports(facts, record, applied, policy_ev)
    findings += _authorizations(facts.authorizations)
    findings += _null_mx(facts, applied)
    findings += _methods(facts)
    return findings


# -- where the record is -----------------------------------------------------------------------
def _lookalikes(facts: Facts) -> Iterable[Finding]:
    own = facts.bis.lookups[0]
    for text in [t for t in own.texts if looks_like_dmarc(t)][:MAX_LOOKALIKES]:
        try:
            parse_lenient(text)
        except ParseError as exc:
            verdict = WARN if own.records else FAIL  # harmless beside a valid record, fatal alone
            yield finding("DMARC-NOT-DMARC", RECORD, verdict, evidence=_ev(facts.evidence.get(own.name)),
                          name=own.name, error=exc.message, error_nl=DETAILS_NL.get(exc.message, exc.message),
                          position=exc.position or 0, text=_shown(text))


def _multiple(facts: Facts) -> Iterable[Finding]:
    for lookup in facts.bis.lookups:
        if len(lookup.records) > 1:
            yield finding("DMARC-MULTIPLE", RECORD, FAIL, evidence=_ev(facts.evidence.get(lookup.name)),
                          subject=lookup.name, name=lookup.name, count=len(lookup.records))


def _walk_failures(facts: Facts) -> Iterable[Finding]:
    for lookup in facts.bis.failed:
        yield finding("DMARC-WALK-INCOMPLETE", DISCOVERY, NOT_TESTED,
                      evidence=_ev(facts.evidence.get(lookup.name)), subject=lookup.name,
                      name=lookup.name, status=lookup.status)


def _no_record(facts: Facts) -> list[Finding]:
    evidence = _ev(*(facts.evidence.get(lookup.name) for lookup in facts.bis.lookups))
    if facts.bis.failed:
        return []  # a record may hide behind the failed lookups: DMARC-WALK-INCOMPLETE says so
    searched = ", ".join(f"_dmarc.{lookup.name}" for lookup in facts.bis.lookups)
    return [finding("DMARC-NO-RECORD", RECORD, FAIL, evidence=evidence, domain=facts.domain,
                    searched=searched)]


def _shown(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "..."


def _via(record: DmarcRecord, view: ReceiverView, tag: str) -> str:
    """The tag and value that decide: ``sp=none``; ``p=reject`` when sp= (np=) falls back to it."""
    if tag == "np" and record.np and not view.fallback:
        return f"np={record.np}"
    if tag in ("sp", "np") and record.sp and not view.fallback:
        return f"sp={record.sp}"
    return f"p={view.p}"


def _where(facts: Facts, policy: Found, via: str, evidence: list[Evidence]) -> list[Finding]:
    if facts.bis.source == "domain":
        return [finding("DMARC-RECORD", RECORD, INFO, evidence=evidence, name=policy.name,
                        text=_shown(policy.text))]
    code = "DMARC-INHERITED" if facts.bis.source == "organizational" else "DMARC-INHERITED-PSD"
    return [finding(code, RECORD, INFO, evidence=evidence, source=policy.name, org=facts.bis.org_domain,
                    via=via, text=_shown(policy.text))]


# -- the record's tags -------------------------------------------------------------------------
_PROBLEM_CODES = {
    "syntax": ("DMARC-SYNTAX", FAIL), "unknown-tag": ("DMARC-TAG-UNKNOWN", WARN),
    "removed-tag": ("DMARC-TAG-REMOVED", WARN),
    "duplicate-tag": ("DMARC-TAG-DUPLICATE", FAIL), "p-missing": ("DMARC-P-MISSING", WARN),
    "p-not-second": ("DMARC-P-NOT-SECOND", INFO), "fo-without-ruf": ("DMARC-FO-IGNORED", INFO),
}


def _problems(record: DmarcRecord, subject: str, evidence: list[Evidence]) -> Iterable[Finding]:
    for problem in record.problems:
        code, verdict = _problem_code(problem)
        yield finding(code, TAGS if code != "DMARC-URI-INVALID" else REPORTS, verdict, evidence=evidence,
                      subject=subject, tag=problem.tag, value=problem.value, position=problem.position,
                      error=problem.detail, error_nl=DETAILS_NL.get(problem.detail, problem.detail),
                      lower=problem.tag.lower(), uri=problem.value)


def _problem_code(problem: Problem) -> tuple[str, Verdict]:
    if problem.kind != "invalid-value":
        return _PROBLEM_CODES[problem.kind]
    if problem.tag in ("rua", "ruf"):
        return "DMARC-URI-INVALID", WARN
    return "DMARC-TAG-INVALID", FAIL if problem.tag in ("p", "sp", "np") else WARN


# -- the policy --------------------------------------------------------------------------------
def _policy(facts: Facts, record: DmarcRecord, view: ReceiverView, applied: str | None, via: str,
            evidence: list[Evidence]) -> list[Finding]:
    if view.fallback == "invalid-ignored":
        return [finding("DMARC-POLICY-UNUSABLE", POLICY, FAIL, evidence=evidence)]
    if view.fallback == "invalid-none":
        return [finding("DMARC-POLICY-FALLBACK", POLICY, FAIL, evidence=evidence)]
    assert facts.bis.policy is not None
    source = facts.bis.policy.name
    code, verdict = {"reject": ("DMARC-POLICY-REJECT", PASS), "quarantine": ("DMARC-POLICY-QUARANTINE", PASS),
                     }.get(applied or "", ("DMARC-POLICY-NONE", WARN))
    out = [finding(code, POLICY, verdict, evidence=evidence, via=via, source=source, policy=applied)]
    if applied in ("quarantine", "reject"):
        if record.pct is not None and record.pct < 100:
            out.append(finding("DMARC-PCT", POLICY, WARN, evidence=evidence, pct=record.pct, policy=applied))
        if record.testing:
            out.append(finding("DMARC-TESTING", POLICY, WARN, evidence=evidence, policy=applied,
                               applied=downgrade_for_testing(applied)))
    return out


def _subdomain_policies(facts: Facts, record: DmarcRecord, view: ReceiverView,
                        evidence: list[Evidence]) -> list[Finding]:
    if facts.bis.source != "domain" or view.fallback.startswith("invalid"):
        return []
    if facts.bis.org_domain != facts.domain:
        given = [f"{tag}=" for tag in ("sp", "np") if getattr(record, tag)]
        if not given:
            return []
        return [finding("DMARC-SP-IGNORED", SUBPOLICY, INFO, evidence=evidence, tags=" and ".join(given),
                        domain=facts.domain, org=facts.bis.org_domain)]
    out = []
    if policy_stronger(view.p, view.sp):
        out.append(finding("DMARC-SP-WEAKER", SUBPOLICY, WARN, evidence=evidence, sp=view.sp, p=view.p))
    if record.np and policy_stronger(view.p, view.np):
        out.append(finding("DMARC-NP-WEAKER", SUBPOLICY, WARN, evidence=evidence, np=view.np, p=view.p))
    return out


def _alignment(record: DmarcRecord, evidence: list[Evidence]) -> list[Finding]:
    return [finding("DMARC-ALIGNMENT", ALIGNMENT, INFO, evidence=evidence, adkim=record.adkim,
                    aspf=record.aspf)]


# -- reports -----------------------------------------------------------------------------------
def _uri_list(uris: Iterable[ReportUri]) -> str:
    return ", ".join(u.uri for u in uris)


def _reports(facts: Facts, record: DmarcRecord, applied: str | None,
             evidence: list[Evidence]) -> list[Finding]:
    out = []
    if record.valid_rua:
        out.append(finding("DMARC-RUA", REPORTS, INFO, evidence=evidence, uris=_uri_list(record.valid_rua)))
    elif facts.null_mx and applied == "reject":
        out.append(finding("DMARC-NO-RUA-NULL-MX", REPORTS, INFO, evidence=evidence))
    else:
        out.append(finding("DMARC-NO-RUA", REPORTS, WARN, evidence=evidence))
    valid_ruf = [u for u in record.ruf if u.valid]
    if valid_ruf:
        out.append(finding("DMARC-RUF", REPORTS, INFO, evidence=evidence, uris=_uri_list(valid_ruf)))
    for tag, uris in (("rua", record.rua), ("ruf", record.ruf)):
        for uri in uris:
            if uri.valid and not uri.supported:
                out.append(finding("DMARC-URI-SCHEME", REPORTS, INFO, evidence=evidence, tag=tag,
                                   uri=uri.uri, scheme=uri.scheme))
            if uri.size:
                out.append(finding("DMARC-URI-SIZE", REPORTS, INFO, evidence=evidence, tag=tag,
                                   uri=uri.uri, size=uri.size))
    return out


def _authorizations(items: Iterable[Authorization]) -> Iterable[Finding]:
    codes = {"authorized": ("DMARC-REPORT-AUTHORIZED", PASS),
             "unauthorized": ("DMARC-REPORT-UNAUTHORIZED", WARN),
             "untested": ("DMARC-REPORT-UNTESTED", NOT_TESTED)}
    for item in items:
        code, verdict = codes[item.status]
        yield finding(code, AUTHORIZATION, verdict, evidence=_ev(item.evidence), subject=item.uri.uri,
                      tag=item.tag, host=item.uri.host, policy_domain=item.policy_domain, query=item.query,
                      status=item.dns_status)


# -- expectations and comparisons --------------------------------------------------------------
def _null_mx(facts: Facts, applied: str | None) -> list[Finding]:
    if not facts.null_mx:
        return []
    evidence = _ev(facts.mx_evidence, *(facts.evidence.get(lookup.name) for lookup in facts.bis.lookups[:1]))
    if applied == "reject":
        return [finding("DMARC-NULL-MX-REJECT", NULL_MX, PASS, evidence=evidence)]
    # Quarantine enforces, only less than recommended: a warning (issue 17). none stops nothing.
    verdict = WARN if applied == "quarantine" else FAIL
    return [finding("DMARC-NULL-MX-WEAK", NULL_MX, verdict, evidence=evidence, policy=applied or "no policy")]


def applied_policy(discovery: Discovery, exists: bool | None) -> str | None:
    """The policy a receiver following ``discovery``'s method applies to its domain (None: no DMARC)."""
    if discovery.policy is None:
        return None
    view = receiver_view(parse_lenient(discovery.policy.text), dmarcbis=discovery.method == "dmarcbis")
    return view.for_domain(discovery.source, exists)[0]


def _methods(facts: Facts) -> list[Finding]:
    bis, rfc = facts.bis, facts.rfc
    if rfc.failed or bis.failed:
        return []
    evidence = _ev(*(facts.evidence.get(lookup.name) for lookup in (*bis.lookups, *rfc.lookups)))
    bis_policy, rfc_policy = applied_policy(bis, facts.exists), applied_policy(rfc, facts.exists)
    if (bis.policy_domain, bis_policy) != (rfc.policy_domain, rfc_policy):
        code = ("DMARC-METHODS-DIFFER" if bis_policy and rfc_policy
                else "DMARC-METHODS-DIFFER-BIS-ONLY" if bis_policy else "DMARC-METHODS-DIFFER-RFC-ONLY")
        return [finding(code, DISCOVERY, WARN, evidence=_unique(evidence),
                        bis_policy=bis_policy, bis_source=bis.policy_domain,
                        rfc_policy=rfc_policy, rfc_source=rfc.policy_domain)]
    if bis.org_domain != rfc.org_domain:
        return [finding("DMARC-ORG-DIFFERS", DISCOVERY, INFO, evidence=_unique(evidence),
                        bis_org=bis.org_domain, rfc_org=rfc.org_domain)]
    return []


def _unique(evidence: list[Evidence]) -> list[Evidence]:
    out: list[Evidence] = []
    for item in evidence:
        if all(item is not seen for seen in out):
            out.append(item)
    return out


def external_destinations(record: DmarcRecord, policy_domain: str) -> list[tuple[str, ReportUri, str]]:
    """(tag, uri, query) for each report URI whose host is in another organizational domain.

    RFC 7489 §7.1: the receiver asks ``<policy domain>._report._dmarc.<destination host>``. A hostile
    record may list thousands of URIs; only the first MAX_DESTINATIONS distinct hosts are checked
    (receivers need send to only two, RFC 7489 §6.2).
    """
    out: list[tuple[str, ReportUri, str]] = []
    hosts: set[str] = set()
    for tag, uris in (("rua", record.rua), ("ruf", record.ruf)):
        for uri in uris:
            if uri.valid and uri.host and not psl.same_organization(uri.host, policy_domain):
                hosts.add(uri.host)
                if len(hosts) > MAX_DESTINATIONS:
                    return out
                out.append((tag, uri, f"{policy_domain}._report._dmarc.{uri.host}"))
    return out
