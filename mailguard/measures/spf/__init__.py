"""SPF (RFC 7208): the domain's record, its include/redirect tree and its limits.

Modules: :mod:`.grammar` (the ABNF and a pure parser), :mod:`.macros` (§7 expansion),
:mod:`.lookups` (the DNS steps and the driver), :mod:`.walker` (the tree walk this measure
judges) and :mod:`.check_host` (the complete evaluator behind ``mailguard spf``).

``data`` holds what the promise verdicts use:
``record`` (the SPF record or None), ``records`` (every SPF record at the name),
``tree`` (every record of the include/redirect tree, pre-order, with its terms),
``lookups`` (DNS-querying terms over the tree), ``void_lookups`` (the larger of
``void_lookups_ipv4`` and ``void_lookups_ipv6``), ``all`` (the ``all`` term that ends
evaluation, e.g. ``"-all"``, following redirects; None without one), ``all_qualifier``
(``fail``/``softfail``/``neutral``/``pass``/None), ``permerror`` (receivers get permerror for
every sender), ``null_mx`` and ``loops``.

Judgement of ``~all``: pass, as internet.nl does. RFC 7489 §10.1 warns that an SPF ``-all``
can make a receiver reject at SMTP time, before DKIM and DMARC are evaluated (losing forwarded
mail that DKIM would have saved), so soft-fail beside an enforcing DMARC policy is the common
and advised setting.
Whether spoofed mail is actually refused is DMARC's verdict, made by the DMARC measure; a
domain that sends no mail at all (null MX) is the exception: it is expected to say ``-all``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...core import messages
from ...core.config import Config
from ...core.errors import ParseError
from ...core.findings import finding, result
from ...core.messages import Message
from ...core.model import Area, Evidence, Finding, MeasureResult, Verdict
from ...net import Net
from .. import mx
from .check_host import Result, SpfResult, check_host, evaluate
from .grammar import SpfRecord, parse_record
from .lookups import drive
from .walker import (
    DYNAMIC,
    FAILED,
    INVALID,
    MAX_QUERIED_TERMS,
    MAX_RECORDS,
    MX_OVER_LIMIT,
    NO_SPF,
    VOID,
    VOID_IPV4,
    VOID_IPV6,
    RecordReport,
    TermReport,
    Walk,
    walk,
)

NAME = "spf"
TITLE = "SPF"
AREA = Area.MAIL_AUTH

LOOKUP_LIMIT = 10  # §4.6.4
LOOKUP_WARN_AT = 9  # one include away from the limit
VOID_LIMIT = 2  # §4.6.4
UDP_SAFE_LENGTH = 450  # §3.4: keep the answer within 512 octets of UDP

_M = Message
MESSAGES = {
    "SPF-LOOKUP-FAILED": _M("the TXT lookup of {domain} failed ({status}): SPF not tested",
                            "RFC 7208 §4.4"),
    "SPF-MISSING": _M("no SPF record: any host can send mail as {domain} without an SPF fail",
                      "RFC 7208 §4.5"),
    "SPF-MISSING-NULL-MX": _M("no SPF record; {domain} accepts no mail (null MX) and should publish "
                              "'v=spf1 -all' so nobody can send as it",
                              "RFC 7208 §4.5, RFC 7505 §4"),
    "SPF-PRESENT": _M("SPF record: {record}", "RFC 7208 §4.5"),
    "SPF-MULTIPLE": _M("{count} SPF records at {domain}: receivers return permerror", "RFC 7208 §4.5"),
    "SPF-SYNTAX": _M("syntax error in the record at {domain}, position {position}: {error} (permerror)",
                     "RFC 7208 §4.6"),
    "SPF-LOOKUPS-OK": _M("DNS lookups over the include/redirect tree: {lookups} (limit 10)",
                         "RFC 7208 §4.6.4"),
    "SPF-LOOKUPS-NEAR": _M("DNS lookups over the include/redirect tree: {lookups}, at the limit of 10; "
                           "one more include and receivers return permerror", "RFC 7208 §4.6.4"),
    "SPF-LOOKUPS-OVER": _M("DNS lookups over the include/redirect tree: {lookups}, more than 10, so "
                           "receivers return permerror for mail they cannot match earlier",
                           "RFC 7208 §4.6.4"),
    "SPF-DYNAMIC": _M("{count} term(s) depend on the sender (macros) and were counted, not followed: {terms}",
                      "RFC 7208 §7"),
    "SPF-TRUNCATED": _M("the tree is too large to walk completely (more than {limit} records or "
                        "{terms} lookups); the counts are lower bounds", "RFC 7208 §4.6.4"),
    "SPF-TREE-UNTESTED": _M("lookups in the include/redirect tree failed ({names}): the counts are "
                            "lower bounds", "RFC 7208 §5"),
    "SPF-VOID-NONE": _M("no void lookups (limit 2)", "RFC 7208 §4.6.4"),
    "SPF-VOID-SOME": _M("{count} void lookup, within the limit of 2: a term that finds nothing: {terms}",
                        "RFC 7208 §4.6.4"),
    "SPF-VOID-AT-LIMIT": _M("{count} void lookups, at the limit of 2: one more makes receivers return "
                            "permerror: {terms}", "RFC 7208 §4.6.4"),
    "SPF-VOID-OVER": _M("{count} void lookups{family}: more than 2 makes receivers return permerror: {terms}",
                        "RFC 7208 §4.6.4"),
    "SPF-LOOP": _M("include/redirect loop: {chain} (permerror)",
                   "RFC 7208 §4.6.4, §5.2"),
    "SPF-TARGET-NO-SPF": _M("'{term}' at {domain}: {detail}: receivers return permerror",
                            "RFC 7208 §5.2, §6.1"),
    "SPF-TARGET-INVALID": _M("'{term}' at {domain}: {detail}; the term never matches", "RFC 7208 §4.8"),
    "SPF-MX-LIMIT": _M("'{term}' at {domain}: {detail}",
                       "RFC 7208 §4.6.4"),
    "SPF-INCLUDE-PLUS-ALL": _M("the record at {domain}, included by {parent}, ends in '{all}': every host "
                               "on the internet passes through that include", "RFC 7208 §5.2, §5.1"),
    "SPF-ALL-FAIL": _M("'{all}': mail from hosts the record does not list fails SPF",
                       "RFC 7208 §5.1"),
    "SPF-ALL-SOFTFAIL": _M("'{all}': mail from unlisted hosts soft-fails; receivers mark rather than "
                           "refuse it, and DMARC decides (the usual setting beside DMARC enforcement)",
                           "RFC 7208 §5.1, §8.5; RFC 7489 §10.1"),
    "SPF-ALL-NEUTRAL": _M("'{all}': unlisted hosts get neutral, which says nothing: spoofed mail is "
                          "treated as if there were no SPF", "RFC 7208 §5.1, §8.2"),
    "SPF-ALL-PASS": _M("'{all}': every host on the internet may send as {domain}", "RFC 7208 §5.1, §8.3"),
    "SPF-ALL-MISSING": _M("no 'all' and no redirect: unlisted hosts get neutral by default",
                          "RFC 7208 §4.7"),
    "SPF-NULL-MX-OK": _M("{domain} accepts no mail (null MX) and its SPF authorises no host: '{record}'",
                         "RFC 7505 §4, RFC 7208 §5.1"),
    "SPF-NULL-MX-WEAK": _M("{domain} accepts no mail (null MX); its SPF should be 'v=spf1 -all' but is "
                           "'{record}'", "RFC 7505 §4, RFC 7208 §5.1"),
    "SPF-PTR": _M("'{term}' at {domain}: the ptr mechanism is slow, unreliable and SHOULD NOT be used",
                  "RFC 7208 §5.5"),
    "SPF-LENGTH": _M("the record is {length} bytes: above 450 the answer may not fit a 512-byte UDP "
                     "reply and needs TCP, which some resolvers do not do", "RFC 7208 §3.4"),
    "SPF-AFTER-ALL": _M("terms after 'all' are never evaluated: {terms}", "RFC 7208 §5.1"),
    "SPF-REDIRECT-IGNORED": _M("'{term}' is ignored because the record has an 'all' mechanism",
                               "RFC 7208 §6.1"),
}
messages.register(MESSAGES)

# What to ask for, per code, for a reader who is not a mail administrator (see mailguard.core.messages.register_advice).
RECOMMENDATIONS = {
    "SPF-MISSING": _M("Ask your mail administrator to publish one SPF record listing every service that "
                      "sends mail in your name, ending in -all or ~all."),
    "SPF-MISSING-NULL-MX": _M("This domain sends no mail: ask for the SPF record 'v=spf1 -all'."),
    "SPF-NULL-MX-WEAK": _M("This domain sends no mail: ask for the SPF record 'v=spf1 -all'."),
    "SPF-MULTIPLE": _M("Ask to merge the SPF records into one: with two, receivers ignore both."),
    "SPF-LOOKUPS-": _M("Ask to remove includes of services you no longer use, or replace them by their "
                       "IP ranges: SPF allows at most 10 DNS lookups."),
    "SPF-VOID-": _M("Ask to remove SPF terms that point at names that do not exist (or have no address)."),
    "SPF-ALL-PASS": _M("Ask to replace '+all' by '-all' or '~all': '+all' lets anyone send as you."),
    "SPF-ALL-NEUTRAL": _M("Ask to end the SPF record in '-all' or '~all' instead of '?all'."),
    "SPF-ALL-MISSING": _M("Ask to end the SPF record in '-all' or '~all'."),
    "SPF-PTR": _M("Ask to replace the 'ptr' mechanism by the senders' ip4/ip6 ranges."),
}
messages.register_advice(RECOMMENDATIONS)

_ALL_CODES = {"-": ("SPF-ALL-FAIL", Verdict.PASS), "~": ("SPF-ALL-SOFTFAIL", Verdict.PASS),
              "?": ("SPF-ALL-NEUTRAL", Verdict.WARN), "+": ("SPF-ALL-PASS", Verdict.FAIL)}


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    tree, (_mx_answer, hosts) = await asyncio.gather(drive(walk(domain), net), mx.mx_hosts(net, domain))
    null_mx = mx.is_null_mx(hosts)
    return result(NAME, TITLE, AREA, judge(tree, null_mx=null_mx), evidence=tree.evidence,
                  data=facts(tree, null_mx=null_mx), elapsed_ms=(time.monotonic() - started) * 1000)


# -- judging (pure) ----------------------------------------------------------------------------

def judge(tree: Walk, *, null_mx: bool = False) -> list[Finding]:
    """The findings for a walked tree; ``null_mx``: the domain accepts no mail (RFC 7505)."""
    root = tree.root
    evidence = _evidence(root)
    check = "SPF record"
    if root.status == FAILED:
        return [finding("SPF-LOOKUP-FAILED", check, Verdict.NOT_TESTED, evidence=evidence,
                        domain=root.domain, status=root.dns_status)]
    if root.status in ("none", "nxdomain"):
        code = "SPF-MISSING-NULL-MX" if null_mx else "SPF-MISSING"
        return [finding(code, check, Verdict.FAIL, evidence=evidence, domain=root.domain)]
    if root.status == "multiple":
        return [finding("SPF-MULTIPLE", "one SPF record", Verdict.FAIL, evidence=evidence,
                        domain=root.domain, count=len(root.records), records=list(root.records)),
                *_plus_all_among(root)]
    findings = [finding("SPF-PRESENT", check, Verdict.PASS, evidence=evidence, record=root.text)]
    if root.status == "syntax":
        return findings + [_syntax(root)]
    findings += _nested_records(tree)
    findings += _limits(tree)
    findings += _targets(tree)
    findings += _policy(tree, null_mx)
    findings += _hygiene(tree)
    return findings


def _plus_all_among(root: RecordReport) -> list[Finding]:
    """With several records none applies (permerror), but a '+all' among them shows intent."""
    out = []
    for text in root.records:
        try:
            parsed = parse_record(text)
        except ParseError:
            continue
        if parsed.all is not None and parsed.all.qualifier == "+":
            out.append(finding("SPF-ALL-PASS", "all qualifier", Verdict.FAIL, evidence=_evidence(root),
                               subject=text, all=parsed.all.text, domain=root.domain))
    return out


def _evidence(*records: RecordReport) -> list[Evidence]:
    return [r.evidence for r in records if r.evidence is not None]


def _syntax(record: RecordReport) -> Finding:
    return finding("SPF-SYNTAX", "record syntax", Verdict.FAIL, evidence=_evidence(record),
                   subject=record.domain if record.via else "", domain=record.domain,
                   position=record.position, error=record.error, record=record.text or record.records[0])


def _nested_records(tree: Walk) -> list[Finding]:
    """Included and redirected-to records that are themselves broken (each is permerror)."""
    out = []
    for record in tree.records[1:]:
        if record.status == "syntax":
            out.append(_syntax(record))
        elif record.status == "multiple":
            out.append(finding("SPF-MULTIPLE", "one SPF record", Verdict.FAIL, evidence=_evidence(record),
                               subject=record.domain, domain=record.domain, count=len(record.records),
                               records=list(record.records)))
        elif record.via == "include" and record.record is not None and record.record.all is not None \
                and record.record.all.qualifier == "+":
            out.append(finding("SPF-INCLUDE-PLUS-ALL", "included record", Verdict.FAIL,
                               evidence=_evidence(record), subject=record.domain, domain=record.domain,
                               parent=record.parent, all=record.record.all.text))
    return out


def _limits(tree: Walk) -> list[Finding]:
    """§4.6.4: lookups, void lookups and loops over the whole tree."""
    all_records = _evidence(*tree.records)
    out = []
    lookups = tree.lookups
    if lookups > LOOKUP_LIMIT:
        out.append(finding("SPF-LOOKUPS-OVER", "DNS lookup limit", Verdict.FAIL, evidence=all_records,
                           lookups=lookups))
    elif lookups >= LOOKUP_WARN_AT:
        out.append(finding("SPF-LOOKUPS-NEAR", "DNS lookup limit", Verdict.WARN, evidence=all_records,
                           lookups=lookups))
    else:
        out.append(finding("SPF-LOOKUPS-OK", "DNS lookup limit", Verdict.PASS, evidence=all_records,
                           lookups=lookups))
    dynamic = [t.text for _r, t in tree.terms() if t.status == DYNAMIC]
    if dynamic:
        out.append(finding("SPF-DYNAMIC", "DNS lookup limit", Verdict.INFO, evidence=all_records,
                           count=len(dynamic), terms=", ".join(dynamic)))
    if tree.truncated:
        out.append(finding("SPF-TRUNCATED", "DNS lookup limit", Verdict.INFO, limit=MAX_RECORDS,
                           terms=MAX_QUERIED_TERMS))
    failed = [(r, t) for r, t in tree.terms() if t.status == FAILED]
    if failed:
        out.append(finding("SPF-TREE-UNTESTED", "DNS lookup limit", Verdict.NOT_TESTED,
                           evidence=[e for _r, t in failed for e in t.evidence],
                           names=", ".join(t.target or t.text for _r, t in failed)))
    out.append(_void(tree))
    for chain in tree.loops:
        out.append(finding("SPF-LOOP", "include loop", Verdict.FAIL, evidence=all_records, chain=chain))
    return out


def _void(tree: Walk) -> Finding:
    voids = [(r, t) for r, t in tree.terms() if t.status in (VOID, VOID_IPV4, VOID_IPV6)
             or (t.status == NO_SPF and t.detail.endswith("does not exist"))]
    evidence = [e for _r, t in voids for e in t.evidence]
    terms = ", ".join(f"{t.text} at {r.domain} ({t.detail})" for r, t in voids)
    count = tree.void_lookups
    if count > VOID_LIMIT:
        if tree.void_ipv4 > VOID_LIMIT and tree.void_ipv6 > VOID_LIMIT:
            family = ""
        else:
            family = " for IPv4 senders" if tree.void_ipv4 > VOID_LIMIT else " for IPv6 senders"
        return finding("SPF-VOID-OVER", "void lookup limit", Verdict.FAIL, evidence=evidence,
                       count=count, family=family, terms=terms)
    if count == VOID_LIMIT:
        return finding("SPF-VOID-AT-LIMIT", "void lookup limit", Verdict.WARN, evidence=evidence,
                       count=count, terms=terms)
    if count:  # within the limit (§4.6.4): a note listing the dead term, not a warning (issue 17)
        return finding("SPF-VOID-SOME", "void lookup limit", Verdict.INFO, evidence=evidence,
                       count=count, terms=terms)
    return finding("SPF-VOID-NONE", "void lookup limit", Verdict.PASS, evidence=tree.evidence)


def _targets(tree: Walk) -> list[Finding]:
    """Terms whose target makes the evaluation permerror, or can never match."""
    out = []
    for record, term in tree.terms():
        params: dict[str, Any] = {"term": term.text, "domain": record.domain, "detail": term.detail}
        evidence = list(term.evidence)
        if term.status == NO_SPF or (term.status == INVALID and term.kind in ("include", "redirect")):
            out.append(finding("SPF-TARGET-NO-SPF", f"{term.kind} target", Verdict.FAIL, evidence=evidence,
                               subject=record.domain, **params))
        elif term.status == INVALID:
            out.append(finding("SPF-TARGET-INVALID", f"{term.kind} target", Verdict.WARN,
                               evidence=_evidence(record), subject=record.domain, **params))
        elif term.status == MX_OVER_LIMIT:
            out.append(finding("SPF-MX-LIMIT", "MX names per mx", Verdict.FAIL, evidence=evidence,
                               subject=record.domain, **params))
    return out


def _policy(tree: Walk, null_mx: bool) -> list[Finding]:
    """What happens to mail from hosts the record does not list: the effective ``all``."""
    root = tree.root
    evidence = _evidence(*tree.records)
    all_term, where = tree.effective_all()
    if null_mx:
        record = root.text or ""
        # RFC 7505 §4: nothing may send as a domain that receives nothing: "v=spf1 -all".
        strict = [m.text.lower() for m in _mechanisms(root.record)] == ["-all"]
        code, verdict = ("SPF-NULL-MX-OK", Verdict.PASS) if strict else ("SPF-NULL-MX-WEAK", Verdict.WARN)
        return [finding(code, "all qualifier", verdict, evidence=evidence, domain=root.domain, record=record)]
    if all_term is None:
        if where is None:  # a broken redirect chain: its problems are reported as such
            return []
        return [finding("SPF-ALL-MISSING", "all qualifier", Verdict.WARN, evidence=evidence)]
    code, verdict = _ALL_CODES[all_term.qualifier]
    return [finding(code, "all qualifier", verdict, evidence=evidence, all=all_term.text, domain=root.domain)]


def _mechanisms(record: SpfRecord | None) -> list[Any]:
    return list(record.mechanisms) if record is not None else []


def _hygiene(tree: Walk) -> list[Finding]:
    out = []
    for record, term in tree.terms():
        if term.kind == "ptr":
            out.append(finding("SPF-PTR", "ptr mechanism", Verdict.WARN, evidence=_evidence(record),
                               subject=record.domain, term=term.text, domain=record.domain))
    root = tree.root
    text = root.text or ""
    length = len(text.encode("utf-8", errors="replace"))
    if length > UDP_SAFE_LENGTH:
        out.append(finding("SPF-LENGTH", "record length", Verdict.WARN, evidence=_evidence(root),
                           length=length))
    parsed = root.record
    if parsed is not None and parsed.all is not None:
        after = [m.text for m in parsed.mechanisms[parsed.mechanisms.index(parsed.all) + 1:]]
        if after:
            out.append(finding("SPF-AFTER-ALL", "term order", Verdict.WARN, evidence=_evidence(root),
                               terms=" ".join(after)))
        if parsed.redirect is not None:
            out.append(finding("SPF-REDIRECT-IGNORED", "redirect", Verdict.WARN, evidence=_evidence(root),
                               term=parsed.redirect.text))
    return out


# -- data for later stages ---------------------------------------------------------------------

def facts(tree: Walk, *, null_mx: bool = False) -> dict[str, Any]:
    root = tree.root
    all_term, where = tree.effective_all()
    return {
        "record": root.text,
        "records": list(root.records),
        "tree": [_record_data(r) for r in tree.records],
        "lookups": tree.lookups,
        "lookup_limit": LOOKUP_LIMIT,
        "void_lookups": tree.void_lookups,
        "void_lookups_ipv4": tree.void_ipv4,
        "void_lookups_ipv6": tree.void_ipv6,
        "all": f"{all_term.qualifier}all" if all_term is not None else None,
        "all_qualifier": all_term.result if all_term is not None else None,
        "all_domain": where if all_term is not None else None,
        "permerror": would_permerror(tree),
        "null_mx": null_mx,
        "loops": list(tree.loops),
    }


def would_permerror(tree: Walk) -> bool:
    """True when receivers get permerror for mail no earlier term matches (a spoofer's)."""
    if tree.root.status in ("multiple", "syntax"):
        return True
    if tree.lookups > LOOKUP_LIMIT or tree.void_lookups > VOID_LIMIT or tree.loops:
        return True
    broken = {"syntax", "multiple"}
    if any(r.status in broken for r in tree.records[1:]):
        return True
    return any(t.status in (NO_SPF, MX_OVER_LIMIT)
               or (t.status == INVALID and t.kind in ("include", "redirect")) for _r, t in tree.terms())


def _record_data(record: RecordReport) -> dict[str, Any]:
    return {
        "domain": record.domain, "via": record.via or None, "parent": record.parent, "depth": record.depth,
        "status": record.status, "record": record.text, "records": list(record.records),
        "error": record.error or None, "position": record.position,
        "lookups": sum(t.lookups for t in record.terms),
        "terms": [_term_data(t) for t in record.terms],
    }


def _term_data(term: TermReport) -> dict[str, Any]:
    return {"term": term.text, "kind": term.kind, "lookups": term.lookups, "status": term.status,
            "target": term.target, "detail": term.detail or None}


# --- typed facts for the promise verdicts ----------------------------------------------------

@dataclass(frozen=True)
class SpfFacts:
    """What a promise about SPF is judged on.

    found: an SPF record is published; error: why receivers get permerror (None: none);
    all: the record's ``all`` term ("-all", "~all"...; None: none); includes: every domain the
    record includes or redirects to, at any depth; networks: its ip4/ip6 networks."""

    found: bool
    error: str | None
    all: str | None
    includes: tuple[str, ...]
    networks: tuple[str, ...]


def promise_facts(measure: MeasureResult) -> SpfFacts | None:
    """The facts in this measure's result (None for a result of another shape)."""
    data = measure.data
    if "record" not in data and "records" not in data:
        return None
    tree = [r for r in data.get("tree") or () if isinstance(r, Mapping)]
    terms = [t for r in tree for t in r.get("terms") or () if isinstance(t, Mapping)]
    error = None
    if data.get("permerror"):
        failing = [f.reason for f in measure.findings if f.verdict == Verdict.FAIL]
        error = failing[0] if failing else "permerror"
    return SpfFacts(
        found=bool(data.get("record") or data.get("records")),
        error=error,
        all=data.get("all"),
        includes=tuple(str(r.get("domain", "")).lower().rstrip(".") for r in tree if r.get("via")),
        networks=tuple(str(t.get("term", "")).split(":", 1)[1] for t in terms
                       if t.get("kind") in ("ip4", "ip6") and ":" in str(t.get("term", ""))),
    )


__all__ = [
    "AREA", "MESSAGES", "NAME", "TITLE", "Result", "SpfResult", "Walk", "check_host", "evaluate", "facts",
    "judge", "parse_record", "run", "walk", "would_permerror",
]
