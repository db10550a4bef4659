"""DKIM keys in DNS (RFC 6376 §3.6, RFC 8301 key sizes and hashes, RFC 8463 Ed25519).

DKIM keys live at ``<selector>._domainkey.<domain>`` and nothing lists the selectors, so this
measure asks for the selectors the user gave and for a table of names that common providers
use (:mod:`mailguard.measures.dkim.selectors`), all at once. Each key found is parsed and loaded with
cryptography: RSA below 1024 bits fails, 1024 up to 2048 warns, 2048 and up passes, Ed25519
passes; a revoked key (empty ``p=``) is information, testing mode (``t=y``) a warning.

A selector the user named that holds no key record is a WARN of its own (DKIM-SELECTOR-MISSING).
The guessed selectors that found nothing (no name, no TXT, a TXT that is no key record such as a
wildcard ``v=spf1``, an alias to nothing) get no row each: one INFO finding lists them, with all
their answers as evidence, or the "none found" finding does when no key was found at all. A
``v=`` other than exactly ``DKIM1`` discards the record (RFC 6376 §3.6.1); unknown tags are
ignored without comment (§3.2).

When no key is found under the selectors tried while ``_domainkey`` exists, DKIM is NOT TESTED,
never failed: selectors cannot be listed from DNS, so absence is not observed; the finding says
how to name one (``--dkim-selector``, or a signed message). Where ``_domainkey`` itself is
NXDOMAIN, absence is proven (RFC 8020) and the finding is a WARN.

A domain that sends no mail (null MX) and publishes only revoked keys (typically one wildcard
``*._domainkey`` with an empty ``p=``) does the right thing: every signature in its name fails.
That is one PASS, with the answers as evidence, not a row per guessed selector.

Signed messages (``config.eml_files``, ``--eml``) are verified too (:mod:`.dkim_message`): their
selectors join the ones asked, and the findings say which message proved DKIM for the domain.

``data``: ``keys`` (the facts of every key record found, per selector), ``tried`` (every
selector asked), ``usable`` (selectors whose key a verifier can use), ``messages`` (per message:
its From, each signature's result and facts), ``proven_by`` (the messages that proved DKIM).
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...core import messages
from ...core.config import Config
from ...core.errors import ParseError
from ...core.findings import finding, result
from ...core.messages import Message
from ...core.model import Area, Evidence, Finding, MeasureResult, Verdict
from ...core.names import is_valid_dns_name
from ...net import DnsAnswer, Net
from .. import mx
from . import eml as dkim_message
from .keys import KeyLoadError, KeyRecord, load_key, looks_like_key_record, parse_key_record
from .selectors import COMMON_SELECTORS, Provider, provider_of, recognise

NAME = "dkim"
TITLE = "DKIM"
AREA = Area.MAIL_AUTH
BULK = True  # dozens of independent guesses: started after the measures with longer chains

MESSAGES = {
    "DKIM-KEY-RSA-STRONG": Message(
        "{label}: RSA key of {bits} bits", "RFC 8301 §3.2"),
    "DKIM-KEY-ED25519": Message(
        "{label}: Ed25519 key", "RFC 8463 §3"),
    "DKIM-KEY-RSA-1024": Message(
        "{label}: RSA key of {bits} bits is the minimum; use 2048 bits", "RFC 8301 §3.2"),
    "DKIM-KEY-RSA-WEAK": Message(
        "{label}: RSA key of only {bits} bits: it can be factored, and verifiers reject keys under "
        "1024 bits", "RFC 8301 §3.2"),
    "DKIM-KEY-REVOKED": Message(
        "{label}: key revoked (empty p=); mail signed with it fails verification",
        "RFC 6376 §3.6.1"),
    "DKIM-KEY-TESTING": Message(
        "{label}: testing mode (t=y): receivers treat signed mail as if it were unsigned",
        "RFC 6376 §3.6.1"),
    "DKIM-KEY-MALFORMED": Message(
        "{label}: key record malformed: {error}",
        "RFC 6376 §3.6.1"),
    "DKIM-KEY-BAD-BASE64": Message(
        "{label}: p= is not valid base64: {error}",
        "RFC 6376 §3.6.1"),
    "DKIM-KEY-UNLOADABLE": Message(
        "{label}: p= holds no usable public key: {error}", "RFC 6376 §3.6.1, RFC 8463 §4.2"),
    "DKIM-KEY-UNKNOWN-TYPE": Message(
        "{label}: key type k={key_type} is unknown to verifiers (rsa, ed25519): the key is ignored",
        "RFC 6376 §3.6.1, RFC 8463 §4.2"),
    "DKIM-KEY-SHA1-ONLY": Message(
        "{label}: h={hashes} does not allow sha256; sha1 signatures are no longer accepted",
        "RFC 8301 §3.1"),
    "DKIM-KEY-NOT-EMAIL": Message(
        "{label}: s={services} excludes email: verifiers must ignore this key for mail",
        "RFC 6376 §3.6.1"),
    "DKIM-KEY-MULTIPLE": Message(
        "{label}: {count} TXT records at {name}; with more than one the result is undefined",
        "RFC 6376 §3.6.2.2"),
    "DKIM-SELECTOR-CNAME": Message(
        "{label} is an alias, the key is published by someone else: {chain}", "RFC 6376 §3.6.2.1"),
    "DKIM-SELECTOR-DANGLING": Message(
        "{label} is an alias to a name without a key: {chain}", "RFC 6376 §3.6.2.1"),
    "DKIM-SELECTOR-NOT-KEY": Message(
        "{label}: the TXT record at {name} is not a DKIM key record; ignored", "RFC 6376 §3.6.1"),
    "DKIM-SELECTOR-MISSING": Message(
        "{label}: the selector you named has no DKIM key record at {name} ({why}): mail signed with it "
        "cannot be verified",
        "RFC 6376 §3.6.2.2"),
    "DKIM-PROBES-EMPTY": Message(
        "{count} common selector(s) asked found no key: {selectors}", "RFC 6376 §3.1"),
    "DKIM-SELECTOR-INVALID": Message(
        "selector {selector!r} does not make a valid DNS name; not asked", "RFC 6376 §3.1"),
    "DKIM-LOOKUP-FAILED": Message(
        "{count} selector lookup(s) got no answer ({statuses}): {selectors}",
        "RFC 6376 §3.6.2.2"),
    "DKIM-NONE-FOUND": Message(
        "no DKIM key found under the {count} selectors tried ({selectors}), and selectors cannot be "
        "listed from DNS: not tested. Name yours with --dkim-selector, or give a message the domain "
        "signed with --eml", "RFC 6376 §3.1"),
    "DKIM-NULL-MX-REVOKED": Message(
        "the domain sends no mail (null MX) and revokes DKIM: every one of the {count} selector(s) "
        "asked holds an empty key (p=), so a signature in its name cannot verify",
        "RFC 6376 §3.6.1, RFC 7505"),
    "DKIM-NONE-NO-DOMAINKEY": Message(
        "no DKIM key found under the {count} selectors tried, and {name} does not exist (NXDOMAIN), "
        "so no selector at all is published under it, unless its DNS server mishandles empty "
        "names. Give the selector with --dkim-selector, or a signed message with --eml",
        "RFC 6376 §3.1, RFC 8020"),
    "DKIM-NONE-NULL-MX": Message(
        "no DKIM key found, and the domain accepts no mail (null MX): a domain that sends no mail "
        "needs no key", "RFC 7505 §4.2"),
    "DKIM-NONE-UNTESTED": Message(
        "no DKIM key found, but {failed} of the {count} selector lookups got no answer: not tested",
        "RFC 6376 §3.6.2.2"),
    "DKIM-NO-USABLE-KEY": Message(
        "DKIM key records were found ({selectors}), but none holds a key a verifier can use",
        "RFC 6376 §3.6.1"),
}
messages.register(MESSAGES)

MAX_SELECTORS_SHOWN = 60  # in a reason line; the data and the evidence hold them all
STRONG_RSA_BITS = 2048
MIN_RSA_BITS = 1024


@dataclass(frozen=True)
class Candidate:
    """A selector to look up. origin: ``given`` (the user), ``message`` (a signed message's s=)
    or ``common`` (the provider table). domain: the d= the key lives under."""

    selector: str
    domain: str
    origin: str
    provider: str = ""

    @property
    def name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    def label(self, scanned: str) -> str:
        where = "" if self.domain == scanned else f" at {self.domain}"
        who = f" ({self.provider})" if self.provider else ""
        return f"{self.selector}{where}{who}"

    def subject(self, scanned: str) -> str:
        return self.selector if self.domain == scanned else f"{self.selector} ({self.domain})"


@dataclass(frozen=True)
class SelectorJudgement:
    """What one selector's answer shows. found: a DKIM key record is published (usable or
    not); usable: it holds a key a verifier can use; failed: the lookup got no answer."""

    candidate: Candidate
    answer: DnsAnswer
    found: bool = False
    usable: bool = False
    failed: bool = False
    findings: tuple[Finding, ...] = ()
    keys: tuple[dict[str, Any], ...] = field(default=())
    empty: str = ""  # answered, but no key record: why (no such name, no TXT, not a key, alias)


# Why an answered name holds no key, in DNS terms that read the same in every report language:
# no such name, no TXT there, a TXT that is no key record (discarded, RFC 6376 §3.6.1), an alias
# to a name without a key.
NO_NAME, NO_TXT, NOT_KEY, DANGLING = "NXDOMAIN", "NODATA", "TXT, not v=DKIM1", "CNAME"


def _why_empty(answer: DnsAnswer) -> str:
    """Why an answered selector lookup holds no key record (one of the phrases above)."""
    if answer.status == "ok":
        return NOT_KEY
    if answer.cnames:
        return DANGLING
    return NO_NAME if answer.status == "nxdomain" else NO_TXT


def plan_selectors(domain: str, given: Iterable[str], learned: Iterable[tuple[str, str]] = ()
                   ) -> tuple[tuple[Candidate, ...], tuple[str, ...]]:
    """The candidates to ask, in report order (given, learned, common), and the invalid names.

    ``learned`` holds (selector, d=) pairs from signed messages; d= is the scanned domain or a
    subdomain of it. The same name is asked once; the first origin wins.
    """
    out: dict[str, Candidate] = {}
    invalid: list[str] = []
    wanted = [(s.strip().lower(), domain, "given") for s in given]
    wanted += [(s.strip().lower(), d.lower().rstrip("."), "message") for s, d in learned]
    wanted += [(s, domain, "common") for s in COMMON_SELECTORS]
    places: dict[str, bool] = {}
    for selector, where, origin in wanted:
        candidate = Candidate(selector, where, origin, provider_of(selector))
        # The name is valid when both its parts are: each is checked once, not 50 names a domain.
        name = candidate.name
        valid_place = places.get(where)
        if valid_place is None:
            valid_place = places[where] = is_valid_dns_name(where)
        if not (selector and valid_place and len(name) <= 253 and _valid_selector(selector)):
            invalid.append(selector)
            continue
        out.setdefault(name, candidate)
    return tuple(out.values()), tuple(dict.fromkeys(invalid))


@functools.lru_cache(maxsize=1024)
def _valid_selector(selector: str) -> bool:
    """The selector's labels are DNS labels (a final dot would leave an empty one in the name)."""
    return not selector.endswith(".") and is_valid_dns_name(selector)


