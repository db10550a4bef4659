"""The model as JSON data: dataclasses to dicts, enums to their values, tuples to lists.

The one conversion every JSON form uses (the report document, the results database, the
comparison of two reports), kept with the model so that any room may use it.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

_PLAIN = frozenset({str, int, float, bool, type(None)})
_FIELDS: dict[type, tuple[str, ...] | None] = {}  # a dataclass's field names; None: not a dataclass
_UNSEEN = ("",)  # not yet in _FIELDS


def to_jsonable(value: Any) -> Any:
    """Dataclasses to dicts, enums to their values, tuples to lists, recursively.

    A batch writes every domain's whole document, so the common kinds are tested by their exact
    type first (a str-valued enum is a str subclass and takes the general path)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): v if type(v) in _PLAIN else to_jsonable(v)
                for k, v in value.items()}
    if kind is tuple or kind is list:
        return [v if type(v) in _PLAIN else to_jsonable(v) for v in value]
    names = _FIELDS.get(kind, _UNSEEN)
    if names is _UNSEEN:
        names = _FIELDS[kind] = (tuple(f.name for f in dataclasses.fields(kind))
                                 if dataclasses.is_dataclass(kind) else None)
    if names is not None:
        return {name: to_jsonable(getattr(value, name)) for name in names}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
