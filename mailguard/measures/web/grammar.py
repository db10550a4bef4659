"""Small pieces of HTTP header grammar shared by the website parsers (RFC 9110 §5.6)."""

from __future__ import annotations

import re

from ...core.errors import ParseError

# token = 1*tchar (RFC 9110 §5.6.2, the same set as RFC 2616 §2.2 that RFC 6797 cites)
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
OWS = " \t"


def split_params(value: str, separator: str = ";") -> list[tuple[str, int]]:
    """Split ``value`` on ``separator`` outside quoted-strings; each piece with its offset.

    Raises ParseError for a quoted-string that is never closed.
    """
    pieces: list[tuple[str, int]] = []
    start, index, quoted = 0, 0, False
    while index < len(value):
        char = value[index]
        if quoted and char == "\\":
            index += 2
            continue
        if char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            pieces.append((value[start:index], start))
            start = index + 1
        index += 1
    if quoted:
        raise ParseError("unterminated quoted-string", value, start)
    pieces.append((value[start:], start))
    return pieces


def unquote(text: str, position: int, whole: str) -> str:
    """A token, or the content of a quoted-string with its escapes undone (RFC 9110 §5.6.4)."""
    if text.startswith('"'):
        if len(text) < 2 or not text.endswith('"'):
            raise ParseError("malformed quoted-string", whole, position)
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if not TOKEN.fullmatch(text):
        raise ParseError(f"{text!r} is not a token", whole, position)
    return text
