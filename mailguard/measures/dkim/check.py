"""The thin async driver around :mod:`.verify`: fetch the keys a message needs, then judge.

Keys are fetched through ``net.dns`` (so they are cached per scan and kept as evidence), all at
once. The clock is ``net.now()``, so tests can move time past an ``x=``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ...core.errors import InputError, ParseError
from ...core.files import open_regular
from ...core.mime import MAX_MESSAGE_BYTES, Message, address_domains, parse_message
from ...core.model import Evidence
from ...net import Net
from .orgdomain import aligned
from .verify import PASS, KeyLookup, Verification, key_names, plan, verify


@dataclass(frozen=True)
class MessageReport:
    """Everything verified about one message.

    source: where it came from (a file name). from_domains: the domains of the From field's
    addresses; from_problem: why alignment cannot be judged ("" when it can: one From field
    with one address). skipped: DKIM-Signature fields beyond the limit, not verified.
    """

    source: str
    from_domains: tuple[str, ...]
    from_problem: str
    verifications: tuple[Verification, ...]
    newlines_converted: bool = False
    skipped: int = 0

    @property
    def from_domain(self) -> str | None:
        return self.from_domains[0] if not self.from_problem else None

    @property
    def passed(self) -> tuple[Verification, ...]:
        return tuple(v for v in self.verifications if v.result == PASS)

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return tuple(v.key_evidence for v in self.verifications if v.key_evidence is not None)


def author(message: Message) -> tuple[tuple[str, ...], str]:
    """The From domains, and why DMARC alignment cannot use them ("" when it can)."""
    fields = message.get_all("From")
    if not fields:
        return (), "the message has no From field"
    if len(fields) > 1:  # RFC 5322 §3.6: exactly one From; RFC 7489 §6.6.1
        return (), f"the message has {len(fields)} From fields"
    domains = address_domains(fields[0].unfolded())
    if len(domains) != 1:
        return domains, f"the From field has {len(domains)} addresses with a domain"
    return domains, ""


async def verify_message(net: Net, message: Message, source: str) -> MessageReport:
    """Verify every DKIM-Signature of ``message``: keys fetched concurrently through net.dns."""
    planned, skipped = plan(message)
    names = key_names(planned)
    answers = await net.dns.query_many([(name, "TXT") for name in names])
    lookups = {name: KeyLookup.from_answer(answer) for name, answer in zip(names, answers, strict=True)}
    now = int(net.now().timestamp())
    domains, problem = author(message)
    results = []
    for item in planned:
        lookup = lookups.get(item.signature.key_name) if item.signature is not None else None
        result = verify(message, item, lookup, now)
        if not problem and result.domain:
            strict, relaxed = aligned(result.domain, domains[0])
            result = replace(result, aligned_strict=strict, aligned_relaxed=relaxed)
        results.append(result)
    return MessageReport(source, domains, problem, tuple(results), message.newlines_converted, skipped)


def read_message_bytes(path: Path) -> bytes:
    """A message file's bytes (at most MAX_MESSAGE_BYTES + 1), or InputError (exit code 2)."""
    with open_regular(path, "message") as handle:
        return handle.read(MAX_MESSAGE_BYTES + 1)


def read_message(path: Path) -> Message:
    """Read and parse a message file, or raise InputError (exit code 2 at the command line)."""
    return parse_file_bytes(path, read_message_bytes(path))


def parse_file_bytes(path: Path, data: bytes) -> Message:
    try:
        return parse_message(data)
    except ParseError as exc:
        raise InputError(f"{path} is not a mail message: {exc}") from None


__all__ = ["MessageReport", "author", "parse_file_bytes", "read_message", "read_message_bytes",
           "verify_message"]
