"""Minimal PDF documents for tests: each line of text drawn as its own text line, as PDF
printers do, so that extraction gives back the broken lines a real statement PDF gives."""

from __future__ import annotations


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def make_pdf(pages: list[list[str]]) -> bytes:
    """A PDF with one page per list of lines (Helvetica 11 pt, WinAnsiEncoding)."""
    objects: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, lines in enumerate(pages):
        content = b"BT /F1 11 Tf 14 TL 56 780 Td " + b" ".join(
            b"(" + _escape(line) + b") Tj T*" for line in lines) + b" ET"
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources "
                       f"<< /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    return assemble(objects)


def make_bomb(decompressed_mb: int = 400, pages: int = 1) -> bytes:
    """A PDF whose content stream is small on disk and inflates to ``decompressed_mb`` MB of
    text-showing operators, drawn on ``pages`` pages that all share it: what a hostile statement
    would be (a few KB that cost minutes and gigabytes to a reader without a budget)."""
    import zlib

    squeeze = zlib.compressobj(9)
    chunk = b"(AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA) Tj T* " * 16384
    parts = [squeeze.compress(b"BT /F1 11 Tf 14 TL 56 780 Td ")]
    for _ in range(decompressed_mb * 1024 * 1024 // len(chunk)):
        parts.append(squeeze.compress(chunk))
    parts.append(squeeze.compress(b" ET") + squeeze.flush())
    stream = b"".join(parts)
    kids = " ".join(f"{5 + i} 0 R" for i in range(pages)).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ] + [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
         b"/Contents 4 0 R >>"] * pages
    return assemble(objects)


def assemble(objects: list[bytes]) -> bytes:
    """The file: header, the numbered objects (1 is the catalog), the cross-reference table, trailer."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
