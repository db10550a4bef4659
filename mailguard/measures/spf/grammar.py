"""The SPF record grammar of RFC 7208, in one place, and a pure parser for it.

Text in, frozen :class:`SpfRecord` out, or :class:`~mailguard.core.errors.ParseError` with the
position (0-based, in the record text) of the first thing that does not follow the grammar.
Nothing here touches the network or the clock.

The ABNF, with the section each piece comes from (RFC 7208; quoted strings are
case-insensitive, RFC 5234 §2.3)::

    record           = version terms *SP                               ; §4.6.1
    version          = "v=spf1"                                        ; §4.5: then SP or end
    terms            = *( 1*SP ( directive / modifier ) )              ; §4.6.1
    directive        = [ qualifier ] mechanism                         ; §4.6.2
    qualifier        = "+" / "-" / "?" / "~"                           ; §4.6.2
    mechanism        = ( all / include / a / mx / ptr / ip4 / ip6 / exists )   ; §5
    all              = "all"                                           ; §5.1
    include          = "include"  ":" domain-spec                      ; §5.2
    a                = "a"      [ ":" domain-spec ] [ dual-cidr-length ]   ; §5.3
    mx               = "mx"     [ ":" domain-spec ] [ dual-cidr-length ]   ; §5.4
    ptr              = "ptr"    [ ":" domain-spec ]                    ; §5.5
    ip4              = "ip4"      ":" ip4-network   [ ip4-cidr-length ]    ; §5.6
    ip6              = "ip6"      ":" ip6-network   [ ip6-cidr-length ]    ; §5.6
    exists           = "exists"   ":" domain-spec                      ; §5.7
    modifier         = redirect / explanation / unknown-modifier       ; §6, §4.6.1
    redirect         = "redirect" "=" domain-spec                      ; §6.1
    explanation      = "exp" "=" domain-spec                           ; §6.2
    unknown-modifier = name "=" macro-string                           ; §4.6.1
    name             = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )      ; §4.6.1
    ip4-cidr-length  = "/" ("0" / %x31-39 0*1DIGIT)   ; value 0-32     ; §5.6
    ip6-cidr-length  = "/" ("0" / %x31-39 0*2DIGIT)   ; value 0-128    ; §5.6
    dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]     ; §5.6
    ip4-network      = qnum "." qnum "." qnum "." qnum                 ; §5.6
    qnum             = DIGIT / %x31-39 DIGIT / "1" 2DIGIT
                       / "2" %x30-34 DIGIT / "25" %x30-35              ; 0-255, no leading zero
    ip6-network      = <RFC 4291 §2.2>                                 ; §5.6
    domain-spec      = macro-string domain-end                         ; §7.1
    domain-end       = ( "." toplabel [ "." ] ) / macro-expand         ; §7.1
    toplabel         = ( *alphanum ALPHA *alphanum ) /
                       ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) ; §7.1 (RFC 3696 §2)
    explain-string   = *( macro-string / SP )                          ; §7.1, for exp= text
    macro-string     = *( macro-expand / macro-literal )               ; §7.1
    macro-expand     = ( "%{" macro-letter transformers *delimiter "}" )
                       / "%%" / "%_" / "%-"                            ; §7.1
    macro-literal    = %x21-24 / %x26-7E      ; visible characters except "%"
    macro-letter     = "s" / "l" / "o" / "d" / "i" / "p" / "h" /
                       "c" / "r" / "t" / "v"                           ; §7.2 (c r t: exp text only)
    transformers     = *DIGIT [ "r" ]                                  ; §7.3: DIGIT nonzero
    delimiter        = "." / "-" / "+" / "," / "/" / "_" / "="         ; §7.1

Semantic rules the parser also enforces, because RFC 7208 makes them permerror before any
evaluation (§4.6: "if there are any syntax errors anywhere in the record, check_host() returns
immediately with the result permerror"): an unknown mechanism (§5), ``redirect`` or ``exp`` more
than once (§6), macro letters c, r, t outside explanation text (§7.2), a zero DIGIT transformer
(§7.3), CIDR lengths out of range (§5.6).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Final

from ...core.errors import ParseError

# -- vocabulary --------------------------------------------------------------------------------

VERSION: Final = "v=spf1"  # §4.5
QUALIFIER_RESULTS: Final = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}  # §4.6.2
MECHANISMS: Final = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")  # §5
DNS_MECHANISMS: Final = frozenset({"include", "a", "mx", "ptr", "exists"})  # §4.6.4
KNOWN_MODIFIERS: Final = frozenset({"redirect", "exp"})  # §6
MACRO_LETTERS: Final = frozenset("slodiphcrtv")  # §7.2
EXPLAIN_ONLY_LETTERS: Final = frozenset("crt")  # §7.2
DELIMITERS: Final = ".-+,/_="  # §7.1
MAX_DIGITS_TRANSFORMER: Final = 10_000  # any value over 127 already means "all parts" (§7.3)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_QNUM = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])"
_IP4_NETWORK = re.compile(rf"{_QNUM}\.{_QNUM}\.{_QNUM}\.{_QNUM}\Z")  # §5.6
_IP6_CHARS = re.compile(r"[0-9A-Fa-f:.]+\Z")  # RFC 4291 §2.2 text forms, no zone index
_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9_.\-]*)=(.*)\Z", re.DOTALL)  # §4.6.1 name "="
_DUAL_CIDR = re.compile(r"(?:/([0-9]+))?(?://([0-9]+))?\Z")  # §5.6 dual-cidr-length at the end
_TOPLABEL = re.compile(  # §7.1
    r"(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])\Z")
_MACRO_BODY = re.compile(r"([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)\Z")  # §7.1 inside %{...}


# -- the parsed record -------------------------------------------------------------------------

@dataclass(frozen=True)
class Literal:
    """Literal text of a macro-string. ``source`` is ``%%``, ``%_`` or ``%-`` for the escapes."""

    text: str
    source: str

    @property
    def is_escape(self) -> bool:
        return self.source.startswith("%")


@dataclass(frozen=True)
class Macro:
    """One ``%{...}`` macro (§7.1-§7.3).

    letter: the lower-case macro letter; escape: it was upper-case, so the value is URL-escaped.
    digits: keep this many right-hand parts (None: all); reverse: the ``r`` transformer.
    delimiters: the characters to split on (empty: ``.``).
    """

    letter: str
    digits: int | None
    reverse: bool
    delimiters: str
    escape: bool
    source: str


MacroPart = Literal | Macro


@dataclass(frozen=True)
class MacroString:
    """A macro-string (§7.1) as written and as parts."""

    source: str
    parts: tuple[MacroPart, ...]

    @property
    def letters(self) -> frozenset[str]:
        return frozenset(p.letter for p in self.parts if isinstance(p, Macro))

    @property
    def has_macros(self) -> bool:
        return any(isinstance(p, Macro) for p in self.parts)

    def __str__(self) -> str:
        return self.source


@dataclass(frozen=True)
class Mechanism:
    """A directive: qualifier and mechanism (§4.6.2, §5).

    domain_spec: the ``:domain-spec`` argument of include/a/mx/ptr/exists, if given.
    network: the ip4/ip6 network (host bits allowed, as the RFC does not forbid them).
    cidr4, cidr6: the a/mx dual-cidr lengths as written (None: the default /32 and /128).
    text: the term as written; position: where it starts in the record.
    """

    qualifier: str
    name: str
    domain_spec: MacroString | None = None
    network: Network | None = None
    cidr4: int | None = None
    cidr6: int | None = None
    text: str = ""
    position: int = 0

    @property
    def result(self) -> str:
        """The check_host() result when this mechanism matches (§4.6.2)."""
        return QUALIFIER_RESULTS[self.qualifier]

    @property
    def queries_dns(self) -> bool:
        """Counts against the 10-lookup limit (§4.6.4)."""
        return self.name in DNS_MECHANISMS


@dataclass(frozen=True)
class Modifier:
    """A modifier (§6): ``redirect``, ``exp`` or an unknown one (kept, never evaluated)."""

    name: str
    value: MacroString
    text: str = ""
    position: int = 0


Term = Mechanism | Modifier


@dataclass(frozen=True)
class SpfRecord:
    """One parsed SPF record: its text and its terms in order."""

    text: str
    terms: tuple[Term, ...]

    @property
    def mechanisms(self) -> tuple[Mechanism, ...]:
        return tuple(t for t in self.terms if isinstance(t, Mechanism))

    @property
    def modifiers(self) -> tuple[Modifier, ...]:
        return tuple(t for t in self.terms if isinstance(t, Modifier))

    def modifier(self, name: str) -> Modifier | None:
        return next((m for m in self.modifiers if m.name == name), None)

    @property
    def redirect(self) -> Modifier | None:
        return self.modifier("redirect")

    @property
    def exp(self) -> Modifier | None:
        return self.modifier("exp")

    @property
    def all(self) -> Mechanism | None:
        """The first ``all``: mechanisms after it are never evaluated (§5.1)."""
        return next((m for m in self.mechanisms if m.name == "all"), None)

    @property
    def effective_redirect(self) -> Modifier | None:
        """``redirect``, unless an ``all`` mechanism makes it ignored (§6.1)."""
        return None if self.all is not None else self.redirect

    @property
    def unknown_modifiers(self) -> tuple[Modifier, ...]:
        return tuple(m for m in self.modifiers if m.name not in KNOWN_MODIFIERS)

    @property
    def dns_terms(self) -> tuple[Term, ...]:
        """Terms that cost one of the 10 DNS lookups if evaluated (§4.6.4)."""
        redirect = self.effective_redirect
        terms: list[Term] = [m for m in self.mechanisms if m.queries_dns]
        return tuple(terms + ([redirect] if redirect is not None else []))


# -- record selection (§4.5) -------------------------------------------------------------------

def is_spf_record(text: str) -> bool:
    """§4.5: the record begins with exactly ``v=spf1`` (any case), then a space or its end."""
    return text[:6].lower() == VERSION and (len(text) == 6 or text[6] == " ")


def select_records(texts: Iterable[str]) -> tuple[str, ...]:
    """The SPF records among a name's TXT records (each already joined, §3.3)."""
    return tuple(t for t in texts if is_spf_record(t))


