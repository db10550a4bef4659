"""The chain of trust from an anchor down to one RRset: a pure state machine (RFC 4035 §5).

:class:`ChainValidator` says which answers it needs ("DNSKEY of .", "DS of test",
"the MX RRset of good.test with its RRSIGs"), is fed them, and ends with a :class:`Validation`.
It never does I/O and takes the time as a value, so tests drive it with answers of their own and
any clock. The driver (:mod:`.walk`) asks every question with DO set, so that the resolver hands
over signatures, and again with CD set when the resolver refused the data as bogus, so that
mailguard judges it itself.

The walk, for a name ``a.b.example.``, anchored at ``.``:

1. DNSKEY of the anchor zone: a key must match the anchor (a DS digest or the key itself) and
   sign the DNSKEY RRset (RFC 4035 §5.2).
2. For each name between the anchor and the target (``example.``, ``b.example.``, ...): its DS
   RRset, asked of the parent's zone. Signed DS records mean a secure delegation: a DNSKEY of
   the child must match one of them and sign the child's DNSKEY RRset. No DS: the NSEC/NSEC3
   proof says whether the name is an unsigned delegation (everything below is insecure), no zone
   cut at all (carry on in the same zone), or does not exist.
3. The target RRset: its RRSIG must verify with the keys of the zone it is in, within the
   signature's validity period; a NODATA/NXDOMAIN must be proven by signed NSEC/NSEC3 records.

With ``prefetch`` (the default) the validator asks for every answer the walk can need at once,
so a validation costs one round trip to the resolver instead of one per label.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import dns.dnssec
import dns.exception
import dns.name
import dns.rdataset
import dns.rdatatype
import dns.rrset

from ...core.model import Evidence
from ...net.dns import DnsAnswer
from . import denial as deny
from .anchors import TrustAnchors, key_tag
from .sigs import VALIDATED, SigCheck, check_rrset, find_rrset, find_sigs

MAX_DEPTH = 16  # labels below the anchor; deeper names are not walked (hostile MX names)


class Status(enum.StrEnum):
    SECURE = "secure"
    INSECURE = "insecure"
    BOGUS = "bogus"
    INDETERMINATE = "indeterminate"


@dataclass(frozen=True)
class Question:
    """One question, asked with DO set (and CD after a SERVFAIL). ``name`` is lower-case without the final dot
    (as :class:`~mailguard.net.dns.DnsClient` keys its cache; the root is ``""``)."""

    name: str
    rdtype: str


@dataclass(frozen=True)
class Link:
    """One step of the chain, for the report: what was checked at which zone, and how it went."""

    zone: str
    step: str
    status: Status
    detail: str
    evidence: Evidence = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built once, so that findings sharing this step share one Evidence object.
        object.__setattr__(self, "evidence", Evidence(
            "dnssec", f"{self.step} [{self.status.value}]: {self.detail}",
            {"zone": self.zone, "step": self.step, "status": self.status.value, "detail": self.detail}))


@dataclass(frozen=True)
class Validation:
    """The verdict on one RRset.

    status: secure / insecure / bogus / indeterminate.
    reason: a stable word for why (``validated``, ``denial-proven``, ``unsigned-delegation``,
        ``bad-signature``, ``rrsig-expired``, ``ds-mismatch``, ``missing-rrsig``, ``fetch-failed``...).
    detail: one human line. zone: the zone the RRset is in (or the last zone reached).
    insecure_at: the unsigned delegation (or the anchor mismatch) that ends the chain of trust.
    cname_target: when the name is an alias, the target (the driver validates it as well).
    links: the chain, step by step. answers: the DNS answers it rests on.
    """

    name: str
    rdtype: str
    status: Status
    reason: str
    detail: str
    zone: str = ""
    insecure_at: str = ""
    cname_target: str = ""
    records: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    answers: tuple[DnsAnswer, ...] = field(default=(), repr=False, compare=False)

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return tuple(a.evidence for a in self.answers) + tuple(link.evidence for link in self.links)


class _Need(Exception):
    """Raised inside the walk when an answer has not arrived yet."""

    def __init__(self, question: Question) -> None:
        self.question = question


class _Done(Exception):
    """Raised inside the walk with the verdict."""

    def __init__(self, status: Status, reason: str, detail: str, *, insecure_at: str = "",
                 cname_target: str = "", records: tuple[str, ...] = ()) -> None:
        self.status, self.reason, self.detail = status, reason, detail
        self.insecure_at, self.cname_target, self.records = insecure_at, cname_target, records


# A batch validates the same few upper zones (the root, a TLD, a provider's zone) for every
# domain, and a walk runs again each time an answer arrives: the names' texts, key tags and DS
# matches are worked out once per process instead. Keyed by a name's labels, whose hash is
# Python's own (a dns.name.Name hashes, and compares, in a Python loop over its characters).
def _key(name: dns.name.Name) -> str:
    return _key_of(name.labels)


def _text(name: dns.name.Name) -> str:
    return _text_of(name.labels)


@functools.lru_cache(maxsize=4096)
def _key_of(labels: tuple[bytes, ...]) -> str:
    return dns.name.Name(labels).to_text(omit_final_dot=True).lower() if labels != (b"",) else ""


@functools.lru_cache(maxsize=4096)
def _text_of(labels: tuple[bytes, ...]) -> str:
    return dns.name.Name(labels).to_text()


@functools.lru_cache(maxsize=4096)
def _path_of(labels: tuple[bytes, ...], anchor_depth: int) -> tuple[dns.name.Name, ...]:
    depth = len(labels) - anchor_depth
    return tuple(dns.name.Name(labels[i:]) for i in range(depth - 1, -1, -1))[:MAX_DEPTH]


@functools.lru_cache(maxsize=4096)
def _name(text: str) -> dns.name.Name:
    return dns.name.from_text(text)



class ChainValidator:
    """Validate ``rdtype`` at ``name`` from ``anchors`` at time ``now``; see the module docstring."""

    def __init__(self, name: str, rdtype: str, anchors: TrustAnchors, now: datetime,
                 *, prefetch: bool = True) -> None:
        self.name = _name(name)
        self.rdtype_text = rdtype.upper()
        self.rdtype = dns.rdatatype.from_text(self.rdtype_text)
        self.anchors = anchors
        self.anchor_zone = _name(anchors.zone)
        self.now = now.timestamp()
        self.prefetch = prefetch
        self._answers: dict[Question, DnsAnswer] = {}
        self._result: Validation | None = None
        self._names = self._path()  # the walk's names and questions, fixed for the target
        self._questions = self._plan()
        self._links: list[Link] = []
        self._used: list[DnsAnswer] = []

    # -- the interface the driver uses ------------------------------------------------------
    def needs(self) -> tuple[Question, ...]:
        """The questions to ask now; empty once :attr:`result` is known."""
        if self._run() is not None:
            return ()
        missing = self._missing
        if not self.prefetch:
            return (missing,)
        plan = [q for q in self._questions if q not in self._answers]
        return tuple(plan) if missing in plan else (missing, *plan)

    def feed(self, question: Question, answer: DnsAnswer) -> None:
        self._answers[question] = answer
        self._result = None

    @property
    def result(self) -> Validation | None:
        return self._run()

    def feed_all(self, answers: Mapping[Question, DnsAnswer]) -> None:
        for question, answer in answers.items():
            self.feed(question, answer)

    # -- the plan -----------------------------------------------------------------------------
    def _path(self) -> tuple[dns.name.Name, ...]:
        """The names from just below the anchor zone down to the target."""
        return _path_of(self.name.labels, len(self.anchor_zone))

    def _plan(self) -> list[Question]:
        plan = [Question(_key(self.anchor_zone), "DNSKEY")]
        for child in self._names:
            key = _key(child)
            plan += [Question(key, "DS"), Question(key, "DNSKEY")]
        plan.append(Question(_key(self.name), self.rdtype_text))
        return plan

    # -- the walk -----------------------------------------------------------------------------
    def _run(self) -> Validation | None:
        if self._result is not None:
            return self._result
        self._links, self._used = [], []
        self._zone = self.anchor_zone
        try:
            self._walk()
        except _Need as need:
            self._missing = need.question
            return None
        except _Done as done:
            self._result = Validation(
                _key(self.name), self.rdtype_text, done.status, done.reason, done.detail,
                zone=_text(self._zone), insecure_at=done.insecure_at, cname_target=done.cname_target,
                records=done.records, links=tuple(self._links), answers=_unique(self._used))
        return self._result

    def _get(self, name: dns.name.Name, rdtype: str) -> DnsAnswer:
        question = Question(_key(name), rdtype)
        answer = self._answers.get(question)
        if answer is None:
            raise _Need(question)
        self._used.append(answer)
        if answer.failed:
            self._link(name, f"{rdtype} {_text(name)}", Status.INDETERMINATE,
                       f"could not be fetched: {answer.status}" + (f" ({answer.error})" if answer.error else ""))
            raise _Done(Status.INDETERMINATE, "fetch-failed",
                        f"{rdtype} {_text(name)} could not be fetched ({answer.status})")
        if answer.message is None:  # its records were readable, its signatures or proofs are not
            self._link(name, f"{rdtype} {_text(name)}", Status.INDETERMINATE, "malformed answer")
            raise _Done(Status.INDETERMINATE, "fetch-failed",
                        f"{rdtype} {_text(name)} could not be read (malformed answer)")
        return answer

    def _link(self, zone: dns.name.Name, step: str, status: Status, detail: str) -> None:
        self._links.append(Link(_text(zone), step, status, detail))

    def _bogus(self, zone: dns.name.Name, step: str, reason: str, detail: str) -> _Done:
        self._link(zone, step, Status.BOGUS, detail)
        return _Done(Status.BOGUS, reason, detail)

    def _walk(self) -> None:
        if not self.name.is_subdomain(self.anchor_zone):
            raise _Done(Status.INDETERMINATE, "no-anchor",
                        f"no trust anchor covers {_text(self.name)} (anchor: {self.anchors.zone})")
        if len(self.name) - len(self.anchor_zone) > MAX_DEPTH:
            raise _Done(Status.INDETERMINATE, "too-deep", f"{_text(self.name)} has too many labels to walk")
        keys = self._anchor_keys()
        for child in self._names:
            step = self._delegation(child, keys)
            if step is None:
                continue
            if isinstance(step, str):  # the name does not exist: the target's answer will say so
                break
            keys = step
        self._target(keys)

    def _anchor_keys(self) -> dns.rdataset.Rdataset:
        zone = self.anchor_zone
        answer = self._get(zone, "DNSKEY")
        dnskeys, sigs = _answer_rrset(answer, zone, dns.rdatatype.DNSKEY)
        step = f"DNSKEY {_text(zone)}"
        # Keys that do not match the anchor say more about the resolver than about the domain
        # (it serves another root: a lab, an intercepting network): indeterminate, not bogus.
        if dnskeys is None:
            detail = f"the resolver gave no DNSKEY for the anchored zone {_text(zone)}"
            self._link(zone, step, Status.INDETERMINATE, detail)
            raise _Done(Status.INDETERMINATE, "anchor-mismatch", detail)
        trusted = [k for k in dnskeys if _anchored(k, zone, self.anchors)]
        if not trusted:
            detail = (f"no DNSKEY of {_text(zone)} ({_tags(dnskeys)}) matches the trust anchor "
                      f"{self.anchors.describe()}: the resolver does not serve that zone (a private "
                      "root needs --trust-anchor)")
            self._link(zone, step, Status.INDETERMINATE, detail)
            raise _Done(Status.INDETERMINATE, "anchor-mismatch", detail)
        return self._keyset(zone, dnskeys, sigs, trusted, f"the trust anchor {self.anchors.describe()}")

    def _keyset(self, zone: dns.name.Name, dnskeys: dns.rrset.RRset, sigs: dns.rrset.RRset | None,
                trusted: list[object], why: str) -> dns.rdataset.Rdataset:
        """The DNSKEY RRset, once a trusted key has signed it (RFC 4035 §5.2)."""
        step = f"DNSKEY {_text(zone)}"
        check = check_rrset(dnskeys, sigs, zone, _rdataset(dnskeys, trusted), self.now)
        if not check.ok:
            raise self._bogus(zone, step, check.reason,
                              f"key {_tags(trusted)} matches {why}, but {check.detail}")
        self._link(zone, step, Status.SECURE,
                   f"{len(dnskeys)} key(s) ({_tags(dnskeys)}); key {check.key_tag} matches {why} "
                   f"and signed them")
        self._zone = zone
        return dnskeys

    def _delegation(self, child: dns.name.Name, keys: dns.rdataset.Rdataset) -> dns.rdataset.Rdataset | str | None:
        """Keys of ``child`` if it is a secure zone cut; None if no cut; "nxdomain"; raises otherwise."""
        zone = self._zone
        answer = self._get(child, "DS")
        step = f"DS {_text(child)}"
        ds, sigs = _answer_rrset(answer, child, dns.rdatatype.DS)
        if ds is not None:
            check = check_rrset(ds, sigs, zone, keys, self.now)
            if not check.ok:
                raise self._bogus(zone, step, check.reason, check.detail)
            self._link(zone, step, Status.SECURE, f"{_ds_text(ds)}; {check.detail}")
            return self._child_keys(child, ds)
        if answer.message is not None and find_rrset(answer.message.answer, child, dns.rdatatype.CNAME):
            self._link(zone, step, Status.SECURE, f"{_text(child)} is an alias (CNAME): not a zone cut")
            return None  # RFC 1034 §3.6.2: a CNAME cannot sit beside NS, so this is no zone cut
        records = deny.collect(answer.message, zone, keys, self.now)
        proof = deny.prove(child, dns.rdatatype.DS, zone, records)
        if proof.kind == deny.UNPROVEN:
            raise self._bogus(zone, step, "denial-unproven",
                              f"no DS for {_text(child)}, and the denial is not proven: {proof.detail}")
        if proof.kind == deny.OPT_OUT or (proof.kind == deny.NODATA and proof.delegation):
            self._link(zone, step, Status.INSECURE, f"unsigned delegation: {proof.detail}")
            how = f"{proof.via} opt-out" if proof.kind == deny.OPT_OUT else proof.via
            raise _Done(Status.INSECURE, "unsigned-delegation",
                        f"{_text(child)} is delegated from the signed zone {_text(zone)} without a DS "
                        f"record (proven by {how})", insecure_at=_text(child))
        if proof.kind == deny.NXDOMAIN:
            self._link(zone, step, Status.SECURE, f"{_text(child)} does not exist: {proof.detail}")
            return "nxdomain"
        self._link(zone, step, Status.SECURE, f"not a zone cut: {proof.detail}")
        return None

    def _child_keys(self, child: dns.name.Name, ds: dns.rrset.RRset) -> dns.rdataset.Rdataset:
        usable = [d for d in ds if _supported(d)]
        if not usable:
            # RFC 4035 §5.2: a DS set with only unknown algorithms makes the child insecure.
            self._link(child, f"DS {_text(child)}", Status.INSECURE, "no DS with a supported algorithm")
            raise _Done(Status.INSECURE, "unsupported-algorithm",
                        f"the DS records of {_text(child)} use only algorithms mailguard cannot check",
                        insecure_at=_text(child))
        answer = self._get(child, "DNSKEY")
        dnskeys, sigs = _answer_rrset(answer, child, dns.rdatatype.DNSKEY)
        step = f"DNSKEY {_text(child)}"
        if dnskeys is None:
            raise self._bogus(child, step, "dnskey-missing",
                              f"the parent publishes DS for {_text(child)}, but it has no DNSKEY")
        trusted = [k for k in dnskeys if any(_ds_matches(d, k, child) for d in usable)]
        if not trusted:
            raise self._bogus(child, step, "ds-mismatch",
                              f"{_ds_text(ds)} matches no DNSKEY of {_text(child)} ({_tags(dnskeys)})")
        return self._keyset(child, dnskeys, sigs, trusted, f"a DS record in {_text(self._zone)}")

    def _target(self, keys: dns.rdataset.Rdataset) -> None:
        zone, name = self._zone, self.name
        answer = self._get(name, self.rdtype_text)
        step = f"{self.rdtype_text} {_text(name)}"
        rrset, sigs = _answer_rrset(answer, name, self.rdtype)
        cname_target = ""
        if rrset is None:
            rrset, sigs = _answer_rrset(answer, name, dns.rdatatype.CNAME)
            if rrset is not None:
                cname_target = _key(rrset[0].target)
        if rrset is not None:
            check = check_rrset(rrset, sigs, zone, keys, self.now)
            if not check.ok:
                raise self._bogus(zone, step, check.reason, check.detail)
            self._wildcard(check, rrset, answer, zone, keys, step)
            self._link(zone, step, Status.SECURE, check.detail)
            raise _Done(Status.SECURE, VALIDATED, check.detail, cname_target=cname_target,
                        records=tuple(r.to_text() for r in rrset))
        records = deny.collect(answer.message, zone, keys, self.now)
        proof = deny.prove(name, self.rdtype, zone, records)
        if proof.kind == deny.UNPROVEN:
            raise self._bogus(zone, step, "denial-unproven",
                              f"{answer.status.upper()} for {step}, but not proven: {proof.detail}")
        if proof.kind == deny.OPT_OUT:
            self._link(zone, step, Status.INSECURE, proof.detail)
            raise _Done(Status.INSECURE, "opt-out", proof.detail, insecure_at=_text(name))
        self._link(zone, step, Status.SECURE, f"{proof.kind.upper()} proven: {proof.detail}")
        raise _Done(Status.SECURE, "denial-proven", f"{proof.kind.upper()} proven: {proof.detail}")

    def _wildcard(self, check: SigCheck, rrset: dns.rrset.RRset, answer: DnsAnswer,
                  zone: dns.name.Name, keys: dns.rdataset.Rdataset, step: str) -> None:
        labels = check.labels if check.labels is not None else len(rrset.name) - 1
        if labels >= len(rrset.name) - 1:
            return
        records = deny.collect(answer.message, zone, keys, self.now)
        if not deny.wildcard_expansion_proven(rrset.name, labels, zone, records):
            raise self._bogus(zone, step, "denial-unproven",
                              f"{step} was made from a wildcard, but nothing proves that "
                              f"{_text(rrset.name)} does not exist itself")


# -- small pure helpers --------------------------------------------------------------------------

RRsetAndSigs = tuple[dns.rrset.RRset | None, dns.rrset.RRset | None]


def _answer_rrset(answer: DnsAnswer, name: dns.name.Name, rdtype: int) -> RRsetAndSigs:
    if answer.message is None:
        return None, None
    rrset = find_rrset(answer.message.answer, name, rdtype)
    if rrset is None:
        return None, None
    return rrset, find_sigs(answer.message.answer, name, rdtype)


def _unique(answers: list[DnsAnswer]) -> tuple[DnsAnswer, ...]:
    seen: dict[int, DnsAnswer] = {}
    for answer in answers:
        seen.setdefault(id(answer), answer)
    return tuple(seen.values())


def _rdataset(like: dns.rrset.RRset, rdatas: list[object]) -> dns.rdataset.Rdataset:
    out = dns.rdataset.Rdataset(like.rdclass, like.rdtype)
    for rdata in rdatas:
        out.add(rdata, like.ttl)  # type: ignore[arg-type]
    return out


def _tags(keys: Any) -> str:
    return ", ".join(str(key_tag(k)) for k in keys) or "none"


def _ds_text(ds: dns.rrset.RRset) -> str:
    return ", ".join(f"DS {d.key_tag} {d.algorithm} {d.digest_type}" for d in ds)


def _supported(ds: object) -> bool:
    try:
        import dns.dnssecalgs

        dns.dnssecalgs.get_algorithm_cls(ds.algorithm)  # type: ignore[attr-defined]
    except dns.exception.UnsupportedAlgorithm:
        return False
    return ds.digest_type in (1, 2, 4)  # type: ignore[attr-defined]


def _ds_matches(ds: Any, key: Any, owner: dns.name.Name) -> bool:
    """Does ``key`` hash to the digest ``ds`` holds (RFC 4034 §5.1.4)?"""
    return _ds_matches_at(ds, key, owner.labels)


@functools.lru_cache(maxsize=1024)
def _ds_matches_at(ds: Any, key: Any, labels: tuple[bytes, ...]) -> bool:
    owner = dns.name.Name(labels)
    if ds.key_tag != key_tag(key) or ds.algorithm != key.algorithm:
        return False
    try:
        made = dns.dnssec.make_ds(owner, key, ds.digest_type, validating=True)
    except (dns.exception.DNSException, ValueError):
        return False
    return bool(made.digest == ds.digest)


def _anchored(key: object, zone: dns.name.Name, anchors: TrustAnchors) -> bool:
    if not key.flags & 0x0100:  # type: ignore[attr-defined]  # a zone key (RFC 4034 §2.1.1)
        return False
    if any(key == anchor for anchor in anchors.dnskeys):
        return True
    return any(_ds_matches(ds, key, zone) for ds in anchors.ds)

