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
    text = varied_text(1_000_000)
    run("1 MB of statement text", Document(text.encode(), "text", "big.txt", "", Evidence("input", "big")), 60.0)
    extraction(text)


def varied_text(size: int) -> str:
    """Statement-like text that never repeats a sentence: words of a statement in seeded random order."""
    import random
    import re

    words = re.findall(r"\S+", STATEMENT) + ["privacy@voorbeeld.nl", "www.voorbeeld.nl", "TLS", "DMARC"]
    rng = random.Random(7)
    out: list[str] = []
    length = 0
    while length < size:
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(6, 30))).rstrip(".") + "."
        out.append(sentence + ("\n\n" if rng.random() < 0.15 else " "))
        length += len(out[-1])
    return "".join(out)[:size]


def extraction(text: str) -> None:
    """The promise extraction alone (sentences -> promises), in this process: CPU seconds."""
    from mailguard.promises.extract import analyse, blocks, find_promises
    from mailguard.promises.normalise import normalise

    clean = normalise(text)
    read = blocks(clean)
    started = time.process_time()
    found = find_promises(read)
    middle = time.process_time()
    analysis = analyse(clean, "nl")
    done = time.process_time()
    print(f"1 MB, promise extraction: {middle - started:.2f} s CPU ({len(found)} promises); whole analysis "
          f"(sentences, domains, processors, promises): {done - middle:.2f} s CPU, "
          f"{len(analysis.sentences)} sentences")


if __name__ == "__main__":
    main()
