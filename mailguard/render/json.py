"""The JSON document: the report model as data, versioned by ``schema`` (see docs/json-schema.md)."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Mapping
from typing import Any

from ..model import ScanReport


def to_jsonable(value: Any) -> Any:
    """Dataclasses to dicts, enums to their values, tuples to lists, recursively."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
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


def render(report: ScanReport, *, indent: int | None = 2) -> str:
    return json.dumps(to_jsonable(report), indent=indent, ensure_ascii=False, sort_keys=False)
