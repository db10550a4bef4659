"""The JSON document: the report model as data, versioned by ``schema`` (see docs/json-schema.md)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from ..core.jsonable import to_jsonable
from ..core.model import (
    Area,
    Evidence,
    Finding,
    Fulfilment,
    MeasureResult,
    Promise,
    PromiseResult,
    ScanReport,
    Verdict,
)

# orjson reads the model itself (dataclasses as objects in field order, enums as their values,
# tuples as arrays), as to_jsonable does; what it does not know comes here, as to_jsonable has it.
_ORJSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def _orjson_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, set | frozenset):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)


def render(report: ScanReport, *, indent: int | None = 2) -> str:
    """The document as text: indented by two spaces, or (``indent=None``, JSON Lines) on one line
    without spaces; the data is ``to_jsonable(report)``. orjson writes it straight from the model,
    a tenth of the time to_jsonable and json took in a batch (a report is tens of kilobytes); its
    indented text is json's, octet for octet (tests/render/test_render_report.py holds the two
    side by side). What orjson refuses (an integer beyond 64 bits, a lone surrogate) json writes,
    all non-ASCII escaped so that the text can always be written as UTF-8."""
    try:
        option = _ORJSON | (orjson.OPT_INDENT_2 if indent else 0)
        return orjson.dumps(report, option=option, default=_orjson_default).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        separators = None if indent else (",", ":")
        return json.dumps(to_jsonable(report), indent=indent, separators=separators)


def load(doc: Mapping[str, Any]) -> ScanReport:
    """The report a JSON document (as :func:`render` writes it) describes, so that a report kept
    in the database renders like a fresh one: ``to_jsonable(load(doc)) == doc``. Keys a newer
    mailguard added are ignored; fields an older one did not write keep their defaults."""
    special: dict[str, Callable[[Any], Any]] = {"measures": lambda v: tuple(_measure(m) for m in v),
               "promises": lambda v: tuple(_promise_result(p) for p in v),
               "resolvers": tuple, "scores": dict, "extra": dict, "elapsed_ms": float,
               "coverage": dict}
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(ScanReport):
        if spec.name in doc:
            value = doc[spec.name]
            values[spec.name] = special[spec.name](value) if spec.name in special else value
    return ScanReport(**values)


def _evidence(doc: Mapping[str, Any]) -> Evidence:
    return Evidence(kind=doc["kind"], summary=doc["summary"], data=dict(doc.get("data", {})))


def _finding(doc: Mapping[str, Any]) -> Finding:
    return Finding(code=doc["code"], check=doc["check"], verdict=Verdict(doc["verdict"]), reason=doc["reason"],
                   rfc=doc.get("rfc", ""), params=dict(doc.get("params", {})),
                   evidence=tuple(_evidence(e) for e in doc.get("evidence", ())), subject=doc.get("subject", ""))


def _measure(doc: Mapping[str, Any]) -> MeasureResult:
    return MeasureResult(name=doc["name"], title=doc["title"], area=Area(doc["area"]),
                         status=Verdict(doc["status"]), findings=tuple(_finding(f) for f in doc["findings"]),
                         evidence=tuple(_evidence(e) for e in doc.get("evidence", ())),
                         data=dict(doc.get("data", {})), elapsed_ms=float(doc.get("elapsed_ms", 0.0)))


def _promise_result(doc: Mapping[str, Any]) -> PromiseResult:
    promise = doc["promise"]
    return PromiseResult(
        promise=Promise(kind=promise["kind"], sentence=promise["sentence"],
                        domains=tuple(promise.get("domains", ())), settings=dict(promise.get("settings", {}))),
        verdict=Fulfilment(doc["verdict"]), code=doc["code"], reason=doc["reason"],
        params=dict(doc.get("params", {})), measures=tuple(doc.get("measures", ())),
        findings=tuple(_finding(f) for f in doc.get("findings", ())),
    )
