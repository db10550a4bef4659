"""MTA-STS (RFC 8461): may a sending server insist on TLS with a valid certificate for our MX hosts?

Two parts, both needed: the ``_mta-sts.<domain>`` TXT record (``v=STSv1; id=...``, exactly one,
§3.1) announces a policy, and the policy itself is fetched from
``https://mta-sts.<domain>/.well-known/mta-sts.txt`` through the HTTP seam exactly as a sender
must (§3.3): the certificate validated for the ``mta-sts`` host, no redirect followed, a 200
response, ``text/plain``, and at most 64 KiB (senders should cap the size). The pure policy parser
checks version, mode, mx patterns (a wildcard only as the whole leftmost label, §3.2) and max_age
(at most 31557600). Every actual MX host must match a pattern (§4.1), or senders that enforce the
policy will refuse to deliver to it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ..core import messages
from ..core.config import Config
from ..core.errors import ParseError
from ..core.findings import result
from ..core.messages import Message
from ..core.model import Area, Evidence, Finding, MeasureResult, Verdict
from ..net import DnsAnswer, HttpResponse, Net
from ..net.http import BLOCKED, CERTIFICATE, REFUSED, TIMEOUT, UNREACHABLE
from ._checks import Check, check, to_findings
from .mx import MxHost, is_null_mx, mx_hosts

NAME = "mta-sts"
TITLE = "MTA-STS"
AREA = Area.MAIL_TRANSPORT

MAX_POLICY = 64 * 1024   # §3.3: senders may cap the policy body; 64 KiB is the RFC's example
MAX_MAX_AGE = 31557600   # §3.2: a year
MIN_SENSIBLE_MAX_AGE = 86400  # below a day, the policy protects little between fetches

MESSAGES = {
    "MTASTS-NONE": Message(
        "no MTA-STS record: senders cannot insist on TLS for this domain by MTA-STS",
        "RFC 8461 §3.1",
    ),
    "MTASTS-NULL-MX": Message(
        "null MX: the domain receives no mail; MTA-STS is not needed",
        "RFC 7505",
    ),
    "MTASTS-RECORD": Message(
        "MTA-STS record id={id}",
        "RFC 8461 §3.1",
    ),
    "MTASTS-RECORD-MULTIPLE": Message(
        "{count} MTA-STS records: senders treat that as no policy",
        "RFC 8461 §3.1",
    ),
    "MTASTS-RECORD-INVALID": Message(
        "MTA-STS record is invalid ({error}): senders treat it as no policy",
        "RFC 8461 §3.1",
    ),
    "MTASTS-RECORD-MISSING": Message(
        "a policy is served at {url} but no _mta-sts TXT record announces it",
        "RFC 8461 §3.1",
    ),
    "MTASTS-LOOKUP-FAILED": Message(
        "{name} lookup failed ({status}): not tested",
        "RFC 8461 §3.1",
    ),
    "MTASTS-POLICY-FETCHED": Message(
        "policy fetched from {url}",
        "RFC 8461 §3.3",
    ),
    "MTASTS-POLICY-UNREACHABLE": Message(
        "the policy could not be fetched from {url} ({status}: {error})",
        "RFC 8461 §3.3",
    ),
    "MTASTS-POLICY-UNTESTED": Message(
        "the policy fetch did not finish ({status}): not tested",
        "RFC 8461 §3.3",
    ),
    "MTASTS-POLICY-CERT": Message(
        "the policy host's certificate does not validate ({error}); senders reject the policy",
        "RFC 8461 §3.3",
    ),
    "MTASTS-POLICY-REDIRECT": Message(
        "the policy URL redirects ({http_status} to {location}); senders must not follow redirects",
        "RFC 8461 §3.3",
    ),
    "MTASTS-POLICY-STATUS": Message(
        "the policy URL answers {http_status}, not 200",
        "RFC 8461 §3.3",
    ),
    "MTASTS-POLICY-TOO-LARGE": Message(
        "the policy is larger than {limit} bytes; senders may refuse it",
        "RFC 8461 §3.3",
    ),
    "MTASTS-POLICY-MEDIA-TYPE": Message(
        "the policy is served as {media_type!r}, not text/plain",
        "RFC 8461 §3.2",
    ),
    "MTASTS-POLICY-INVALID": Message(
        "the policy is invalid ({error})",
        "RFC 8461 §3.2",
    ),
    "MTASTS-MODE-ENFORCE": Message(
        "mode enforce: senders refuse to deliver without valid TLS",
        "RFC 8461 §5",
    ),
    "MTASTS-MODE-TESTING": Message(
        "mode testing: failures are only reported, mail is still delivered insecurely",
        "RFC 8461 §5",
    ),
    "MTASTS-MODE-NONE": Message(
        "mode none: the policy is withdrawn",
        "RFC 8461 §5",
    ),
    "MTASTS-MAX-AGE-OK": Message(
        "max_age {max_age} s ({days} days)",
        "RFC 8461 §3.2",
    ),
    "MTASTS-MAX-AGE-SHORT": Message(
        "max_age {max_age} s is less than a day: senders soon forget the policy",
        "RFC 8461 §3.2",
    ),
    "MTASTS-MX-MATCH": Message(
        "every MX host matches the policy: {hosts}",
        "RFC 8461 §4.1",
    ),
    "MTASTS-MX-MISMATCH": Message(
        "MX host {host} matches no mx pattern of the policy ({patterns}); enforcing senders will not "
        "deliver to it",
        "RFC 8461 §4.1",
    ),
    "MTASTS-MX-UNTESTED": Message(
        "MX hosts could not be looked up ({status}): matching not tested",
        "RFC 8461 §4.1",
    ),
}
messages.register(MESSAGES)

MODES = ("enforce", "testing", "none")
_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_EXT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}")
_EXT_VALUE = re.compile(r"[\x21-\x3a\x3c\x3e-\x7e]+")
_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})+\.?")
_POLICY_VALUE = re.compile(r"[\x21-\x7e](?:[ \t]*[\x21-\x7e])*")


@dataclass(frozen=True)
class StsRecord:
    id: str
    extensions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class StsPolicy:
    version: str
    mode: str
    mx: tuple[str, ...]
    max_age: int
    extensions: tuple[tuple[str, str], ...] = ()


def record_fields(text: str, version: str) -> Iterator[tuple[str, str, int]]:
    """The ``name=value`` fields after ``version`` in an STS or TLSRPT TXT record, with the
    position of each, one at a time (so a caller's own error comes in text order); ParseError
    for anything else. The two records share one grammar
    (RFC 8461 §3.1, RFC 8460 §3): ``;``-separated fields, white space around them, an
    optional ``;`` at the end."""
    if not text.startswith(version):
        raise ParseError(f"does not start with {version}", text, 0)
    rest = text[len(version):]
    if rest and not rest.lstrip(" \t").startswith(";"):
        raise ParseError(f"{version} must be followed by ';'", text, len(version))
    offset = len(version)
    for piece in rest.split(";")[1:]:
        offset += 1
        field = piece.strip(" \t")
        position = offset + (piece.index(field) if field else 0)
        offset += len(piece)
        if not field:
            continue  # the delimiter may end the record (a trailing ';')
        key, eq, value = field.partition("=")
        if not eq:
            raise ParseError(f"field {field!r} has no '='", text, position)
        yield key, value, position


def is_extension(key: str, value: str) -> bool:
    """An ``sts-ext-name=sts-ext-value`` / ``tlsrpt-ext-name=tlsrpt-ext-value`` field."""
    return _EXT_NAME.fullmatch(key) is not None and _EXT_VALUE.fullmatch(value) is not None


def parse_sts_record(text: str) -> StsRecord:
    """``v=STSv1; id=...`` with optional extensions (RFC 8461 §3.1). Raises ParseError."""
    record_id: str | None = None
    extensions: list[tuple[str, str]] = []
    for key, value, position in record_fields(text, "v=STSv1"):
        if key == "id":
            if record_id is not None:
                raise ParseError("id appears more than once", text, position)
            if not _ID.fullmatch(value):
                raise ParseError(f"id {value!r} is not 1-32 letters and digits", text, position)
            record_id = value
        elif is_extension(key, value):
            extensions.append((key, value))
        else:
            raise ParseError(f"field {f'{key}={value}'!r} is not name=value", text, position)
    if record_id is None:
        raise ParseError("id is missing", text, len(text))
    return StsRecord(record_id, tuple(extensions))


def parse_sts_policy(text: str) -> StsPolicy:
    """A policy body (RFC 8461 §3.2): ``key: value`` lines ending in LF or CRLF. Raises ParseError.

    Unknown keys are extensions (ignored by senders); every key but mx may appear once; blank lines
    are tolerated, as senders tolerate them.
    """
    fields: dict[str, str] = {}
    mx: list[str] = []
    extensions: list[tuple[str, str]] = []
    position = 0
    for line in text.split("\n"):
        start, position = position, position + len(line) + 1
        line = line.removesuffix("\r")
        if not line.strip(" \t"):
            continue
        key, colon, raw = line.partition(":")
        value = raw.strip(" \t")
        if not colon or not _EXT_NAME.fullmatch(key):
            raise ParseError(f"line {line[:60]!r} is not 'key: value'", text, start)
        if not _POLICY_VALUE.fullmatch(value):
            raise ParseError(f"{key} has no valid value", text, start)
        if key == "mx":
            if not _DOMAIN.fullmatch(value.removeprefix("*.")) or "*" in value.removeprefix("*."):
                raise ParseError(f"mx {value!r} is not a host name or *.domain pattern", text, start)
            mx.append(value.lower().rstrip("."))
        elif key in ("version", "mode", "max_age"):
            if key in fields:
                raise ParseError(f"{key} appears more than once", text, start)
            fields[key] = value
        else:
            extensions.append((key, value))
    return _policy(fields, tuple(mx), tuple(extensions), text)


def _policy(fields: dict[str, str], mx: tuple[str, ...], extensions: tuple[tuple[str, str], ...],
            text: str) -> StsPolicy:
    for key in ("version", "mode", "max_age"):
        if key not in fields:
            raise ParseError(f"{key} is missing", text, len(text))
    if fields["version"] != "STSv1":
        raise ParseError(f"version {fields['version']!r} is not STSv1", text, 0)
    if fields["mode"] not in MODES:
        raise ParseError(f"mode {fields['mode']!r} is not enforce, testing or none", text, 0)
    age = fields["max_age"]
    if not (age.isascii() and age.isdigit() and len(age) <= 10):
        raise ParseError(f"max_age {age!r} is not a number of seconds (at most 10 digits)", text, 0)
    if int(age) > MAX_MAX_AGE:
        raise ParseError(f"max_age {age} is above the maximum {MAX_MAX_AGE}", text, 0)
    if not mx and fields["mode"] != "none":
        raise ParseError("no mx pattern (required unless mode is none)", text, len(text))
    return StsPolicy(fields["version"], fields["mode"], mx, int(age), extensions)


def mx_matches(host: str, pattern: str) -> bool:
    """RFC 8461 §4.1: exact, or ``*.domain`` matching exactly one more label on the left."""
    host = host.lower().rstrip(".")
    pattern = pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        first, _, rest = host.partition(".")
        return bool(first) and rest == pattern[2:]
    return host == pattern


def unmatched(hosts: tuple[str, ...], patterns: tuple[str, ...]) -> list[str]:
    return [h for h in hosts if not any(mx_matches(h, p) for p in patterns)]


def judge_fetch(response: HttpResponse) -> list[Check]:
    """How the policy was served: only a clean 200 text/plain within the size cap is usable."""
    url = response.url
    if not response.ok:
        if response.status == CERTIFICATE:
            return [check("MTASTS-POLICY-CERT", "policy fetch", Verdict.FAIL, error=response.error)]
        if response.status in (TIMEOUT, REFUSED, UNREACHABLE, BLOCKED):
            # nothing answered from here: perhaps this network's doing, so not a failure
            return [check("MTASTS-POLICY-UNTESTED", "policy fetch", Verdict.NOT_TESTED,
                          status=response.status)]
        return [check("MTASTS-POLICY-UNREACHABLE", "policy fetch", Verdict.FAIL, url=url,
                      status=response.status, error=response.error)]
    if response.is_redirect or (response.code is not None and 300 <= response.code < 400):
        return [check("MTASTS-POLICY-REDIRECT", "policy fetch", Verdict.FAIL, http_status=response.code,
                      location=(response.location or "-")[:200])]
    if response.code != 200:
        return [check("MTASTS-POLICY-STATUS", "policy fetch", Verdict.FAIL, http_status=response.code)]
    if response.truncated:
        return [check("MTASTS-POLICY-TOO-LARGE", "policy size", Verdict.FAIL, limit=MAX_POLICY)]
    out = [check("MTASTS-POLICY-FETCHED", "policy fetch", Verdict.PASS, url=url)]
    if response.media_type != "text/plain":
        out.append(check("MTASTS-POLICY-MEDIA-TYPE", "policy media type", Verdict.FAIL,
                         media_type=response.media_type or "none"))
    return out


def judge_policy(policy: StsPolicy, mx_names: tuple[str, ...] | None) -> list[Check]:
    """Mode, max_age, and (mx_names given) whether every MX host matches a pattern."""
    out: list[Check] = []
    if policy.mode == "enforce":
        out.append(check("MTASTS-MODE-ENFORCE", "policy mode", Verdict.PASS))
    elif policy.mode == "testing":
        out.append(check("MTASTS-MODE-TESTING", "policy mode", Verdict.WARN))
    else:
        out.append(check("MTASTS-MODE-NONE", "policy mode", Verdict.WARN))
        return out
    if policy.max_age < MIN_SENSIBLE_MAX_AGE:
        out.append(check("MTASTS-MAX-AGE-SHORT", "policy max_age", Verdict.WARN, max_age=policy.max_age))
    else:
        out.append(check("MTASTS-MAX-AGE-OK", "policy max_age", Verdict.PASS, max_age=policy.max_age,
                         days=policy.max_age // 86400))
    if mx_names is None:
        return out
    missing = unmatched(mx_names, policy.mx)
    verdict = Verdict.FAIL if policy.mode == "enforce" else Verdict.WARN
    out += [check("MTASTS-MX-MISMATCH", "mx patterns", verdict, host=h, patterns=", ".join(policy.mx))
            for h in missing]
    if mx_names and not missing:
        out.append(check("MTASTS-MX-MATCH", "mx patterns", Verdict.PASS, hosts=", ".join(mx_names)))
    return out


def judge_records(texts: tuple[str, ...]) -> tuple[list[Check], StsRecord | None]:
    """The TXT strings at ``_mta-sts``: those starting ``v=STSv1`` must be exactly one, valid."""
    candidates = [t for t in texts if t.startswith("v=STSv1")]
    if not candidates:
        return [], None
    if len(candidates) > 1:
        return [check("MTASTS-RECORD-MULTIPLE", "MTA-STS record", Verdict.FAIL, count=len(candidates))], None
    try:
        record = parse_sts_record(candidates[0])
    except ParseError as exc:
        return [check("MTASTS-RECORD-INVALID", "MTA-STS record", Verdict.FAIL, error=str(exc))], None
    return [check("MTASTS-RECORD", "MTA-STS record", Verdict.PASS, id=record.id)], record


def policy_url(domain: str) -> str:
    return f"https://mta-sts.{domain}/.well-known/mta-sts.txt"


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    record_name = f"_mta-sts.{domain}"
    txt, host_a, (mx_answer, mx_list) = await _gather(net, record_name, domain)
    evidence: list[Evidence] = [txt.evidence, mx_answer.evidence]
    findings: list[Finding] = []
    data: dict[str, object] = {}

    def done() -> MeasureResult:
        return result(NAME, TITLE, AREA, findings, evidence=evidence, data=data,
                      elapsed_ms=(time.monotonic() - started) * 1000)

    if mx_list and is_null_mx(mx_list):
        findings += to_findings([check("MTASTS-NULL-MX", "MX", Verdict.INFO)], [mx_answer.evidence])
        return done()
    if txt.failed:
        findings += to_findings([check("MTASTS-LOOKUP-FAILED", "MTA-STS record", Verdict.NOT_TESTED,
                                       name=record_name, status=txt.status)], [txt.evidence])
        return done()
    record_checks, record = judge_records(txt.txt_strings())
    findings += to_findings(record_checks, [txt.evidence])
    if not record_checks and not host_a:
        findings += to_findings([check("MTASTS-NONE", "MTA-STS record", Verdict.INFO)], [txt.evidence])
        return done()
    response = await net.http.fetch(policy_url(domain), max_body=MAX_POLICY)
    evidence.append(response.evidence)
    fetch_checks = judge_fetch(response)
    findings += to_findings(fetch_checks, [response.evidence])
    if record is not None:
        data["id"] = record.id
    if not record_checks and response.ok and response.code == 200:
        findings += to_findings([check("MTASTS-RECORD-MISSING", "MTA-STS record", Verdict.WARN,
                                       url=response.url)], [txt.evidence, response.evidence])
    if not any(c.code == "MTASTS-POLICY-FETCHED" for c in fetch_checks):
        return done()
    try:
        policy = parse_sts_policy(response.text())
    except ParseError as exc:
        invalid = check("MTASTS-POLICY-INVALID", "policy syntax", Verdict.FAIL, error=str(exc))
        findings += to_findings([invalid],
                                [response.evidence])
        return done()
    data["policy"] = {"mode": policy.mode, "mx": list(policy.mx), "max_age": policy.max_age}
    names: tuple[str, ...] | None = tuple(h.host for h in mx_list)
    if mx_answer.failed:
        findings += to_findings([check("MTASTS-MX-UNTESTED", "mx patterns", Verdict.NOT_TESTED,
                                       status=mx_answer.status)], [mx_answer.evidence])
        names = None
    findings += to_findings(judge_policy(policy, names), [response.evidence, mx_answer.evidence])
    return done()


async def _gather(net: Net, record_name: str,
                  domain: str) -> tuple[DnsAnswer, bool, tuple[DnsAnswer, tuple[MxHost, ...]]]:
    """The TXT record, whether the policy host has an address, and the MX hosts, concurrently."""
    txt, (addresses, _), mx_result = await asyncio.gather(
        net.dns.query(record_name, "TXT"), net.http.addresses(f"mta-sts.{domain}"), mx_hosts(net, domain))
    return txt, bool(addresses), mx_result


# --- typed facts for the promise verdicts ----------------------------------------------------

@dataclass(frozen=True)
class MtaStsFacts:
    """What a promise about MTA-STS is judged on: the mode of the policy fetched (None: no usable
    policy)."""

    mode: str | None


def promise_facts(measure: MeasureResult) -> MtaStsFacts:
    """The facts in this measure's result."""
    policy = measure.data.get("policy")
    return MtaStsFacts(str(policy.get("mode")) if isinstance(policy, Mapping) else None)