# -- the parser --------------------------------------------------------------------------------

def parse_record(text: str) -> SpfRecord:
    """Parse a whole SPF record, or raise ParseError at the first violation of the grammar."""
    if not is_spf_record(text):
        raise ParseError("not an SPF record: it must begin with 'v=spf1' followed by a space or "
                         "the end (RFC 7208 §4.5)", text, 0)
    for index, char in enumerate(text):
        if char != " " and not "\x21" <= char <= "\x7e":
            raise ParseError(f"character {char!r} is not allowed: terms are printable ASCII "
                             "separated by spaces (RFC 7208 §4.6.1, §7.1)", text, index)
    terms: list[Term] = []
    seen: dict[str, int] = {}
    for start, term in _split_terms(text, len(VERSION)):
        parsed = _parse_term(text, term, start)
        if isinstance(parsed, Modifier) and parsed.name in KNOWN_MODIFIERS:
            if parsed.name in seen:
                raise ParseError(f"'{parsed.name}' appears more than once (RFC 7208 §6)", text, start)
            seen[parsed.name] = start
        terms.append(parsed)
    return SpfRecord(text, tuple(terms))


def _split_terms(text: str, offset: int) -> Iterable[tuple[int, str]]:
    """(position, term) for each run of non-space characters after the version."""
    for match in re.finditer(r"[^ ]+", text[offset:]):
        yield offset + match.start(), match.group()


