"""Tamper-evident reports: Ed25519 keys, detached signatures, verification.

Design: every report file (``.html``, ``.md``, ``.json``) gets its own detached signature file
beside it, ``<file>.sig``, so that each format can be handed on and checked on its own. The
``.sig`` file is a small JSON document (``mailguard.signature/1``, see docs/json-schema.md):

    {"format": "mailguard.signature/1", "file": "20260301T090000Z.html", "size": 12345,
     "sha256": "<hex digest of the exact bytes>", "domain": "example.nl",
     "scanned_at": "2026-03-01T09:00:00.123+00:00", "report_format": "html", "signer": "Privacy office",
     "key_fingerprint": "SHA256:<base64>", "public_key": "<base64 raw Ed25519 key>",
     "signed_at": "2026-03-01T09:00:02Z", "signature": "<base64 Ed25519 signature>"}

The signature is made over the *statement* ``mailguard.signature/1\\n`` followed by the canonical
JSON (sorted keys, no spaces) of every field except ``signature``: the file's name, size and
SHA-256 of its exact bytes, the domain, scan time and format of the report, the signer, the key
fingerprint and the time. So a changed byte of the report, and also a changed signer name or time,
makes verification fail; and a report renamed to another domain or date (a replay) fails too: its
file name, its folder and its own header must still say what was signed.

``public_key`` is there for convenience; it proves nothing about *who* signed. Trust comes from
checking against a public key you hold (``mailguard verify FILE --public-key mailguard.pub``),
which also checks that the fingerprint matches.

Key files: PEM, PKCS#8 private key (unencrypted, written with mode 0600, so that an unattended
run can use it) and SubjectPublicKeyInfo public key. The fingerprint is ``SHA256:`` and the
base64 (no padding) of the SHA-256 of the raw 32-byte public key, as OpenSSH prints it.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..core.errors import InputError

FORMAT = "mailguard.signature/1"
SUFFIX = ".sig"
MAX_SIG_BYTES = 64 * 1024


class SignatureError(InputError):
    """A signature or key file that cannot be read (exit 2); a mismatch is a :class:`Verification`."""


def fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")


def generate(directory: Path, *, name: str = "mailguard") -> tuple[Path, Path, str]:
    """Write ``NAME.key`` (0600) and ``NAME.pub`` into ``directory``; never overwrite a key."""
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / f"{name}.key", directory / f"{name}.pub"
    for path in (private_path, public_path):
        if path.exists():
            raise SignatureError(f"{path} exists already; not overwriting a key")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # O_EXCL with mode 0600 from the first byte: the private key is never readable by others.
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(private_pem)
    fd = os.open(public_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(public_pem)
    return private_path, public_path, fingerprint(key.public_key())


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SignatureError(f"cannot read signing key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        data = path.read_bytes()[:MAX_SIG_BYTES]
        if b"PRIVATE KEY" in data:
            # A private key handed out as the public one is a mistake that leaks it: refuse.
            raise SignatureError(f"{path} is a private key: give the public key (NAME.pub) with --public-key")
        key = serialization.load_pem_public_key(data)
    except (OSError, ValueError, TypeError) as exc:
        raise SignatureError(f"cannot read public key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SignatureError(f"{path} is not an Ed25519 key")
    return key


def _statement(fields: dict[str, Any]) -> bytes:
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return (FORMAT + "\n" + body).encode()


@dataclass(frozen=True)
class Covered:
    """What a report is about, bound into its signature: its domain, scan time and format."""

    domain: str
    scanned_at: str
    report_format: str


def signature_document(
    content: bytes, file_name: str, key: Ed25519PrivateKey, signer: str, signed_at: datetime | None = None,
    covered: Covered | None = None,
) -> dict[str, Any]:
    """The ``.sig`` document for the exact bytes ``content`` of the file called ``file_name``."""
    when = (signed_at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    public = key.public_key()
    fields: dict[str, Any] = {
        "format": FORMAT,
        "file": file_name,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        **({"domain": covered.domain, "scanned_at": covered.scanned_at, "report_format": covered.report_format}
           if covered is not None else {}),
        "signer": signer,
        "key_fingerprint": fingerprint(public),
        "public_key": base64.b64encode(
            public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        ).decode(),
        "signed_at": when,
    }
    fields["signature"] = base64.b64encode(key.sign(_statement(fields))).decode()
    return fields


def encode(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


@dataclass(frozen=True)
class Verification:
    """The outcome of checking one file against its signature.

    ok: the bytes and the signed fields are unchanged and the signature is valid for the key;
    trusted: the key is the one given with --public-key (False: only the embedded key was used).
    file: the name the file had when it was signed; domain, scanned_at, report_format: what the
    signature covers ("" in signatures of mailguard versions that did not bind them).
    """

    ok: bool
    trusted: bool
    problem: str
    file: str
    signer: str
    signed_at: str
    key_fingerprint: str
    sha256: str
    domain: str = ""
    scanned_at: str = ""
    report_format: str = ""


def verify(
    content: bytes, file_name: str, document: Any, public_key: Ed25519PublicKey | None = None
) -> Verification:
    """Check ``content`` (the bytes of ``file_name``) against a parsed ``.sig`` document."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SignatureError(f"not a {FORMAT} document")
    fields = {k: v for k, v in document.items() if k != "signature"}
    facts = {k: str(document.get(k, "")) for k in ("signer", "signed_at", "key_fingerprint", "sha256",
                                                   "domain", "scanned_at", "report_format")}
    result = dict(file=str(document.get("file", file_name)), **facts)

    def failed(problem: str) -> Verification:
        return Verification(False, public_key is not None, problem, **result)

    try:
        embedded = Ed25519PublicKey.from_public_bytes(base64.b64decode(str(document.get("public_key", ""))))
        signature = base64.b64decode(str(document.get("signature", "")), validate=True)
    except ValueError as exc:
        return failed(f"malformed signature file: {exc}")
    key = public_key or embedded
    if fingerprint(key) != document.get("key_fingerprint"):
        return failed(f"signed with key {document.get('key_fingerprint')}, not with {fingerprint(key)}")
    digest = hashlib.sha256(content).hexdigest()
    if digest != document.get("sha256") or len(content) != document.get("size"):
        return failed(f"the file has changed since it was signed (sha256 now {digest})")
    try:
        key.verify(signature, _statement(fields))
    except InvalidSignature:
        return failed("the signature does not match the signed fields")
    if facts["domain"] and result["file"] != file_name:
        return failed(f"the file was signed as {result['file']}, not as {file_name}: a renamed report "
                      "(another date or format) does not verify")
    return Verification(True, public_key is not None, "", **result)


