"""The one table of finding codes: their English prose (the msgids of the Dutch gettext catalog), and
the reference each rests on.

Each measure module registers its own codes with :func:`register` at import time, so that a new
measure adds its prose beside its logic while every renderer looks codes up in one place.
Templates use ``str.format`` fields filled from a finding's ``params``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .i18n import translate


@dataclass(frozen=True)
class Message:
    """A message's English text (its gettext msgid: the Dutch is in the catalog, see
    :mod:`mailguard.core.i18n`) and the reference it rests on."""

    en: str
    rfc: str = ""

    @property
    def nl(self) -> str:
        return translate(self.en, "nl")


_TABLE: dict[str, Message] = {}


def register(messages: Mapping[str, Message]) -> None:
    """Add a measure's codes. A code registered twice with different text is a programming error."""
    for code, message in messages.items():
        existing = _TABLE.get(code)
        if existing is not None and existing != message:
            raise ValueError(f"finding code {code} registered twice with different text")
        _TABLE[code] = message


def lookup(code: str) -> Message:
    try:
        return _TABLE[code]
    except KeyError:
        raise KeyError(f"unknown finding code {code!r}: register it in its measure's MESSAGES") from None


def render(code: str, params: Mapping[str, Any], lang: str = "en") -> str:
    message = lookup(code)
    template = message.nl if lang == "nl" else message.en
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def all_codes() -> Mapping[str, Message]:
    return dict(_TABLE)


# What to ask for, per finding code (or a code prefix ending in "-"): English and Dutch advice for a
# reader who is not a mail administrator. Measures add their own beside their MESSAGES; the report's
# recommendations (mailguard.render.advice) read it.
_ADVICE: dict[str, Message] = {}


def register_advice(entries: Mapping[str, Message]) -> None:
    """Add recommendations (code or ``PREFIX-`` -> advice). A key registered twice with different
    text is a programming error."""
    for key, message in entries.items():
        existing = _ADVICE.get(key)
        if existing is not None and existing != message:
            raise ValueError(f"recommendation {key} registered twice with different text")
        _ADVICE[key] = message


def advice_for(code: str) -> tuple[str, Message] | None:
    """The advice for a code: the exact code's, else the longest matching prefix's."""
    if code in _ADVICE:
        return code, _ADVICE[code]
    prefixes = [k for k in _ADVICE if k.endswith("-") and code.startswith(k)]
    if not prefixes:
        return None
    key = max(prefixes, key=len)
    return key, _ADVICE[key]
