"""The BIMI assertion record, pure: TXT text in, :class:`BimiRecord` or ParseError (with position) out.

The record is a tag-list with DKIM's syntax (RFC 6376 §3.2, which the BIMI draft reuses):
``tag = value`` pairs separated by ``;``, whitespace allowed around both, a trailing ``;``
allowed, a tag named twice makes the whole list invalid. BIMI's tags
(draft-brand-indicators-for-message-identification, "Assertion Record Definition"):

* ``v=BIMI1``  required, and the first tag;
* ``l=``       the logo's location: one HTTPS URI, or empty to decline to publish a logo;
* ``a=``       the authority evidence (a mark certificate, PEM) location: one HTTPS URI, or empty;
* ``avp=``     avatar preference, ``brand`` or ``personal`` (later drafts); other tags are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...core.errors import ParseError

VERSION = "BIMI1"
KNOWN_TAGS = ("v", "l", "a", "avp")
MAX_RECORD = 2048  # characters parsed; a record is a line or two, a longer one is hostile
MAX_LOGO_URIS = 2

_WSP = " \t\r\n"


@dataclass(frozen=True)
class Tag:
    name: str
    value: str
    position: int  # where the tag name starts in the record


@dataclass(frozen=True)
class BimiRecord:
    """A parsed assertion record.

    logo: the l= URIs ('' split away; empty: declined); authority: the a= URI or "".
    problems: what is wrong but does not stop a receiver from reading the record, each
    ``(code, detail)``: a non-HTTPS l=/a=, a URI that is not absolute, unknown tags.
    """

    text: str
    tags: tuple[Tag, ...]
    logo: tuple[str, ...]
    authority: str
    avatar: str
    unknown: tuple[str, ...]
    problems: tuple[tuple[str, str], ...] = ()

    @property
    def declined(self) -> bool:
        """``l=`` empty and no authority: the domain declines to publish a logo (the draft's declination record)."""
        return not self.logo and not self.authority

    def value(self, name: str) -> str | None:
        return next((t.value for t in self.tags if t.name == name), None)


def is_bimi_record(text: str) -> bool:
    """Does this TXT record claim to be a BIMI record (``v=BIMI1`` first)? Others are discarded."""
    head = text.lstrip(_WSP)
    if head[:1] != "v":
        return False
    rest = head[1:].lstrip(_WSP)
    if not rest.startswith("="):
        return False
    value = rest[1:].lstrip(_WSP)
    return value[:len(VERSION)] == VERSION and value[len(VERSION):].lstrip(_WSP)[:1] in ("", ";")


def parse_tag_list(text: str) -> tuple[Tag, ...]:
    """RFC 6376 §3.2 tag-list; ParseError at the offending position."""
    if len(text) > MAX_RECORD:
        raise ParseError(f"record longer than {MAX_RECORD} characters", text[:80], MAX_RECORD)
    tags: list[Tag] = []
    seen: set[str] = set()
    position = 0
    for chunk in text.split(";"):
        start = position
        position += len(chunk) + 1
        if not chunk.strip(_WSP):
            if start + len(chunk) >= len(text):  # a trailing ";" (and whitespace) is allowed
                break
            raise ParseError("empty tag between two ';'", text, start)
        name, eq, value = chunk.partition("=")
        offset = start + len(name) - len(name.lstrip(_WSP))
        name = name.strip(_WSP)
        if not eq:
            raise ParseError(f"tag {name[:20]!r} has no '='", text, offset)
        if not name or not name[0].isascii() or not name[0].isalpha() or \
                not all(c.isascii() and (c.isalnum() or c == "_") for c in name):
            raise ParseError(f"invalid tag name {name[:20]!r}", text, offset)
        value = value.strip(_WSP)
        if any(not (c.isprintable() or c in _WSP) for c in value):
            raise ParseError(f"tag {name!r} has a control character in its value", text, offset)
        if name in seen:  # RFC 6376 §3.2: the entire tag-list is invalid
            raise ParseError(f"tag {name!r} appears twice", text, offset)
        seen.add(name)
        tags.append(Tag(name, value, offset))
    return tuple(tags)


def parse_record(text: str) -> BimiRecord:
    """Parse an assertion record; ParseError if a receiver would discard it."""
    tags = parse_tag_list(text)
    if not tags or tags[0].name != "v":
        raise ParseError("the first tag must be v=BIMI1", text, tags[0].position if tags else 0)
    if tags[0].value != VERSION:
        raise ParseError(f"v={tags[0].value[:20]} is not v={VERSION}", text, tags[0].position)
    by_name = {t.name: t for t in tags}
    if "l" not in by_name:
        raise ParseError("no l= tag (the logo location; empty to decline)", text, len(text))
    problems: list[tuple[str, str]] = []
    logo = tuple(u.strip(_WSP) for u in by_name["l"].value.split(",") if u.strip(_WSP))
    if len(logo) > MAX_LOGO_URIS:
        problems.append(("too-many-logos", f"{len(logo)} URIs in l="))
        logo = logo[:MAX_LOGO_URIS]
    for uri in logo:
        problems.extend(_uri_problems("l", uri))
    authority = by_name["a"].value if "a" in by_name else ""
    if authority:
        problems.extend(_uri_problems("a", authority))
    avatar = by_name["avp"].value.lower() if "avp" in by_name else ""
    if avatar and avatar not in ("brand", "personal"):
        problems.append(("bad-avp", f"avp={avatar[:20]}"))
    unknown = tuple(t.name for t in tags if t.name not in KNOWN_TAGS)
    return BimiRecord(text, tags, logo, authority, avatar, unknown, tuple(problems))


def _uri_problems(tag: str, uri: str) -> list[tuple[str, str]]:
    """l= and a= take HTTPS URIs only (the draft's only transport)."""
    scheme, sep, rest = uri.partition("://")
    if not sep or not rest or rest[:1] == "/" or " " in uri:
        return [("not-a-uri", f"{tag}={uri[:100]}")]
    if scheme.lower() != "https":
        return [("not-https", f"{tag}={uri[:100]}")]
    return []


__all__ = ["KNOWN_TAGS", "VERSION", "BimiRecord", "Tag", "is_bimi_record", "parse_record", "parse_tag_list"]
