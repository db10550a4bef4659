"""The DMARC policy record: a pure parser (RFC 7489 §6.3-6.4, DMARCbis = RFC 9989 §4.7-4.8).

Text in, :class:`DmarcRecord` out, or :class:`~mailguard.core.errors.ParseError` with a position.
No resolver, socket or clock here.

Two layers, as receivers need them:

* the generic tag-list grammar (``v=DMARC1`` first, ``tag = value`` separated by ``;``, white
  space around ``=`` and ``;``). A record that breaks it is a syntax error: :func:`parse_record`
  raises at the first one; :func:`parse_lenient` skips the broken tag and records it, because
  DMARCbis §4.8 tells receivers to discard syntax errors "in favor of default values", and the
  report should say what such a receiver applies;
* each known tag's value rule (``p=rejected`` is a well-formed tag with an invalid value). These
  never raise: they become :class:`Problem` entries with the value's position, and the tag falls
  back to its default, as the RFCs require.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from ...core.errors import ParseError
from ...core.names import is_valid_dns_name

# --- grammar (RFC 7489 §6.4, DMARCbis §4.8), in one place ------------------------------------
WSP = " \t"  # RFC 5234 WSP: SP / HTAB
# dmarc-version = "v" equals %s"DMARC1": the tag name "v" is an ABNF quoted string, so
# case-insensitive (RFC 5234 §2.3, RFC 7489 §6.4); only the value DMARC1 is case-sensitive (%s).
VERSION = re.compile(r"[vV][ \t]*=[ \t]*DMARC1(?=[ \t]*(?:;|$))")
TAG_NAME = re.compile(r"[A-Za-z]+")  # dmarc-tag = 1*ALPHA equals 1*dmarc-value
# dmarc-value = %x20-3A / %x3C-7E: printable ASCII but ";" (a ";" always ends the value).
VALUE_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) - {";"}
URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")  # RFC 3986 §3.1
# RFC 7489 §6.4: dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]; obsolete in DMARCbis.
URI_SIZE = re.compile(r"!([0-9]+)([kmgtKMGT]?)$")

POLICIES = ("none", "quarantine", "reject")  # dmarc-request
POLICY_STRENGTH = {"none": 0, "quarantine": 1, "reject": 2}
ALIGNMENTS = ("r", "s")  # dmarc-rors
FO_OPTIONS = ("0", "1", "d", "s")
PSD_VALUES = ("y", "n", "u")
YORN = ("y", "n")
MAX_RI = 2**32 - 1  # RFC 7489: ri is a 32-bit unsigned integer

# Tags each standard defines. DMARCbis removed pct, rf and ri; np came from RFC 9091.
RFC7489_TAGS = frozenset({"v", "p", "sp", "adkim", "aspf", "fo", "pct", "rf", "ri", "rua", "ruf"})
DMARCBIS_TAGS = frozenset({"v", "p", "sp", "np", "adkim", "aspf", "fo", "psd", "rua", "ruf", "t"})
REMOVED_TAGS = RFC7489_TAGS - DMARCBIS_TAGS  # {"pct", "rf", "ri"}
KNOWN_TAGS = RFC7489_TAGS | DMARCBIS_TAGS


@dataclass(frozen=True)
class Tag:
    """One ``name=value`` pair; positions are offsets into the record text.

    name: lower case. Tag names are ABNF quoted strings, case-insensitive (RFC 5234 §2.3), so
    ``P=reject`` is ``p=reject``; ``written`` keeps the name as the record spells it.
    """

    name: str
    value: str
    position: int
    value_position: int
    written: str = ""


@dataclass(frozen=True)
class Problem:
    """Something wrong in a record that does not stop it from being a DMARC record.

    kind: ``syntax`` (a broken tag, skipped), ``unknown-tag``, ``removed-tag``, ``duplicate-tag``
    (``P=`` after ``p=`` too: tag names are case-insensitive), ``invalid-value``, ``p-missing``,
    ``p-not-second``, ``fo-without-ruf``.
    """

    kind: str
    tag: str
    value: str
    position: int
    detail: str = ""


@dataclass(frozen=True)
class ReportUri:
    """One rua/ruf destination (RFC 7489 §6.2, DMARCbis §4.6).

    uri: without the obsolete ``!size`` suffix; size: that suffix (``10m``) or "".
    host: where reports go: the domain of a mailto: address, the host of an https: URI.
    supported: mailto: is the one scheme every receiver must support.
    """

    text: str
    position: int
    uri: str = ""
    scheme: str = ""
    address: str = ""
    host: str = ""
    size: str = ""
    valid: bool = False
    supported: bool = False
    error: str = ""


@dataclass(frozen=True)
class DmarcRecord:
    """A parsed DMARC record. Policy fields hold valid values only; None means absent or invalid.

    Defaults are applied as the RFCs say: adkim/aspf ``r``, psd ``u``, fo ``0``; sp/np stay None
    when absent (their fallbacks depend on where the record is used: see ``subdomain_policy``).
    """

    text: str
    tags: tuple[Tag, ...]
    problems: tuple[Problem, ...] = ()
    p: str | None = None
    sp: str | None = None
    np: str | None = None
    adkim: str = "r"
    aspf: str = "r"
    fo: tuple[str, ...] = ("0",)
    pct: int | None = None
    rf: tuple[str, ...] = ()
    ri: int | None = None
    psd: str = "u"
    testing: bool = False
    rua: tuple[ReportUri, ...] = ()
    ruf: tuple[ReportUri, ...] = ()
    values: dict[str, str] = field(default_factory=dict, compare=False)

    def has(self, kind: str, tag: str | None = None) -> bool:
        return any(p.kind == kind and (tag is None or p.tag == tag) for p in self.problems)

    @property
    def subdomain_policy(self) -> str | None:
        """Policy for existing subdomains: sp, else p (RFC 7489 §6.3)."""
        return self.sp or self.p

    @property
    def nonexistent_policy(self) -> str | None:
        """Policy for non-existent subdomains: np, else sp, else p (DMARCbis §4.7, RFC 9091)."""
        return self.np or self.sp or self.p

    @property
    def valid_rua(self) -> tuple[ReportUri, ...]:
        return tuple(u for u in self.rua if u.valid)


def is_dmarc_record(text: str) -> bool:
    """Whether a TXT record is a DMARC record at all: it starts with ``v=DMARC1`` (RFC 7489 §6.6.3)."""
    return VERSION.match(text) is not None


def looks_like_dmarc(text: str) -> bool:
    """A TXT record someone meant as DMARC that receivers will ignore (``p=reject; v=DMARC1``)."""
    lowered = text.lower()
    return not is_dmarc_record(text) and ("dmarc1" in lowered or lowered.lstrip().startswith("v=dmarc"))


# --- the tag-list layer ----------------------------------------------------------------------
def parse_record(text: str) -> DmarcRecord:
    """Parse strictly: the first syntax error raises ParseError with its position."""
    record = parse_lenient(text)
    for problem in record.problems:
        if problem.kind == "syntax":
            raise ParseError(problem.detail, text, problem.position)
    return record


def parse_lenient(text: str) -> DmarcRecord:
    """Parse as a forgiving receiver does: broken tags are skipped and listed as ``syntax`` problems.

    Still raises ParseError when the text is not a DMARC record (no ``v=DMARC1`` at the start),
    since then there is nothing a receiver would apply.
    """
    version = VERSION.match(text)
    if version is None:
        message, position = _why_not_dmarc(text)
        raise ParseError(message, text, position)
    tags: list[Tag] = [Tag("v", "DMARC1", 0, version.end() - 6, text[0])]
    problems: list[Problem] = []
    segments = _segments(text, version.end())
    for start, end in segments:
        tag = _parse_tag(text, start, end, problems, last=end == len(text))
        if tag is not None:
            tags.append(tag)
    return _build(text, tags, problems)


def _why_not_dmarc(text: str) -> tuple[str, int]:
    """Why a TXT record is not a DMARC record, and where, for a report."""
    stripped = text.lstrip(WSP)
    if stripped != text and VERSION.match(stripped):
        return "white space before v=DMARC1: the record must start with it", 0
    near = re.match(r"[vV][ \t]*=[ \t]*DMARC1", text)
    if near is not None:
        return "expected ';' after v=DMARC1", near.end()
    if re.match(r"v[ \t]*=[ \t]*dmarc1", text, re.IGNORECASE):
        return "the version must be written exactly v=DMARC1 (case-sensitive)", 0
    found = re.search(r"v[ \t]*=[ \t]*dmarc1", text, re.IGNORECASE)
    if found is not None:
        return "v=DMARC1 must be the first tag of the record", found.start()
    return "not a DMARC record: it does not start with v=DMARC1", 0


def _skip_wsp(text: str, position: int) -> int:
    while position < len(text) and text[position] in WSP:
        position += 1
    return position


def _segments(text: str, after_version: int) -> list[tuple[int, int]]:
    """(start, end) of each ``;``-separated part after the version; values cannot hold ``;``."""
    out: list[tuple[int, int]] = []
    first = text.find(";", after_version)
    if first < 0:
        return out
    start = first + 1
    while start <= len(text):
        end = text.find(";", start)
        end = len(text) if end < 0 else end
        out.append((start, end))
        start = end + 1
    return out


def _parse_tag(text: str, start: int, end: int, problems: list[Problem], *, last: bool) -> Tag | None:
    """One ``*WSP tag *WSP "=" *WSP value *WSP`` segment, or None (a syntax problem is recorded)."""
    position = _skip_wsp(text, start)
    if position >= end:
        if not last:  # a trailing ";" (with white space) is allowed; an empty tag between two is not
            problems.append(Problem("syntax", "", "", position, "empty tag between two ';'"))
        return None
    name = TAG_NAME.match(text, position, end)
    if name is None:
        problems.append(Problem("syntax", "", text[position:end], position,
                                "expected a tag name (letters only)"))
        return None
    after = _skip_wsp(text, name.end())
    if after >= end or text[after] != "=":
        problems.append(Problem("syntax", name.group(), "", after,
                                "expected '=' after the tag name"))
        return None
    value_start = _skip_wsp(text, after + 1)
    value_end = end
    while value_end > value_start and text[value_end - 1] in WSP:
        value_end -= 1  # the *WSP of the separator that follows
    value = text[value_start:value_end]
    if not value:
        problems.append(Problem("syntax", name.group(), "", value_start,
                                "the tag has an empty value"))
        return None
    for offset, char in enumerate(value):
        if char not in VALUE_CHARS:
            problems.append(Problem("syntax", name.group(), value, value_start + offset,
                                    "character not allowed in a tag value (printable ASCII only)"))
            return None
    return Tag(name.group().lower(), value, position, value_start, name.group())


# --- the value layer ---------------------------------------------------------------------------
def _build(text: str, tags: list[Tag], problems: list[Problem]) -> DmarcRecord:
    seen: dict[str, Tag] = {}
    for tag in tags:
        if tag.name in seen:
            problems.append(Problem("duplicate-tag", tag.name, tag.value, tag.position,
                                    f"first given at position {seen[tag.name].position}"))
            continue
        seen[tag.name] = tag
        if tag.name not in KNOWN_TAGS:
            problems.append(Problem("unknown-tag", tag.written or tag.name, tag.value, tag.position))
        elif tag.name in REMOVED_TAGS:
            problems.append(Problem("removed-tag", tag.name, tag.value, tag.position))
    fields: dict[str, Any] = {}
    for tag in seen.values():
        _value(tag, fields, problems)
    if "p" not in seen:
        problems.append(Problem("p-missing", "p", "", len(text)))
    elif len(tags) > 1 and tags[1].name != "p":
        # RFC 7489 §6.3: "v" and "p" MUST be present and MUST appear in that order; DMARCbis dropped it.
        problems.append(Problem("p-not-second", "p", seen["p"].value, seen["p"].position))
    if "fo" in seen and "ruf" not in seen:
        problems.append(Problem("fo-without-ruf", "fo", seen["fo"].value, seen["fo"].position))
    ordered = tuple(sorted(problems, key=lambda p: p.position))
    return DmarcRecord(text=text, tags=tuple(tags), problems=ordered,
                       values={name: tag.value for name, tag in seen.items()},
                       **fields)


def _invalid(tag: Tag, problems: list[Problem], detail: str) -> None:
    problems.append(Problem("invalid-value", tag.name, tag.value, tag.value_position, detail))


def _value(tag: Tag, fields: dict[str, Any], problems: list[Problem]) -> None:
    """Check one known tag's value against its rule; store it in ``fields`` if valid."""
    name, value = tag.name, tag.value
    lowered = value.lower()  # ABNF quoted strings are case-insensitive (RFC 5234 §2.3)
    if name in ("p", "sp", "np"):
        if lowered in POLICIES:
            fields[name] = lowered
        else:
            _invalid(tag, problems, "expected none, quarantine or reject")
    elif name in ("adkim", "aspf"):
        if lowered in ALIGNMENTS:
            fields[name] = lowered
        else:
            _invalid(tag, problems, "expected r (relaxed) or s (strict)")
    elif name == "fo":
        _fo(tag, fields, problems)
    elif name == "pct":
        if value.isdigit() and len(value) <= 3 and int(value) <= 100:
            fields["pct"] = int(value)
        else:
            _invalid(tag, problems, "expected a whole number from 0 to 100")
    elif name == "rf":
        formats = tuple(part.lower() for part in value.split(":"))
        if all(part == "afrf" for part in formats):
            fields["rf"] = formats
        else:
            _invalid(tag, problems, "the only report format defined is afrf")
    elif name == "ri":
        if value.isdigit() and len(value) <= 10 and int(value) <= MAX_RI:
            fields["ri"] = int(value)
        else:
            _invalid(tag, problems, "expected a number of seconds (32-bit)")
    elif name == "psd":
        if lowered in PSD_VALUES:
            fields["psd"] = lowered
        else:
            _invalid(tag, problems, "expected y, n or u")
    elif name == "t":
        if lowered in YORN:
            fields["testing"] = lowered == "y"
        else:
            _invalid(tag, problems, "expected y or n")
    elif name in ("rua", "ruf"):
        uris = parse_uri_list(value, tag.value_position)
        fields[name] = uris
        for uri in uris:
            if not uri.valid:
                problems.append(Problem("invalid-value", name, uri.text, uri.position, uri.error))


