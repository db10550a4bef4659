"""The PDF report: A4, page numbers in the reader's language, running header, metadata, embedded
fonts, selectable text; written and signed like the other formats, and checked by `mailguard verify`."""

from __future__ import annotations

import io

import pypdf
import pytest
from click.testing import CliRunner

from mailguard.app.publish import Signer, write_report
from mailguard.cli import main
from mailguard.render import pdf as render_pdf
from mailguard.render import view
from tests.report_fixture import REPORT

pytestmark = pytest.mark.skipif(not render_pdf.available(), reason="WeasyPrint or Pango is not installed")

A4 = (595.28, 841.89)  # points


def _reader(data: bytes) -> pypdf.PdfReader:
    assert data.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(data))


@pytest.mark.parametrize(("lang", "label"), [("nl", "pagina {n} van {total}"), ("en", "page {n} of {total}")])
def test_every_page_is_a4_numbered_and_headed(lang, label):
    reader = _reader(render_pdf.render(REPORT, lang=lang))
    total = len(reader.pages)
    assert total >= 2
    for n, page in enumerate(reader.pages, 1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - A4[0]) < 1 and abs(height - A4[1]) < 1
        text = page.extract_text()
        assert label.format(n=n, total=total) in text  # the footer
        # the running header: the domain and the scan time as the reader writes it
        assert REPORT.domain in text and view.when(REPORT.started, lang) in text


def test_page_one_is_the_summary_with_the_promise_table_worst_first():
    reader = _reader(render_pdf.render(REPORT, lang="nl"))
    first = reader.pages[0].extract_text()
    assert "Beloften in de verklaring" in first and "De drie belangrijkste acties" in first
    # the statement's order is dmarc, https, 2fa; the table puts what is not upheld first and
    # what is upheld last
    table = first[first.index("Beloften in de verklaring") :]
    rows = [table.index(row) for row in ("1 DMARC niet nagekomen", "2 tweestapsverificatie", "3 https nagekomen")]
    assert rows == sorted(rows)
    assert "127.0.0.1:53" in first and "mailguard 0.1.0" in first  # resolver and version
    assert "Bijlage" not in first  # the raw evidence comes last


def test_metadata_and_embedded_fonts():
    reader = _reader(render_pdf.render(REPORT, lang="en"))
    meta = reader.metadata
    assert meta is not None
    assert meta.title == f"Evidence report: {REPORT.domain}"
    assert meta.subject and REPORT.domain in meta.subject
    assert meta.creation_date is not None and meta.creation_date.year == 2026
    assert meta.producer and "WeasyPrint" in meta.producer
    fonts = []
    for page in reader.pages:
        resources = page["/Resources"]
        for font in resources.get("/Font", {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            if descriptor is not None:
                descriptor = descriptor.get_object()
                fonts.append(any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")))
    assert fonts and all(fonts), "every font is embedded"


def test_a_signed_pdf_verifies_and_a_changed_one_does_not(tmp_path):
    key = tmp_path / "k"
    runner = CliRunner()
    assert runner.invoke(main, ["keygen", "--out", str(key)]).exit_code == 0
    written = write_report(REPORT, tmp_path / "reports", ["pdf"], lang="nl",
                           signer=Signer.load(key / "mailguard.key", "DPO"))
    path = written.paths["pdf"]
    assert path.suffix == ".pdf" and path.read_bytes().startswith(b"%PDF-")
    assert path.name in written.paths["pdf.sig"].read_text()
    pub = str(key / "mailguard.pub")
    good = runner.invoke(main, ["verify", str(path), "--public-key", pub])
    assert good.exit_code == 0 and "signed by DPO" in good.output, good.output
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))
    bad = runner.invoke(main, ["verify", str(path), "--public-key", pub])
    assert bad.exit_code == 1 and "NOT VERIFIED" in bad.output


def test_pdf_is_a_report_format_in_the_config_file(tmp_path):
    from mailguard.app import settings

    path = tmp_path / "mailguard.toml"
    path.write_text('formats = ["pdf", "json"]\n')
    assert settings.load(path).formats == ("pdf", "json")
