"""DMARC (RFC 7489 and DMARCbis, RFC 9989): the record at ``_dmarc``, where a policy comes from, and
what it asks of receivers.

The pure parts live beside this driver: :mod:`.record` (the tag-list parser), :mod:`.discovery`
(the DNS Tree Walk state machine and the RFC 7489 Public Suffix List method), :mod:`.judge`
(findings). This module only fetches: every ``_dmarc`` name of the walk is asked at once (at
most eight, RFC 9989 §4.10) and fed to the walk in order, so discovery costs one round trip; the
report authorization queries (RFC 7489 §7.1) then go out together.

``data`` (read by the promise layer): ``record`` (text applied, or None), ``record_domain``,
``source`` (``domain`` / ``organizational`` / ``psd``), ``inherited_from``, ``tags`` (as written),
``policy`` (what receivers apply to this domain after fallbacks: none / quarantine / reject, or
None for no DMARC at all), ``policy_tag`` (p, sp or np), ``p``/``sp``/``np`` (effective values),
``pct``, ``testing`` (t=y), ``applied_policy`` (after t=y's downgrade), ``enforcing`` (quarantine
or reject is applied), ``adkim``/``aspf``, ``psd``, ``rua``/``ruf`` (each URI with its
``authorization``), ``organizational_domain`` and ``discovery`` (both methods), ``domain_exists``,
``null_mx``, ``problems``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ...core import messages, psl
from ...core.config import Config
from ...core.findings import result
from ...core.model import Area, Evidence, MeasureResult
from ...net import DnsAnswer, Net
from .. import mx
from .codes import MESSAGES
from .discovery import (
    Discovery,
    ReceiverView,
    TreeWalk,
    TxtLookup,
    downgrade_for_testing,
    receiver_view,
    rfc7489_discover,
)
from .judge import Authorization, Facts, external_destinations, judge
from .record import DmarcRecord, ReportUri, is_dmarc_record, parse_lenient

NAME = "dmarc"
TITLE = "DMARC"
AREA = Area.MAIL_AUTH

messages.register(MESSAGES)


def _lookup(name: str, answer: DnsAnswer) -> TxtLookup:
    return TxtLookup(name, answer.status, answer.txt_strings())


async def discover(net: Net, domain: str) -> tuple[Discovery, Discovery, dict[str, DnsAnswer]]:
    """Both discoveries of ``domain``'s policy, and the ``_dmarc`` answers by name.

    Other measures may call this; the DNS cache makes a second call free.
    """
    walk = TreeWalk(domain)
    org = psl.organizational_domain(walk.domain)
    names = list(dict.fromkeys([*walk.targets, walk.domain, org]))
    tasks = {n: asyncio.ensure_future(net.dns.query(f"_dmarc.{n}", "TXT")) for n in names}
    answers: dict[str, DnsAnswer] = {}
    try:
        while (name := walk.next_target()) is not None:
            answers[name] = await tasks[name]
            walk.feed(_lookup(name, answers[name]))
        for name in (walk.domain, org):
            answers[name] = await tasks[name]
    finally:
        for task in tasks.values():
            task.cancel()  # names past a psd= stop are not needed; their queries finish in the cache
        await asyncio.gather(*tasks.values(), return_exceptions=True)
    at_org = _lookup(org, answers[org]) if org != walk.domain else None
    rfc = rfc7489_discover(walk.domain, org, _lookup(walk.domain, answers[walk.domain]), at_org)
    return walk.result(), rfc, answers


async def _authorize(net: Net, record: DmarcRecord, policy_domain: str) -> tuple[Authorization, ...]:
    """RFC 7489 §7.1 for every external destination, all queries at once."""
    targets = external_destinations(record, policy_domain)
    answers = await net.dns.query_many([(query, "TXT") for _, _, query in targets])
    out = []
    for (tag, uri, query), answer in zip(targets, answers, strict=True):
        if answer.failed:
            status = "untested"
        elif any(is_dmarc_record(text) for text in answer.txt_strings()):
            status = "authorized"
        else:
            status = "unauthorized"
        out.append(Authorization(tag, uri, policy_domain, query, status, answer.status, answer.evidence))
    return tuple(out)


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    soa, (mx_answer, hosts), (bis, rfc, answers) = await asyncio.gather(
        net.dns.query(domain, "SOA"), mx.mx_hosts(net, domain), discover(net, domain))
    exists = None if soa.failed else soa.status != "nxdomain"
    null_mx = mx.is_null_mx(hosts) if mx_answer.status == "ok" else (False if mx_answer.answered else None)
    record = parse_lenient(bis.policy.text) if bis.policy is not None else None
    authorizations: tuple[Authorization, ...] = ()
    if record is not None and bis.policy is not None and not bis.lookups[0].failed:
        authorizations = await _authorize(net, record, bis.policy.name)
    facts = Facts(domain=domain, bis=bis, rfc=rfc, evidence={n: a.evidence for n, a in answers.items()},
                  exists=exists, exists_evidence=soa.evidence, null_mx=null_mx,
                  mx_evidence=mx_answer.evidence, authorizations=authorizations)
    findings = judge(facts)
    evidence = _evidence(facts, findings)
    data = _data(facts, record)
    return result(NAME, TITLE, AREA, findings, evidence=evidence, data=data,
                  elapsed_ms=(time.monotonic() - started) * 1000)


def _evidence(facts: Facts, findings: Iterable[Any]) -> list[Evidence]:
    """Every ``_dmarc`` answer consulted, then whatever else a finding rests on."""
    out = [facts.evidence[lookup.name] for lookup in (*facts.bis.lookups, *facts.rfc.lookups)]
    for item in findings:
        out.extend(item.evidence)
    return out


def _discovery_data(discovery: Discovery) -> dict[str, Any]:
    return {
        "policy_domain": discovery.policy_domain, "source": discovery.source or None,
        "record": discovery.policy.text if discovery.policy else None,
        "organizational_domain": discovery.org_domain, "organizational_reason": discovery.org_reason,
        "queried": [f"_dmarc.{lookup.name}" for lookup in discovery.lookups],
        "multiple": list(discovery.multiple), "failed": [lookup.name for lookup in discovery.failed],
    }


def _uri_data(tag: str, uri: ReportUri, authorizations: tuple[Authorization, ...],
              policy_domain: str) -> dict[str, Any]:
    match = next((a for a in authorizations if a.tag == tag and a.uri is uri), None)
    external = uri.valid and bool(uri.host) and not psl.same_organization(uri.host, policy_domain)
    if match is not None:
        authorization: str | None = match.status
    elif external:
        authorization = "not checked"  # beyond judge.MAX_DESTINATIONS
    else:
        authorization = "not needed" if uri.valid else None
    return {
        "uri": uri.uri, "scheme": uri.scheme, "address": uri.address, "host": uri.host,
        "size": uri.size or None,
        "valid": uri.valid, "error": uri.error or None, "external": external,
        "authorization": authorization,
        "authorization_query": match.query if match else None,
    }


def _data(facts: Facts, record: DmarcRecord | None) -> dict[str, Any]:
    bis = facts.bis
    data: dict[str, Any] = {
        "domain": facts.domain, "record": None, "record_domain": None, "source": None,
        "inherited_from": None, "tags": {}, "policy": None, "policy_tag": None, "p": None, "sp": None,
        "np": None, "pct": None, "testing": False, "applied_policy": None, "enforcing": False,
        "adkim": None, "aspf": None, "psd": None, "rua": [], "ruf": [], "problems": [],
        "organizational_domain": {"dmarcbis": bis.org_domain, "rfc7489": facts.rfc.org_domain},
        "discovery": {"dmarcbis": _discovery_data(bis), "rfc7489": _discovery_data(facts.rfc)},
        "domain_exists": facts.exists, "null_mx": facts.null_mx,
    }
    if record is None or bis.policy is None or bis.lookups[0].failed:
        return data
    view: ReceiverView = receiver_view(record)
    applied, tag = view.for_domain(bis.source, facts.exists)
    enforced = downgrade_for_testing(applied) if record.testing else applied
    data.update({
        "record": record.text, "record_domain": bis.policy.name, "source": bis.source,
        "inherited_from": bis.policy.name if bis.source != "domain" else None, "tags": dict(record.values),
        "policy": applied, "policy_tag": tag, "p": view.p, "sp": view.sp, "np": view.np,
        "pct": record.pct if record.pct is not None else 100, "testing": record.testing,
        "applied_policy": enforced, "enforcing": enforced in ("quarantine", "reject"),
        "adkim": record.adkim, "aspf": record.aspf, "psd": record.psd,
        "rua": [_uri_data("rua", u, facts.authorizations, bis.policy.name) for u in record.rua],
        "ruf": [_uri_data("ruf", u, facts.authorizations, bis.policy.name) for u in record.ruf],
        "problems": [{"kind": p.kind, "tag": p.tag, "value": p.value, "position": p.position,
                      "detail": p.detail} for p in record.problems],
    })
    return data


# --- typed facts for the promise verdicts ----------------------------------------------------

@dataclass(frozen=True)
class DmarcFacts:
    """What a promise about DMARC is judged on.

    found: a DMARC record applies to the domain; valid: it has a usable policy; policy: the one
    receivers apply to the domain (none, quarantine, reject); subdomain_policy: sp=; pct: pct=
    (100 when absent); testing: t=y; written: p= exactly as written; applied: after testing."""

    found: bool
    valid: bool
    policy: str | None
    subdomain_policy: str | None
    pct: int
    testing: bool
    written: str | None
    applied: str | None


def promise_facts(measure: MeasureResult) -> DmarcFacts | None:
    """The facts in this measure's result (None for a result of another shape)."""
    data = measure.data
    if not {"record", "policy", "p"} & set(data):
        return None
    policy = data.get("policy") or data.get("p")
    tags = data.get("tags")
    pct = data.get("pct")
    return DmarcFacts(
        found=bool(data.get("record")) or policy is not None,
        valid=policy is not None,
        policy=str(policy).lower() if policy else None,
        subdomain_policy=data.get("sp") or None,
        pct=pct if isinstance(pct, int) and not isinstance(pct, bool) else 100,
        testing=bool(data.get("testing")),
        written=tags.get("p") if isinstance(tags, Mapping) else None,
        applied=data.get("applied_policy"),
    )


__all__ = ["AREA", "MESSAGES", "NAME", "TITLE", "discover", "run"]