def _fo(tag: Tag, fields: dict[str, Any], problems: list[Problem]) -> None:
    options = tuple(part.lower() for part in tag.value.split(":"))
    unknown = [o for o in options if o not in FO_OPTIONS]
    if unknown:
        _invalid(tag, problems, "options are 0, 1, d and s, separated by ':'")
    elif "0" in options and "1" in options:
        _invalid(tag, problems, "0 and 1 are mutually exclusive (DMARCbis §4.8)")
    elif len(set(options)) != len(options):
        _invalid(tag, problems, "an option is repeated")
    else:
        fields["fo"] = options


# --- report URIs -------------------------------------------------------------------------------
def parse_uri_list(value: str, position: int = 0) -> tuple[ReportUri, ...]:
    """A dmarc-urilist: URIs separated by ``,`` with optional white space (DMARCbis §4.8)."""
    out: list[ReportUri] = []
    start = 0
    for part in value.split(","):
        leading = len(part) - len(part.lstrip(WSP))
        out.append(parse_uri(part.strip(WSP), position + start + leading))
        start += len(part) + 1
    return tuple(out)


def parse_uri(text: str, position: int = 0) -> ReportUri:
    """One report URI: ``mailto:addr[?hfields][!size]`` or ``https://host/path[!size]``."""
    if not text:
        return ReportUri(text, position, error="empty URI in the list")
    size = ""
    uri = text
    sized = URI_SIZE.search(text)
    if sized is not None:
        size, uri = sized.group(1) + sized.group(2).lower(), text[:sized.start()]
    if any(c in WSP or not c.isprintable() or not c.isascii() for c in uri):
        return ReportUri(text, position, uri=uri, size=size,
                         error="white space or a non-ASCII character in a URI")
    scheme = URI_SCHEME.match(uri)
    if scheme is None:
        return ReportUri(text, position, uri=uri, size=size,
                         error="not a URI: a scheme such as mailto: is missing")
    name = scheme.group()[:-1].lower()
    rest = uri[scheme.end():]
    if name == "mailto":
        return _mailto(text, position, uri, rest, size)
    if name in ("https", "http"):
        return _web(text, position, uri, name, size)
    return ReportUri(text, position, uri=uri, scheme=name, size=size, valid=True, supported=False)


