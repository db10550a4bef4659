"""A small TOML writer for check profiles: comments, tables, arrays of tables, scalars and lists.

Reading is the standard library's ``tomllib``; this writes the subset the profiles use, so that a
file a person edits keeps its explanations. Pure: values in, text out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


@dataclass
class Table:
    """A table to write: ``entries`` are (key, value, comment) in order; ``comment`` goes above
    its header. ``name`` is the header (empty for the top level); ``array`` makes it ``[[name]]``."""

    name: str = ""
    comment: str = ""
    array: bool = False
    entries: list[tuple[str, Any, str]] = field(default_factory=list)

    def add(self, key: str, value: Any, comment: str = "") -> Table:
        if value is not None:
            self.entries.append((key, value, comment))
        return self


def key(name: str) -> str:
    return name if _BARE_KEY.match(name) else string(name)


def string(text: str) -> str:
    """A TOML basic string; control characters escaped as \\uXXXX."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def value(item: Any) -> str:
    """One TOML value: str, bool, int, finite float, or a list of those (inline)."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        if not math.isfinite(item):
            raise ValueError("profiles hold no inf or nan")
        return repr(item)
    if isinstance(item, str):
        return string(item)
    if isinstance(item, Mapping):
        return "{" + ", ".join(f"{key(k)} = {value(v)}" for k, v in item.items()) + "}"
    if isinstance(item, Sequence):
        return "[" + ", ".join(value(v) for v in item) + "]"
    raise TypeError(f"cannot write {type(item).__name__} to TOML")


def comment_lines(text: str) -> list[str]:
    return [f"# {line}".rstrip() for line in text.splitlines()] if text else []


def dumps(tables: Sequence[Table], *, header: str = "") -> str:
    """The document: ``header`` comment, then the tables in order (the top-level one first)."""
    lines = comment_lines(header)
    for table in tables:
        if lines:
            lines.append("")
        lines += comment_lines(table.comment)
        if table.name:
            name = ".".join(key(part) for part in table.name.split("."))
            lines.append(f"[[{name}]]" if table.array else f"[{name}]")
        for name, item, comment in table.entries:
            lines += comment_lines(comment)
            lines.append(f"{key(name)} = {value(item)}")
    return "\n".join(lines) + "\n"
