"""The dashboard's password file (``mailguard serve --password-file``): ``user:hash`` lines.

Each hash is scrypt (RFC 7914, from the standard library) in the PHC string format,
``$scrypt$ln=15,r=8,p=1$<salt>$<key>`` (base64 without padding): a 16-byte random salt per
entry and a cost of 2**15 x 8 (32 MiB and some tens of milliseconds a check), so that a stolen
file is slow to guess at. ``mailguard passwd FILE USER`` writes an entry. Empty lines and lines
starting with ``#`` are comments; anything else that is not a well-formed entry refuses the
whole file, naming the line (never its content, which holds a hash).

A check is made in constant time, and a user the file does not know costs the same scrypt as one
it knows, so that timing tells nothing about who has an account.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ...core.errors import InputError

SCHEME = "scrypt"
LOG2_N, R, P = 15, 8, 1  # what new entries use
SALT_BYTES, KEY_BYTES = 16, 32
MAX_FILE_BYTES = 1024 * 1024
# What an entry may ask for: a file is configuration, but a typo must not cost gigabytes a request.
_LOG2_N_RANGE, _R_RANGE, _P_RANGE = range(10, 21), range(1, 33), range(1, 17)
_MEMORY_LIMIT = 64 << 20  # scrypt needs 128 * N * r bytes; at most this much
_MAX_MEMORY = _MEMORY_LIMIT + (1 << 20)  # hashlib's maxmem, with room for its own overhead
_USER = re.compile(r"^[^:\s\x00-\x1f\x7f]{1,128}$")
_ENTRY = re.compile(r"^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$")


class PasswordFileError(InputError):
    """A password file that cannot be used: missing, unreadable, empty, or with a malformed line."""


@dataclass(frozen=True)
class Hash:
    log2_n: int
    r: int
    p: int
    salt: bytes
    key: bytes

    def derive(self, password: str) -> bytes:
        return hashlib.scrypt(password.encode("utf-8"), salt=self.salt, n=1 << self.log2_n, r=self.r, p=self.p,
                              dklen=len(self.key), maxmem=_MAX_MEMORY)

    def matches(self, password: str) -> bool:
        return hmac.compare_digest(self.derive(password), self.key)

    def encode(self) -> str:
        return f"${SCHEME}$ln={self.log2_n},r={self.r},p={self.p}${_b64(self.salt)}${_b64(self.key)}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def hash_password(password: str) -> str:
    """A new entry's hash of ``password``, with a fresh salt."""
    if not password:
        raise InputError("an empty password is not allowed")
    salt = secrets.token_bytes(SALT_BYTES)
    draft = Hash(LOG2_N, R, P, salt, b"\0" * KEY_BYTES)
    return Hash(LOG2_N, R, P, salt, draft.derive(password)).encode()


def parse_hash(text: str) -> Hash | None:
    """The hash of an entry, or None when it is not a well-formed scrypt PHC string within bounds."""
    match = _ENTRY.match(text)
    if match is None:
        return None
    log2_n, r, p = (int(g) for g in match.groups()[:3])
    if log2_n not in _LOG2_N_RANGE or r not in _R_RANGE or p not in _P_RANGE or 128 * (1 << log2_n) * r > _MEMORY_LIMIT:
        return None
    try:
        salt, key = _unb64(match.group(4)), _unb64(match.group(5))
    except (binascii.Error, ValueError):
        return None
    if len(salt) < 8 or not 16 <= len(key) <= 64:
        return None
    return Hash(log2_n, r, p, salt, key)


def check_user(user: str) -> str:
    if not _USER.match(user):
        raise InputError(f"user name {user!r} is not usable: 1 to 128 characters, no ':', spaces or controls")
    return user


class Passwords:
    """The users of a password file and their hashes; :meth:`check` answers one login."""

    def __init__(self, entries: dict[str, Hash], source: str = "") -> None:
        self.entries = entries
        self.source = source
        # Compared against for a user the file does not know, at the cost of a real entry.
        self._decoy = Hash(LOG2_N, R, P, secrets.token_bytes(SALT_BYTES), secrets.token_bytes(KEY_BYTES))

    @classmethod
    def load(cls, path: Path) -> Passwords:
        """Read and check the whole file; any problem is a :class:`PasswordFileError` naming it."""
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            raise PasswordFileError(f"password file {path}: no such file (create it with "
                                    f"`mailguard passwd {path} USER`)") from None
        except OSError as exc:
            raise PasswordFileError(f"password file {path} cannot be read: {exc.strerror}") from exc
        if len(raw) > MAX_FILE_BYTES:
            raise PasswordFileError(f"password file {path} is larger than {MAX_FILE_BYTES} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise PasswordFileError(f"password file {path} is not UTF-8 text") from None
        entries: dict[str, Hash] = {}
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            user, colon, rest = line.partition(":")
            found = parse_hash(rest) if colon else None
            if found is None or not _USER.match(user):
                raise PasswordFileError(f"password file {path}, line {number}: not a 'user:$scrypt$...' entry "
                                        f"(write entries with `mailguard passwd {path} USER`)")
            if user in entries:
                raise PasswordFileError(f"password file {path}, line {number}: user {user!r} a second time")
            entries[user] = found
        if not entries:
            raise PasswordFileError(f"password file {path} holds no user (add one with "
                                    f"`mailguard passwd {path} USER`)")
        return cls(entries, str(path))

    def check(self, user: str, password: str) -> bool:
        """Whether ``password`` is ``user``'s; as slow for an unknown user as for a known one."""
        entry = self.entries.get(user)
        matched = (entry or self._decoy).matches(password)
        return entry is not None and matched


def set_password(path: Path, user: str, password: str) -> bool:
    """Add ``user`` to the password file at ``path`` or replace their hash; the file is created
    (mode 0600) when missing and rewritten atomically. True when the user was already there."""
    check_user(user)
    entry = f"{user}:{hash_password(password)}"
    try:
        lines = path.read_text("utf-8").splitlines() if path.exists() else []
    except (OSError, UnicodeDecodeError) as exc:
        raise PasswordFileError(f"password file {path} cannot be read: {exc}") from exc
    replaced = False
    kept: list[str] = []
    for line in lines:
        if line.strip().partition(":")[0] == user and not line.strip().startswith("#"):
            if not replaced:
                kept.append(entry)
            replaced = True
        else:
            kept.append(line)
    if not replaced:
        kept.append(entry)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise PasswordFileError(f"cannot write the password file {path}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:  # mkstemp made it 0600
            out.write("\n".join(kept) + "\n")
        os.replace(temp, path)
    except OSError as exc:
        raise PasswordFileError(f"cannot write the password file {path}: {exc.strerror}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    return replaced


__all__ = ["PasswordFileError", "Passwords", "check_user", "hash_password", "parse_hash", "set_password"]
