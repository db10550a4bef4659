"""`mailguard promises` and `mailguard scan` with statements and profiles, end to end on the lab."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailguard.cli import main
from mailguard.core import messages
from mailguard.core.model import Fulfilment
from mailguard.measures import by_name
from mailguard.promises import profile as profiles

FIXTURES = Path(__file__).parents[1] / "fixtures" / "statements"
NL = str(FIXTURES / "goedtest-nl.txt")
EN_MD = str(FIXTURES / "weakexample-en.md")
EN_HTML = str(FIXTURES / "goodexample-en.html")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def lab_args(lab) -> list[str]:
    return ["--nameserver", lab.dns.address, "--timeout", "2"]


def requires(*names: str):
    missing = [n for n in names if n not in by_name()]
    return pytest.mark.skipif(bool(missing), reason=f"measure(s) not in this mailguard: {', '.join(missing)}")


# --- mailguard promises ---------------------------------------------------------------------

def test_promises_lists_domains_processors_and_promises_with_their_sentences():
    result = invoke("promises", NL)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "(text, Dutch, " in out and "company domains   good.test" in out
    assert "Moneybird" in out and "invoices and payment reminders" in out
    assert "Ons domein is ondertekend met DNSSEC." in out
    assert "dmarc_policy=reject" in out and "not verifiable" in out


def test_promises_json(tmp_path):
    result = invoke("promises", EN_MD, "--format", "json")
    doc = json.loads(result.output)
    assert doc["statement"]["language"] == "en" and doc["domains"]["company"] == ["weak.test"]
    kinds = {p["kind"]: p for p in doc["promises"]}
    assert kinds["dmarc"]["settings"]["dmarc_policy"] == "reject" and kinds["dmarc"]["verifiable"] is True
    assert kinds["backup"]["verifiable"] is False
    assert [p["name"] for p in doc["processors"]] == ["Google Workspace", "SendGrid"]


def test_write_profile_and_refuse_to_overwrite(tmp_path):
    result = invoke("promises", EN_HTML, "--write-profile", "--checks-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    path = tmp_path / "good.test.toml"
    assert f"profile written to {path}" in result.output
    profile = profiles.load(path)
    assert profile.domains == ("good.test",) and profile.language == "en"
    again = invoke("promises", EN_HTML, "--write-profile", "--checks-dir", str(tmp_path))
    assert again.exit_code == 2 and "--force" in again.output
    assert invoke("promises", EN_HTML, "--write-profile", "--checks-dir", str(tmp_path), "--force").exit_code == 0


def test_an_unreadable_statement_is_exit_2(tmp_path):
    result = invoke("promises", str(tmp_path / "missing.pdf"))
    assert result.exit_code == 2 and "cannot read statement" in result.output
    assert invoke("promises", "ftp://example.test/privacy").exit_code == 2


# --- mailguard scan with promises -----------------------------------------------------------

def promise_rows(doc: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for item in doc["promises"]:
        out.setdefault(item["promise"]["kind"], []).append(item)
    return out


def test_scan_with_a_statement_finds_its_domain_and_fills_the_report(lab):
    result = invoke("scan", "--statement", NL, *lab_args(lab), "--format", "json")
    doc = json.loads(result.output)
    assert doc["domain"] == "good.test"
    rows = promise_rows(doc)
    assert {r["verdict"] for r in rows["2fa"]} == {Fulfilment.NOT_VERIFIABLE.value}
    assert rows["dmarc"][0]["promise"]["sentence"].startswith("Wij gebruiken SPF, DKIM en DMARC")
    for kind in ("spf", "dkim", "dmarc", "mail-tls", "dnssec", "https"):
        assert kind in rows  # every verifiable promise has a verdict, whatever measures exist


@requires("dmarc")
def test_good_test_upholds_the_best_possible_protection(lab):
    result = invoke("scan", "good.test", "--statement", NL, *lab_args(lab), "--lang", "en")
    assert "DMARC is published with p=reject" in result.output
    dutch = invoke("scan", "good.test", "--statement", NL, *lab_args(lab))  # the statement's language
    assert "Beloften" in dutch.output and "DMARC staat op p=reject" in dutch.output
    doc = json.loads(invoke("scan", "good.test", "--statement", NL, *lab_args(lab), "--format", "json").output)
    dmarc, = promise_rows(doc)["dmarc"]
    assert dmarc["verdict"] == "upheld" and dmarc["measures"] == ["dmarc"]
    assert dmarc["findings"], "the verdict carries the findings it rests on"


@requires("dmarc")
def test_weak_test_p_none_does_not_uphold_the_best_possible_protection(lab):
    result = invoke("scan", "weak.test", "--statement", EN_MD, *lab_args(lab))
    assert result.exit_code == 1, result.output
    assert "not upheld" in result.output
    doc = json.loads(invoke("scan", "weak.test", "--statement", EN_MD, *lab_args(lab), "--format", "json").output)
    dmarc, = promise_rows(doc)["dmarc"]
    assert (dmarc["verdict"], dmarc["code"]) == ("not upheld", "PROMISE-DMARC-NONE")
    assert dmarc["reason"].startswith("DMARC is published with p=none: it does not stop others from sending "
                                      "mail in your name, so “…DMARC to give our e-mail the best possible "
                                      "protection")


@requires("dmarc")
def test_the_promises_table_in_dutch(lab):
    result = invoke("scan", "weak.test", "--statement", EN_MD, *lab_args(lab), "--lang", "nl")
    assert "Beloften" in result.output and "niet nagekomen" in result.output
    assert "DMARC staat op p=none" in result.output


def test_scan_uses_the_profile_in_the_checks_dir(lab, tmp_path):
    assert invoke("promises", EN_MD, "--write-profile", "--checks-dir", str(tmp_path)).exit_code == 0
    path = tmp_path / "weak.test.toml"
    # a person edits the profile: the DMARC promises become mild, and a promise is added
    text = path.read_text().replace('dmarc_policy = "reject"', 'dmarc_policy = "none"')
    path.write_text(text + '\n[[promise]]\nkind = "firewall"\nsentence = "Added by hand."\n')
    doc = json.loads(invoke("scan", "weak.test", *lab_args(lab), "--checks-dir", str(tmp_path),
                            "--format", "json").output)
    rows = promise_rows(doc)
    assert rows["firewall"][-1]["promise"]["sentence"] == "Added by hand."
    if "dmarc" in by_name():
        assert rows["dmarc"][0]["verdict"] == "upheld"  # p=none is what the edited profile asks


def test_scan_with_an_explicit_profile_and_a_profile_found_by_its_domains(lab, tmp_path):
    profile = profiles.Profile(domains=("other.test", "weak.test"),
                               promises=(profiles.Promise("backup", "We make backups.", (), {}),))
    profiles.save(profile, tmp_path)
    by_domains = json.loads(invoke("scan", "weak.test", *lab_args(lab), "--checks-dir", str(tmp_path),
                                   "--format", "json").output)
    assert [r["promise"]["kind"] for r in by_domains["promises"]] == ["backup"]
    explicit = json.loads(invoke("scan", "good.test", *lab_args(lab), "--profile", str(tmp_path / "other.test.toml"),
                                 "--format", "json").output)
    assert [r["promise"]["kind"] for r in explicit["promises"]] == ["backup"]


def test_without_profile_the_baseline_is_judged(lab, tmp_path):
    doc = json.loads(invoke("scan", "good.test", *lab_args(lab), "--checks-dir", str(tmp_path / "none"),
                            "--format", "json").output)
    kinds = [r["promise"]["kind"] for r in doc["promises"]]
    assert kinds == ["spf", "dkim", "dmarc", "mail-tls", "dane", "dnssec", "https"]
    assert all(r["promise"]["sentence"].startswith("baseline: ") for r in doc["promises"])


@requires("dmarc")
def test_baseline_not_upheld_makes_exit_1(lab, tmp_path):
    result = invoke("scan", "weak.test", *lab_args(lab), "--measure", "dmarc", "--checks-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "not upheld" in result.output


def test_a_broken_profile_is_exit_2(lab, tmp_path):
    (tmp_path / "good.test.toml").write_text('domains = ["good.test"]\n[defaults]\ndmarc_policy = "maybe"\n')
    result = invoke("scan", "good.test", *lab_args(lab), "--checks-dir", str(tmp_path))
    assert result.exit_code == 2 and "dmarc_policy" in result.output


def test_scan_needs_a_domain_from_somewhere(tmp_path):
    (tmp_path / "nodomain.txt").write_text("We use DMARC to protect our e-mail.")
    result = invoke("scan", "--statement", str(tmp_path / "nodomain.txt"))
    assert result.exit_code == 2 and "names no domain" in result.output
    assert invoke("scan").exit_code == 2


def test_every_promise_code_speaks_both_languages():
    codes = {c: m for c, m in messages.all_codes().items() if c.startswith("PROMISE-")}
    assert len(codes) > 30
    assert all(m.en and m.nl and m.en != m.nl for m in codes.values())


def test_the_statements_users_try_as_a_real_process(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "mailguard", "promises", NL, "--write-profile",
                           "--checks-dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "good.test.toml").is_file()


def test_quiet_names_each_broken_promise_and_why_in_one_line_a_domain(lab):
    result = invoke("scan", "weak.test", "--statement", EN_MD, *lab_args(lab), "--quiet")
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "mailguard: exit code 1"
    mine = [line for line in lines if line.startswith("weak.test:")]
    assert len(mine) == 1 and "not upheld: " in mine[0] and "DMARC" in mine[0]
    assert "“" in mine[0]  # the reason quotes the statement's promise


def test_the_report_language_comes_from_lang_then_the_profile_then_the_statement(lab, tmp_path):
    assert invoke("promises", EN_MD, "--write-profile", "--checks-dir", str(tmp_path)).exit_code == 0
    path = tmp_path / "weak.test.toml"
    assert 'language = "en"' in path.read_text()
    path.write_text(path.read_text().replace('language = "en"', 'language = "nl"'))
    dutch = invoke("scan", "weak.test", "--profile", str(path), *lab_args(lab))
    assert "Beloften" in dutch.output, dutch.output
    english = invoke("scan", "weak.test", "--profile", str(path), *lab_args(lab), "--lang", "en")
    assert "Promises" in english.output and "Beloften" not in english.output
