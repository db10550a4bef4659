"""What `mailguard promises` prints: the statement's domains, processors and promises."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tabulate import tabulate

from ..core.jsonable import to_jsonable
from ..core.text import visible
from ..promises.patterns import VERIFIABLE

if TYPE_CHECKING:
    from ..promises import ReadStatement

_LANGUAGE = {"nl": "Dutch", "en": "English"}


def _settings(settings: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in settings.items())


def to_text(found: ReadStatement, written: Path | None = None, *, width: int = 90) -> str:
    statement, analysis = found.statement, found.analysis
    domains = analysis.domains
    lines = [f"statement: {statement.source} ({statement.format}, {_LANGUAGE.get(statement.language, '?')}, "
             f"{len(analysis.sentences)} sentences)", ""]
    rows = [["company domains", ", ".join(domains.company) or "(none found)"],
            ["web hosts named", ", ".join(domains.web_hosts) or "-"],
            ["e-mail addresses", ", ".join(domains.emails) or "-"],
            ["other domains", ", ".join(domains.others) or "-"]]
    lines.append(tabulate(rows, tablefmt="plain"))
    if analysis.processors:
        lines += ["", "Processors"]
        prows = [[p.info.name, "yes: " + p.info.mail[0] if p.info.sends_mail else "no",
                  p.info.spf_include or "-", ", ".join(p.info.dkim_selectors) or "-"]
                 for p in analysis.processors]
        lines.append(tabulate(prows, headers=["processor", "sends mail for the company", "SPF include",
                                              "DKIM selectors"], tablefmt="simple"))
    lines += ["", f"Promises ({len(analysis.promises)})"]
    if analysis.promises:
        rows = [[p.kind, "from outside" if p.kind in VERIFIABLE and p.settings.get("scope") != "processors"
                 else "not verifiable from outside", _settings(dict(p.settings)) or "-", visible(p.sentence)]
                for p in analysis.promises]
        lines.append(tabulate(rows, headers=["promise", "checked", "settings", "sentence"], tablefmt="simple",
                              maxcolwidths=[17, 14, 28, width]))
    else:
        lines.append("no security promises found")
    if written is not None:
        lines += ["", f"profile written to {written}"]
    elif found.profile.domains:
        lines += ["", f"write the check profile with --write-profile "
                      f"(checks/{found.profile.domains[0]}.toml)"]
    return visible("\n".join(lines), keep_lines=True)  # a statement's text never acts on the terminal


def to_json(found: ReadStatement, written: Path | None = None) -> str:
    doc = {
        "statement": {"source": found.statement.source, "url": found.statement.url,
                      "format": found.statement.format, "language": found.statement.language,
                      "evidence": found.statement.evidence},
        "domains": found.analysis.domains,
        "processors": [{"name": p.info.name, "sends_mail": p.info.sends_mail, "sends": p.info.mail[0],
                        "spf_include": p.info.spf_include, "dkim_selectors": p.info.dkim_selectors,
                        "sentence": p.sentence} for p in found.analysis.processors],
        "promises": [{**to_jsonable(p), "verifiable": p.kind in VERIFIABLE and p.settings.get("scope") != "processors"}
                     for p in found.analysis.promises],
        "profile": str(written) if written else None,
    }
    return json.dumps(to_jsonable(doc), indent=2, ensure_ascii=False)
