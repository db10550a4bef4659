"""What changed between two reports of the same domain: a PURE comparison of two JSON documents.

Input is two report documents as :func:`mailguard.core.jsonable.to_jsonable` writes them (the
files in the report history), so any two reports can be compared, whichever mailguard version
wrote them. Output is a :class:`Comparison`: changes, each with a message code (English and Dutch
in the message table), its parameters and a direction.

What is compared, and what counts as *worse* (exit code 4, "worse than the previous report"):

* **DNS facts seen in the evidence** (any measure's DNS evidence, by record content, never by
  measure name), only where both scans got an answer (a timeout is no change):
  DMARC policy (``p=`` none < quarantine < reject, then ``pct``) weakened is worse, strengthened
  better, removed worse; SPF ``all`` qualifier (``+`` < ``?`` < ``~`` < ``-``) weakened is worse,
  SPF removed worse, any other change to either record is *changed*; MX hosts removed are worse
  (mail for the domain now has fewer places to go, or went elsewhere), MX hosts added are
  *changed* (a new party receives the company's mail: check it is a named processor); other
  record sets that changed are *changed*.
* **Certificates**: evidence carrying a certificate fingerprint (a key named ``fingerprint*``,
  see docs/json-schema.md) for the same host and port with a different fingerprint: *replaced*.
* **Findings**, per (measure, check, subject), the lowest verdict: fail < warn < pass = info.
  Lower is worse, higher is better. A check that appears with warn/fail is worse, one that
  disappears having been warn/fail is better. ``not tested`` on either side is *changed*, never
  worse: a probe that timed out this once must not page anyone.
* **Promises**, per (kind, sentence): not upheld < partly upheld < upheld. Lower is worse ("a
  promise no longer upheld"); not verifiable / not tested on either side is *changed*.
* **Scores** per area and overall: a lower score is shown as worse but does not by itself make
  the comparison worse (the findings behind it do; a score also moves when a probe could not be
  made).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core import messages
from ..core.messages import Message

WORSE, BETTER, CHANGED = "worse", "better", "changed"

MESSAGES = {
    "CHANGE-NOT-COMPARABLE": Message("not compared: {why}"),
    "CHANGE-DMARC-WEAKER": Message(
        "DMARC policy of {name} weakened: {old} -> {new}",
        "RFC 7489 §6.3",
    ),
    "CHANGE-DMARC-STRONGER": Message(
        "DMARC policy of {name} strengthened: {old} -> {new}",
        "RFC 7489 §6.3",
    ),
    "CHANGE-DMARC-ADDED": Message(
        "DMARC record published at {name}: {new}",
        "RFC 7489 §6.1",
    ),
    "CHANGE-DMARC-REMOVED": Message(
        "DMARC record at {name} removed (was: {old})",
        "RFC 7489 §6.1",
    ),
    "CHANGE-DMARC-CHANGED": Message(
        "DMARC record at {name} changed: {old} -> {new}",
        "RFC 7489 §6.3",
    ),
    "CHANGE-SPF-WEAKER": Message(
        "SPF of {name} weakened ({old_all} -> {new_all}): {new}",
        "RFC 7208 §5.1",
    ),
    "CHANGE-SPF-STRONGER": Message(
        "SPF of {name} strengthened ({old_all} -> {new_all}): {new}",
        "RFC 7208 §5.1",
    ),
    "CHANGE-SPF-ADDED": Message(
        "SPF record published at {name}: {new}", "RFC 7208 §3"
    ),
    "CHANGE-SPF-REMOVED": Message(
        "SPF record at {name} removed (was: {old})",
        "RFC 7208 §3",
    ),
    "CHANGE-SPF-CHANGED": Message(
        "SPF record of {name} changed: {old} -> {new}",
        "RFC 7208 §3",
    ),
    "CHANGE-MX-ADDED": Message(
        "MX host added for {name}: {host} (a new party receives mail: is it a named processor?)",
        "RFC 5321 §5.1",
    ),
    "CHANGE-MX-REMOVED": Message(
        "MX host removed for {name}: {host}", "RFC 5321 §5.1"
    ),
    "CHANGE-RECORDS": Message(
        "{type} records of {name} changed: added {added}; removed {removed}",
    ),
    "CHANGE-CERT-REPLACED": Message(
        "certificate of {target} replaced: {old} -> {new}",
    ),
    "CHANGE-FINDING-WORSE": Message(
        "{measure}: {check} went from {old} to {new}: {reason}",
    ),
    "CHANGE-FINDING-BETTER": Message(
        "{measure}: {check} went from {old} to {new}: {reason}",
    ),
    "CHANGE-FINDING-UNTESTED": Message(
        "{measure}: {check} went from {old} to {new}: {reason}",
    ),
    "CHANGE-FINDING-NEW": Message(
        "{measure}: new {new} for {check}: {reason}"
    ),
    "CHANGE-FINDING-GONE": Message(
        "{measure}: {check} ({old}) no longer found"
    ),
    "CHANGE-PROMISE-WORSE": Message(
        "promise no longer {old}: now {new}: \u201c{sentence}\u201d",
    ),
    "CHANGE-PROMISE-BETTER": Message(
        "promise now {new} (was {old}): \u201c{sentence}\u201d",
    ),
    "CHANGE-PROMISE-CHANGED": Message(
        "promise {old} -> {new}: \u201c{sentence}\u201d"
    ),
    "CHANGE-SCORE": Message("score {area}: {old} -> {new}"),
}
messages.register(MESSAGES)


@dataclass(frozen=True)
class Change:
    """One difference. ``code``/``params`` render it in any language; ``text`` is the English."""

    code: str
    direction: str
    subject: str
    params: Mapping[str, Any] = field(default_factory=dict)
    text: str = ""


@dataclass(frozen=True)
class Comparison:
    """The changes from ``old`` to ``new`` (both identified by their start time)."""

    domain: str
    old_started: str
    new_started: str
    changes: tuple[Change, ...]

    @property
    def worse(self) -> bool:
        """True when anything except a score moved the wrong way (see the module docstring)."""
        return any(c.direction == WORSE and c.code != "CHANGE-SCORE" for c in self.changes)


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> Comparison:
    """Every change from the report document ``old`` to ``new``."""
    domain = str(new.get("domain", ""))
    head = (domain, str(old.get("started", "")), str(new.get("started", "")))
    why = _not_comparable(old, new)
    if why:
        return Comparison(*head, (_change("CHANGE-NOT-COMPARABLE", CHANGED, domain, why=why),))
    changes = [
        *_dns_changes(_dns_facts(old), _dns_facts(new)),
        *_certificate_changes(_certificates(old), _certificates(new)),
        *_finding_changes(old, new),
        *_promise_changes(old, new),
        *_score_changes(old, new),
    ]
    return Comparison(*head, tuple(changes))


def _change(code: str, direction: str, subject: str, **params: Any) -> Change:
    return Change(code, direction, subject, params, messages.render(code, params, "en"))


def _not_comparable(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    if str(old.get("domain", "")).lower() != str(new.get("domain", "")).lower():
        return f"different domains ({old.get('domain')} and {new.get('domain')})"
    if new.get("error"):
        return f"this scan could not be made ({new.get('error')})"
    if old.get("error"):
        return f"the previous scan could not be made ({old.get('error')})"
    return ""


# --- evidence walking --------------------------------------------------------------------------


def _evidence(doc: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every evidence object in a report document: measures', findings', promises' findings'."""
    for measure in _list(doc.get("measures")):
        yield from _dicts(measure.get("evidence"))
        for finding in _list(measure.get("findings")):
            yield from _dicts(finding.get("evidence"))
    for promise in _list(doc.get("promises")):
        for finding in _list(promise.get("findings")):
            yield from _dicts(finding.get("evidence"))


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _dicts(value: Any) -> Iterator[Mapping[str, Any]]:
    yield from _list(value)


