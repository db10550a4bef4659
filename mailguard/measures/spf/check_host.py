"""check_host() (RFC 7208 §4-§8) as a state machine: what a receiving mail server concludes.

:func:`check_host` is a generator that asks for DNS data (see :mod:`.lookups`) and returns an
:class:`SpfResult`; :func:`evaluate` drives it through ``net.dns`` for an SMTP client address,
MAIL FROM and HELO, choosing the identity as a receiver does (§2.3, §2.4).

The evaluation is lazy, as the RFC prescribes: mechanisms are tried left to right and the first
match decides (§4.6.2), so the DNS lookups and void lookups are counted only for terms actually
evaluated (§4.6.4). Errors become results: DNS failures are ``temperror`` (§5), broken records
and exceeded limits ``permerror``. Nothing raises past :func:`check_host`.
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
from dataclasses import dataclass, replace

from ...core.errors import ParseError
from ...core.model import Evidence
from ...net import Net
from .grammar import MacroString, Mechanism, Modifier, parse_explanation, parse_record, select_records
from .lookups import (
    Machine,
    Question,
    Reply,
    drive,
    is_query_name,
    is_valid_domain,
)
from .macros import IpAddress, MacroContext, expand, expand_domain

MAX_DNS_TERMS = 10  # §4.6.4
MAX_VOID_LOOKUPS = 2  # §4.6.4
MAX_MX_NAMES = 10  # §4.6.4: more is permerror
MAX_PTR_NAMES = 10  # §4.6.4: the rest are ignored


class Result(enum.StrEnum):
    """The results of check_host() (§2.6)."""

    NONE = "none"
    NEUTRAL = "neutral"
    PASS = "pass"
    FAIL = "fail"
    SOFTFAIL = "softfail"
    TEMPERROR = "temperror"
    PERMERROR = "permerror"


@dataclass(frozen=True)
class TraceStep:
    """One step of an evaluation: at which include/redirect depth, for which domain, what happened."""

    depth: int
    domain: str
    text: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class SpfResult:
    """What check_host() concluded, and why.

    result: the result word; explanation: the expanded ``exp=`` text (only with ``fail``, §6.2).
    reason: one English line saying what decided; rfc: the section it rests on.
    identity: ``mailfrom``, or ``helo`` when the MAIL FROM was empty (§2.4).
    mechanism: the term that matched, as written (None when no term matched).
    lookups, void_lookups: the DNS-querying terms and void lookups counted (§4.6.4).
    trace: the steps, each with the DNS evidence it rests on; evidence: every DNS observation.
    """

    result: Result
    explanation: str | None
    reason: str
    rfc: str
    ip: str
    domain: str
    sender: str
    helo: str
    identity: str
    mechanism: str | None
    lookups: int
    void_lookups: int
    trace: tuple[TraceStep, ...]
    evidence: tuple[Evidence, ...]


class _Stop(Exception):
    """Ends the whole evaluation at once: temperror and permerror propagate through include."""

    def __init__(self, result: Result, reason: str, rfc: str) -> None:
        super().__init__(reason)
        self.result, self.reason, self.rfc = result, reason, rfc


@dataclass(frozen=True)
class _Level:
    """The outcome of one check_host() call (the top one, or a nested include/redirect)."""

    result: Result
    reason: str
    rfc: str
    explanation: str | None = None
    mechanism: str | None = None


# -- the identity (§2.3, §2.4, §4.3) -----------------------------------------------------------

@dataclass(frozen=True)
class Identity:
    kind: str  # "mailfrom" or "helo"
    sender: str
    local_part: str
    domain: str


def identity(mail_from: str, helo: str) -> Identity:
    """The identity a receiver checks: MAIL FROM, or ``postmaster@HELO`` for a null sender.

    §2.4: with an empty reverse-path, the MAIL FROM identity is postmaster at the HELO name.
    §4.3: a sender without local-part gets ``postmaster``. Internationalised domains are turned
    into A-labels (§4.3); one that cannot be is kept as given and will evaluate to ``none``.
    """
    text = mail_from.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    if not text:
        domain = _a_label(helo.strip().rstrip("."))
        return Identity("helo", f"postmaster@{domain}", "postmaster", domain)
    local, at, domain = text.rpartition("@")
    if not at:
        local, domain = "", text
    local = local or "postmaster"
    domain = _a_label(domain.rstrip("."))
    return Identity("mailfrom", f"{local}@{domain}", local, domain)


def _a_label(name: str) -> str:
    if name.isascii():
        return name
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


# -- the state machine -------------------------------------------------------------------------

def check_host(ip: IpAddress, domain: str, sender: str, *, helo: str = "unknown",
               identity_kind: str = "mailfrom", receiver: str = "unknown",
               timestamp: int = 0) -> Machine[SpfResult]:
    """check_host(<ip>, <domain>, <sender>) of RFC 7208 §4.1, as a state machine.

    ``sender`` is ``local-part@domain`` (give ``postmaster@...`` when it has no local-part).
    ``helo``, ``receiver`` and ``timestamp`` feed the h, r and t macros (§7.2).
    """
    local_part, _, sender_domain = sender.rpartition("@")
    base = MacroContext(sender=sender, local_part=local_part or "postmaster",
                        sender_domain=sender_domain, domain=domain, ip=ip, helo=helo or "unknown",
                        receiver=receiver, timestamp=timestamp)
    run = _Evaluation(base)
    try:
        level = yield from run.check_host(domain, ())
    except _Stop as stop:
        level = _Level(stop.result, stop.reason, stop.rfc)
    run.note(0, domain, f"result: {level.result} ({level.reason}; RFC 7208 {level.rfc})")
    return SpfResult(
        result=level.result, explanation=level.explanation, reason=level.reason, rfc=f"RFC 7208 {level.rfc}",
        ip=str(ip), domain=domain, sender=sender, helo=helo, identity=identity_kind,
        mechanism=level.mechanism, lookups=run.lookups, void_lookups=run.voids,
        trace=tuple(run.trace), evidence=tuple(run.evidence),
    )


async def evaluate(net: Net, ip: IpAddress, mail_from: str, helo: str = "", *,
                   receiver: str = "unknown", deadline: float | None = None) -> SpfResult:
    """What a receiving server concludes for mail from ``ip`` with this MAIL FROM and HELO.

    Past ``deadline`` seconds the evaluation ends as temperror, a transient failure (§2.6.6).
    """
    who = identity(mail_from, helo)
    machine = check_host(ip, who.domain, who.sender, helo=helo.strip() or "unknown",
                         identity_kind=who.kind, receiver=receiver,
                         timestamp=int(net.now().timestamp()))
    try:
        async with asyncio.timeout(deadline):
            return await drive(machine, net)
    except TimeoutError:
        return SpfResult(Result.TEMPERROR, None, f"the evaluation did not finish within {deadline:g} s",
                         "RFC 7208 §2.6.6", str(ip), who.domain, who.sender, helo, who.kind, None,
                         0, 0, (), ())


class _Evaluation:
    """The mutable state of one evaluation: counters, the trace, the evidence, cached PTR data."""

    def __init__(self, base: MacroContext) -> None:
        self.base = base
        self.ip = base.ip
        self.lookups = 0
        self.voids = 0
        self.trace: list[TraceStep] = []
        self.evidence: list[Evidence] = []
        self._ptr: tuple[bool, tuple[str, ...]] | None = None  # (PTR lookup was void, validated)

    # -- bookkeeping ---------------------------------------------------------------------------
    def ask(self, *questions: Question) -> Machine[tuple[Reply, ...]]:
        replies = yield tuple(questions)
        self.evidence.extend(r.evidence for r in replies if r.evidence is not None)
        return replies

    def note(self, depth: int, domain: str, text: str, replies: tuple[Reply, ...] = ()) -> None:
        evidence = tuple(r.evidence for r in replies if r.evidence is not None)
        self.trace.append(TraceStep(depth, domain, text, evidence))

    def count_lookup(self, term: str, domain: str) -> None:
        """§4.6.4: at most 10 terms that query the DNS, over the whole evaluation."""
        self.lookups += 1
        if self.lookups > MAX_DNS_TERMS:
            raise _Stop(Result.PERMERROR, f"'{term}' at {domain} would be DNS lookup {self.lookups}; "
                        f"the limit is {MAX_DNS_TERMS}", "§4.6.4")

    def require(self, reply: Reply, term: str, domain: str) -> None:
        """A mechanism's own lookup: failure is temperror (§5), void counts (§4.6.4)."""
        if reply.failed:
            raise _Stop(Result.TEMPERROR, f"the {reply.rdtype} lookup of {reply.name} for '{term}' at "
                        f"{domain} failed ({reply.status})", "§5")
        if reply.void:
            self.voids += 1
            if self.voids > MAX_VOID_LOOKUPS:
                raise _Stop(Result.PERMERROR, f"'{term}' at {domain} is void lookup {self.voids} "
                            f"({reply.name} {reply.status}); the limit is {MAX_VOID_LOOKUPS}", "§4.6.4")

    # -- check_host() --------------------------------------------------------------------------
    def check_host(self, domain: str, stack: tuple[str, ...]) -> Machine[_Level]:
        depth = len(stack)
        if not is_valid_domain(domain):  # §4.3
            self.note(depth, domain, f"{domain!r} is not a valid domain name: none")
            return _Level(Result.NONE, f"{domain!r} is not a valid multi-label domain name", "§4.3")
        (reply,) = yield from self.ask(Question(domain, "TXT"))
        if reply.failed:  # §4.4
            self.note(depth, domain, f"TXT {domain}: {reply.status}", (reply,))
            raise _Stop(Result.TEMPERROR, f"the TXT lookup of {domain} failed ({reply.status})", "§4.4")
        records = select_records(reply.values)
        self.note(depth, domain, f"TXT {domain}: {reply.status}, {len(reply.values)} record(s), "
                  f"{len(records)} SPF: {' | '.join(records)}", (reply,))
        if not records:  # §4.5; NXDOMAIN too (§4.3)
            why = "does not exist" if reply.status == "nxdomain" else "has no SPF record"
            return _Level(Result.NONE, f"{domain} {why}", "§4.3" if reply.status == "nxdomain" else "§4.5")
        if len(records) > 1:
            raise _Stop(Result.PERMERROR, f"{domain} publishes {len(records)} SPF records", "§4.5")
        try:
            record = parse_record(records[0])
        except ParseError as exc:
            raise _Stop(Result.PERMERROR, f"the SPF record of {domain} has a syntax error: {exc}",
                        "§4.6") from None
        context = self.base.at(domain)
        path = stack + (domain.lower(),)
        for mechanism in record.mechanisms:  # §4.6.2: left to right, the first match decides
            if (yield from self.mechanism(mechanism, context, path)):
                return (yield from self.matched(mechanism, record.exp, context, depth))
        redirect = record.effective_redirect  # §6.1: ignored when there is an "all"
        if redirect is not None:
            return (yield from self.redirect(redirect, context, path))
        self.note(depth, domain, "no mechanism matched and no redirect: neutral")
        return _Level(Result.NEUTRAL, f"no mechanism in the record of {domain} matched and it has "
                      "no redirect: the default is neutral", "§4.7")

    def matched(self, mechanism: Mechanism, exp: Modifier | None, context: MacroContext,
                depth: int) -> Machine[_Level]:
        result = Result(mechanism.result)
        self.note(depth, context.domain, f"'{mechanism.text}' matched: {result}")
        explanation = None
        if result is Result.FAIL and exp is not None:  # §6.2: only for fail
            explanation = yield from self.explain(exp, context, depth)
        return _Level(result, f"'{mechanism.text}' in the record of {context.domain} matched", "§4.6.2",
                      explanation, mechanism.text)

    # -- mechanisms (§5) -----------------------------------------------------------------------
    def mechanism(self, mechanism: Mechanism, context: MacroContext,
                  path: tuple[str, ...]) -> Machine[bool]:
        domain, depth = context.domain, len(path) - 1
        if mechanism.name == "all":  # §5.1
            return True
        if mechanism.network is not None:  # ip4, ip6 (§5.6)
            matched = _in_network(self.ip, mechanism.network)
            self.note(depth, domain, f"'{mechanism.text}': {'match' if matched else 'no match'}")
            return matched
        self.count_lookup(mechanism.text, domain)
        target = domain
        if mechanism.domain_spec is not None:
            target = yield from self.expand_name(mechanism.domain_spec, context)
        if mechanism.name == "include":
            return (yield from self.include(mechanism, target, path))
        if not is_query_name(target):
            self.note(depth, domain, f"'{mechanism.text}': {target!r} cannot be looked up: no match")
            return False
        if mechanism.name == "a":
            matched = yield from self.match_a(mechanism, target, domain)
        elif mechanism.name == "mx":
            matched = yield from self.match_mx(mechanism, target, domain)
        elif mechanism.name == "ptr":
            matched = yield from self.match_ptr(target)
        else:
            matched = yield from self.match_exists(mechanism, target, domain)
        self.note(depth, domain, f"'{mechanism.text}' ({target}): {'match' if matched else 'no match'} "
                  f"[lookups {self.lookups}/{MAX_DNS_TERMS}, void {self.voids}/{MAX_VOID_LOOKUPS}]")
        return matched

    def address_type(self) -> str:
        # §5: A records for an IPv4 client, AAAA for an IPv6 one.
        return "A" if self.ip.version == 4 else "AAAA"

    def cidr(self, mechanism: Mechanism) -> int:
        if self.ip.version == 4:
            return mechanism.cidr4 if mechanism.cidr4 is not None else 32
        return mechanism.cidr6 if mechanism.cidr6 is not None else 128

    def match_a(self, mechanism: Mechanism, target: str, domain: str) -> Machine[bool]:
        """§5.3: any address of the target, within the CIDR length, is the client's."""
        (reply,) = yield from self.ask(Question(target, self.address_type()))
        self.require(reply, mechanism.text, domain)
        return _any_address_matches(self.ip, reply.values, self.cidr(mechanism))

    def match_mx(self, mechanism: Mechanism, target: str, domain: str) -> Machine[bool]:
        """§5.4: any address of any MX host of the target (no implicit MX, no A fallback)."""
        (reply,) = yield from self.ask(Question(target, "MX"))
        self.require(reply, mechanism.text, domain)
        if len(reply.values) > MAX_MX_NAMES:
            raise _Stop(Result.PERMERROR, f"'{mechanism.text}' at {domain}: {target} has "
                        f"{len(reply.values)} MX records, more than {MAX_MX_NAMES}", "§4.6.4")
        hosts = sorted({h for h in reply.values if h != "." and is_query_name(h)})  # null MX: none
        if not hosts:
            return False
        replies = yield from self.ask(*(Question(h, self.address_type()) for h in hosts))
        if any(_any_address_matches(self.ip, r.values, self.cidr(mechanism)) for r in replies):
            return True
        failed = next((r for r in replies if r.failed), None)
        if failed is not None:
            raise _Stop(Result.TEMPERROR, f"the {failed.rdtype} lookup of MX host {failed.name} for "
                        f"'{mechanism.text}' at {domain} failed ({failed.status})", "§5")
        return False

    def match_ptr(self, target: str) -> Machine[bool]:
        """§5.5: a validated host name of the client is the target or below it."""
        void, names = yield from self.validated_names()
        if void:
            self.voids += 1
            if self.voids > MAX_VOID_LOOKUPS:
                raise _Stop(Result.PERMERROR, f"the PTR lookup for 'ptr' is void lookup {self.voids}; "
                            f"the limit is {MAX_VOID_LOOKUPS}", "§4.6.4")
        suffix = "." + target.lower()
        return any(n == target.lower() or n.endswith(suffix) for n in names)

    def match_exists(self, mechanism: Mechanism, target: str, domain: str) -> Machine[bool]:
        """§5.7: an A query for the target returns anything (A even for an IPv6 client)."""
        (reply,) = yield from self.ask(Question(target, "A"))
        self.require(reply, mechanism.text, domain)
        return bool(reply.values)

    def include(self, mechanism: Mechanism, target: str, path: tuple[str, ...]) -> Machine[bool]:
        """§5.2: a recursive check_host(); its result maps to match / no match / error."""
        domain, depth = path[-1], len(path) - 1
        if target.lower() in path:
            raise _Stop(Result.PERMERROR, "include loop: " + " -> ".join(path + (target,)), "§5.2")
        self.note(depth, domain, f"'{mechanism.text}': evaluating {target}")
        level = yield from self.check_host(target, path)
        if level.result is Result.NONE:  # §5.2: none -> permerror
            raise _Stop(Result.PERMERROR, f"'{mechanism.text}' at {domain}: {level.reason}", "§5.2")
        matched = level.result is Result.PASS  # fail, softfail, neutral: no match
        self.note(depth, domain, f"'{mechanism.text}': {target} gave {level.result}: "
                  f"{'match' if matched else 'no match'}")
        return matched

    def redirect(self, modifier: Modifier, context: MacroContext, path: tuple[str, ...]) -> Machine[_Level]:
        """§6.1: no mechanism matched; the target's result is this record's result."""
        domain, depth = context.domain, len(path) - 1
        self.count_lookup(modifier.text, domain)
        target = yield from self.expand_name(modifier.value, context)
        if target.lower() in path:
            raise _Stop(Result.PERMERROR, "redirect loop: " + " -> ".join(path + (target,)), "§6.1")
        self.note(depth, domain, f"'{modifier.text}': evaluating {target}")
        level = yield from self.check_host(target, path)
        if level.result is Result.NONE:  # §6.1: no record (or a malformed name) is permerror
            raise _Stop(Result.PERMERROR, f"'{modifier.text}' at {domain}: {level.reason}", "§6.1")
        return level

    # -- names, %{p} and explanations ----------------------------------------------------------
    def expand_name(self, spec: MacroString, context: MacroContext) -> Machine[str]:
        if "p" in spec.letters:
            context = replace(context, validated_name=(yield from self.validated_name(context.domain)))
        return expand_domain(spec, context)

    def validated_names(self) -> Machine[tuple[bool, tuple[str, ...]]]:
        """§5.5: PTR names of the client (at most 10) whose addresses include the client.

        A failed PTR lookup means no names; a failed address lookup skips that name.
        """
        if self._ptr is not None:
            return self._ptr
        (reply,) = yield from self.ask(Question(self.ip.reverse_pointer, "PTR"))
        names = [n for n in reply.values if is_query_name(n)][:MAX_PTR_NAMES]
        replies = (yield from self.ask(*(Question(n, self.address_type()) for n in names))) if names else ()
        validated = tuple(n for n, r in zip(names, replies, strict=True)
                          if not r.failed and _any_address_matches(self.ip, r.values, self.ip.max_prefixlen))
        self._ptr = (reply.void, validated)
        self.note(0, self.ip.reverse_pointer, f"PTR {self.ip.reverse_pointer}: {reply.status}; validated: "
                  f"{', '.join(validated) or 'none'}", (reply, *replies))
        return self._ptr

    def validated_name(self, domain: str) -> Machine[str]:
        """%{p} (§7.3): the domain itself, else a subdomain of it, else any validated name."""
        _void, names = yield from self.validated_names()
        lower = domain.lower()
        for candidate in (n for n in names if n == lower):
            return candidate
        for candidate in (n for n in names if n.endswith("." + lower)):
            return candidate
        return names[0] if names else "unknown"

    def explain(self, exp: Modifier, context: MacroContext, depth: int) -> Machine[str | None]:
        """§6.2: the explanation; any problem means "as if there were no exp"."""
        name = yield from self.expand_name(exp.value, context)
        if not is_query_name(name):
            self.note(depth, context.domain, f"'{exp.text}': {name!r} cannot be looked up; ignored")
            return None
        (reply,) = yield from self.ask(Question(name, "TXT"))
        if reply.status != "ok" or len(reply.values) != 1:
            self.note(depth, context.domain, f"'{exp.text}': TXT {name} gave {reply.status} with "
                      f"{len(reply.values)} record(s); ignored", (reply,))
            return None
        try:
            text = parse_explanation(reply.values[0])
        except ParseError as exc:
            self.note(depth, context.domain, f"'{exp.text}': explanation has a syntax error ({exc}); ignored",
                      (reply,))
            return None
        if "p" in text.letters:
            context = replace(context, validated_name=(yield from self.validated_name(context.domain)))
        explanation = expand(text, context)
        self.note(depth, context.domain, f"'{exp.text}': explanation {explanation!r}", (reply,))
        return explanation


def _in_network(ip: IpAddress, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    return ip.version == network.version and ip in network


def _any_address_matches(ip: IpAddress, addresses: tuple[str, ...], prefix: int) -> bool:
    for text in addresses:
        try:
            network = ipaddress.ip_network(f"{text}/{prefix}", strict=False)
        except ValueError:
            continue
        if _in_network(ip, network):
            return True
    return False
