"""Ed25519 keys and detached signatures: good, changed byte, wrong key; through the CLI too."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from mailguard.app import signing
from mailguard.cli import main


@pytest.fixture
def keys(tmp_path):
    private, public, fingerprint = signing.generate(tmp_path / "keys")
    return private, public, fingerprint


def sign(path, private, signer="Privacy office"):
    key = signing.load_private_key(private)
    document = signing.signature_document(
        path.read_bytes(), path.name, key, signer, datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    )
    signing.sig_path(path).write_bytes(signing.encode(document))
    return document


def test_keygen_writes_a_private_key_only_its_owner_can_read(keys):
    private, public, fingerprint = keys
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in private.read_bytes() and b"PUBLIC KEY" in public.read_bytes()
    assert fingerprint.startswith("SHA256:") and fingerprint == signing.fingerprint(
        signing.load_public_key(public)
    )


def test_keygen_never_overwrites(keys, tmp_path):
    before = keys[0].read_bytes()
    with pytest.raises(signing.SignatureError, match="exists already"):
        signing.generate(tmp_path / "keys")
    assert keys[0].read_bytes() == before


def test_a_signed_file_verifies_with_its_public_key(keys, tmp_path):
    private, public, fingerprint = keys
    report = tmp_path / "20260301T090000Z.html"
    report.write_bytes("<p>rapport ✓</p>\n".encode())
    sign(report, private)
    result = signing.verify_file(report, signing.load_public_key(public))
    assert result.ok and result.trusted
    assert (result.signer, result.signed_at, result.key_fingerprint) == (
        "Privacy office",
        "2026-03-01T09:00:00Z",
        fingerprint,
    )


@pytest.mark.parametrize("position", [0, 7, -1])
def test_one_changed_byte_does_not_verify(keys, tmp_path, position):
    private, public, _ = keys
    report = tmp_path / "r.json"
    report.write_bytes(b'{"domain": "example.test", "verdict": "pass"}')
    sign(report, private)
    data = bytearray(report.read_bytes())
    data[position] ^= 0x01
    report.write_bytes(bytes(data))
    for key in (signing.load_public_key(public), None):
        result = signing.verify_file(report, key)
        assert not result.ok and "changed" in result.problem


def test_appended_bytes_do_not_verify(keys, tmp_path):
    report = tmp_path / "r.md"
    report.write_bytes(b"# report\n")
    sign(report, keys[0])
    report.write_bytes(b"# report\n\n")
    assert not signing.verify_file(report).ok


def test_a_wrong_key_does_not_verify(keys, tmp_path):
    report = tmp_path / "r.md"
    report.write_bytes(b"# report\n")
    sign(report, keys[0])
    _, other_public, _ = signing.generate(tmp_path / "other")
    result = signing.verify_file(report, signing.load_public_key(other_public))
    assert not result.ok and "not with" in result.problem


def test_resigning_with_another_key_is_caught_only_with_the_public_key(keys, tmp_path):
    # An attacker who changes the report and signs it again with their own key passes the
    # embedded-key check, which is why verify says the key was not checked without --public-key.
    report = tmp_path / "r.md"
    report.write_bytes(b"# report\n")
    sign(report, keys[0])
    report.write_bytes(b"# forged report\n")
    attacker, _, _ = signing.generate(tmp_path / "attacker")
    sign(report, attacker, signer="Privacy office")
    assert signing.verify_file(report).ok and not signing.verify_file(report).trusted
    assert not signing.verify_file(report, signing.load_public_key(keys[1])).ok


@pytest.mark.parametrize(
    ("field", "value"),
    [("signer", "Someone else"), ("signed_at", "2020-01-01T00:00:00Z"), ("file", "other.html"), ("size", 3)],
)
def test_changing_a_signed_field_does_not_verify(keys, tmp_path, field, value):
    report = tmp_path / "r.html"
    report.write_bytes(b"<p>x</p>")
    document = sign(report, keys[0])
    document[field] = value
    signing.sig_path(report).write_text(json.dumps(document))
    assert not signing.verify_file(report, signing.load_public_key(keys[1])).ok


def test_a_legacy_signature_without_bound_fields_still_verifies_a_renamed_copy(keys, tmp_path):
    report = tmp_path / "20260301T090000Z.html"
    report.write_bytes(b"<p>x</p>")
    sign(report, keys[0])
    copy = tmp_path / "archive.html"
    copy.write_bytes(report.read_bytes())
    signing.sig_path(copy).write_bytes(signing.sig_path(report).read_bytes())
    result = signing.verify_file(copy, signing.load_public_key(keys[1]))
    assert result.ok and result.file == "20260301T090000Z.html"


@pytest.mark.parametrize("junk", [b"", b"not json", b"[]", b'{"format": "other"}', b"{" * 100000])
def test_junk_signature_files_are_input_errors(keys, tmp_path, junk):
    report = tmp_path / "r.html"
    report.write_bytes(b"x")
    signing.sig_path(report).write_bytes(junk)
    with pytest.raises(signing.SignatureError):
        signing.verify_file(report)


def test_malformed_signature_values_do_not_verify(keys, tmp_path):
    report = tmp_path / "r.html"
    report.write_bytes(b"x")
    document = sign(report, keys[0])
    for field, value in [("signature", "!!!"), ("public_key", "AAAA"), ("signature", "")]:
        broken = dict(document, **{field: value})
        signing.sig_path(report).write_text(json.dumps(broken))
        assert not signing.verify_file(report).ok


def test_cli_keygen_and_verify(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["keygen", "--out", str(tmp_path / "k")])
    assert result.exit_code == 0, result.output
    assert "fingerprint: SHA256:" in result.output
    again = runner.invoke(main, ["keygen", "--out", str(tmp_path / "k")])
    assert again.exit_code == 2 and "exists already" in again.output
    report = tmp_path / "r.html"
    report.write_bytes(b"<p>x</p>")
    sign(report, tmp_path / "k" / "mailguard.key", signer="DPO")
    good = runner.invoke(main, ["verify", str(report), "--public-key", str(tmp_path / "k" / "mailguard.pub")])
    assert good.exit_code == 0 and "signed by DPO at 2026-03-01T09:00:00Z" in good.output
    assert "note:" not in good.output
    untrusted = runner.invoke(main, ["verify", str(report)])
    assert untrusted.exit_code == 0 and "pass --public-key" in untrusted.output
    report.write_bytes(b"<p>y</p>")
    bad = runner.invoke(main, ["verify", str(report), "--public-key", str(tmp_path / "k" / "mailguard.pub")])
    assert bad.exit_code == 1 and "NOT VERIFIED" in bad.output
    missing = runner.invoke(main, ["verify", str(tmp_path / "nothing.html")])
    assert missing.exit_code == 2


# --- what a signature covers: domain, scan time, format (replay of a report under another name) ---

@pytest.fixture
def written(keys, tmp_path):
    """A real report of example.test written and signed into a report folder, in two formats."""
    from mailguard.app.publish import Signer, write_report
    from tests.report_fixture import REPORT

    signer = Signer(signing.load_private_key(keys[0]), "Privacy office")
    item = write_report(REPORT, tmp_path / "reports", ["json", "html"], signer=signer)
    return item.paths


def test_a_signature_binds_domain_scan_time_and_format(written, keys):
    result = signing.verify_file(written["json"], signing.load_public_key(keys[1]))
    assert result.ok
    assert (result.domain, result.scanned_at, result.report_format) == (
        "example.test", "2026-03-01T09:00:00.000+00:00", "json")


def _copy(src, dst):
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(src.read_bytes())
    signing.sig_path(dst).write_bytes(signing.sig_path(src).read_bytes())
    return dst


def test_a_report_renamed_to_another_date_does_not_verify(written, keys):
    other = _copy(written["html"], written["html"].with_name("20270101T000000Z.html"))
    result = signing.verify_file(other, signing.load_public_key(keys[1]))
    assert not result.ok and "signed as 20260301T090000Z.html" in result.problem


def test_a_report_moved_to_another_domain_does_not_verify(written, keys):
    moved = _copy(written["json"], written["json"].parents[1] / "victim.test" / written["json"].name)
    result = signing.verify_file(moved, signing.load_public_key(keys[1]))
    assert not result.ok and "folder of victim.test" in result.problem


def test_a_json_report_whose_header_disagrees_does_not_verify(keys, tmp_path):
    # Signed as the report of example.test, but the bytes are another domain's report.
    report = tmp_path / "20260301T090000Z.json"
    report.write_text(json.dumps({"domain": "other.test", "started": "2026-03-01T09:00:00.000+00:00"}))
    key = signing.load_private_key(keys[0])
    covered = signing.Covered("example.test", "2026-03-01T09:00:00.000+00:00", "json")
    document = signing.signature_document(report.read_bytes(), report.name, key, "x", covered=covered)
    signing.sig_path(report).write_bytes(signing.encode(document))
    result = signing.verify_file(report, signing.load_public_key(keys[1]))
    assert not result.ok and "domain or scan time" in result.problem


def test_verify_says_what_the_signature_covers(written, keys):
    out = CliRunner().invoke(main, ["verify", str(written["html"]), "--public-key", str(keys[1])])
    assert out.exit_code == 0, out.output
    assert ("covers: the html report of example.test, scanned at 2026-03-01T09:00:00.000+00:00"
            in out.output)
    assert f"with key {keys[2]}" in out.output


def test_a_private_key_given_as_the_public_key_is_a_usage_error(written, keys):
    out = CliRunner().invoke(main, ["verify", str(written["html"]), "--public-key", str(keys[0])])
    assert out.exit_code == 2 and "is a private key" in out.output


def test_a_signer_name_with_escape_sequences_cannot_hide_the_untrusted_note(keys, tmp_path):
    report = tmp_path / "r.html"
    report.write_bytes(b"<p>x</p>")
    # ESC[1A ESC[2K: cursor up, erase line. Printed raw, it would wipe the line above it.
    sign(report, keys[0], signer="DPO\x1b[1A\x1b[2K\u202e")
    out = CliRunner().invoke(main, ["verify", str(report)])
    assert out.exit_code == 0
    assert "\x1b" not in out.output and "\u202e" not in out.output
    assert "DPO\\x1b[1A\\x1b[2K\\u202e" in out.output
    assert "pass --public-key" in out.output
