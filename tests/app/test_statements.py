"""Reading a statement under a budget: a hostile document ends in a clear error, never a hang or
an out-of-memory kill; an ordinary one reads as before."""

from __future__ import annotations

import pytest

from mailguard.app.statements import understand_within
from mailguard.core.errors import InputError
from mailguard.core.model import Evidence
from mailguard.promises import Document
from tests.pdfmaker import make_bomb, make_pdf


def document(data: bytes, fmt: str, name: str = "statement") -> Document:
    return Document(data, fmt, name, "", Evidence("input", name))


def test_an_ordinary_statement_reads_within_the_budget():
    pdf = make_pdf([["Voorbeeld BV (voorbeeld.nl) gebruikt SPF, DKIM en DMARC voor haar e-mail."]])
    found = understand_within(document(pdf, "pdf"), budget=20)
    assert {p.kind for p in found.analysis.promises} >= {"spf", "dkim", "dmarc"}
    assert found.analysis.domains.company == ("voorbeeld.nl",)


def test_a_pdf_bomb_that_shares_one_stream_across_pages_ends_at_the_wall_clock_budget():
    bomb = make_bomb(8, pages=300)  # 70 KB that would inflate to 2.4 GB of text operators
    assert len(bomb) < 200_000
    with pytest.raises(InputError, match="longer than its budget of 2 s"):
        understand_within(document(bomb, "pdf", "bomb.pdf"), budget=2)


def test_a_pdf_bomb_in_one_stream_is_refused_by_the_decompression_cap():
    with pytest.raises(InputError, match="not a readable PDF"):
        understand_within(document(make_bomb(400), "pdf", "bomb.pdf"), budget=20)


def test_a_statement_that_needs_more_memory_than_the_ceiling_is_refused():
    text = ("Wij gebruiken SPF en DKIM voor onze e-mail van voorbeeld.nl. " * 60_000).encode()
    # 3.6 MB of text makes tens of MB of sentences and matches: far past a 2 MiB ceiling (8 MiB
    # sat too close to what the reading needs, and passed or not with the allocator's luck)
    with pytest.raises(InputError, match="within 2 MiB of memory"):
        understand_within(document(text, "text"), budget=20, headroom=2 * 1024 * 1024)
