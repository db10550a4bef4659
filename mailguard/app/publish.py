"""Writing a scan's evidence report into the history: compare, render, sign, write.

The order matters: the comparison with the newest earlier JSON report is made first and put on
the report (``extra["changes"]``) so that every format shows it; the signer's name and key
fingerprint go on too (``extra["signature"]``), so the report says who vouches for it; then each
format is rendered, its detached signature made over the exact bytes, and the set written
atomically under a name no earlier report has.
"""

from __future__ import annotations

import dataclasses
import getpass
import json
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..core.errors import InputError
from ..core.jsonable import to_jsonable
from ..core.model import ScanReport
from ..history import folder as history
from ..history.compare import Comparison, compare
from ..render import html as render_html
from ..render import json as render_json
from ..render import markdown as render_markdown
from ..render import pdf as render_pdf
from . import signing

ORDER = ("pdf", "html", "md", "json")
RENDERERS: Mapping[str, Callable[[ScanReport, str, str | None], bytes]] = {
    "pdf": lambda report, lang, tz: render_pdf.render(report, lang=lang, tz=tz),
    "html": lambda report, lang, tz: render_html.render(report, lang=lang, tz=tz).encode("utf-8"),
    "md": lambda report, lang, tz: render_markdown.render(report, lang=lang, tz=tz).encode("utf-8"),
    "json": lambda report, _lang, _tz: render_json.render(report).encode("utf-8"),
}


@dataclass(frozen=True)
class Signer:
    key: Ed25519PrivateKey
    name: str

    @property
    def fingerprint(self) -> str:
        return signing.fingerprint(self.key.public_key())

    @classmethod
    def load(cls, path: Path, name: str | None = None) -> Signer:
        return cls(signing.load_private_key(path), name or default_signer())


def default_signer() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "mailguard"
    return f"{user}@{socket.gethostname()}"


@dataclass(frozen=True)
class Written:
    """What one report's writing produced."""

    report: ScanReport
    paths: Mapping[str, Path]
    comparison: Comparison | None
    previous: Path | None

    @property
    def worse(self) -> bool:
        return self.comparison is not None and self.comparison.worse


def formats_in_order(formats: Iterable[str]) -> list[str]:
    """The formats to write, in a fixed order; JSON always, because it is the history."""
    wanted = set(formats) | {"json"}
    return [f for f in ORDER if f in wanted]


def with_changes(report: ScanReport, folder: Path) -> tuple[ScanReport, Comparison | None, Path | None]:
    """The report with ``extra["changes"]`` against the newest earlier report in ``folder``."""
    found = history.previous(folder)
    if found is None:
        note: dict[str, Any] = {"previous": None, "previous_started": None, "worse": False, "changes": []}
        return _extra(report, changes=note), None, None
    path, document = found
    comparison = compare(document, to_jsonable(report))
    note = {
        "previous": path.name,
        "previous_started": document.get("started"),
        "worse": comparison.worse,
        "changes": to_jsonable(list(comparison.changes)),
    }
    return _extra(report, changes=note), comparison, path


def _extra(report: ScanReport, **items: Any) -> ScanReport:
    return dataclasses.replace(report, extra={**report.extra, **items})


def write_report(
    report: ScanReport,
    root: Path,
    formats: Sequence[str],
    *,
    lang: str = "en",
    tz: str | None = None,
    signer: Signer | None = None,
    now: Callable[[], datetime] | None = None,
) -> Written:
    """Compare, render, sign and write one report under ``root/<domain>/``."""
    folder = history.domain_folder(root, report.domain)
    report, comparison, previous = with_changes(report, folder)
    if signer is not None:
        report = _extra(report, signature={"signer": signer.name, "key_fingerprint": signer.fingerprint})
    chosen = formats_in_order(formats)
    rendered = {fmt: RENDERERS[fmt](report, lang, tz) for fmt in chosen}
    extensions = chosen + ([f"{fmt}.sig" for fmt in chosen] if signer else [])

    def make(stem: str) -> dict[str, bytes]:
        files = dict(rendered)
        if signer is not None:
            when = (now or (lambda: datetime.now(UTC)))()
            for fmt in chosen:
                covered = signing.Covered(report.domain, report.started, fmt)
                document = signing.signature_document(
                    rendered[fmt], f"{stem}.{fmt}", signer.key, signer.name, when, covered
                )
                files[f"{fmt}.sig"] = signing.encode(document)
        return files

    paths = history.write_set(folder, history.stem(report.started), extensions, make)
    return Written(report, paths, comparison, previous)


def load_document(path: Path) -> dict[str, Any]:
    """A report JSON file for ``mailguard diff``."""

    try:
        document = json.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise InputError(f"{path} is not a JSON report: {exc}") from exc
    if not isinstance(document, dict) or "domain" not in document:
        raise InputError(f"{path} is not a mailguard JSON report")
    return document


def report_lang(chosen: str | None, report: ScanReport) -> str:
    """--lang, else the config file's, else the statement's language, else English."""
    if chosen in ("en", "nl"):
        return chosen
    statement = report.extra.get("statement")
    found = statement.get("lang") if isinstance(statement, Mapping) else None
    return found if found in ("en", "nl") else "en"


class ReportWriter:
    """Writes each finished report into the history, and remembers whether any got worse."""

    def __init__(self, root: Path, formats: Sequence[str], signer: Signer | None, lang: str | None,
                 tz: str | None = None) -> None:
        self.root, self.formats, self.signer, self.lang, self.tz = root, list(formats), signer, lang, tz
        self.worse = False

    def __call__(self, report: ScanReport) -> Written:
        try:
            item = write_report(report, self.root, self.formats, lang=report_lang(self.lang, report),
                                tz=self.tz, signer=self.signer)
        except (OSError, InputError) as exc:
            raise InputError(f"cannot write the report for {report.domain} into {self.root}: {exc}") from exc
        self.worse = self.worse or item.worse
        return item