def judge_selector(candidate: Candidate, answer: DnsAnswer, scanned: str) -> SelectorJudgement:
    """Judge one selector's TXT answer (pure)."""
    if answer.failed:
        return SelectorJudgement(candidate, answer, failed=True)
    label, subject = candidate.label(scanned), candidate.subject(scanned)
    ev = (answer.evidence,)
    chain = " -> ".join([candidate.name] + [c.split(" -> ")[1] for c in answer.cnames])
    texts = [t for t in answer.txt_strings() if looks_like_key_record(t)] if answer.status == "ok" else []
    if not texts:
        why = _why_empty(answer)
        if candidate.origin == "common":
            # A guess that found nothing: no row of its own; judge_summary says it once for all.
            return SelectorJudgement(candidate, answer, empty=why)
        if candidate.origin == "given":
            return SelectorJudgement(candidate, answer, empty=why, findings=(
                finding("DKIM-SELECTOR-MISSING", "selector", Verdict.WARN, evidence=ev, subject=subject,
                        label=label, name=candidate.name, why=why),))
        found: list[Finding] = []
        if answer.cnames:
            found.append(finding("DKIM-SELECTOR-DANGLING", "selector alias", Verdict.INFO, evidence=ev,
                                 subject=subject, label=label, chain=chain))
        if answer.status == "ok":  # TXT records, none of them a key
            found.append(finding("DKIM-SELECTOR-NOT-KEY", "key record", Verdict.INFO, evidence=ev,
                                 subject=subject, label=label, name=candidate.name))
        return SelectorJudgement(candidate, answer, empty=why, findings=tuple(found))
    findings: list[Finding] = []
    if answer.cnames:
        findings.append(finding("DKIM-SELECTOR-CNAME", "selector alias", Verdict.INFO, evidence=ev,
                                subject=subject, label=label, chain=chain))
    if len(texts) > 1:
        findings.append(finding("DKIM-KEY-MULTIPLE", "key record", Verdict.WARN, evidence=ev,
                                subject=subject, label=label, count=len(texts), name=candidate.name))
    usable = False
    keys: list[dict[str, Any]] = []
    for text in texts:
        record_findings, facts = judge_key_text(text, label, subject, ev)
        findings += record_findings
        usable = usable or facts["usable"]
        keys.append({"selector": candidate.selector, "domain": candidate.domain,
                     "provider": candidate.provider, "origin": candidate.origin,
                     "name": candidate.name, "cnames": list(answer.cnames), **facts})
    return SelectorJudgement(candidate, answer, found=True, usable=usable, findings=tuple(findings),
                             keys=tuple(keys))


