"""mailguard: turn the security promises in a privacy statement into evidence.

The public API is what ``__all__`` lists; everything else may change between releases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .core.config import Config
from .core.errors import MailguardError
from .core.model import Area, Evidence, Finding, MeasureResult, ScanReport, Verdict

if TYPE_CHECKING:
    from .app.scan import scan_domain


def __getattr__(name: str) -> Any:
    """``scan_domain`` loads the measures and the network code on first use, so that the command
    line's ``--help`` does not pay for them."""
    if name == "scan_domain":
        from .app.scan import scan_domain

        return scan_domain
    raise AttributeError(f"module 'mailguard' has no attribute {name!r}")


__all__ = [
    "Area",
    "Config",
    "Evidence",
    "Finding",
    "MailguardError",
    "MeasureResult",
    "ScanReport",
    "Verdict",
    "__version__",
    "scan_domain",
]
