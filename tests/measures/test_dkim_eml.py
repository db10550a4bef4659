"""Signed messages in a scan (--eml) and `mailguard dkim verify`: findings, data and exit codes."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailguard.cli import main
from mailguard.core.model import MeasureResult
from mailguard.lab import Lab, load_zone_text
from mailguard.measures.dkim import measure as dkim
from tests.conftest import codes, run_measure
from tests.dkim_signer import message, new_ed25519, new_rsa, sign

ZONE = """$TTL 300
@ IN SOA ns.eml.test. h.eml.test. 1 2 3 4 5
@ IN NS ns.eml.test.
ns IN A 127.0.0.1
"""


@pytest.fixture(scope="module")
def emllab():
    rsa_key, ed_key = new_rsa(2048), new_ed25519()
    zone = "\n".join([ZONE, rsa_key.zone_line("hidden1._domainkey"), ed_key.zone_line("ed9._domainkey")])
    with Lab() as running:
        running.dns.replace_zone(load_zone_text("eml.test", zone + "\n"))
        running.keys = {"hidden1": rsa_key, "ed9": ed_key}  # type: ignore[attr-defined]
        yield running


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def signed(lab: Lab, selector: str = "hidden1", *, sender: str = "billing@eml.test", **options) -> bytes:
    return sign(message(sender=sender), lab.keys[selector], domain=options.pop("domain", "eml.test"),
                selector=selector, **options)


def scan(lab: Lab, *paths: Path) -> MeasureResult:
    return run_measure(dkim, "eml.test", lab.config(eml_files=paths))


def subject_codes(result: MeasureResult, subject: str) -> dict[str, str]:
    return {f.code: f.verdict.value for f in result.findings if f.subject == subject}


# -- the DKIM measure with messages -------------------------------------------------------------------

def test_without_a_message_no_key_is_found(emllab):
    assert codes(scan(emllab))["DKIM-NONE-FOUND"] == "not tested"


def test_a_message_proves_dkim_and_its_selector_joins_the_key_check(emllab, tmp_path):
    result = scan(emllab, write(tmp_path, "invoice.eml", signed(emllab)))
    assert result.status.value == "pass", codes(result)
    assert subject_codes(result, "invoice.eml #1") == {"DKIM-MSG-PASS": "pass"}
    proves = next(f for f in result.findings if f.code == "DKIM-MSG-PROVES")
    assert "invoice.eml proves DKIM for eml.test" in proves.reason
    assert "aligned with From eml.test (strict and relaxed)" in proves.reason
    assert result.data["proven_by"] == ["invoice.eml"]
    key = next(k for k in result.data["keys"] if k["selector"] == "hidden1")
    assert key["origin"] == "message" and key["bits"] == 2048
    assert "DKIM-NONE-FOUND" not in codes(result)
    # the evidence: the message itself (with its digest) and the key's DNS answer
    kinds = {e.kind for e in proves.evidence}
    assert kinds == {"input", "dns"}
    facts = result.data["messages"][0]
    assert len(facts["sha256"]) == 64 and facts["signatures"][0]["result"] == "pass"
    assert facts["signatures"][0]["aligned_strict"] is True


def test_ed25519_message_with_body_length_is_flagged(emllab, tmp_path):
    raw = signed(emllab, "ed9", canon="relaxed/relaxed", length=20)
    result = scan(emllab, write(tmp_path, "l.eml", raw))
    found = subject_codes(result, "l.eml #1")
    assert found == {"DKIM-MSG-PASS": "pass", "DKIM-MSG-BODY-LENGTH": "warn"}
    assert "anyone can append" in next(f.reason for f in result.findings if f.code == "DKIM-MSG-BODY-LENGTH")


def test_from_not_signed_fails(emllab, tmp_path):
    raw = signed(emllab, headers=("to", "subject", "date"))
    result = scan(emllab, write(tmp_path, "nofrom.eml", raw))
    assert subject_codes(result, "nofrom.eml #1") == {"DKIM-MSG-FROM-NOT-SIGNED": "fail"}
    assert codes(result)["DKIM-MSG-NOT-PROVEN"] == "warn"
    assert result.status.value == "fail"


def test_changed_message_warns_and_does_not_prove(emllab, tmp_path):
    raw = signed(emllab).replace(b"attached", b"ATTACHED")
    result = scan(emllab, write(tmp_path, "changed.eml", raw))
    assert subject_codes(result, "changed.eml #1") == {"DKIM-MSG-BODY-CHANGED": "warn"}
    assert result.data["proven_by"] == []


def test_signature_of_the_domain_not_aligned_with_from(emllab, tmp_path):
    raw = signed(emllab, sender="news@elsewhere.example")
    result = scan(emllab, write(tmp_path, "other-from.eml", raw))
    found = codes(result)
    assert found["DKIM-MSG-PROVES"] == "pass" and found["DKIM-MSG-NOT-ALIGNED"] == "warn"


def test_unsigned_and_unreadable_messages(emllab, tmp_path):
    plain = write(tmp_path, "plain.eml", message())
    junk = write(tmp_path, "junk.eml", b" not a message\r\n")
    result = scan(emllab, plain, junk)
    assert codes(result)["DKIM-MSG-UNSIGNED"] == "warn"
    assert codes(result)["DKIM-MSG-UNREADABLE"] == "not tested"


def test_several_messages_say_which_proved(emllab, tmp_path):
    good = write(tmp_path, "good.eml", signed(emllab))
    changed = write(tmp_path, "changed.eml", signed(emllab).replace(b"attached", b"gone"))
    result = scan(emllab, changed, good)
    assert result.data["proven_by"] == ["good.eml"]


# -- mailguard dkim verify --------------------------------------------------------------------------------

def verify_cli(lab: Lab, path: Path, *extra: str):
    return CliRunner().invoke(main, ["dkim", "verify", str(path), "--nameserver", lab.dns.address,
                                     "--timeout", "2", *extra])


def test_verify_pass_prints_the_result_word_first_and_exits_0(emllab, tmp_path):
    out = verify_cli(emllab, write(tmp_path, "m.eml", signed(emllab, canon="simple/relaxed")), "-v")
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[1].startswith("pass") and "d=eml.test s=hidden1 a=rsa-sha256 c=simple/relaxed" in lines[1]
    assert "key: rsa, 2048 bits, at hidden1._domainkey.eml.test" in out.output
    assert "signed headers: from, to, subject, date (From signed)" in out.output
    assert "strict yes, relaxed yes" in out.output
    assert "evidence: TXT hidden1._domainkey.eml.test" in out.output


def test_verify_failure_exits_1_and_says_which_hash(emllab, tmp_path):
    out = verify_cli(emllab, write(tmp_path, "m.eml", signed(emllab).replace(b"attached", b"x")))
    assert out.exit_code == 1
    assert out.output.splitlines()[1].startswith("fail")
    assert "body hash: MISMATCH; header signature: ok" in out.output


def test_verify_unsigned_exits_1(emllab, tmp_path):
    out = verify_cli(emllab, write(tmp_path, "m.eml", message()))
    assert out.exit_code == 1 and "no DKIM-Signature" in out.output


def test_verify_json(emllab, tmp_path):
    import json

    out = verify_cli(emllab, write(tmp_path, "m.eml", signed(emllab, "ed9")), "--format", "json")
    doc = json.loads(out.output)
    assert doc["schema"] == "mailguard.measures.dkim-verify/1" and doc["passed"] == [1]
    assert doc["verifications"][0]["key_evidence"]["data"]["query"]["name"] == "ed9._domainkey.eml.test"


@pytest.mark.parametrize("content", [b" folded first\r\n", b"\r\nbody only"])
def test_verify_bad_input_exits_2(emllab, tmp_path, content):
    out = verify_cli(emllab, write(tmp_path, "bad.eml", content))
    assert out.exit_code == 2 and "not a mail message" in out.output


def test_verify_missing_file_exits_2(emllab, tmp_path):
    assert verify_cli(emllab, tmp_path / "nope.eml").exit_code == 2


def test_verify_without_a_resolver_exits_3(emllab, tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = write(tmp_path, "m.eml", signed(emllab))
    out = CliRunner().invoke(main, ["dkim", "verify", str(path), "--nameserver", f"127.0.0.1:{port}",
                                    "--timeout", "1"])
    assert out.exit_code == 3, out.output
    assert out.output.splitlines()[1].startswith("temperror")


def test_verify_as_a_real_process(emllab, tmp_path):
    path = write(tmp_path, "m.eml", signed(emllab, "ed9"))
    done = subprocess.run([sys.executable, "-m", "mailguard", "dkim", "verify", str(path),
                           "--nameserver", emllab.dns.address], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.splitlines()[1].startswith("pass"), done.stderr


# -- mailguard scan --eml ----------------------------------------------------------------------------------

def test_scan_with_eml_reports_which_message_proved_dkim(emllab, tmp_path):
    path = write(tmp_path, "invoice.eml", signed(emllab))
    out = CliRunner().invoke(main, ["scan", "eml.test", "--measure", "dkim", "--eml", str(path),
                                    "--nameserver", emllab.dns.address, "--timeout", "2"])
    assert out.exit_code == 0, out.output
    assert "invoice.eml proves DKIM for eml.test" in out.output


def test_scan_with_a_file_that_is_not_a_message_exits_2(emllab, tmp_path):
    path = write(tmp_path, "bad.eml", b" nope\r\n")
    out = CliRunner().invoke(main, ["scan", "eml.test", "--eml", str(path),
                                    "--nameserver", emllab.dns.address])
    assert out.exit_code == 2 and "not a mail message" in out.output
