"""The output of ``mailguard dkim verify``: per signature the result word first, then the facts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ..core.jsonable import to_jsonable
from ..measures.dkim.check import MessageReport
from ..measures.dkim.verify import Verification
from .text import inert

SCHEMA = "mailguard.measures.dkim-verify/1"
_INDENT = " " * 11


def render_text(report: MessageReport, *, verbose: bool = False) -> str:
    count = len(report.verifications)
    author = ", ".join(report.from_domains) or "no From domain"
    lines = [f"{report.source}: From {author}; {count} DKIM-Signature field(s)"
             + (f" ({report.skipped} more not verified)" if report.skipped else "")]
    if report.newlines_converted:
        lines.append("note: the file has bare LF line endings; read as CRLF, as mail is sent")
    if not report.verifications:
        lines.append("none       the message has no DKIM-Signature field")
    for v in report.verifications:
        lines += _signature(v, report, verbose)
    passed = len(report.passed)
    lines.append(f"summary: {passed} of {count} signature(s) verified" if passed
                 else "summary: no signature verified")
    return "\n".join(inert(line) for line in lines) + "\n"  # remote text: no terminal controls


def _signature(v: Verification, report: MessageReport, verbose: bool) -> list[str]:
    head = f"{v.result:<10} #{v.index}"
    if not v.domain:
        return [f"{head} {v.detail}"]
    lines = [f"{head} d={v.domain} s={v.selector} a={v.algorithm} c={v.canonicalization}",
             f"{_INDENT}{v.detail}"]
    if v.key_type is not None:
        testing = ", testing mode (t=y)" if v.key_testing else ""
        lines.append(f"{_INDENT}key: {v.key_type}, {v.key_bits} bits{testing}, at {v.key_name}")
    if v.key_cnames:
        lines.append(f"{_INDENT}key alias: {'; '.join(v.key_cnames)}")
    signed = "From signed" if v.from_signed else "From NOT signed"
    lines.append(f"{_INDENT}signed headers: {', '.join(v.signed_headers)} ({signed})")
    if v.body_hash_ok is not None:
        lines.append(f"{_INDENT}body hash: {_ok(v.body_hash_ok)}; header signature: {_ok(v.signature_ok)}")
    if v.length is not None:
        lines.append(f"{_INDENT}l={v.length}: only the first {v.length} octets of the body are signed; "
                     f"content can be appended")
    lines.append(f"{_INDENT}{_alignment(v, report)}")
    times = [f"t={_when(v.timestamp)}" if v.timestamp is not None else "",
             f"x={_when(v.expires)}" if v.expires is not None else ""]
    if any(times):
        lines.append(_INDENT + " ".join(t for t in times if t))
    if verbose and v.key_evidence is not None:
        lines.append(f"{_INDENT}evidence: {v.key_evidence.summary}")
    return lines


def _ok(value: bool | None) -> str:
    return "?" if value is None else ("ok" if value else "MISMATCH")


def _alignment(v: Verification, report: MessageReport) -> str:
    if report.from_domain is None:
        return f"DMARC alignment: not judged ({report.from_problem})"
    return (f"DMARC alignment with From {report.from_domain}: strict {_yes(v.aligned_strict)}, "
            f"relaxed {_yes(v.aligned_relaxed)}")


def _yes(value: bool | None) -> str:
    return "?" if value is None else ("yes" if value else "no")


def _when(seconds: int) -> str:
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return str(seconds)


def render_json(report: MessageReport) -> str:
    document = {"schema": SCHEMA, **to_jsonable(report),
                "passed": [v.index for v in report.passed]}
    return json.dumps(document, indent=2, ensure_ascii=False)


__all__ = ["SCHEMA", "render_json", "render_text"]
