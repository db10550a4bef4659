"""Where a domain's DMARC policy comes from: both ways receivers find it. Pure; no DNS here.

* DMARCbis (RFC 9989 §4.10): the DNS Tree Walk. Ask ``_dmarc.<domain>``, then walk up the labels
  (at most eight queries: a name of eight or more labels jumps to its last seven), stopping at a
  record with ``psd=y`` or ``psd=n``. The Organizational Domain is chosen from the records found
  (§4.10.2), and the policy is the domain's own record, else its Organizational Domain's, else its
  Public Suffix Domain's (§4.10.1). :class:`TreeWalk` is the state machine; a thin async loop in
  the measure feeds it answers.
* RFC 7489 §6.6.3: the record at the domain, else at its Organizational Domain from the Public
  Suffix List. Two lookups: :func:`rfc7489_discover` decides from their answers.

Both give a :class:`Discovery`; :func:`receiver_view` then says which p/sp/np a receiver applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from .record import DmarcRecord, is_dmarc_record, parse_lenient

MAX_WALK_QUERIES = 8  # RFC 9989 §4.10
ANSWERED = frozenset({"ok", "nodata", "nxdomain"})  # as mailguard.net.dns reports statuses


@dataclass(frozen=True)
class TxtLookup:
    """The TXT answer at ``_dmarc.<name>``, as the pure code sees it.

    name: the domain (without ``_dmarc.``); status: ok / nodata / nxdomain, or the failure
    (servfail, timeout, ...); texts: every TXT record, strings joined.
    """

    name: str
    status: str
    texts: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.status not in ANSWERED

    @property
    def records(self) -> tuple[str, ...]:
        """The DMARC records: TXT records starting with ``v=DMARC1``; others are discarded."""
        return tuple(t for t in self.texts if is_dmarc_record(t))


@dataclass(frozen=True)
class Found:
    """A name with exactly one DMARC record (more than one: all discarded)."""

    name: str
    text: str
    psd: str  # y / n / u, from the record


@dataclass(frozen=True)
class Discovery:
    """The outcome of one discovery method for one domain.

    method: ``dmarcbis`` or ``rfc7489``. lookups: the names consulted, in order.
    policy: the record that applies, or None. source: ``domain`` (its own record),
    ``organizational`` (inherited from the Organizational Domain), ``psd`` (from a Public Suffix
    Domain's psd=y record) or "" when none applies. org_domain/org_reason: the Organizational
    Domain and why. multiple: names whose several DMARC records were all discarded.
    """

    method: str
    domain: str
    lookups: tuple[TxtLookup, ...]
    policy: Found | None
    source: str
    org_domain: str
    org_reason: str
    found: tuple[Found, ...] = ()

    @property
    def failed(self) -> tuple[TxtLookup, ...]:
        return tuple(lookup for lookup in self.lookups if lookup.failed)

    @property
    def multiple(self) -> tuple[str, ...]:
        return tuple(lookup.name for lookup in self.lookups if len(lookup.records) > 1)

    @property
    def policy_domain(self) -> str | None:
        return self.policy.name if self.policy is not None else None


def _labels(name: str) -> list[str]:
    return name.lower().rstrip(".").split(".")


def walk_targets(domain: str) -> tuple[str, ...]:
    """The names a full DNS Tree Walk asks about, in order (RFC 9989 §4.10 steps 3-7)."""
    labels = _labels(domain)
    targets = [".".join(labels)]
    # Step 4: fewer than eight labels lose one; eight or more jump to their last seven.
    rest = labels[1:] if len(labels) < MAX_WALK_QUERIES else labels[-(MAX_WALK_QUERIES - 1):]
    while rest:
        targets.append(".".join(rest))
        rest = rest[1:]
    return tuple(targets)


def record_psd(text: str) -> str:
    """The psd= value of a DMARC record (``u`` when absent or invalid)."""
    return parse_lenient(text).psd


class TreeWalk:
    """RFC 9989 §4.10 as a state machine: ask :meth:`next_target`, :meth:`feed` its answer."""

    def __init__(self, domain: str) -> None:
        self.domain = ".".join(_labels(domain))
        self.targets = walk_targets(domain)
        self._lookups: list[TxtLookup] = []
        self._found: list[Found] = []
        self._stopped = False

    def next_target(self) -> str | None:
        """The next name whose ``_dmarc`` TXT record is needed, or None when the walk is over."""
        if self._stopped or len(self._lookups) >= len(self.targets):
            return None
        return self.targets[len(self._lookups)]

    def feed(self, lookup: TxtLookup) -> None:
        expected = self.next_target()
        if lookup.name != expected:
            raise ValueError(f"the walk needs {expected!r} next, not {lookup.name!r}")
        self._lookups.append(lookup)
        records = lookup.records
        if len(records) != 1:  # none, or several: all discarded (steps 2 and 6)
            return
        found = Found(lookup.name, records[0], record_psd(records[0]))
        self._found.append(found)
        if found.psd in ("y", "n"):
            self._stopped = True

    def result(self) -> Discovery:
        found = tuple(self._found)
        org, reason = select_org_domain(self.domain, found)
        policy, source = select_policy(self.domain, org, found)
        return Discovery("dmarcbis", self.domain, tuple(self._lookups), policy, source, org, reason, found)


def select_org_domain(domain: str, found: tuple[Found, ...]) -> tuple[str, str]:
    """The Organizational Domain from a walk's records, longest name first (RFC 9989 §4.10.2)."""
    for item in found:
        if item.psd == "n":
            return item.name, "psd=n"
        if item.psd == "y" and item.name != domain:
            below = _labels(domain)[-(len(_labels(item.name)) + 1):]
            return ".".join(below), f"one label below the public suffix domain {item.name} (psd=y)"
    if found:
        return min(found, key=lambda f: len(_labels(f.name))).name, "the record with the fewest labels"
    return domain, "no DMARC record found: the domain itself"


def select_policy(domain: str, org: str, found: tuple[Found, ...]) -> tuple[Found | None, str]:
    """The domain's own record, else its Organizational Domain's, else its PSD's (§4.10.1)."""
    by_name = {f.name: f for f in found}
    if domain in by_name:
        return by_name[domain], "domain"
    if org in by_name:
        return by_name[org], "organizational"
    for item in found:
        if item.psd == "y":
            return item, "psd"
    return None, ""


def rfc7489_discover(domain: str, org_domain: str, at_domain: TxtLookup,
                     at_org: TxtLookup | None) -> Discovery:
    """RFC 7489 §6.6.3 steps 1-5: the domain's record, else (only if none) the org domain's."""
    lookups = [at_domain]

    def outcome(policy: Found | None, source: str) -> Discovery:
        return Discovery("rfc7489", domain, tuple(lookups), policy, source, org_domain,
                         "the Public Suffix List")

    records = at_domain.records
    if len(records) == 1:
        return outcome(Found(domain, records[0], "u"), "domain")
    if records or at_domain.failed or org_domain == domain or at_org is None:
        return outcome(None, "")  # several records end discovery: no fallback to the org domain
    lookups.append(at_org)
    if len(at_org.records) == 1:
        return outcome(Found(org_domain, at_org.records[0], "u"), "organizational")
    return outcome(None, "")


@dataclass(frozen=True)
class ReceiverView:
    """The p/sp/np a receiver applies after its fallbacks; None means no DMARC processing at all.

    fallback: "" (as published), ``invalid-none`` (an invalid p/sp/np with a valid rua: p=none),
    ``invalid-ignored`` (invalid or missing policy and no valid rua: the record is not applied),
    ``missing-none`` (no p=: DMARCbis reads it as p=none).
    """

    p: str | None
    sp: str | None
    np: str | None
    fallback: str = ""

    def for_domain(self, source: str, exists: bool | None) -> tuple[str | None, str]:
        """The policy for the scanned domain and the tag it comes from (``p``, ``sp``, ``np``)."""
        if source == "domain":
            return self.p, "p"
        if exists is False:
            return self.np, "np"
        return self.sp, "sp"


def receiver_view(record: DmarcRecord, *, dmarcbis: bool = True) -> ReceiverView:
    """Which policy a receiver applies (RFC 9989 §4.10.1; RFC 7489 §6.6.3 step 6).

    An invalid p, sp or np makes the receiver act as if ``p=none`` was published when the record
    has a valid rua=, and apply no DMARC otherwise. A missing p is p=none for DMARCbis (§4.7) but
    the same invalid-record rule for RFC 7489, which requires p. RFC 7489 knows no np.
    """
    policy_tags = ("p", "sp", "np") if dmarcbis else ("p", "sp")
    invalid = any(record.has("invalid-value", tag) for tag in policy_tags)
    missing = record.has("p-missing")
    if invalid or (missing and not dmarcbis):
        if record.valid_rua:
            return ReceiverView("none", "none", "none", "invalid-none")
        return ReceiverView(None, None, None, "invalid-ignored")
    p = record.p or "none"
    sp = record.sp or p
    np = (record.np if dmarcbis else None) or sp
    return ReceiverView(p, sp, np, "missing-none" if missing else "")


def downgrade_for_testing(policy: str | None) -> str | None:
    """What t=y makes receivers apply: one level below (RFC 9989 §4.7)."""
    return {"reject": "quarantine", "quarantine": "none"}.get(policy or "", policy)