def _parse_term(record: str, term: str, start: int) -> Term:
    modifier = _MODIFIER.match(term)
    if modifier is not None:
        return _parse_modifier(record, term, start, modifier.group(1).lower(), modifier.group(2))
    qualifier = term[0] if term[0] in QUALIFIER_RESULTS else ""
    body_at = start + len(qualifier)
    body = term[len(qualifier):]
    cut = min((i for i in (body.find(":"), body.find("/")) if i >= 0), default=len(body))
    name, rest = body[:cut].lower(), body[cut:]
    if name not in MECHANISMS:
        hint = " (did you mean '=' for a modifier?)" if name in KNOWN_MODIFIERS else ""
        what = f"unknown mechanism {body[:cut]!r}" if name else "missing mechanism name"
        raise ParseError(f"{what}{hint} (RFC 7208 §5)", record, start)
    return _parse_mechanism(record, term, start, qualifier or "+", name, rest, body_at + cut)


def _parse_modifier(record: str, term: str, start: int, name: str, value: str) -> Modifier:
    value_at = start + term.index("=") + 1
    if name in KNOWN_MODIFIERS:  # §6.1, §6.2: the value is a domain-spec, never empty
        spec = _domain_spec(record, value, value_at, what=f"{name}=")
    else:  # §4.6.1: any macro-string, all letters allowed (it is never expanded)
        spec = _macro_string(record, value, value_at, letters=MACRO_LETTERS)
    return Modifier(name, spec, term, start)


