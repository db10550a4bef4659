"""The comparison of two reports as terminal text (``mailguard diff``, ``--quiet`` trouble mail)."""

from __future__ import annotations

from ..core.i18n import translate
from ..history.compare import Comparison
from . import advice
from .text import inert
from .view import LABELS

_HEAD_EN = "Changes for {domain} from {old} to {new}:"
_TAIL_EN = "{count} change(s), {worse} worse, {better} better"
_HEAD = {"en": _HEAD_EN, "nl": translate(_HEAD_EN, "nl", "diff head")}
_TAIL = {"en": _TAIL_EN, "nl": translate(_TAIL_EN, "nl", "diff tail")}


def render(comparison: Comparison, *, lang: str = "en") -> str:
    lang = lang if lang in LABELS else "en"
    labels = LABELS[lang]
    lines = [
        _HEAD[lang].format(
            domain=comparison.domain, old=comparison.old_started or "?", new=comparison.new_started or "?"
        )
    ]
    for change in comparison.changes:
        text = advice.reason(change.code, change.params, change.text, lang)
        lines.append(f"  {labels.get(change.direction, change.direction):9} {text}")
    if not comparison.changes:
        lines.append(f"  {labels['no_changes']}")
    count = len(comparison.changes)
    worse = sum(c.direction == "worse" for c in comparison.changes)
    better = sum(c.direction == "better" for c in comparison.changes)
    lines.append(_TAIL[lang].format(count=count, worse=worse, better=better))
    return "\n".join(inert(line) for line in lines) + "\n"  # remote text: no terminal controls
