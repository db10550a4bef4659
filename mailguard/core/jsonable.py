"""The model as JSON data: dataclasses to dicts, enums to their values, tuples to lists.

The one conversion every JSON form uses (the report document, the results database, the
comparison of two reports), kept with the model so that any room may use it.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

from .model import Evidence

_PLAIN = frozenset({str, int, float, bool, type(None)})
_FIELDS: dict[type, tuple[str, ...] | None] = {}  # a dataclass's field names; None: not a dataclass
_UNSEEN = ("",)  # not yet in _FIELDS


def to_jsonable(value: Any) -> Any:
    """Dataclasses to dicts, enums to their values, tuples to lists, recursively.

    A batch writes every domain's whole document, so the common kinds are tested by their exact
    type first (a str-valued enum is a str subclass and takes the general path). A report holds
    most of its evidence several times (a measure's evidence, and again in its findings'): each
    Evidence object is converted once per call and its repeats share the result, so treat what
    this returns as read-only data, as JSON is."""
    return _convert(value, {})


def _convert(value: Any, done: dict[int, Any]) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): v if type(v) in _PLAIN else _convert(v, done)
                for k, v in value.items()}
    if kind is tuple or kind is list:
        return [v if type(v) in _PLAIN else _convert(v, done) for v in value]
    if kind is Evidence:  # ids are stable here: the whole input stays alive for the call
        converted = done.get(id(value))
        if converted is None:
            converted = done[id(value)] = _fields(value, _names(kind) or (), done)
        return converted
    names = _names(kind)
    if names is not None:
        return _fields(value, names, done)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _convert(v, done) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_convert(v, done) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _names(kind: type) -> tuple[str, ...] | None:
    """A dataclass's field names (None: not a dataclass), looked up once per class."""
    names = _FIELDS.get(kind, _UNSEEN)
    if names is _UNSEEN:
        names = _FIELDS[kind] = (tuple(f.name for f in dataclasses.fields(kind))
                                 if dataclasses.is_dataclass(kind) else None)
    return names


def _fields(value: Any, names: tuple[str, ...], done: dict[int, Any]) -> dict[str, Any]:
    return {name: _convert(getattr(value, name), done) for name in names}
