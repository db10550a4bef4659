"""Reading a privacy statement under a budget: the parsing and the promise extraction run in a
child process with a wall-clock limit and a memory ceiling, so that a hostile document (a PDF
bomb, megabytes of text built to be slow) ends in a clear error, never in a hang or an
out-of-memory kill of a nightly run.

The bytes are read (or fetched, through the network boundary) here; the child only parses.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
from multiprocessing.connection import Connection
from typing import Any

from .. import promises
from ..core.config import Config
from ..core.errors import InputError, MailguardError

DEFAULT_BUDGET_S = 20.0
MEMORY_HEADROOM = 256 * 1024 * 1024  # address space the child may add to what it starts with


def read_statement(source: str, config: Config, *, budget: float = DEFAULT_BUDGET_S) -> promises.ReadStatement:
    """Read, parse and analyse a statement (path or URL) within ``budget`` seconds and a memory ceiling."""
    document = promises.load_document(source, config)
    return understand_within(document, budget=budget)


def understand_within(document: promises.Document, *, budget: float = DEFAULT_BUDGET_S,
                      headroom: int = MEMORY_HEADROOM) -> promises.ReadStatement:
    """:func:`mailguard.promises.understand` in a child process; InputError (exit 2) when it runs
    past ``budget`` seconds or past ``headroom`` bytes of extra memory."""
    context = multiprocessing.get_context("fork")  # the child starts from this process: no re-import
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, document, headroom), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(budget):
            raise InputError(f"{document.source}: reading the statement took longer than its budget of "
                             f"{budget:g} s (--statement-budget); not read")
        try:
            kind, value = receive.recv()
        except EOFError:
            raise InputError(f"{document.source}: the statement could not be read within "
                             f"{headroom // (1024 * 1024)} MiB of memory (a malformed or hostile document)") from None
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    if kind == "error":
        raise value
    return value  # type: ignore[no-any-return]


def _child(send: Connection, document: promises.Document, headroom: int) -> None:
    """Parse in the child under an address-space limit; send back the result or the error."""
    try:
        _limit_memory(headroom)
        result: Any = ("ok", promises.understand(document))
    except MailguardError as exc:
        result = ("error", InputError(str(exc)))
    except MemoryError:
        result = ("error", InputError(f"{document.source}: the statement could not be read within "
                                      f"{headroom // (1024 * 1024)} MiB of memory"))
    except RecursionError:
        result = ("error", InputError(f"{document.source}: the statement is nested too deeply to read"))
    try:
        send.send(result)
    finally:
        send.close()
        os._exit(0)  # no atexit handlers, no flushing of the parent's buffers twice


def _limit_memory(headroom: int) -> None:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[0])
    current = pages * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (current + headroom, current + headroom))
