"""An Internet message as DKIM sees it: header fields exactly as written, and the body's bytes.

Pure: bytes in, :class:`Message` out (or ParseError with the byte position). Only the header
section is parsed (RFC 5322 §2.2): a field starts on a line that does not begin with white
space and runs over the folded lines after it (§2.2.3); the first empty line ends the header
section. Fields are kept byte for byte, folding included, because DKIM's "simple" header
canonicalization signs them exactly as they were sent (RFC 6376 §3.4.1). The body is not
decoded: DKIM signs its bytes.

A ``.eml`` file saved on a Unix system often has bare LF line endings where the wire had CRLF;
they are converted to CRLF first (and ``Message.newlines_converted`` says so), as DKIM
verifiers that read files do. A leading mbox ``From `` envelope line is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import getaddresses

from .errors import ParseError

MAX_MESSAGE_BYTES = 50 * 1024 * 1024
MAX_HEADER_FIELDS = 5000

CRLF = b"\r\n"
_BARE_LF = re.compile(rb"(?<!\r)\n")
# RFC 5322 §3.6.8: ftext is printable US-ASCII except ":". Obsolete syntax (§4.5) allows white
# space between the name and the colon, which some old mailers still write.
_FIELD = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")


@dataclass(frozen=True)
class HeaderField:
    """One header field as written. raw: ``Name: value`` with any folding, without the CRLF
    that ends it; colon: the index of the colon that ends the name."""

    name: str
    raw: bytes
    colon: int

    @property
    def key(self) -> str:
        """The name lower-case, for comparisons (field names are case-insensitive)."""
        return self.name.lower()

    @property
    def value(self) -> bytes:
        """The value as written, after the colon, folding included."""
        return self.raw[self.colon + 1:]

    def unfolded(self) -> str:
        """The value with its folding CRLFs removed and its ends trimmed (RFC 5322 §2.2.3),
        decoded byte for byte (Latin-1) so that nothing can fail to decode."""
        return self.value.replace(CRLF, b"").strip(b" \t").decode("latin-1")


@dataclass(frozen=True)
class Message:
    headers: tuple[HeaderField, ...]
    body: bytes
    newlines_converted: bool = False

    def get_all(self, name: str) -> tuple[HeaderField, ...]:
        key = name.lower()
        return tuple(f for f in self.headers if f.key == key)


def parse_message(data: bytes) -> Message:
    """Split ``data`` into header fields and body, or raise ParseError."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise ParseError(f"message is larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MB", "", 0)
    converted = _BARE_LF.search(data) is not None
    if converted:
        data = _BARE_LF.sub(CRLF, data)
    start = 0
    if data.startswith(b"From "):  # an mbox envelope line, not a header field
        start = data.find(CRLF) + 2 if CRLF in data else len(data)
    if data.startswith(CRLF, start):  # no header section at all
        raise ParseError("the message has no header fields", "", start)
    end = data.find(CRLF + CRLF, start)
    header_block, body = (data[start:], b"") if end < 0 else (data[start:end], data[end + 4:])
    if header_block.endswith(CRLF):
        header_block = header_block[:-2]
    if not header_block:
        raise ParseError("the message has no header fields", "", start)
    headers = _fields(header_block, start)
    return Message(tuple(headers), body, converted)


def _fields(block: bytes, offset: int) -> list[HeaderField]:
    fields: list[tuple[int, bytes]] = []  # (position, raw) of each field being collected
    position = offset
    for line in block.split(CRLF):
        if line[:1] in (b" ", b"\t"):
            if not fields:
                raise ParseError("the first header line is a continuation line", "", position)
            where, raw = fields[-1]
            fields[-1] = (where, raw + CRLF + line)
        else:
            fields.append((position, line))
        position += len(line) + 2
        if len(fields) > MAX_HEADER_FIELDS:
            raise ParseError(f"more than {MAX_HEADER_FIELDS} header fields", "", position)
    out = []
    for where, raw in fields:
        match = _FIELD.match(raw)
        if match is None:
            raise ParseError(f"header line without a field name and colon: {raw[:40]!r}", "", where)
        out.append(HeaderField(match.group(1).decode("ascii"), raw, match.end() - 1))
    return out


def address_domains(value: str) -> tuple[str, ...]:
    """The domains of the addresses in an address-list value (a From field), lower-case."""
    out = []
    for _name, address in getaddresses([value]):
        if "@" in address:
            domain = address.rsplit("@", 1)[1].strip().strip("[]").rstrip(".").lower()
            if domain:
                out.append(domain)
    return tuple(out)


__all__ = ["HeaderField", "Message", "address_domains", "parse_message"]