# --- DNS ---------------------------------------------------------------------------------------

_ANSWERED = {"ok", "nodata", "nxdomain"}
RecordKey = tuple[str, str]


def _dns_facts(doc: Mapping[str, Any]) -> dict[RecordKey, frozenset[str]]:
    """(name, type) -> the record data seen, for every DNS question that got an answer."""
    facts: dict[RecordKey, frozenset[str]] = {}
    for ev in _evidence(doc):
        data = ev.get("data")
        if ev.get("kind") != "dns" or not isinstance(data, Mapping) or data.get("status") not in _ANSWERED:
            continue
        query = data.get("query")
        if not isinstance(query, Mapping):
            continue
        key = (str(query.get("name", "")).lower().rstrip("."), str(query.get("type", "")).upper())
        records = frozenset(str(r.get("data", "")) for r in _list(data.get("records")))
        facts.setdefault(key, records)
    return facts


def txt_text(rdata: str) -> str:
    """A TXT record in zone-file presentation (``"v=spf1 " "-all"``) as its joined string."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', rdata)
    if not parts:
        return rdata
    return "".join(re.sub(r"\\(.)", r"\1", p) for p in parts)


def _dns_changes(old: Mapping[RecordKey, frozenset[str]], new: Mapping[RecordKey, frozenset[str]]) -> Iterator[Change]:
    for key in sorted(old.keys() & new.keys()):
        before, after = old[key], new[key]
        if before == after:
            continue
        name, rdtype = key
        if rdtype == "TXT":
            yield from _txt_changes(name, before, after)
        elif rdtype == "MX":
            yield from _mx_changes(name, before, after)
        else:
            yield _change(
                "CHANGE-RECORDS",
                CHANGED,
                f"{rdtype} {name}",
                name=name,
                type=rdtype,
                added=_join(after - before),
                removed=_join(before - after),
            )


def _join(items: Iterable[str]) -> str:
    return ", ".join(sorted(items)) or "-"


def _txt_changes(name: str, before: frozenset[str], after: frozenset[str]) -> Iterator[Change]:
    old_txt, new_txt = {txt_text(r) for r in before}, {txt_text(r) for r in after}
    old_d, new_d = _with_prefix(old_txt, "v=dmarc1"), _with_prefix(new_txt, "v=dmarc1")
    old_s, new_s = _spf(old_txt), _spf(new_txt)
    if old_d != new_d:
        yield _dmarc_change(name, old_d, new_d)
    if old_s != new_s:
        yield _spf_change(name, old_s, new_s)
    rest_old, rest_new = old_txt - set(old_d) - set(old_s), new_txt - set(new_d) - set(new_s)
    if rest_old != rest_new:
        yield _change(
            "CHANGE-RECORDS",
            CHANGED,
            f"TXT {name}",
            name=name,
            type="TXT",
            added=_join(rest_new - rest_old),
            removed=_join(rest_old - rest_new),
        )


def _with_prefix(texts: set[str], prefix: str) -> list[str]:
    return sorted(t for t in texts if t.strip().lower().startswith(prefix))


def _spf(texts: set[str]) -> list[str]:
    return sorted(t for t in texts if re.match(r"(?i)v=spf1(\s|$)", t.strip()))


def dmarc_strength(records: list[str]) -> tuple[int, int] | None:
    """(policy rank, pct) of the one DMARC record, or None when there is not exactly one valid one."""
    if len(records) != 1:
        return None
    tags = {}
    for part in records[0].split(";"):
        key, _, value = part.partition("=")
        tags[key.strip().lower()] = value.strip().lower()
    rank = {"none": 0, "quarantine": 1, "reject": 2}.get(tags.get("p", ""))
    if rank is None:
        return None
    pct = tags.get("pct", "100")
    return rank, int(pct) if pct.isdigit() else 100


def _dmarc_change(name: str, old: list[str], new: list[str]) -> Change:
    old_text, new_text = " | ".join(old) or "-", " | ".join(new) or "-"
    if not new:
        return _change("CHANGE-DMARC-REMOVED", WORSE, f"DMARC {name}", name=name, old=old_text)
    if not old:
        return _change("CHANGE-DMARC-ADDED", BETTER, f"DMARC {name}", name=name, new=new_text)
    before, after = dmarc_strength(old), dmarc_strength(new)
    if after is None and before is not None:  # valid before, unusable now
        return _change("CHANGE-DMARC-WEAKER", WORSE, f"DMARC {name}", name=name, old=old_text, new=new_text)
    if before is not None and after is not None and before != after:
        code, direction = ("CHANGE-DMARC-WEAKER", WORSE) if after < before else ("CHANGE-DMARC-STRONGER", BETTER)
        return _change(code, direction, f"DMARC {name}", name=name, old=old_text, new=new_text)
    return _change("CHANGE-DMARC-CHANGED", CHANGED, f"DMARC {name}", name=name, old=old_text, new=new_text)


_ALL_RANK = {"+": 0, "?": 1, "~": 2, "-": 3}


def spf_all(record: str) -> str:
    """The qualifier of the record's ``all`` term (``+``, ``?``, ``~``, ``-``), or '' when none."""
    for term in record.split()[1:]:
        match = re.fullmatch(r"([+?~-]?)all", term.lower())
        if match:
            return match.group(1) or "+"
    return ""


