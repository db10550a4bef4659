"""The thin async loop that drives :class:`~.chain.ChainValidator` through ``net.dns``.

Each round asks every question the validator needs concurrently, feeds the answers back, and
stops when the validator has its verdict. Every question carries DO, so the answers hold their
signatures and denial proofs, and they are the very answers the other measures read (one question
per name and type, not a plain one and a DNSSEC one). An answer a validating resolver refused
(SERVFAIL) is asked again with CD set, so that mailguard sees the bogus data and judges it itself
(:func:`signed_answer`). The DNS client's cache makes the root's and the TLD's DNSKEY and DS
questions go out once per scan however many names are validated. What the resolver itself
concluded, its AD bit, is reported beside mailguard's verdict, never trusted.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...net import Net
from ...net.dns import SERVFAIL, DnsAnswer
from .anchors import TrustAnchors
from .chain import ChainValidator, Status, Validation

MAX_ALIASES = 8
MAX_ROUNDS = 40  # the walk needs at most ~2 per label without prefetch; never loop forever

# Worst first: one bogus link makes the whole answer bogus, one unknown makes it unknown.
_ORDER = (Status.BOGUS, Status.INDETERMINATE, Status.INSECURE, Status.SECURE)


def combine(statuses: list[Status]) -> Status:
    return next((s for s in _ORDER if s in statuses), Status.INDETERMINATE)


@dataclass(frozen=True)
class NameResult:
    """One name and type: mailguard's own verdict, and the resolver's.

    validations: the RRset's validation, then each alias target's (a CNAME chain).
    resolver: the ordinary answer (no DO, no CD); ``ad`` is its AD bit.
    """

    name: str
    rdtype: str
    status: Status
    validations: tuple[Validation, ...]
    resolver: DnsAnswer

    @property
    def ad(self) -> bool:
        return self.resolver.ad

    @property
    def final(self) -> Validation:
        """The validation that decided the status (the first with the combined status)."""
        return next(v for v in self.validations if v.status == self.status)


async def validate(net: Net, name: str, rdtype: str, anchors: TrustAnchors) -> Validation:
    """Validate one RRset (not following aliases)."""
    validator = ChainValidator(name, rdtype, anchors, net.now())
    for _ in range(MAX_ROUNDS):
        questions = validator.needs()
        if not questions:
            break
        answers = await net.dns.query_many((q.name or ".", q.rdtype) for q in questions)
        refused = [i for i, answer in enumerate(answers) if answer.status == SERVFAIL]
        if refused:  # asked again with CD, as signed_answer does
            again = await net.dns.query_many(((questions[i].name or ".", questions[i].rdtype) for i in refused),
                                             cd=True)
            for i, answer in zip(refused, again, strict=True):
                answers[i] = answer
        for question, answer in zip(questions, answers, strict=True):
            validator.feed(question, answer)
    result = validator.result
    assert result is not None, "the chain validator did not finish"
    return result


async def signed_answer(net: Net, name: str, rdtype: str) -> DnsAnswer:
    """The answer with its signatures; when the resolver refused it (SERVFAIL, as a validating
    resolver answers for bogus data), the same question with CD set (RFC 4035 §3.2.2), so that
    the validator sees what the resolver would not hand over and can say why it is bogus."""
    answer = await net.dns.query(name, rdtype)
    if answer.status == SERVFAIL:
        return await net.dns.query(name, rdtype, cd=True)
    return answer


async def validate_name(net: Net, name: str, rdtype: str, anchors: TrustAnchors) -> NameResult:
    """Validate ``rdtype`` at ``name`` and every alias on the way; ask the resolver too (the
    validator asked the same question in its first round: the answer is cached by now)."""
    validations = await _follow(net, name, rdtype, anchors)
    resolver = await net.dns.query(name, rdtype)
    return NameResult(name, rdtype, combine([v.status for v in validations]), validations, resolver)


async def _follow(net: Net, name: str, rdtype: str, anchors: TrustAnchors) -> tuple[Validation, ...]:
    validations: list[Validation] = []
    current, seen = name, set()
    while current and current not in seen and len(validations) <= MAX_ALIASES:
        seen.add(current)
        validation = await validate(net, current, rdtype, anchors)
        validations.append(validation)
        current = validation.cname_target if validation.status == Status.SECURE else ""
    return tuple(validations)
