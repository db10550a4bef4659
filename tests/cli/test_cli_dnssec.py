"""--trust-anchor on the command line: the lab's anchor validates its DNS; a bad file is exit 2."""

from __future__ import annotations

import json

from click.testing import CliRunner

from mailguard.cli import main


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_scan_with_the_labs_trust_anchor(lab):
    result = invoke("scan", "good.test", "--nameserver", lab.dns.address, "--trust-anchor", lab.trust_anchor,
                    "--measure", "dnssec", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    (measure,) = report["measures"]
    assert measure["name"] == "dnssec" and measure["status"] == "pass"


def test_bogus_domain_exits_1(lab):
    result = invoke("scan", "dsbad.test", "--nameserver", lab.dns.address, "--trust-anchor", lab.trust_anchor,
                    "--measure", "dnssec")
    assert result.exit_code == 1, result.output
    assert "ds-mismatch" in result.output


def test_unusable_trust_anchor_file_is_exit_2(lab, tmp_path):
    bad = tmp_path / "anchor.txt"
    bad.write_text(". IN A 127.0.0.1\n")
    result = invoke("scan", "good.test", "--nameserver", lab.dns.address, "--trust-anchor", bad)
    assert result.exit_code == 2
    assert "--trust-anchor" in result.output and "not DS or DNSKEY" in result.output
