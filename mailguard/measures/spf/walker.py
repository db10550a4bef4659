"""The include/redirect tree of a domain's SPF record, walked as a state machine for the measure.

Unlike check_host(), which stops at the first matching mechanism, the walk looks at every
record a receiver could be sent to: the worst case, mail from an address no term authorises
(a spoofer's). It fetches the records breadth first, one batch of questions per level, and asks
the lookups of a level's ``a``, ``mx`` and ``exists`` terms in the same batch as the next
level's records, so the walk takes about one round trip per level of the tree.

It counts what RFC 7208 §4.6.4 limits, over the whole tree: the DNS-querying terms (include,
a, mx, ptr, exists, and redirect when no ``all`` makes it ignored), void lookups (NXDOMAIN or
empty answers; counted separately for IPv4 and IPv6 senders, since ``a`` asks A for one and
AAAA for the other), and MX names per ``mx``. It records loops, includes of names without an
SPF record, every record fetched and every DNS observation.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace

from ...core.errors import ParseError
from ...core.model import Evidence
from .grammar import MacroString, Mechanism, Modifier, SpfRecord, Term, parse_record, select_records
from .lookups import Machine, Question, Reply, is_query_name
from .macros import MacroContext, expand_domain, uses_sender_data

MAX_RECORDS = 40  # records fetched in one walk; bounds a hostile fan-out (10 lookups is the real limit)
MAX_QUERIED_TERMS = 40  # a, mx and exists terms looked up in one walk, for the same reason
MAX_MX_NAMES = 10  # §4.6.4

# Term statuses in a walk.
OK, VOID, VOID_IPV4, VOID_IPV6 = "ok", "void", "void-ipv4", "void-ipv6"
FAILED, DYNAMIC, LOOP, NO_SPF = "failed", "dynamic", "loop", "no-spf"
MX_OVER_LIMIT, INVALID, IGNORED, NOT_FOLLOWED, NOT_QUERIED = (
    "mx-over-limit", "invalid-name", "ignored", "not-followed", "not-queried")


@dataclass(frozen=True)
class TermReport:
    """One term of a fetched record, as the walk saw it.

    kind: the mechanism or modifier name; lookups: 1 if it counts against the 10 (§4.6.4).
    target: the name it points at, after expanding d/o macros (None: none, or it depends on the
    sender). status: ``ok``, ``void`` (``void-ipv4``/``void-ipv6`` for an ``a`` with only one
    address family), ``failed`` (not tested), ``dynamic``, ``loop``, ``no-spf``,
    ``mx-over-limit``, ``invalid-name``, ``ignored`` (a redirect beside ``all``),
    ``not-followed`` (the walk's bound), ``not-queried`` (ptr: needs the client address).
    """

    text: str
    kind: str
    lookups: int
    status: str = OK
    target: str | None = None
    detail: str = ""
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class RecordReport:
    """One name visited: what its TXT lookup found and, for a usable record, its terms.

    via: ``""`` for the domain itself, else ``include`` or ``redirect``; parent: who pointed here.
    status: ``ok``, ``none`` (no SPF record), ``nxdomain``, ``multiple``, ``syntax``, ``failed``.
    dns_status: the TXT lookup's status (``nodata`` and ``nxdomain`` make a void lookup).
    records: the SPF records at the name; error/position: the syntax error, if any.
    """

    domain: str
    via: str
    parent: str | None
    depth: int
    status: str
    dns_status: str = ""
    records: tuple[str, ...] = ()
    record: SpfRecord | None = None
    error: str = ""
    position: int | None = None
    terms: tuple[TermReport, ...] = ()
    evidence: Evidence | None = None

    @property
    def text(self) -> str | None:
        return self.records[0] if len(self.records) == 1 else None


@dataclass(frozen=True)
class Walk:
    """The whole tree: records in pre-order (the domain's own first) and the counts over it."""

    domain: str
    records: tuple[RecordReport, ...]
    lookups: int
    void_ipv4: int
    void_ipv6: int
    loops: tuple[str, ...]
    truncated: bool
    evidence: tuple[Evidence, ...]

    @property
    def root(self) -> RecordReport:
        return self.records[0]

    @property
    def void_lookups(self) -> int:
        return max(self.void_ipv4, self.void_ipv6)

    def effective_all(self) -> tuple[Mechanism | None, str | None]:
        """The ``all`` that ends evaluation, following redirects (§6.1), and where it is."""
        node: RecordReport | None = self.root
        seen: set[str] = set()
        while node is not None and node.record is not None and node.domain not in seen:
            seen.add(node.domain)
            if node.record.all is not None:
                return node.record.all, node.domain
            if node.record.effective_redirect is None:
                return None, node.domain
            node = next((r for r in self.records if r.parent == node.domain and r.via == "redirect"), None)
        return None, None

    def terms(self) -> list[tuple[RecordReport, TermReport]]:
        return [(r, t) for r in self.records for t in r.terms]


# -- the walk (mutable while it runs) ----------------------------------------------------------

@dataclass
class _Node:
    domain: str
    via: str
    parent: str | None  # the domain that pointed here: a name, not the node (no reference cycle)
    path: tuple[str, ...]
    report: RecordReport | None = None
    terms: list[_Term] = field(default_factory=list)


@dataclass
class _Term:
    text: str
    kind: str
    lookups: int
    status: str = OK
    target: str | None = None
    detail: str = ""
    questions: tuple[Question, ...] = ()
    replies: tuple[Reply, ...] = ()
    child: _Node | None = None

    def freeze(self) -> TermReport:
        evidence = tuple(r.evidence for r in self.replies if r.evidence is not None)
        return TermReport(self.text, self.kind, self.lookups, self.status, self.target, self.detail, evidence)


def walk(domain: str) -> Machine[Walk]:
    """Walk ``domain``'s SPF tree; yields batches of questions, returns the :class:`Walk`."""
    return _Walker(domain).run()


class _Walker:
    def __init__(self, domain: str) -> None:
        self.domain = domain
        self.root = _Node(domain, "", None, (domain.lower(),))
        self.fetched = 1
        self.queried = 0
        self.void4 = self.void6 = 0
        self.loops: list[str] = []
        self.truncated = False
        self.evidence: list[Evidence] = []

    def run(self) -> Machine[Walk]:
        nodes: list[_Node] = [self.root]
        pending: list[_Term] = []
        while nodes or pending:
            questions = tuple(dict.fromkeys(
                [Question(n.domain, "TXT") for n in nodes] + [q for t in pending for q in t.questions]))
            replies = yield questions
            self.evidence.extend(r.evidence for r in replies if r.evidence is not None)
            answers = dict(zip(questions, replies, strict=True))
            for term in pending:
                term.replies = tuple(answers[q] for q in term.questions)
                self.judge(term)
            children: list[_Node] = []
            pending = []
            for node in nodes:
                new_terms, new_children = self.read(node, answers[Question(node.domain, "TXT")])
                pending += new_terms
                children += new_children
            nodes = children
        records = tuple(self.flatten(self.root, 0))
        lookups = sum(t.lookups for r in records for t in r.terms)
        return Walk(self.domain, records, lookups, self.void4, self.void6, tuple(self.loops),
                    self.truncated, tuple(self.evidence))

    # -- one fetched record --------------------------------------------------------------------
    def read(self, node: _Node, reply: Reply) -> tuple[list[_Term], list[_Node]]:
        base = RecordReport(node.domain, node.via, node.parent,
                            len(node.path) - 1, FAILED, reply.status, evidence=reply.evidence)
        node.report = base
        if reply.failed:
            return [], []
        records = select_records(reply.values)
        if not records:
            node.report = replace(base, status="nxdomain" if reply.status == "nxdomain" else "none")
            return [], []
        if len(records) > 1:
            node.report = replace(base, status="multiple", records=records)
            return [], []
        try:
            record = parse_record(records[0])
        except ParseError as exc:
            node.report = replace(base, status="syntax", records=records, error=exc.message,
                                  position=exc.position)
            return [], []
        node.report = replace(base, status=OK, records=records, record=record)
        queried: list[_Term] = []
        children: list[_Node] = []
        for item in record.terms:
            term = self.term(node, record, item)
            node.terms.append(term)
            if term.questions:
                queried.append(term)
            if term.child is not None:
                children.append(term.child)
        return queried, children

    def term(self, node: _Node, record: SpfRecord, item: Term) -> _Term:
        if isinstance(item, Modifier):
            return self.modifier(node, record, item)
        if not item.queries_dns:  # all, ip4, ip6
            return _Term(item.text, item.name, 0)
        term = _Term(item.text, item.name, 1)
        if item.name == "ptr":  # §5.5: needs the client's address; deprecated anyway
            term.status, term.detail = NOT_QUERIED, "depends on the client address"
            return term
        target = self.target(item.domain_spec, node)
        if target is None:
            term.status, term.detail = DYNAMIC, "depends on the sender (macros)"
            return term
        term.target = target
        if not is_query_name(target):
            term.status, term.detail = INVALID, f"{target!r} is not a name that can be looked up"
            return term
        if item.name == "include":
            self.follow(node, term, target, "include")
            return term
        if self.queried >= MAX_QUERIED_TERMS:
            term.status, term.detail = NOT_FOLLOWED, f"not looked up: more than {MAX_QUERIED_TERMS} lookups"
            self.truncated = True
            return term
        self.queried += 1
        if item.name == "a":
            term.questions = (Question(target, "A"), Question(target, "AAAA"))
        elif item.name == "mx":
            term.questions = (Question(target, "MX"),)
        else:  # exists: always an A query (§5.7)
            term.questions = (Question(target, "A"),)
        return term

    def modifier(self, node: _Node, record: SpfRecord, item: Modifier) -> _Term:
        if item.name != "redirect":
            return _Term(item.text, item.name, 0)
        if record.effective_redirect is None:  # §6.1: ignored beside "all"
            return _Term(item.text, item.name, 0, IGNORED, detail="ignored: the record has 'all'")
        term = _Term(item.text, item.name, 1)
        target = self.target(item.value, node)
        if target is None:
            term.status, term.detail = DYNAMIC, "depends on the sender (macros)"
        elif not is_query_name(target):
            term.status, term.target = INVALID, target
            term.detail = f"{target!r} is not a name that can be looked up"
        else:
            term.target = target
            self.follow(node, term, target, "redirect")
        return term

    def target(self, spec: MacroString | None, node: _Node) -> str | None:
        """The name a term points at; None when it depends on who sends (§7)."""
        if spec is None:
            return node.domain
        if uses_sender_data(spec):
            return None
        # Only d (this record's domain) and o (the sender's domain: for mail from the scanned
        # domain, the domain itself) occur, so the client address is never used.
        context = MacroContext(sender=f"postmaster@{self.domain}", local_part="postmaster",
                               sender_domain=self.domain, domain=node.domain,
                               ip=ipaddress.IPv4Address(0))
        return expand_domain(spec, context)

    def follow(self, node: _Node, term: _Term, target: str, via: str) -> None:
        lower = target.lower()
        if lower in node.path:
            term.status = LOOP
            chain = " -> ".join(node.path + (lower,))
            term.detail = f"loop: {chain}"
            self.loops.append(chain)
            return
        if self.fetched >= MAX_RECORDS:
            term.status, term.detail = NOT_FOLLOWED, f"not followed: more than {MAX_RECORDS} records"
            self.truncated = True
            return
        self.fetched += 1
        term.child = _Node(target, via, node.domain, node.path + (lower,))

    # -- results of a term's own lookups -------------------------------------------------------
    def judge(self, term: _Term) -> None:
        replies = term.replies
        if term.kind == "a":
            a, aaaa = replies
            if a.failed or aaaa.failed:
                term.status, term.detail = FAILED, f"lookup failed ({a.status}/{aaaa.status})"
                return
            addresses = a.values + aaaa.values
            self.void(term, four=a.void, six=aaaa.void)
            if term.status == OK:
                term.detail = f"{len(addresses)} address(es)"
            return
        (reply,) = replies
        if reply.failed:
            term.status, term.detail = FAILED, f"lookup failed ({reply.status})"
            return
        self.void(term, four=reply.void, six=reply.void)
        if term.kind == "mx" and len(reply.values) > MAX_MX_NAMES:
            term.status = MX_OVER_LIMIT
            term.detail = f"{len(reply.values)} MX names; more than {MAX_MX_NAMES} is permerror"
        elif term.kind == "mx" and term.status == OK:
            term.detail = f"{len(reply.values)} MX name(s): {', '.join(reply.values)}"

    def void(self, term: _Term, *, four: bool, six: bool) -> None:
        self.void4 += four
        self.void6 += six
        if four and six:
            term.status = VOID
            term.detail = f"void lookup: {term.target} has no {'records' if term.kind != 'a' else 'address'}"
        elif four:
            term.status, term.detail = VOID_IPV4, f"void for IPv4 senders: {term.target} has no A record"
        elif six:
            term.status, term.detail = VOID_IPV6, f"void for IPv6 senders: {term.target} has no AAAA record"

    # -- the result ----------------------------------------------------------------------------
    def flatten(self, node: _Node, depth: int) -> list[RecordReport]:
        """Pre-order; an include/redirect term's status reflects what its target held."""
        assert node.report is not None
        out: list[RecordReport] = []
        terms = []
        children: list[RecordReport] = []
        for term in node.terms:
            if term.child is not None and term.child.report is not None:
                self.child_status(term, term.child.report)
                children += self.flatten(term.child, depth + 1)
            terms.append(term.freeze())
        out.append(replace(node.report, terms=tuple(terms)))
        return out + children

    def child_status(self, term: _Term, child: RecordReport) -> None:
        if term.replies:  # already judged (flatten runs once per node)
            return
        term.replies = (Reply(child.domain, "TXT", child.dns_status, child.records, child.evidence),)
        if child.status == FAILED:
            term.status, term.detail = FAILED, f"the TXT lookup of {child.domain} failed"
        elif child.status in ("none", "nxdomain"):
            # §5.2, §6.1: a target without an SPF record makes the whole evaluation permerror.
            void = child.dns_status in ("nodata", "nxdomain")
            self.void4 += void
            self.void6 += void
            term.status = NO_SPF
            term.detail = (f"{child.domain} does not exist" if child.status == "nxdomain"
                           else f"{child.domain} has no SPF record")
        elif child.status == "multiple":
            term.detail = f"{child.domain} has {len(child.records)} SPF records (permerror)"
        elif child.status == "syntax":
            term.detail = f"the record of {child.domain} has a syntax error (permerror)"


