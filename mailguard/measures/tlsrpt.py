"""TLS-RPT (RFC 8460): do sending servers know where to report TLS failures to this domain?

The ``_smtp._tls.<domain>`` TXT record: of the records that start ``v=TLSRPTv1``, exactly one,
valid (§3); its ``rua`` lists one or more report URIs, each ``mailto:`` (an address) or
``https:`` (a URL with a host) (§3.1.1). Reports matter most beside MTA-STS or DANE: they are how
a domain learns that senders cannot reach its MX hosts securely.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ..core import messages
from ..core.config import Config
from ..core.errors import ParseError
from ..core.findings import result
from ..core.messages import Message
from ..core.model import Area, MeasureResult, Verdict
from ..net import Net
from ._checks import Check, check, to_findings
from .mtasts import is_extension, record_fields

NAME = "tls-rpt"
TITLE = "TLS-RPT"
AREA = Area.MAIL_TRANSPORT

MESSAGES = {
    "TLSRPT-NONE": Message(
        "no TLS-RPT record: senders do not report TLS failures to this domain",
        "RFC 8460 §3",
    ),
    "TLSRPT-RECORD": Message(
        "TLS-RPT reports go to {rua}",
        "RFC 8460 §3",
    ),
    "TLSRPT-MULTIPLE": Message(
        "{count} TLS-RPT records: senders send no reports",
        "RFC 8460 §3",
    ),
    "TLSRPT-INVALID": Message(
        "TLS-RPT record is invalid ({error}): senders send no reports",
        "RFC 8460 §3",
    ),
    "TLSRPT-BAD-URI": Message(
        "rua URI {uri!r} is not a usable mailto: or https: URI ({why})",
        "RFC 8460 §3.1.1",
    ),
    "TLSRPT-LOOKUP-FAILED": Message(
        "{name} lookup failed ({status}): not tested",
        "RFC 8460 §3",
    ),
}
messages.register(MESSAGES)

_ADDRESS = re.compile(r"[^@\s]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,}")
VERSION = "v=TLSRPTv1"


@dataclass(frozen=True)
class TlsRptRecord:
    rua: tuple[str, ...]
    extensions: tuple[tuple[str, str], ...] = ()


def parse_tlsrpt(text: str) -> TlsRptRecord:
    """``v=TLSRPTv1; rua=URI[,URI...]`` with optional extensions (RFC 8460 §3). Raises ParseError.

    URIs are split on ',' (with optional white space around it); their own syntax is judged by
    :func:`uri_problem`, so one bad URI does not hide the good ones.
    """
    rua: tuple[str, ...] | None = None
    extensions: list[tuple[str, str]] = []
    for key, value, position in record_fields(text, VERSION):
        if key == "rua":
            if rua is not None:
                raise ParseError("rua appears more than once", text, position)
            uris = tuple(u.strip(" \t") for u in value.split(","))
            if not all(uris):
                raise ParseError("empty URI in rua", text, position)
            rua = uris
        elif is_extension(key, value):
            extensions.append((key, value))
        else:
            raise ParseError(f"field {f'{key}={value}'!r} is not name=value", text, position)
    if rua is None:
        raise ParseError("rua is missing", text, len(text))
    return TlsRptRecord(rua, tuple(extensions))


def uri_problem(uri: str) -> str:
    """Why ``uri`` cannot receive reports ('' when it can): mailto: with an address, or https: with a host."""
    scheme, _, rest = uri.partition(":")
    scheme = scheme.lower()
    if scheme == "mailto":
        address = unquote(rest.split("?", 1)[0])
        return "" if _ADDRESS.fullmatch(address) else "no valid address after mailto:"
    if scheme == "https":
        try:
            parts = urlsplit(uri)
        except ValueError:
            return "not a URL"
        return "" if parts.hostname else "no host in the URL"
    return f"scheme {scheme or '(none)'}: is neither mailto: nor https:"


def judge_tlsrpt(texts: tuple[str, ...]) -> list[Check]:
    candidates = [t for t in texts if t.startswith(VERSION)]
    if not candidates:
        return [check("TLSRPT-NONE", "TLS-RPT record", Verdict.INFO)]
    if len(candidates) > 1:
        return [check("TLSRPT-MULTIPLE", "TLS-RPT record", Verdict.FAIL, count=len(candidates))]
    try:
        record = parse_tlsrpt(candidates[0])
    except ParseError as exc:
        return [check("TLSRPT-INVALID", "TLS-RPT record", Verdict.FAIL, error=str(exc))]
    out = []
    good = []
    for uri in record.rua:
        why = uri_problem(uri)
        if why:
            out.append(check("TLSRPT-BAD-URI", "rua", Verdict.FAIL if len(record.rua) == 1 else Verdict.WARN,
                             uri=uri[:200], why=why))
        else:
            good.append(uri)
    if good:
        out.insert(0, check("TLSRPT-RECORD", "TLS-RPT record", Verdict.PASS, rua=", ".join(good)[:300]))
    elif out:
        out = [Check(c.code, c.check, Verdict.FAIL, c.params) for c in out]
    return out


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    name = f"_smtp._tls.{domain}"
    answer = await net.dns.query(name, "TXT")
    if answer.failed:
        checks = [check("TLSRPT-LOOKUP-FAILED", "TLS-RPT record", Verdict.NOT_TESTED, name=name,
                        status=answer.status)]
    else:
        checks = judge_tlsrpt(answer.txt_strings())
    return result(NAME, TITLE, AREA, to_findings(checks, [answer.evidence]), evidence=[answer.evidence],
                  elapsed_ms=(time.monotonic() - started) * 1000)