def header_problem(report: Path, content: bytes, result: Verification) -> str:
    """Where the report's folder or its own header disagree with what was signed ("" if nowhere).

    Reports live in ``<report dir>/<domain>/``: a copy moved to another domain's folder is a
    replay. The report's header names its domain and scan time: JSON in ``domain``/``started``,
    HTML and Markdown in their title and first lines."""
    if not result.domain:
        return ""
    folder = report.parent.name.lower()
    if "." in folder and folder != result.domain.lower():
        return f"signed for {result.domain}, but it lies in the folder of {folder}"
    if result.report_format == "json":
        try:
            document = json.loads(content)
        except ValueError:
            return "the signed JSON report cannot be read"
        if not isinstance(document, dict) or (document.get("domain"), document.get("started")) != (
                result.domain, result.scanned_at):
            return "the report's own domain or scan time is not the one signed"
        return ""
    head = _pdf_title(content) if result.report_format == "pdf" else content[:4096].decode("utf-8", "replace")
    if result.domain not in head:
        return f"the report's header does not name {result.domain}, the domain signed"
    return ""


def _pdf_title(content: bytes) -> str:
    """A PDF report's title (its metadata names the domain), or "" when it cannot be read."""
    import io

    from pypdf import PdfReader

    try:
        metadata = PdfReader(io.BytesIO(content)).metadata
        return str(metadata.title or "") if metadata is not None else ""
    except Exception:  # a damaged PDF: not the report that was signed
        return ""


def sig_path(report: Path) -> Path:
    return report.with_name(report.name + SUFFIX)


def verify_file(report: Path, public_key: Ed25519PublicKey | None = None) -> Verification:
    """Check ``report`` against ``report.sig`` beside it."""
    path = sig_path(report)
    try:
        content = report.read_bytes()
        raw = path.read_bytes()[: MAX_SIG_BYTES + 1]
    except OSError as exc:
        raise SignatureError(f"cannot read {exc.filename}: {exc.strerror}") from exc
    if len(raw) > MAX_SIG_BYTES:
        raise SignatureError(f"{path} is too large to be a signature file")
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise SignatureError(f"{path} is not a signature file: {exc}") from exc
    result = verify(content, report.name, document, public_key)
    problem = header_problem(report, content, result) if result.ok else ""
    return dataclasses.replace(result, ok=False, problem=problem) if problem else result
