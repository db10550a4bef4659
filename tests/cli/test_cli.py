"""The command line: options, output formats and the documented exit codes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from mailguard.cli import main


def lab_args(lab):
    return ["--nameserver", lab.dns.address, "--timeout", "2"]


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_scan_good_domain_exits_0_and_prints_tables(lab):
    result = invoke("scan", "good.test", *lab_args(lab))
    assert result.exit_code == 0, result.output
    assert "MX [pass]" in result.output and "summary:" in result.output


def test_scan_broken_domain_exits_1(lab):
    assert invoke("scan", "broken.test", *lab_args(lab)).exit_code == 1


def test_fail_on_warn_raises_the_bar(lab):
    # weak.test has warnings but no failures in every measure that exists
    result = invoke("scan", "broken.test", *lab_args(lab), "--measure", "mx", "--fail-on", "warn")
    assert result.exit_code == 1


def test_json_is_versioned_and_holds_evidence(lab):
    result = invoke("scan", "good.test", *lab_args(lab), "--format", "json")
    doc = json.loads(result.output)
    assert doc["schema"] == "mailguard.report/1" and doc["domain"] == "good.test"
    mx = next(m for m in doc["measures"] if m["name"] == "mx")
    assert mx["evidence"][0]["data"]["query"] == {"name": "good.test", "type": "MX"}
    assert mx["findings"][0]["evidence"][0]["data"]["rcode"] == "NOERROR"


def test_invalid_domain_is_one_line_exit_2():
    result = CliRunner().invoke(main, ["scan", "exa mple..nl"])
    assert result.exit_code == 2
    assert "invalid domain name" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_bad_nameserver_is_exit_2():
    assert invoke("scan", "good.test", "--nameserver", "dns.example").exit_code == 2


def test_nonexistent_domain_cannot_be_scanned(lab):
    result = invoke("scan", "nothere.test", *lab_args(lab))
    assert result.exit_code == 3
    assert "does not exist" in result.output


def test_unreachable_resolver_exits_3_within_the_timeout():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    result = invoke("scan", "example.nl", "--nameserver", f"127.0.0.1:{port}", "--timeout", "1")
    assert result.exit_code == 3
    assert "could not scan example.nl" in result.output
    assert time.monotonic() - started < 3


def test_silent_resolver_exits_3_within_the_timeout():
    # Bound but never reads: every query waits out its timeout.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        started = time.monotonic()
        result = invoke("scan", "example.nl", "--nameserver", f"127.0.0.1:{s.getsockname()[1]}",
                        "--timeout", "1")
    assert result.exit_code == 3
    assert "no answer" in result.output
    assert time.monotonic() - started < 4


def test_help_documents_exit_codes():
    assert "Exit codes" in invoke("scan", "--help").output


def test_demo_runs_with_no_internet_as_a_real_process():
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-m", "mailguard", "demo"], capture_output=True, text=True,
                          timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    for domain in ("good.test", "weak.test", "broken.test", "nomail.test"):
        assert domain in proc.stdout


@pytest.mark.parametrize("domain", ["good.test", "broken.test"])
def test_subprocess_scan_exit_codes(lab, domain):
    proc = subprocess.run([sys.executable, "-m", "mailguard", "scan", domain, *lab_args(lab)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == {"good.test": 0, "broken.test": 1}[domain], proc.stdout + proc.stderr


def test_mailguard_lab_serves_the_whole_demo_world_and_prints_the_scan_line_that_reaches_it(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    lab = subprocess.Popen([sys.executable, "-m", "mailguard", "lab"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and not line.startswith("scan it"):
            line = lab.stdout.readline() if lab.stdout else ""
        assert line.startswith("scan it, every measure: mailguard scan "), line
        args = line.split("mailguard ", 1)[1].split()
        args[args.index("good.test") + 1:args.index("--config")] = []  # one domain is enough here
        result = CliRunner().invoke(main, [*args, "--format", "jsonl", "--report-dir", str(tmp_path)])
        document = json.loads(result.output.splitlines()[0])
        assert document["domain"] == "good.test" and not document["error"]
        status = {m["name"]: m["status"] for m in document["measures"]}
        # mail TLS, DANE, MTA-STS and the website were tested against the lab's servers, not skipped
        for name in ("starttls", "dane", "mta-sts", "web-https", "web-tls", "hsts"):
            assert status[name] == "pass", (name, status[name])
    finally:
        lab.send_signal(signal.SIGINT)
        lab.wait(30)
        if lab.stdout:
            lab.stdout.close()
