"""Reading the files a user names (statements, domain lists, profiles, config files, keys, reports):
regular files only, and never more than a cap, whatever the file system says its size is.

A FIFO, ``/dev/zero`` or a folder given as a statement would otherwise be read until memory runs
out; ``st_size`` of a FIFO or a device is 0, so the cap is enforced on the bytes read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import InputError

MIB = 1024 * 1024


def _open_regular(path: Path, what: str) -> int:
    """A descriptor for ``path`` if it is a regular file; InputError (exit 2) otherwise."""
    try:
        # O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror}") from exc
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(mode) else "a pipe" if stat.S_ISFIFO(mode) else "a device or socket"
        raise InputError(f"{what} {path} is {kind}, not a file")
    os.set_blocking(fd, True)
    return fd


def open_regular(path: Path, what: str = "file") -> BinaryIO:
    """``path`` opened for reading if it is a regular file; InputError (exit 2) otherwise."""
    return os.fdopen(_open_regular(path, what), "rb")


def read_capped(path: Path, cap: int, what: str = "file") -> bytes:
    """The bytes of a regular file; more than ``cap`` bytes is an InputError."""
    with open_regular(path, what) as handle:
        try:
            data = handle.read(cap + 1)
        except OSError as exc:
            raise InputError(f"cannot read {what} {path}: {exc.strerror}") from exc
    if len(data) > cap:
        raise InputError(f"{what} {path} is larger than {cap // MIB or cap} {'MiB' if cap >= MIB else 'bytes'}; "
                         "not read")
    return data


def read_text_capped(path: Path, cap: int, what: str = "file") -> str:
    """A regular UTF-8 text file of at most ``cap`` bytes."""
    data = read_capped(path, cap, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {path} is not UTF-8 text (byte {exc.start})") from exc


def lines_capped(path: Path, *, max_line: int = 4096, what: str = "file") -> Iterator[str]:
    """The lines of a regular UTF-8 text file, read as they are needed (a list of 100,000 domains
    stays out of memory); a line longer than ``max_line`` characters is an InputError."""
    fd = _open_regular(path, what)
    with os.fdopen(fd, "r", encoding="utf-8", errors="strict", newline=None) as handle:
        number = 0
        while True:
            try:
                line = handle.readline(max_line + 1)
            except UnicodeDecodeError as exc:
                raise InputError(f"{what} {path} is not UTF-8 text (line {number + 1})") from exc
            if not line:
                return
            number += 1
            if len(line) > max_line and not line.endswith("\n"):
                raise InputError(f"{what} {path}: line {number} is longer than {max_line} characters")
            yield line
