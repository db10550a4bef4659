"""Report files, history, exit code 4, --quiet and mailguard.toml, end to end against the lab."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from mailguard.cli import EXIT_CODES_HELP, main
from mailguard.lab import Lab, load_zone_text

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "report.schema.json").read_text())

ZONE = """$TTL 300
@     IN SOA ns1.history.test. hostmaster.history.test. {serial} 7200 3600 1209600 300
@     IN NS  ns1.history.test.
ns1   IN A   127.0.0.53
@     IN MX  10 mx1.history.test.
{mx2}
mx1   IN A   127.0.0.11
mx2   IN A   127.0.0.12
"""
WITH_MX2 = ZONE.format(serial=1, mx2="@     IN MX  20 mx2.history.test.")
WITHOUT_MX2 = ZONE.format(serial=2, mx2="")


@pytest.fixture
def history_lab():
    with Lab(extra_zones=[load_zone_text("history.test", WITH_MX2)]) as lab:
        yield lab


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def scan_args(lab, reports: Path, *more: str) -> list[str]:
    return [
        "scan",
        "history.test",
        "--nameserver",
        lab.dns.address,
        "--timeout",
        "2",
        "--measure",
        "mx",
        "--report-dir",
        str(reports),
        *more,
    ]


def files(folder: Path, suffix: str) -> list[Path]:
    """Reports of one format, oldest first (``T090000Z`` < ``T090000Z-2`` < ``T090001Z``)."""

    def order(path: Path) -> tuple[str, int]:
        stem, _, n = path.name.removesuffix(suffix).partition("-")
        return stem, int(n or 1)

    return sorted((p for p in folder.iterdir() if p.name.endswith(suffix)), key=order)


def test_scan_writes_html_md_and_json_into_the_history(history_lab, tmp_path):
    result = invoke(*scan_args(history_lab, tmp_path))
    assert result.exit_code == 0, result.output
    folder = tmp_path / "history.test"
    html, md, js = files(folder, ".html"), files(folder, ".md"), files(folder, ".json")
    assert len(html) == len(md) == len(js) == 1 and html[0].stem == md[0].stem == js[0].stem
    assert f"report: {html[0]}" in result.output
    document = json.loads(js[0].read_text())
    jsonschema.validate(document, SCHEMA)
    assert document["extra"]["changes"] == {
        "previous": None,
        "previous_started": None,
        "worse": False,
        "changes": [],
    }
    assert "first report for this domain" in html[0].read_text()


def test_a_second_scan_after_a_change_shows_it_and_exits_4(history_lab, tmp_path):
    assert invoke(*scan_args(history_lab, tmp_path)).exit_code == 0
    history_lab.dns.replace_zone(load_zone_text("history.test", WITHOUT_MX2))
    second = invoke(*scan_args(history_lab, tmp_path))
    assert second.exit_code == 4, second.output
    assert "MX host removed for history.test: mx2.history.test" in second.output
    folder = tmp_path / "history.test"
    old, new = files(folder, ".json")  # two reports, the first one untouched
    page = files(folder, ".html")[-1].read_text()
    assert "Changes since the previous report" in page and "MX host removed" in page and old.name in page
    assert "mx2.history.test" in page
    document = json.loads(new.read_text())
    assert document["extra"]["changes"]["worse"] is True and document["extra"]["changes"]["previous"] == old.name
    jsonschema.validate(document, SCHEMA)
    # the same comparison from `mailguard diff`, both ways round
    diff = invoke("diff", str(old), str(new))
    assert diff.exit_code == 4 and "MX host removed" in diff.output and "1 worse" in diff.output
    back = invoke("diff", str(new), str(old), "--lang", "nl")
    assert back.exit_code == 0 and "MX-host toegevoegd" in back.output
    as_json = json.loads(invoke("diff", str(old), str(new), "--format", "json").output)
    assert as_json["worse"] is True and as_json["changes"][0]["code"] == "CHANGE-MX-REMOVED"
    # nothing changed since: exit 0 again, and the report says so
    third = invoke(*scan_args(history_lab, tmp_path))
    assert third.exit_code == 0, third.output
    assert "No changes." in files(folder, ".html")[-1].read_text()
    assert len(files(folder, ".json")) == 3


def test_diff_of_unreadable_files_is_exit_2(tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_text("{")
    assert invoke("diff", str(junk), str(junk)).exit_code == 2
    assert invoke("diff", str(tmp_path / "none.json"), str(junk)).exit_code == 2


def test_quiet_prints_nothing_on_success_and_the_trouble_otherwise(history_lab, tmp_path):
    ok = invoke(*scan_args(history_lab, tmp_path, "--quiet"))
    assert ok.exit_code == 0 and ok.output == ""
    history_lab.dns.replace_zone(load_zone_text("history.test", WITHOUT_MX2))
    worse = invoke(*scan_args(history_lab, tmp_path, "-q"))
    assert worse.exit_code == 4
    assert "exit code 4" in worse.output and "MX host removed" in worse.output and "report: " in worse.output


def test_quiet_reports_findings_and_unscannable_domains(lab, tmp_path):
    broken = invoke("scan", "broken.test", "--nameserver", lab.dns.address, "--measure", "mx", "-q")
    assert broken.exit_code == 1 and "broken.test:" in broken.output and "fail" in broken.output
    missing = invoke("scan", "nothere.test", "--nameserver", lab.dns.address, "-q", "--report-dir", str(tmp_path))
    assert missing.exit_code == 3 and "could not scan" in missing.output


def test_formats_and_repeated_report_options(history_lab, tmp_path):
    result = invoke(*scan_args(history_lab, tmp_path, "--format", "html", "--report", "md"))
    assert result.exit_code == 0, result.output
    names = sorted(p.suffix for p in (tmp_path / "history.test").iterdir())
    assert names == [".html", ".json", ".md"]  # JSON always: it is the history
    only_json = invoke(*scan_args(history_lab, tmp_path / "j", "--report", "json"))
    assert only_json.exit_code == 0
    assert sorted(p.suffix for p in (tmp_path / "j" / "history.test").iterdir()) == [".json"]
    assert invoke(*scan_args(history_lab, tmp_path, "--format", "docx")).exit_code == 2
    from mailguard.render import pdf

    if pdf.available():  # --format pdf writes an A4 PDF beside the JSON history
        as_pdf = invoke(*scan_args(history_lab, tmp_path / "p", "--format", "pdf"))
        assert as_pdf.exit_code == 0, as_pdf.output
        written = sorted((tmp_path / "p" / "history.test").iterdir())
        assert [p.suffix for p in written] == [".json", ".pdf"]
        assert written[1].read_bytes().startswith(b"%PDF-")


def test_signed_reports_verify_and_a_changed_one_does_not(history_lab, tmp_path):
    assert invoke("keygen", "--out", str(tmp_path / "keys")).exit_code == 0
    key, pub = tmp_path / "keys" / "mailguard.key", tmp_path / "keys" / "mailguard.pub"
    result = invoke(*scan_args(history_lab, tmp_path / "r", "--sign-key", str(key), "--signer", "DPO Example"))
    assert result.exit_code == 0, result.output
    folder = tmp_path / "r" / "history.test"
    reports = [p for p in folder.iterdir() if not p.name.endswith(".sig")]
    assert len(reports) == 3 and all((p.with_name(p.name + ".sig")).exists() for p in reports)
    for report in reports:
        checked = invoke("verify", str(report), "--public-key", str(pub))
        assert checked.exit_code == 0, checked.output
        assert "signed by DPO Example" in checked.output
    html = next(p for p in reports if p.suffix == ".html")
    assert "signed by DPO Example with key SHA256:" in html.read_text()
    html.write_text(html.read_text().replace("history.test", "history.tset", 1))
    assert invoke("verify", str(html), "--public-key", str(pub)).exit_code == 1


def write_config(path: Path, lab, **extra: str) -> Path:
    lines = [
        'domains = ["history.test"]',
        f'nameservers = ["{lab.dns.address}"]',
        "timeout = 2",
        'measures = ["mx"]',
        'report_dir = "out"',
        'formats = ["html", "json"]',
        'lang = "nl"',
        'fail_on = "warn"',
        *[f"{k} = {v}" for k, v in extra.items()],
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_config_file_drives_an_unattended_run(history_lab, tmp_path):
    assert invoke("keygen", "--out", str(tmp_path / "keys")).exit_code == 0
    config = write_config(
        tmp_path / "mailguard.toml", history_lab, sign_key='"keys/mailguard.key"', signer='"Privacy office"'
    )
    result = invoke("scan", "--config", str(config), "--quiet")
    assert result.exit_code == 0 and result.output == ""
    folder = tmp_path / "out" / "history.test"  # relative to the config file, not the working dir
    suffixes = sorted(p.name.split(".", 1)[1] for p in folder.iterdir())
    assert suffixes == ["html", "html.sig", "json", "json.sig"]
    page = files(folder, ".html")[0].read_text()
    assert '<html lang="nl">' in page and "Bewijsrapport" in page
    # an option on the command line wins over the file
    again = invoke("scan", "--config", str(config), "--lang", "en", "--quiet")
    assert again.exit_code == 0
    assert '<html lang="en">' in files(folder, ".html")[-1].read_text()


def test_cron_line_as_a_real_process(history_lab, tmp_path):
    config = write_config(tmp_path / "mailguard.toml", history_lab)
    proc = subprocess.run(
        [sys.executable, "-m", "mailguard", "scan", "--config", str(config), "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ('colour = "blue"', "'colour'"),
        ('report-dir = "x"', "'report-dir'"),
        ('timeout = "fast"', "'timeout'"),
        ("timeout = 0", "'timeout'"),
        ('formats = ["docx"]', "'formats'"),
        ('lang = "de"', "'lang'"),
        ('domains = "a.test"', "'domains'"),
        ("domains = [", "not valid TOML"),
    ],
)
def test_bad_config_is_exit_2_naming_the_key(tmp_path, line, named):
    config = tmp_path / "mailguard.toml"
    config.write_text(f'nameservers = ["127.0.0.1"]\n{line}\n')
    result = invoke("scan", "--config", str(config))
    assert result.exit_code == 2, result.output
    assert named in result.output and "Traceback" not in result.output


def test_missing_config_and_no_domains_are_exit_2(tmp_path):
    assert invoke("scan", "--config", str(tmp_path / "none.toml")).exit_code == 2
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    result = invoke("scan", "--config", str(empty))
    assert result.exit_code == 2 and "give at least one DOMAIN" in result.output


def test_exit_codes_are_documented_alike_in_help_and_readme():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for code in range(5):
        line = next(x for x in EXIT_CODES_HELP.splitlines() if x.strip().startswith(f"{code} "))
        meaning = line.strip()[1:].strip()
        assert f"| {code} | {meaning} |" in readme, meaning
    assert "2 > 3 > 4 > 1 > 0" in readme and "2 > 3 > 4 > 1 > 0" in invoke("scan", "--help").output


def test_several_domains_write_one_history_each_and_exit_4_when_one_got_worse(history_lab, tmp_path):
    args = [
        "scan",
        "history.test",
        "good.test",
        "--nameserver",
        history_lab.dns.address,
        "--timeout",
        "2",
        "--measure",
        "mx",
        "--report-dir",
        str(tmp_path),
        "--summary",
        "none",
    ]
    first = invoke(*args)
    assert first.exit_code == 0, first.output
    assert {p.name for p in tmp_path.iterdir()} == {"history.test", "good.test"}
    history_lab.dns.replace_zone(load_zone_text("history.test", WITHOUT_MX2))
    second = invoke(*args, "-q")
    assert second.exit_code == 4
    assert "history.test" in second.output and "good.test" not in second.output  # only the trouble


def test_jsonl_on_stdout_beside_the_history_even_when_quiet(history_lab, tmp_path):
    result = invoke(*scan_args(history_lab, tmp_path, "--format", "jsonl", "--quiet"))
    assert result.exit_code == 0
    [line] = result.output.splitlines()
    assert json.loads(line)["domain"] == "history.test"
    assert len(files(tmp_path / "history.test", ".json")) == 1


def test_a_weakened_dmarc_policy_shows_in_the_next_report_and_exits_4(tmp_path):
    zone = WITH_MX2 + '_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:d@history.test"\n'
    weaker = zone.replace("p=reject", "p=none").replace(" 1 7200", " 2 7200")
    with Lab(extra_zones=[load_zone_text("history.test", zone)]) as lab:
        args = [
            "scan",
            "history.test",
            "--nameserver",
            lab.dns.address,
            "--measure",
            "mx",
            "--measure",
            "dmarc",
            "--report-dir",
            str(tmp_path),
            "--lang",
            "nl",
        ]
        first = invoke(*args)
        assert first.exit_code == 0, first.output
        lab.dns.replace_zone(load_zone_text("history.test", weaker))
        second = invoke(*args)
    assert second.exit_code == 4, second.output
    page = files(tmp_path / "history.test", ".html")[-1].read_text()
    assert "DMARC-beleid van _dmarc.history.test verzwakt" in page and "p=none" in page


def test_quiet_is_quiet_with_a_database_too(history_lab, tmp_path):
    # cron mails whatever a job prints: a recorded run that went well prints nothing at all.
    result = invoke(*scan_args(history_lab, tmp_path, "--quiet", "--db", str(tmp_path / "mailguard.db")))
    assert result.exit_code == 0 and result.output == ""


def test_an_unscannable_domain_is_reported_once(lab, tmp_path):
    result = invoke("scan", "nothere.test", "--nameserver", lab.dns.address, "--measure", "mx")
    assert result.exit_code == 3
    assert result.output.count("could not scan nothere.test") == 1, result.output


def test_report_dates_in_the_readers_time_zone(history_lab, tmp_path):
    amsterdam = invoke(*scan_args(history_lab, tmp_path / "a", "--format", "html", "--lang", "nl"))
    assert amsterdam.exit_code == 0, amsterdam.output
    page = next((tmp_path / "a" / "history.test").glob("*.html")).read_text()
    assert "CET" in page or "CEST" in page  # Dutch reader: Europe/Amsterdam by default
    tokyo = invoke(*scan_args(history_lab, tmp_path / "t", "--format", "html", "--lang", "nl",
                              "--timezone", "Asia/Tokyo"))
    assert tokyo.exit_code == 0, tokyo.output
    page = next((tmp_path / "t" / "history.test").glob("*.html")).read_text()
    assert "+0900" in page  # the same scan, its times written for a reader in Tokyo
    bad = invoke(*scan_args(history_lab, tmp_path / "b", "--timezone", "Mars/Olympus"))
    assert bad.exit_code == 2 and "unknown time zone" in bad.output
