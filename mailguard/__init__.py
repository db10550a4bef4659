"""mailguard: turn the security promises in a privacy statement into evidence.

The public API is what ``__all__`` lists; everything else may change between releases.
"""

from ._version import __version__
from .config import Config
from .errors import MailguardError
from .model import Area, Evidence, Finding, MeasureResult, ScanReport, Verdict
from .scanner import scan_domain

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