def _parse_mechanism(record: str, term: str, start: int, qualifier: str, name: str, rest: str,
                     rest_at: int) -> Mechanism:
    bare = Mechanism(qualifier, name, text=term, position=start)
    if name == "all":  # §5.1
        if rest:
            raise ParseError("'all' takes no argument (RFC 7208 §5.1)", record, rest_at)
        return bare
    if name in ("include", "exists"):  # §5.2, §5.7: ":" domain-spec is required
        if not rest.startswith(":"):
            raise ParseError(f"'{name}' needs ':domain' (RFC 7208 §5)", record, rest_at)
        return replace(bare, domain_spec=_domain_spec(record, rest[1:], rest_at + 1, what=f"{name}:"))
    if name == "ptr":  # §5.5: optional domain-spec, no CIDR
        return replace(bare, domain_spec=_optional_spec(record, rest, rest_at, name))
    if name in ("a", "mx"):  # §5.3, §5.4: optional domain-spec, optional dual-cidr
        cidr = _DUAL_CIDR.search(rest)
        assert cidr is not None  # the pattern matches the empty string at the end
        four, six = cidr.group(1), cidr.group(2)
        return replace(
            bare, domain_spec=_optional_spec(record, rest[:cidr.start()], rest_at, name),
            cidr4=_cidr(record, four, 32, rest_at + cidr.start(1)) if four is not None else None,
            cidr6=_cidr(record, six, 128, rest_at + cidr.start(2)) if six is not None else None)
    return replace(bare, network=_network(record, name, rest, rest_at))


def _optional_spec(record: str, rest: str, at: int, name: str) -> MacroString | None:
    if not rest:
        return None
    if not rest.startswith(":"):
        raise ParseError(f"unexpected {rest!r} after '{name}' (RFC 7208 §5)", record, at)
    return _domain_spec(record, rest[1:], at + 1, what=f"{name}:")


def _cidr(record: str, digits: str, limit: int, at: int) -> int:
    """§5.6: "/0" or a number without leading zeros, at most 32 (ip4) or 128 (ip6)."""
    if (len(digits) > 1 and digits[0] == "0") or len(digits) > 3 or int(digits) > limit:
        raise ParseError(f"CIDR length /{digits} is invalid: expected 0-{limit} without leading "
                         "zeros (RFC 7208 §5.6)", record, at)
    return int(digits)


def _network(record: str, name: str, rest: str, at: int) -> Network:
    """ip4 / ip6 (§5.6): ':' address, optional '/' length."""
    if not rest.startswith(":") or len(rest) == 1:
        raise ParseError(f"'{name}' needs ':address' (RFC 7208 §5.6)", record, at)
    address, slash, length = rest[1:].partition("/")
    limit = 32 if name == "ip4" else 128
    prefix = limit
    if slash:
        if not re.fullmatch(r"[0-9]+", length):
            raise ParseError(f"{rest[1:]!r} is not ADDRESS/LENGTH (RFC 7208 §5.6)", record, at + 1)
        prefix = _cidr(record, length, limit, at + 2 + len(address))
    if name == "ip4" and not _IP4_NETWORK.match(address):
        raise ParseError(f"{address!r} is not a dotted-quad IPv4 address (RFC 7208 §5.6)", record, at + 1)
    if name == "ip6":
        try:
            if not _IP6_CHARS.match(address):
                raise ValueError(address)
            ipaddress.IPv6Address(address)
        except ValueError:
            raise ParseError(f"{address!r} is not an IPv6 address (RFC 7208 §5.6, RFC 4291 §2.2)",
                             record, at + 1) from None
    return ipaddress.ip_network(f"{address}/{prefix}", strict=False)


