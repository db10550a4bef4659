"""Macro expansion (RFC 7208 §7): pure, from a parsed macro-string and a :class:`MacroContext`.

The ``p`` macro needs DNS (the validated name of the client IP, §5.5); the evaluator looks it up
and puts it in the context before expanding, so that nothing here touches the network.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from urllib.parse import quote

from .grammar import Literal, Macro, MacroString

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_DOMAIN_LENGTH = 253  # §7.3: the length a domain name query may have, without the root dot


@dataclass(frozen=True)
class MacroContext:
    """The values macros expand to (§7.2).

    sender (s), local_part (l), sender_domain (o): the identity being checked; they stay the same
    through include and redirect. domain (d): the domain whose record is evaluated now.
    ip (i, c, v): the SMTP client. helo (h). receiver (r) and timestamp (t): exp text only.
    validated_name (p): the client's validated host name (§5.5), or "unknown".
    """

    sender: str
    local_part: str
    sender_domain: str
    domain: str
    ip: IpAddress
    helo: str = "unknown"
    receiver: str = "unknown"
    timestamp: int = 0
    validated_name: str = "unknown"

    def at(self, domain: str) -> MacroContext:
        """The context for evaluating ``domain``'s record (include, redirect: §5.2, §6.1)."""
        return replace(self, domain=domain)


def dotted_ip(ip: IpAddress) -> str:
    """%{i} (§7.3): dotted quad for IPv4, dot-separated nibbles for IPv6."""
    if isinstance(ip, ipaddress.IPv4Address):
        return str(ip)
    return ".".join(ip.exploded.replace(":", ""))


def macro_value(letter: str, context: MacroContext) -> str:
    """The raw value of one macro letter, before transformers (§7.2, §7.3)."""
    ip = context.ip
    values = {
        "s": context.sender,
        "l": context.local_part,
        "o": context.sender_domain,
        "d": context.domain,
        "i": dotted_ip(ip),
        "p": context.validated_name,
        "v": "in-addr" if ip.version == 4 else "ip6",
        "h": context.helo,
        "c": str(ip),  # §7.3: readable form; IPv6 in RFC 5952 compressed form
        "r": context.receiver,
        "t": str(context.timestamp),
    }
    return values[letter]


def expand_macro(macro: Macro, context: MacroContext) -> str:
    """Split on the delimiters, reverse, keep the right-hand parts, join with dots (§7.3)."""
    value = macro_value(macro.letter, context)
    delimiters = macro.delimiters or "."
    parts = _split(value, delimiters)
    if macro.reverse:
        parts.reverse()
    if macro.digits is not None and macro.digits < len(parts):
        parts = parts[len(parts) - macro.digits:]
    text = ".".join(parts)
    # §7.3: upper-case macros are URL-escaped; everything outside RFC 3986 "unreserved" is.
    return quote(text, safe="") if macro.escape else text


def _split(value: str, delimiters: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    for char in value:
        if char in delimiters:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def expand(spec: MacroString, context: MacroContext) -> str:
    """Expand a macro-string (or explain-string) to text (§7.3)."""
    out = []
    for part in spec.parts:
        out.append(part.text if isinstance(part, Literal) else expand_macro(part, context))
    return "".join(out)


def expand_domain(spec: MacroString, context: MacroContext) -> str:
    """Expand a domain-spec to the name to query (§7.3, §4.8).

    A trailing dot is dropped (the name is absolute either way). Over 253 characters, whole
    labels are removed from the left until it fits.
    """
    name = expand(spec, context)
    if name.endswith("."):
        name = name[:-1]
    return truncate_domain(name)


def truncate_domain(name: str) -> str:
    while len(name) > MAX_DOMAIN_LENGTH and "." in name:
        name = name.split(".", 1)[1]
    return name if len(name) <= MAX_DOMAIN_LENGTH else ""


def uses_sender_data(spec: MacroString) -> bool:
    """True if the expansion depends on who sends (anything but the domains d and o)."""
    return bool(spec.letters - {"d", "o"})
