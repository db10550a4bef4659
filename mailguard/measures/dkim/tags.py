"""The DKIM tag=value list (RFC 6376 §3.2), shared by key records and DKIM-Signature fields.

    tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
    tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
    tag-name  =  ALPHA *ALNUMPUNC
    tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]     ; no white space at either end
    tval      =  1*VALCHAR
    VALCHAR   =  %x21-3A / %x3C-7E                    ; printable ASCII except ";"
    ALNUMPUNC =  ALPHA / DIGIT / "_"

Tag names are case-sensitive; a name that occurs twice makes the whole list invalid. The parser
keeps the span of every value in the text, because verifying a signature means deleting the
value of its ``b=`` tag from the field exactly as it was written (§3.5, §3.7).

One leniency: an empty tag-spec (``;;`` or ``; ;``) is skipped instead of rejected, as deployed
verifiers do; the grammar does not allow it, but it changes no tag's meaning.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ...core.errors import ParseError

_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ALNUMPUNC = _ALPHA | frozenset("0123456789_")
_FWS = frozenset(" \t\r\n")  # folding white space: WSP and the CRLF of a folded line


def _valchar(ch: str) -> bool:
    return "\x21" <= ch <= "\x7e" and ch != ";"


@dataclass(frozen=True)
class Tag:
    """One tag: its name, its value (ends trimmed), and where they stand in the text.

    start: index of the name; value_start/value_end: the value as written (trimmed);
    raw_end: index of the ``;`` that ends the spec, or the text's length.
    """

    name: str
    value: str
    start: int
    value_start: int
    value_end: int
    raw_end: int


@dataclass(frozen=True)
class TagList(Mapping[str, str]):
    """The tags of one list in order; a read-only mapping from name to value."""

    tags: tuple[Tag, ...]
    text: str

    def __getitem__(self, name: str) -> str:
        for tag in self.tags:
            if tag.name == name:
                return tag.value
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return (t.name for t in self.tags)

    def __len__(self) -> int:
        return len(self.tags)

    def tag(self, name: str) -> Tag | None:
        return next((t for t in self.tags if t.name == name), None)


def parse_tag_list(text: str) -> TagList:
    """Parse ``text`` as a tag-list, or raise ParseError with the offending position."""
    tags: list[Tag] = []
    seen: set[str] = set()
    pos, end = 0, len(text)
    while True:
        pos = _skip(text, pos, _FWS)
        if pos >= end:
            break
        if text[pos] == ";":  # an empty tag-spec: tolerated (see the module docstring)
            pos += 1
            continue
        tag, pos = _tag_spec(text, pos)
        if tag.name in seen:
            raise ParseError(f"tag {tag.name}= appears twice (RFC 6376 §3.2)", text, tag.start)
        seen.add(tag.name)
        tags.append(tag)
        if pos < end:  # _tag_spec stops only at ";" or the end
            pos += 1
    if not tags:
        raise ParseError("no tags: the list is empty", text, 0)
    return TagList(tuple(tags), text)


def _skip(text: str, pos: int, chars: frozenset[str]) -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


def _tag_spec(text: str, pos: int) -> tuple[Tag, int]:
    start = pos
    if text[pos] not in _ALPHA:
        raise ParseError(f"expected a tag name, found {text[pos]!r}", text, pos)
    pos += 1
    while pos < len(text) and text[pos] in _ALNUMPUNC:
        pos += 1
    name = text[start:pos]
    pos = _skip(text, pos, _FWS)
    if pos >= len(text) or text[pos] != "=":
        found = repr(text[pos]) if pos < len(text) else "the end"
        raise ParseError(f"expected '=' after tag name {name!r}, found {found}", text, pos)
    pos = _skip(text, pos + 1, _FWS)
    value_start = value_end = pos
    while pos < len(text) and text[pos] != ";":
        ch = text[pos]
        if _valchar(ch):
            value_end = pos + 1
        elif ch not in _FWS:
            raise ParseError(f"character {ch!r} is not allowed in the value of {name}=", text, pos)
        pos += 1
    tag = Tag(name, text[value_start:value_end], start, value_start, value_end, pos)
    return tag, pos


def strip_fws(value: str) -> str:
    """A value with all folding white space removed (base64 values: ``p=``, ``b=``, ``bh=``)."""
    return "".join(ch for ch in value if ch not in _FWS)


def split_list(value: str, sep: str = ":") -> tuple[str, ...]:
    """A colon-separated list value (``h=sha1:sha256``), items trimmed, empty items dropped."""
    return tuple(item for item in (part.strip(" \t\r\n") for part in value.split(sep)) if item)


__all__ = ["Tag", "TagList", "parse_tag_list", "split_list", "strip_fws"]