def _spf_change(name: str, old: list[str], new: list[str]) -> Change:
    old_text, new_text = " | ".join(old) or "-", " | ".join(new) or "-"
    if not new:
        return _change("CHANGE-SPF-REMOVED", WORSE, f"SPF {name}", name=name, old=old_text)
    if not old:
        return _change("CHANGE-SPF-ADDED", BETTER, f"SPF {name}", name=name, new=new_text)
    if len(old) == 1 and len(new) == 1:
        before, after = spf_all(old[0]), spf_all(new[0])
        if before and after and before != after:
            worse = _ALL_RANK[after] < _ALL_RANK[before]
            return _change(
                "CHANGE-SPF-WEAKER" if worse else "CHANGE-SPF-STRONGER",
                WORSE if worse else BETTER,
                f"SPF {name}",
                name=name,
                old_all=f"{before}all",
                new_all=f"{after}all",
                old=old_text,
                new=new_text,
            )
    elif len(old) == 1 and len(new) > 1:  # two SPF records are a permerror (RFC 7208 §4.5)
        return _change(
            "CHANGE-SPF-WEAKER",
            WORSE,
            f"SPF {name}",
            name=name,
            old_all="1 record",
            new_all=f"{len(new)} records",
            old=old_text,
            new=new_text,
        )
    return _change("CHANGE-SPF-CHANGED", CHANGED, f"SPF {name}", name=name, old=old_text, new=new_text)


