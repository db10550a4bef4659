"""How reading a statement behaves on hostile input: a PDF bomb and 1 MB of statement text.

    .venv/bin/python benchmarks/statement_budget.py

Prints, for each case, the wall time, the outcome and the peak memory (RSS) of the child process
that parsed it. Targets (issue 16): the bomb ends in a clear error within the budget, under 300 MB;
1 MB of text is analysed (the figure is what this machine does).
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailguard.app.statements import understand_within  # noqa: E402
from mailguard.core.errors import InputError  # noqa: E402
from mailguard.core.model import Evidence  # noqa: E402
from mailguard.promises import Document  # noqa: E402
from tests.pdfmaker import make_bomb  # noqa: E402

STATEMENT = """Privacyverklaring van Voorbeeld BV. Wij beschermen uw gegevens. Voor onze e-mail gebruiken wij
SPF, DKIM en DMARC, zodat niemand uit onze naam kan mailen. Onze website is alleen via https:// bereikbaar.
Wij maken back-ups en gebruiken tweestapsverificatie. Vragen? Mail privacy@voorbeeld.nl.
"""


def run(name: str, document: Document, budget: float) -> None:
    started = time.perf_counter()
    try:
        found = understand_within(document, budget=budget)
        outcome = f"read: {len(found.analysis.sentences)} sentences, {len(found.analysis.promises)} promises"
    except InputError as exc:
        outcome = f"refused: {exc}"
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{name}: {elapsed:.2f} s, child peak RSS so far {peak:.0f} MiB; {outcome}")


def main() -> None:
    bomb = make_bomb(400)
    print(f"PDF bomb: {len(bomb) / 1024:.0f} KiB on disk, 400 MB of content stream inflated")
    run("PDF bomb", Document(bomb, "pdf", "bomb.pdf", "", Evidence("input", "bomb")), 20.0)
    shared = make_bomb(8, pages=300)
    print(f"shared-stream PDF bomb: {len(shared) / 1024:.0f} KiB on disk, 300 pages x 8 MB of content")
    run("shared-stream PDF bomb", Document(shared, "pdf", "bomb2.pdf", "", Evidence("input", "bomb")), 20.0)
    text = (STATEMENT * (1_000_000 // len(STATEMENT) + 1))[:1_000_000].encode()
    run("1 MB of statement text", Document(text, "text", "big.txt", "", Evidence("input", "big")), 60.0)


if __name__ == "__main__":
    main()