def judge_key_text(text: str, label: str, subject: str, ev: Sequence[Evidence]
                   ) -> tuple[list[Finding], dict[str, Any]]:
    """Judge one key record's text (pure): the findings, and the facts for ``data``."""
    facts: dict[str, Any] = {"record": text, "usable": False, "key_type": None, "bits": None}

    def add(code: str, verdict: Verdict, **params: Any) -> None:
        findings.append(finding(code, "key", verdict, evidence=ev, subject=subject, label=label, **params))

    findings: list[Finding] = []
    try:
        record = parse_key_record(text)
    except ParseError as exc:
        facts["error"] = str(exc)
        add("DKIM-KEY-MALFORMED", Verdict.FAIL, error=str(exc))
        return findings, facts
    facts.update(key_type=record.key_type, revoked=record.revoked, testing=record.testing,
                 strict=record.strict, hash_algorithms=record.hash_algorithms,
                 service_types=record.service_types, flags=record.flags, notes=record.notes)
    if record.revoked:
        add("DKIM-KEY-REVOKED", Verdict.INFO)
        return findings, facts
    usable = _judge_loaded(record, facts, add)
    if record.testing:
        add("DKIM-KEY-TESTING", Verdict.WARN)
    if not record.allows_hash("sha256"):
        usable = False
        add("DKIM-KEY-SHA1-ONLY", Verdict.FAIL, hashes=":".join(record.hash_algorithms or ()))
    if not record.for_email:
        usable = False
        add("DKIM-KEY-NOT-EMAIL", Verdict.FAIL, services=":".join(record.service_types))
    facts["usable"] = usable
    return findings, facts