def _mx_hosts(records: frozenset[str]) -> set[str]:
    hosts = set()
    for record in records:
        parts = record.split()
        if len(parts) == 2:
            hosts.add(parts[1].lower().rstrip(".") or ".")
    return hosts


def _mx_changes(name: str, before: frozenset[str], after: frozenset[str]) -> Iterator[Change]:
    old_hosts, new_hosts = _mx_hosts(before), _mx_hosts(after)
    for host in sorted(old_hosts - new_hosts):
        yield _change("CHANGE-MX-REMOVED", WORSE, f"MX {name}", name=name, host=host)
    for host in sorted(new_hosts - old_hosts):
        yield _change("CHANGE-MX-ADDED", CHANGED, f"MX {name}", name=name, host=host)
    if old_hosts == new_hosts:  # same hosts, other preferences
        yield _change(
            "CHANGE-RECORDS",
            CHANGED,
            f"MX {name}",
            name=name,
            type="MX",
            added=_join(after - before),
            removed=_join(before - after),
        )


# --- certificates ------------------------------------------------------------------------------

_TARGET_KEYS = ("target", "host", "hostname", "server_name", "sni", "url", "address")


def _certificates(doc: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """host[:port] -> certificate fingerprints seen there."""
    seen: dict[str, set[str]] = defaultdict(set)
    for ev in _evidence(doc):
        data = ev.get("data")
        if not isinstance(data, Mapping):
            continue
        target = next((str(data[k]) for k in _TARGET_KEYS if data.get(k)), "")
        prints = list(_fingerprints(data, depth=0))
        if target and prints:
            port = data.get("port")
            seen[f"{target}:{port}" if port else target].add(prints[0])
    return {k: frozenset(v) for k, v in seen.items()}


def _fingerprints(data: Mapping[str, Any], depth: int) -> Iterator[str]:
    """Fingerprint values in ``data``, the leaf certificate's first: keys named ``fingerprint*``,
    or ``sha256`` inside a certificate record (``certificate``, or the first of ``certificates``,
    which mailguard's TLS evidence lists leaf first)."""
    for key, value in data.items():
        name = str(key).lower()
        if (name.startswith("fingerprint") or (depth > 0 and name == "sha256")) and isinstance(value, str) and value:
            yield value
    if depth < 2:
        nested: list[Any] = [data.get(k) for k in ("certificate", "leaf", "cert", "peer_certificate")]
        chain = data.get("certificates")
        if isinstance(chain, list) and chain:
            nested.append(chain[0])
        for item in nested:
            if isinstance(item, Mapping):
                yield from _fingerprints(item, depth + 1)


def _certificate_changes(old: Mapping[str, frozenset[str]], new: Mapping[str, frozenset[str]]) -> Iterator[Change]:
    for target in sorted(old.keys() & new.keys()):
        if old[target] != new[target]:
            yield _change(
                "CHANGE-CERT-REPLACED",
                CHANGED,
                target,
                target=target,
                old=_join(old[target]),
                new=_join(new[target]),
            )


# --- findings, promises, scores ----------------------------------------------------------------

# fail < warn < pass = info; not tested cannot be ranked.
_VERDICT_RANK = {"fail": 0, "warn": 1, "pass": 2, "info": 2}


def _findings(doc: Mapping[str, Any]) -> dict[tuple[str, str, str], tuple[str, str, str]]:
    """(measure, check, subject) -> (lowest verdict, its reason, measure title)."""
    out: dict[tuple[str, str, str], tuple[str, str, str]] = {}
    for measure in _list(doc.get("measures")):
        name, title = str(measure.get("name", "")), str(measure.get("title", measure.get("name", "")))
        for finding in _list(measure.get("findings")):
            key = (name, str(finding.get("check", "")), str(finding.get("subject", "")))
            verdict, reason = str(finding.get("verdict", "")), str(finding.get("reason", ""))
            current = out.get(key)
            if current is None or _lower(verdict, current[0]):
                out[key] = (verdict, reason, title)
    return out


def _lower(verdict: str, than: str) -> bool:
    return _VERDICT_RANK.get(verdict, 3) < _VERDICT_RANK.get(than, 3)


def _finding_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    before, after = _findings(old), _findings(new)
    for key in sorted(before.keys() | after.keys()):
        measure, check, subject = key
        label = f"{check} ({subject})" if subject else check
        if key not in before:
            verdict, reason, title = after[key]
            if verdict in ("fail", "warn"):
                yield _change(
                    "CHANGE-FINDING-NEW", WORSE, label, measure=title, check=label, new=verdict, reason=reason
                )
            continue
        if key not in after:
            verdict, _reason, title = before[key]
            if verdict in ("fail", "warn"):
                yield _change("CHANGE-FINDING-GONE", BETTER, label, measure=title, check=label, old=verdict)
            continue
        (old_v, _, _), (new_v, reason, title) = before[key], after[key]
        if old_v == new_v:
            continue
        params = {"measure": title, "check": label, "old": old_v, "new": new_v, "reason": reason}
        if old_v not in _VERDICT_RANK or new_v not in _VERDICT_RANK:
            yield _change("CHANGE-FINDING-UNTESTED", CHANGED, label, **params)
        elif _VERDICT_RANK[new_v] != _VERDICT_RANK[old_v]:
            worse = _VERDICT_RANK[new_v] < _VERDICT_RANK[old_v]
            yield _change(
                "CHANGE-FINDING-WORSE" if worse else "CHANGE-FINDING-BETTER",
                WORSE if worse else BETTER,
                label,
                **params,
            )


_PROMISE_RANK = {"not upheld": 0, "partly upheld": 1, "upheld": 2}


def _promises(doc: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    out = {}
    for result in _list(doc.get("promises")):
        promise = result.get("promise")
        if isinstance(promise, Mapping):
            out[(str(promise.get("kind", "")), str(promise.get("sentence", "")))] = str(result.get("verdict", ""))
    return out


def _promise_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    before, after = _promises(old), _promises(new)
    for key in sorted(before.keys() & after.keys()):
        old_v, new_v = before[key], after[key]
        if old_v == new_v:
            continue
        params = {"sentence": key[1], "kind": key[0], "old": old_v, "new": new_v}
        if old_v in _PROMISE_RANK and new_v in _PROMISE_RANK:
            worse = _PROMISE_RANK[new_v] < _PROMISE_RANK[old_v]
            yield _change(
                "CHANGE-PROMISE-WORSE" if worse else "CHANGE-PROMISE-BETTER",
                WORSE if worse else BETTER,
                key[0],
                **params,
            )
        else:
            yield _change("CHANGE-PROMISE-CHANGED", CHANGED, key[0], **params)


def _score_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    before, after = old.get("scores"), new.get("scores")
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return
    for area in [a for a in after if a in before]:
        o, n = before[area], after[area]
        if isinstance(o, int | float) and isinstance(n, int | float) and o != n:
            yield _change("CHANGE-SCORE", WORSE if n < o else BETTER, str(area), area=area, old=o, new=n)
