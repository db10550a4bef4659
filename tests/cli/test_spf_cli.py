"""`mailguard spf`: the result word first, the explanation, the trace, and the exit codes."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from mailguard.cli import main
from tests.spf_support import running_spf_lab


@pytest.fixture(scope="module")
def spf_lab():
    yield from running_spf_lab()


def spf(lab, *args, timeout="2"):
    result = CliRunner().invoke(main, ["spf", *args, "--nameserver", lab.dns.address, "--timeout", timeout])
    return result, result.output.splitlines()


@pytest.mark.parametrize(("ip", "sender", "word"), [
    ("192.0.2.10", "a@pass.spf.test", "pass"),
    ("198.51.100.1", "a@pass.spf.test", "fail"),
    ("192.0.2.11", "a@softfail.spf.test", "softfail"),
    ("192.0.2.11", "a@neutral.spf.test", "neutral"),
    ("192.0.2.10", "a@nospf.spf.test", "none"),
    ("192.0.2.10", "a@two.spf.test", "permerror"),
    ("192.0.2.10", "a@inc-temp.spf.test", "temperror"),
])
def test_result_word_first_and_exit_0(spf_lab, ip, sender, word):
    result, lines = spf(spf_lab, "--ip", ip, "--sender", sender, timeout="0.5")
    assert result.exit_code == 0, result.output
    assert lines == [word]


def test_explanation_on_the_second_line(spf_lab):
    result, lines = spf(spf_lab, "--ip", "192.0.2.77", "--sender", "billing@exp.spf.test")
    assert lines == ["fail", "192.0.2.77 is not one of exp.spf.test's designated mail servers; "
                             "see https://spf.test/why?s=billing%40exp.spf.test"]


def test_helo_identity_for_a_bounce(spf_lab):
    result, lines = spf(spf_lab, "--ip", "192.0.2.40", "--sender", "", "--helo", "helo.spf.test")
    assert lines == ["pass"]


def test_verbose_shows_the_trace_with_dns_evidence(spf_lab):
    result, lines = spf(spf_lab, "--ip", "192.0.2.10", "--sender", "a@inc.spf.test", "-v")
    assert lines[0] == "pass"
    text = result.output
    assert "reason: 'include:pass.spf.test' in the record of inc.spf.test matched (RFC 7208 §4.6.2)" in text
    assert "lookups: 1 of 10" in text and "trace:" in text
    assert f"TXT pass.spf.test @{spf_lab.dns.address} NOERROR" in text


@pytest.mark.parametrize("args", [
    ["--ip", "192.0.2.300", "--sender", "a@pass.spf.test"],
    ["--ip", "fe80::1%eth0", "--sender", "a@pass.spf.test"],
    ["--ip", "192.0.2.1"],  # neither a sender nor a HELO name
    ["--ip", "192.0.2.1", "--sender", "<>"],
    ["--sender", "a@pass.spf.test"],  # no --ip
])
def test_bad_input_is_exit_2(spf_lab, args):
    result, _ = spf(spf_lab, *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_bad_nameserver_is_exit_2():
    result = CliRunner().invoke(main, ["spf", "--ip", "192.0.2.1", "--sender", "a@b.test",
                                       "--nameserver", "resolver.example"])
    assert result.exit_code == 2


def test_silent_name_is_temperror_within_the_timeout(spf_lab):
    started = time.monotonic()
    result, lines = spf(spf_lab, "--ip", "192.0.2.10", "--sender", "a@silent.spf.test", timeout="0.5")
    assert (result.exit_code, lines) == (0, ["temperror"])
    assert time.monotonic() - started < 3


def test_no_resolver_reachable_is_exit_3_within_the_timeout():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # bound, never answers
        started = time.monotonic()
        result = CliRunner().invoke(main, ["spf", "--ip", "192.0.2.10", "--sender", "a@pass.spf.test",
                                           "--nameserver", f"127.0.0.1:{silent.getsockname()[1]}",
                                           "--timeout", "0.5"])
    assert result.exit_code == 3
    assert "no answer from the resolver" in result.output
    assert time.monotonic() - started < 4


def test_help_documents_the_exit_codes():
    output = CliRunner().invoke(main, ["spf", "--help"]).output
    assert "Exit codes" in output and "--helo" in output


def test_a_real_process(spf_lab):
    proc = subprocess.run([sys.executable, "-m", "mailguard", "spf", "--ip", "192.0.2.21", "--sender",
                           "invoices@mx.spf.test", "--nameserver", spf_lab.dns.address, "--timeout", "2"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "pass\n"