def _judge_loaded(record: KeyRecord, facts: dict[str, Any], add: Callable[..., None]) -> bool:
    """Load the key and judge its strength; True when a verifier can use it."""
    try:
        key = load_key(record)
    except KeyLoadError as exc:
        facts["error"] = exc.message
        if exc.reason == "type":
            add("DKIM-KEY-UNKNOWN-TYPE", Verdict.FAIL, key_type=record.key_type)
        elif exc.reason == "base64":
            add("DKIM-KEY-BAD-BASE64", Verdict.FAIL, error=exc.message)
        else:
            add("DKIM-KEY-UNLOADABLE", Verdict.FAIL, error=exc.message)
        return False
    facts["bits"] = key.bits
    if key.key_type == "ed25519":
        add("DKIM-KEY-ED25519", Verdict.PASS)
    elif key.bits >= STRONG_RSA_BITS:
        add("DKIM-KEY-RSA-STRONG", Verdict.PASS, bits=key.bits)
    elif key.bits >= MIN_RSA_BITS:
        add("DKIM-KEY-RSA-1024", Verdict.WARN, bits=key.bits)
    else:
        add("DKIM-KEY-RSA-WEAK", Verdict.FAIL, bits=key.bits)
        return False
    return True


def judge_summary(domain: str, judgements: Sequence[SelectorJudgement], domainkey: DnsAnswer,
                  mx_answer: DnsAnswer, null_mx: bool) -> list[Finding]:
    """The findings about the set of selectors: lookups that failed, none found, none usable."""
    out = _failed_lookups(judgements)
    failed = [j for j in judgements if j.failed]
    found = [j for j in judgements if j.found]
    if found:
        if not any(j.usable for j in found):
            out.append(finding("DKIM-NO-USABLE-KEY", "usable key", Verdict.WARN,
                               evidence=[j.answer.evidence for j in found],
                               selectors=_names(j.candidate.selector for j in found)))
        probes = [j for j in judgements if j.empty and j.candidate.origin == "common"]
        if probes:  # the guesses that found nothing: one row, the list in its evidence
            out.append(finding("DKIM-PROBES-EMPTY", "common selectors", Verdict.INFO,
                               evidence=[j.answer.evidence for j in probes], count=len(probes),
                               selectors=_names(_noted(j) for j in probes)))
        return out
    every = [j.answer.evidence for j in judgements] + [domainkey.evidence]
    tried = _names(_noted(j) for j in judgements)
    if null_mx:
        out.append(finding("DKIM-NONE-NULL-MX", "DKIM keys", Verdict.INFO,
                           evidence=[mx_answer.evidence, *every]))
    elif failed or domainkey.failed:
        out.append(finding("DKIM-NONE-UNTESTED", "DKIM keys", Verdict.NOT_TESTED, evidence=every,
                           failed=len(failed), count=len(judgements)))
    elif domainkey.status == "nxdomain":
        out.append(finding("DKIM-NONE-NO-DOMAINKEY", "DKIM keys", Verdict.WARN, evidence=every,
                           count=len(judgements), name=f"_domainkey.{domain}", selectors=tried))
    else:
        out.append(finding("DKIM-NONE-FOUND", "DKIM keys", Verdict.NOT_TESTED, evidence=every,
                           count=len(judgements), selectors=tried))
    return out


