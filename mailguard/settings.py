"""``mailguard.toml``: what an unattended run scans and where its reports go.

    # mailguard.toml (every key optional; relative paths are relative to this file)
    domains = ["example.nl", "example.com"]
    statements = ["privacy.html", "https://www.example.nl/privacy"]
    checks_dir = "checks"           # check profiles, checks/<domain>.toml
    report_dir = "reports"          # reports/<domain>/<UTC time>.{html,md,json}
    formats = ["html", "md", "json"]  # also "pdf" (needs the extra mailguard[pdf])
    lang = "nl"                     # en | nl; default: the statement's language, else en
    sign_key = "keys/mailguard.key"
    signer = "Privacy office, Example BV"
    fail_on = "fail"                # warn | fail: the lowest verdict that makes the exit code 1
    nameservers = ["9.9.9.9", "149.112.112.112"]
    timeout = 5.0
    deadline = 60.0
    dkim_selectors = ["google", "selector1"]
    measures = []                   # empty: all
    ca_bundle = "extra-roots.pem"
    trust_anchor = "root-anchors.xml"
    rpki_vrps = "vrps.json"         # RPKI: a JSON export of rpki-client or Routinator
    rpki_url = "http://routinator.example:8323/"  # ... or a Routinator HTTP service
    bimi_selectors = ["brand"]      # BIMI selectors besides default
    bimi_ca = "vmc-roots.pem"       # the roots mark certificates (VMC/CMC) are checked against
    engine = "celery"               # local | celery: fleet scans on `mailguard worker`s
    broker = "redis://127.0.0.1:6379/0"
    chunk_size = 200                # domains per Celery task
    db = "reports/mailguard.db"     # results database: a SQLite path or postgresql://...

Read with :mod:`tomllib`; an unknown key or a value of the wrong type is an error that names the
key (exit code 2), so a typo never silently falls back to a default. Options given on the
command line win over the file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .errors import ProfileError

FORMATS = ("html", "md", "pdf", "json")


@dataclass(frozen=True)
class RunSettings:
    """The settings a config file gives; None / empty means "not set here"."""

    domains: tuple[str, ...] = ()
    statements: tuple[str, ...] = ()
    checks_dir: Path | None = None
    report_dir: Path | None = None
    formats: tuple[str, ...] = ()
    lang: str | None = None
    sign_key: Path | None = None
    signer: str | None = None
    fail_on: str | None = None
    nameservers: tuple[str, ...] = ()
    timeout: float | None = None
    deadline: float | None = None
    dkim_selectors: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()
    ca_bundle: Path | None = None
    trust_anchor: Path | None = None
    rpki_vrps: Path | None = None
    rpki_url: str | None = None
    bimi_selectors: tuple[str, ...] = ()
    bimi_ca: Path | None = None
    engine: str | None = None
    broker: str | None = None
    chunk_size: int | None = None
    db: str | None = None
    source: Path | None = None


_LISTS = {"domains", "statements", "formats", "nameservers", "dkim_selectors", "measures", "bimi_selectors"}
_PATHS = {"checks_dir", "report_dir", "sign_key", "ca_bundle", "trust_anchor", "rpki_vrps", "bimi_ca"}
_NUMBERS = {"timeout": (0.1, 120.0), "deadline": (1.0, 3600.0)}
_CHOICES = {"lang": ("en", "nl"), "fail_on": ("warn", "fail"), "engine": ("local", "celery")}
_INTEGERS = {"chunk_size": (1, 100_000)}
KNOWN = tuple(f.name for f in fields(RunSettings) if f.name != "source")


def load(path: Path) -> RunSettings:
    """Read and check a config file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"cannot read config file {path}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"config file {path} is not valid TOML: {exc}") from exc
    return parse(raw, path)


def parse(raw: dict[str, Any], path: Path) -> RunSettings:
    unknown = [k for k in raw if k not in KNOWN]
    if unknown:
        raise ProfileError(f"{path}: unknown key {unknown[0]!r} (known keys: {', '.join(KNOWN)})")
    base = path.parent
    values: dict[str, Any] = {"source": path}
    for key, value in raw.items():
        values[key] = _value(key, value, base, path)
    return RunSettings(**values)


def _value(key: str, value: Any, base: Path, path: Path) -> Any:
    def bad(expected: str) -> ProfileError:
        return ProfileError(f"{path}: key {key!r} must be {expected}, not {value!r}")

    if key in _LISTS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("a list of strings")
        if key == "formats":
            wrong = [v for v in value if v not in FORMATS]
            if wrong:
                raise bad(f"a list of {', '.join(FORMATS)}")
        if key == "statements":  # files relative to the config file; URLs as they are
            return tuple(v if "://" in v else str(base / v) for v in value)
        return tuple(value)
    if key in _PATHS:
        if not isinstance(value, str) or not value:
            raise bad("a path")
        return base / Path(value).expanduser()
    if key in _NUMBERS:
        low, high = _NUMBERS[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise bad(f"a number from {low:g} to {high:g}")
        return float(value)
    if key in _INTEGERS:
        low_int, high_int = _INTEGERS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low_int <= value <= high_int:
            raise bad(f"a whole number from {low_int} to {high_int}")
        return value
    if key in _CHOICES:
        if value not in _CHOICES[key]:
            raise bad(" or ".join(repr(c) for c in _CHOICES[key]))
        return value
    if not isinstance(value, str) or (key in ("broker", "db") and not value):  # signer, rpki_url, broker, db
        raise bad("a string")
    if key == "db" and "://" not in value:  # a SQLite file, relative to the config file
        return str(base / Path(value).expanduser())
    return value
