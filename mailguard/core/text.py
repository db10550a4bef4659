"""Text from outside (DNS records, certificates, HTTP, statements, signature files) made visible.

One function for every place such text reaches a reader: the terminal, Markdown, HTML. C0 and C1
control characters, DEL and the bidirectional overrides and isolates (U+202A-U+202E,
U+2066-U+2069) would move the cursor, recolour or retitle a terminal, or reorder what a reader
sees ("txt.exe" shown as "exe.txt"); they are written as escapes (``\\x1b``, ``\\u202e``) instead.
"""

from __future__ import annotations

import re

_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROLS_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(value: object, *, keep_lines: bool = False) -> str:
    """``value`` as text with every control and bidi override written as an escape; with
    ``keep_lines``, newlines and tabs stay (for formats where they cannot act: HTML)."""
    pattern = _CONTROLS_BUT_LINES if keep_lines else _CONTROLS
    return pattern.sub(_escape, str(value))