def revoked_everywhere(judgements: Sequence[SelectorJudgement]) -> bool:
    """True when key records were found and every one of them is revoked (empty ``p=``)."""
    keys = [k for j in judgements if j.found for k in j.keys]
    return bool(keys) and all(k.get("revoked") for k in keys)


def judge_revoked_null_mx(judgements: Sequence[SelectorJudgement], mx_answer: DnsAnswer) -> list[Finding]:
    """A null-MX domain whose every key is revoked: one PASS (and the lookups that failed, if any)."""
    found = [j for j in judgements if j.found]
    out = [finding("DKIM-NULL-MX-REVOKED", "DKIM keys", Verdict.PASS, count=len(found),
                   evidence=[mx_answer.evidence, *(j.answer.evidence for j in found)])]
    return out + _failed_lookups(judgements)


def _failed_lookups(judgements: Sequence[SelectorJudgement]) -> list[Finding]:
    """One NOT TESTED finding for the selector lookups that got no answer, if any did not."""
    failed = [j for j in judgements if j.failed]
    if not failed:
        return []
    statuses = ", ".join(sorted({j.answer.status for j in failed}))
    return [finding("DKIM-LOOKUP-FAILED", "selector lookups", Verdict.NOT_TESTED,
                    evidence=[j.answer.evidence for j in failed], count=len(failed),
                    statuses=statuses, selectors=_names(j.candidate.selector for j in failed))]


