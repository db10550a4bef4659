"""One exception tree for mailguard.

Foreign errors (dnspython, ssl, httpx, OSError) are translated where they are caught, in
``mailguard.net``, with ``raise X(...) from exc``. Findings are never exceptions: a measure that
cannot observe something returns a ``not tested`` finding instead of raising.

    MailguardError
     ├── InputError            bad usage or input: exit code 2
     │    ├── InvalidDomain     not a syntactically valid domain name
     │    └── ProfileError      a check profile or config file that cannot be used
     ├── ParseError            a record or document that does not follow its grammar (has .position)
     ├── NetworkError          something on the wire went wrong (has .target)
     │    ├── DnsError
     │    │    └── NoResolver   no resolver answered at all: exit code 3
     │    ├── ConnectError      refused, unreachable, or not allowed by the address guard
     │    ├── NetTimeout        a wait ran past its timeout
     │    └── HttpError         HTTP exchange failed or exceeded a cap
     ├── StoreError            the results database cannot be reached or written: exit code 3
     └── BrokerError           the Celery broker (Redis) cannot be reached: exit code 3
"""

from __future__ import annotations


class MailguardError(Exception):
    """Base of every error mailguard raises on purpose."""


class InputError(MailguardError):
    """Bad usage or input (exit code 2)."""


class InvalidDomain(InputError):
    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"invalid domain name {name!r}: {why}")
        self.name = name
        self.why = why


class ProfileError(InputError):
    """A check profile or configuration file that cannot be used."""


class ParseError(MailguardError):
    def __init__(self, message: str, text: str = "", position: int | None = None) -> None:
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"{message}{where}")
        self.message = message
        self.text = text
        self.position = position


class NetworkError(MailguardError):
    def __init__(self, message: str, target: str = "") -> None:
        super().__init__(f"{target}: {message}" if target else message)
        self.message = message
        self.target = target


class DnsError(NetworkError):
    pass


class NoResolver(DnsError):
    """No configured resolver answered at all."""


class ConnectError(NetworkError):
    pass


class NetTimeout(NetworkError):
    pass




class HttpError(NetworkError):
    pass



class StoreError(MailguardError):
    """The results database cannot be opened, migrated or written (exit code 3)."""


class BrokerError(MailguardError):
    """The broker a fleet scan sends its chunks through cannot be reached (exit code 3)."""


class WorkerError(MailguardError):
    """Every process scanning a local batch (``--workers``) stopped before the list was done (exit code 3)."""


def forget_traceback(exc: BaseException) -> None:
    """Drop a caught exception's traceback (and those of the exceptions it was raised from).

    A traceback holds the frames it passed through, and a frame its callers and locals. asyncio
    and httpx leave such exceptions in reference cycles (a frame waits on a future that holds the
    exception, whose traceback holds the frame): the connection's buffers and the event loop's
    turn then wait for the cycle collector. A batch catches thousands of them (refused TLS
    versions, stalled web servers), and its memory grew with them."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.__traceback__ = None
        current = current.__cause__ or current.__context__