def _domain_spec(record: str, text: str, at: int, *, what: str,
                 letters: frozenset[str] = MACRO_LETTERS - EXPLAIN_ONLY_LETTERS) -> MacroString:
    """domain-spec = macro-string domain-end (§7.1)."""
    if not text:
        raise ParseError(f"'{what}' needs a domain (RFC 7208 §7.1: domain-spec cannot be empty)",
                         record, at)
    spec = _macro_string(record, text, at, letters=letters)
    last = spec.parts[-1]
    if isinstance(last, Macro) or (isinstance(last, Literal) and last.is_escape):
        return spec  # domain-end = macro-expand
    bare = text[:-1] if text.endswith(".") else text
    dot = bare.rfind(".")
    if dot < 0 or not _TOPLABEL.match(bare[dot + 1:]):
        raise ParseError(f"{text!r} does not end in '.' and a valid top-level label or in a macro "
                         "(RFC 7208 §7.1 domain-end)", record, at + dot + 1)
    return spec


def _macro_string(record: str, text: str, at: int, *, letters: frozenset[str],
                  spaces: bool = False) -> MacroString:
    """macro-string (§7.1); with ``spaces`` an explain-string (SP allowed between pieces)."""
    parts: list[MacroPart] = []
    plain: list[str] = []
    i = 0

    def flush() -> None:
        if plain:
            joined = "".join(plain)
            parts.append(Literal(joined, joined))
            plain.clear()

    while i < len(text):
        char = text[i]
        if char != "%":
            if not ("\x21" <= char <= "\x7e" or (spaces and char == " ")):
                raise ParseError(f"character {char!r} is not allowed here (RFC 7208 §7.1)", record, at + i)
            plain.append(char)
            i += 1
            continue
        flush()
        following = text[i + 1:i + 2]
        if following in ("%", "_", "-"):  # §7.1 escapes
            parts.append(Literal({"%": "%", "_": " ", "-": "%20"}[following], "%" + following))
            i += 2
        elif following == "{":
            end = text.find("}", i + 2)
            if end < 0:
                raise ParseError("macro '%{' is not closed by '}' (RFC 7208 §7.1)", record, at + i)
            parts.append(_macro(record, text[i:end + 1], at + i, letters))
            i = end + 1
        else:
            raise ParseError("'%' must be followed by '{', '%', '_' or '-' (RFC 7208 §7.1)", record, at + i)
    flush()
    return MacroString(text, tuple(parts))


def _macro(record: str, source: str, at: int, letters: frozenset[str]) -> Macro:
    body = _MACRO_BODY.match(source[2:-1])
    if body is None:
        raise ParseError(f"bad macro {source!r}: expected %{{letter digits r delimiters}} "
                         "(RFC 7208 §7.1)", record, at)
    letter, digits, reverse, delimiters = body.groups()
    lower = letter.lower()
    if lower not in MACRO_LETTERS:
        raise ParseError(f"unknown macro letter {letter!r} (RFC 7208 §7.2)", record, at + 2)
    if lower not in letters:
        raise ParseError(f"macro letter {letter!r} is only allowed in explanation text "
                         "(RFC 7208 §7.2)", record, at + 2)
    count: int | None = None
    if digits:
        significant = digits.lstrip("0")
        if not significant:
            raise ParseError("the DIGIT transformer must be nonzero (RFC 7208 §7.3)", record, at + 3)
        count = MAX_DIGITS_TRANSFORMER if len(significant) > 5 else int(significant)
    return Macro(lower, count, bool(reverse), delimiters, letter.isupper(), source)


def parse_macro_string(text: str) -> MacroString:
    """A macro-string as an unknown modifier's value (§4.6.1): every macro letter allowed."""
    return _macro_string(text, text, 0, letters=MACRO_LETTERS)


def parse_domain_spec(text: str) -> MacroString:
    """A domain-spec as in a mechanism or redirect/exp (§7.1): c, r and t are not allowed."""
    return _domain_spec(text, text, 0, what="domain-spec")


def parse_explanation(text: str) -> MacroString:
    """The explanation TXT text an ``exp=`` points at (§6.2): an explain-string, all letters."""
    return _macro_string(text, text, 0, letters=MACRO_LETTERS, spaces=True)