def _noted(judgement: SelectorJudgement) -> str:
    """A selector for a list, marked (TXT) or (CNAME) when its name held something, but no key.

    The marks read the same in every report language; the evidence holds the records.
    """
    if judgement.empty in (NOT_KEY, DANGLING):
        return f"{judgement.candidate.selector} ({'TXT' if judgement.empty == NOT_KEY else DANGLING})"
    return judgement.candidate.selector


def _names(selectors: Iterable[str]) -> str:
    names = list(dict.fromkeys(selectors))
    shown = ", ".join(names[:MAX_SELECTORS_SHOWN])
    hidden = len(names) - MAX_SELECTORS_SHOWN
    return shown + (f" and {hidden} more" if hidden > 0 else "")


async def check_keys(net: Net, domain: str, candidates: Sequence[Candidate], guess: str = "all"
                     ) -> tuple[list[SelectorJudgement], DnsAnswer, DnsAnswer, bool]:
    """Ask the selectors, ``_domainkey.<domain>`` and the MX; judge each selector asked.

    Selectors the user gave or a message named are asked at once. The ~50 guessed provider
    selectors are asked only when ``_domainkey.<domain>`` is not NXDOMAIN: by RFC 8020 §2 an
    NXDOMAIN there means no name exists below it, so none of them can hold a key. That spares
    a batch most of its DKIM questions for domains without DKIM, for one extra round trip.
    """
    named = [c for c in candidates if c.origin != "common"]
    guessed = [c for c in candidates if c.origin == "common"]

    async def selectors() -> tuple[DnsAnswer, list[Candidate], list[DnsAnswer]]:
        first, providers = await asyncio.gather(
            net.dns.query_many([(f"_domainkey.{domain}", "TXT")] + [(c.name, "TXT") for c in named]),
            _providers(net, domain) if guess == "provider" else _no_providers())
        if first[0].status == "nxdomain":
            return first[0], named, first[1:]
        if guess == "all":
            more = await net.dns.query_many([(c.name, "TXT") for c in guessed])
            return first[0], named + guessed, first[1:] + more
        # The recognised providers' selectors (if any) and the three most common ones first; the
        # rest of the list only when none of those (nor a selector the user named) holds a key, so
        # that a domain without a key found is judged on exactly the questions the long list asks.
        wanted = {s for p in providers for s in p.selectors} | set(ALWAYS_GUESSED)
        chosen = [c for c in guessed if c.selector in wanted]
        answers = dict(zip((c.name for c in chosen), await net.dns.query_many([(c.name, "TXT") for c in chosen]),
                           strict=True))
        if not any(_holds_key(a) for a in [*first[1:], *answers.values()]):
            rest = [c for c in guessed if c.name not in answers]
            answers.update(zip((c.name for c in rest), await net.dns.query_many([(c.name, "TXT") for c in rest]),
                               strict=True))
        asked_guesses = [c for c in guessed if c.name in answers]  # in the report's (the list's) order
        return first[0], named + asked_guesses, first[1:] + [answers[c.name] for c in asked_guesses]

    (domainkey, asked, answers), (mx_answer, hosts) = await asyncio.gather(selectors(), mx.mx_hosts(net, domain))
    judgements = [judge_selector(c, a, domain) for c, a in zip(asked, answers, strict=True)]
    return judgements, domainkey, mx_answer, mx.is_null_mx(hosts)


