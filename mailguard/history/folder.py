"""The report history: ``<report dir>/<domain>/<UTC time>.{html,md,json}``, never overwritten.

A scan's files share one name, the UTC time the scan started (``20260301T090000Z``); when that
name is taken (two scans in one second, or a file someone left) the whole set gets the next
free suffix (``20260301T090000Z-2``). Each file is written to a temporary file in the same
folder, flushed to disk, then linked to its final name, which fails if the name exists: a
report is never half-written and never replaces another (where the file system has no hard
links, an ``os.replace`` after a last check stands in).

The JSON file is the history: the next scan compares itself with the newest JSON here.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core.errors import InputError

_NAME = re.compile(r"^(\d{8}T\d{6}Z)(?:-(\d+))?\.json$")
# One file of a report set: <stem>.<format>, and its detached signature <stem>.<format>.sig
_SET_FILE = re.compile(r"^(\d{8}T\d{6}Z(?:-\d+)?)\.(pdf|html|md|json)(\.sig)?$")
MAX_REPORT_BYTES = 64 * 1024 * 1024  # a history file larger than this is not read back


def stem(started: str) -> str:
    """The file name stem for a scan that started at ISO time ``started``."""
    try:
        when = datetime.fromisoformat(started.replace("Z", "+00:00"))
    except ValueError:
        when = datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def domain_folder(root: Path, domain: str) -> Path:
    name = domain.strip().lower().rstrip(".")
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise InputError(f"cannot keep reports for {domain!r}: not a usable folder name")
    return root / name


def history(folder: Path) -> list[Path]:
    """The JSON reports in ``folder``, oldest first (by their time, then suffix)."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if match and path.is_file():
            found.append(((match.group(1), int(match.group(2) or 1)), path))
    return [p for _k, p in sorted(found)]


def previous(folder: Path) -> tuple[Path, dict[str, Any]] | None:
    """The newest readable JSON report in ``folder`` and its document."""
    for path in reversed(history(folder)):
        try:
            if path.stat().st_size > MAX_REPORT_BYTES:
                continue
            document = json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue  # unreadable or hand-edited into junk: fall back to the one before
        if isinstance(document, dict):
            return path, document
    return None


def scan_files(root: Path, domain: str, started: str) -> dict[str, Path]:
    """The report files written for the scan of ``domain`` that started at ``started`` (ISO time),
    by extension (``pdf``, ``html``, ``pdf.sig``, ...); empty when the folder holds none of them.

    A set is named after the UTC second its scan started, with a suffix when that name was taken;
    when several sets share the second, the one whose JSON report has this ``started`` is the
    scan's. Only regular files inside ``root`` are returned: a link that leads out of the report
    folder is left out, so whoever serves these files serves nothing else.
    """
    try:
        folder = domain_folder(root, domain)
        base = root.resolve()
        entries = list(os.scandir(folder))
    except (InputError, OSError):
        return {}
    name = stem(started)
    sets: dict[str, dict[str, Path]] = {}
    for entry in entries:
        match = _SET_FILE.match(entry.name)
        if match is None or match.group(1).split("-")[0] != name:
            continue
        path = Path(entry.path)
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if real.is_file() and real.is_relative_to(base):
            sets.setdefault(match.group(1), {})[match.group(2) + (match.group(3) or "")] = path
    if len(sets) > 1:
        sets = {key: files for key, files in sets.items() if _started(files.get("json")) == started}
    return next(iter(sets.values())) if len(sets) == 1 else {}


def _started(path: Path | None) -> str | None:
    """The ``started`` of a JSON report file (None: none, unreadable, too large)."""
    try:
        if path is None or path.stat().st_size > MAX_REPORT_BYTES:
            return None
        document = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return str(document.get("started")) if isinstance(document, dict) else None


def free_stem(folder: Path, base: str, extensions: list[str]) -> str:
    """``base``, or ``base-N`` for the smallest N >= 2 with none of the set's names taken."""
    n = 1
    while True:
        candidate = base if n == 1 else f"{base}-{n}"
        names = [folder / f"{candidate}.{ext}" for ext in extensions]
        if not any(p.exists() for p in names):
            return candidate
        n += 1


def write_new(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` atomically; raise FileExistsError if ``path`` exists."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)
        try:
            os.link(temp, path)  # atomic, and refuses to replace an existing name
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                raise FileExistsError(errno.EEXIST, "exists already", str(path)) from None
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            if path.exists():
                raise FileExistsError(errno.EEXIST, "exists already", str(path)) from None
            os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def write_set(
    folder: Path, base: str, extensions: list[str], make: Callable[[str], Mapping[str, bytes]]
) -> dict[str, Path]:
    """Write ``<base>[-N].<ext>`` for each extension in ``folder``; returns the paths written.

    ``make(stem)`` gives extension -> content once the free stem is known (a signature names
    its file). A name taken between the check and the write (another run in parallel) moves the
    whole set to the next suffix, removing what this call had written under the taken one.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for _attempt in range(100):
        chosen = free_stem(folder, base, extensions)
        written: dict[str, Path] = {}
        try:
            for ext, content in make(chosen).items():
                path = folder / f"{chosen}.{ext}"
                write_new(path, content)
                written[ext] = path
        except FileExistsError:
            for path in written.values():  # a race: rewrite the whole set under a fresh name
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            continue
        return written
    raise OSError(f"no free report name for {base} in {folder}")