def _mailto(text: str, position: int, uri: str, rest: str, size: str) -> ReportUri:
    address = urllib.parse.unquote(rest.split("?", 1)[0])
    local, at, domain = address.rpartition("@")
    domain = domain.lower().rstrip(".")
    error = ""
    if not at or not local:
        error = "a mailto: URI needs an address local-part@domain"
    elif "@" in local and not local.startswith('"'):
        error = "more than one '@' in the address"
    elif "." not in domain or not is_valid_dns_name(domain):
        error = "the address has no valid mail domain"
    return ReportUri(text, position, uri=uri, scheme="mailto", address=address,
                     host=domain if not error else "", size=size, valid=not error, supported=not error,
                     error=error)


def _web(text: str, position: int, uri: str, scheme: str, size: str) -> ReportUri:
    try:
        host = (urllib.parse.urlsplit(uri).hostname or "").rstrip(".")
    except ValueError:
        host = ""
    if not uri[len(scheme) + 1:].startswith("//") or not host or not is_valid_dns_name(host):
        return ReportUri(text, position, uri=uri, scheme=scheme, size=size,
                         error="a web URI needs //host")
    return ReportUri(text, position, uri=uri, scheme=scheme, host=host, size=size, valid=True,
                     supported=False)


def policy_stronger(a: str | None, b: str | None) -> bool:
    """Whether policy ``a`` asks more of receivers than policy ``b`` (reject > quarantine > none)."""
    return POLICY_STRENGTH.get(a or "none", 0) > POLICY_STRENGTH.get(b or "none", 0)