# Guessed first whatever the records say: the most common selectors by far.
ALWAYS_GUESSED = ("google", "selector1", "selector2")


def _holds_key(answer: DnsAnswer) -> bool:
    return answer.status == "ok" and any(looks_like_key_record(t) for t in answer.txt_strings())


async def _no_providers() -> tuple[Provider, ...]:
    return ()


_SPF_TARGET = re.compile(r"(?:^|\s)(?:[+?~-]?include:|redirect=)(\S+)", re.IGNORECASE)


async def _providers(net: Net, domain: str) -> tuple[Provider, ...]:
    """The providers the domain's MX hosts and SPF record name (both answers are shared with the MX
    and SPF measures through the DNS cache)."""
    (_answer, hosts), txt = await asyncio.gather(mx.mx_hosts(net, domain), net.dns.query(domain, "TXT"))
    spf = [t for t in (txt.txt_strings() if txt.status == "ok" else []) if t.lower().startswith("v=spf1")]
    includes = [m.group(1) for record in spf for m in _SPF_TARGET.finditer(record)]
    return recognise([h.host for h in hosts], includes)


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    loaded = dkim_message.load_messages(config.eml_files)
    learned = dkim_message.learned_selectors(loaded, domain)
    candidates, invalid = plan_selectors(domain, config.dkim_selectors, learned)
    (judgements, domainkey, mx_answer, null_mx), reports = await asyncio.gather(
        check_keys(net, domain, candidates, config.dkim_guess), dkim_message.check_messages(net, loaded))
    findings: list[Finding] = [finding("DKIM-SELECTOR-INVALID", "selector", Verdict.INFO, selector=s)
                               for s in invalid]
    if null_mx and revoked_everywhere(judgements):
        findings += judge_revoked_null_mx(judgements, mx_answer)
    else:
        for judgement in judgements:
            findings += judgement.findings
        findings += judge_summary(domain, judgements, domainkey, mx_answer, null_mx)
    evidence = [j.answer.evidence for j in judgements] + [domainkey.evidence, mx_answer.evidence]
    message_facts = []
    for item, report in zip(loaded, reports, strict=True):
        message_findings, facts = dkim_message.judge_message(domain, item, report)
        findings += message_findings
        evidence += [e for f in message_findings for e in f.evidence]
        message_facts.append(facts)
    data: dict[str, Any] = {
        "keys": [k for j in judgements for k in j.keys],
        "tried": [j.candidate.name for j in judgements],
        "usable": [j.candidate.selector for j in judgements if j.usable],
        "messages": message_facts,
        "proven_by": [m["source"] for m in message_facts if m.get("proves")],
    }
    return result(NAME, TITLE, AREA, findings, evidence=evidence, data=data,
                  elapsed_ms=(time.monotonic() - started) * 1000)


# --- typed facts for the promise verdicts ----------------------------------------------------

@dataclass(frozen=True)
class KeyFacts:
    """One key record found: its selector, whether it can verify signatures, its type and size,
    and whether it is in testing mode (t=y)."""

    selector: str
    usable: bool
    key_type: str | None
    bits: int | None
    testing: bool


@dataclass(frozen=True)
class DkimFacts:
    """What a promise about DKIM is judged on: the keys found, and whether ``_domainkey`` itself
    does not exist (NXDOMAIN: no selector can exist below it, RFC 8020)."""

    keys: tuple[KeyFacts, ...]
    no_domainkey: bool


def promise_facts(measure: MeasureResult) -> DkimFacts | None:
    """The facts in this measure's result (None for a result of another shape)."""
    keys = measure.data.get("keys")
    if not isinstance(keys, list):
        return None
    found = tuple(KeyFacts(str(k.get("selector")), bool(k.get("usable")), k.get("key_type"),
                           int(k["bits"]) if k.get("bits") else None, bool(k.get("testing")))
                  for k in keys if isinstance(k, Mapping))
    return DkimFacts(found, any("NO-DOMAINKEY" in f.code for f in measure.findings))
