"""Check profiles: written with comments, read back equal, edits validated, baseline, lookup."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailguard.core.config import Config
from mailguard.core.errors import ProfileError
from mailguard.core.model import Promise
from mailguard.promises import config_for, profile_for, read
from mailguard.promises import profile as profiles
from mailguard.promises.tomlwriter import Table, dumps

FIXTURES = Path(__file__).parents[1] / "fixtures" / "statements"


@pytest.mark.parametrize("name", ["goedtest-nl.txt", "weakexample-en.md", "goodexample-en.html"])
def test_profile_round_trip(name):
    profile = read(str(FIXTURES / name)).profile
    text = profiles.to_toml(profile)
    assert profiles.from_toml(text) == profile


def test_the_profile_explains_itself_and_quotes_the_statement():
    profile = read(str(FIXTURES / "goedtest-nl.txt")).profile
    text = profiles.to_toml(profile)
    assert text.startswith("# mailguard check profile for good.test")
    assert "# The weakest DMARC policy accepted" in text
    assert 'sentence = "Ons domein is ondertekend met DNSSEC."' in text
    assert 'web_hosts = ["portaal.good.test"]' in text  # www.good.test is checked anyway
    doc = tomllib.loads(text)
    moneybird = next(p for p in doc["processor"] if p["name"] == "Moneybird")
    assert moneybird["sends_mail"] is True and moneybird["sends"] == "invoices and payment reminders"


def test_round_trip_of_awkward_text():
    promise = Promise("audit", 'Quotes " and \\ backslashes,\ttabs, newlines\nand \x01 control, ünïcode ☑', (),
                      {"purpose": "best"})
    profile = profiles.Profile(domains=("firm.example",), promises=(promise,), spf_senders=("192.0.2.0/24",))
    assert profiles.from_toml(profiles.to_toml(profile)) == profile


@given(st.text(max_size=200))
def test_any_sentence_survives_the_writer(sentence):
    profile = profiles.Profile(domains=("firm.example",), promises=(Promise("backup", sentence, (), {}),))
    assert profiles.from_toml(profiles.to_toml(profile)).promises[0].sentence == sentence


def test_writer_tables_and_arrays():
    text = dumps([Table().add("a", 1, "one\ntwo").add("skip", None), Table("t.x", "c").add("b c", [True, 1.5]),
                  Table("arr", array=True).add("k", {"x": "y"})], header="head")
    assert tomllib.loads(text) == {"a": 1, "t": {"x": {"b c": [True, 1.5]}}, "arr": [{"k": {"x": "y"}}]}
    assert text.startswith("# head\n\n# one\n# two\na = 1\n")


@pytest.mark.parametrize(("edit", "message"), [
    ('domains = []', "at least one domain"),
    ('domains = ["a.example"]\n[defaults]\ndmarc_policy = "strict"', "'strict' is not one of"),
    ('domains = ["a.example"]\n[defaults]\nrequire_hsts = "yes"', "true or false"),
    ('domains = ["a.example"]\n[defaults]\nbogus = 1', "unknown setting 'bogus'"),
    ('domains = ["a.example"]\n[[promise]]\nkind = "telepathy"\nsentence = "x"', "kind 'telepathy'"),
    ('domains = ["a.example"]\n[[promise]]\nkind = "spf"\nspf_all = "+all"', r"'\+all' is not one of"),
    ('domains = ["a.example"]\n[[processor]]\nsends_mail = true', "needs a name"),
    ('domains = "a.example"', "list of strings"),
    ('profile = 7\ndomains = ["a.example"]', "format 7"),
    ('domains = [', "not valid TOML"),
])
def test_bad_edits_are_reported_with_the_key(edit, message):
    with pytest.raises(ProfileError, match=message):
        profiles.from_toml(edit, "checks/a.example.toml")


def test_effective_promises_carry_defaults_senders_and_selectors():
    profile = profiles.Profile(
        domains=("firm.example",), web_hosts=("portal.firm.example",), dkim_selectors=("s2024",),
        spf_senders=("mail.provider.example",),
        defaults={**{k: v[0] for k, v in profiles.DEFAULTS.items()}, "dmarc_policy": "reject"},
        processors=(profiles.ProcessorEntry("SendGrid", True, "transactional mail", "sendgrid.net", ("s1",)),
                    profiles.ProcessorEntry("Trello", False)),
        promises=(Promise("dmarc", "DMARC.", (), {}), Promise("spf", "SPF.", (), {"spf_all": "-all"}),
                  Promise("dkim", "DKIM.", (), {}), Promise("https", "HTTPS.", (), {}),
                  Promise("backup", "Backups.", ("other.example",), {})))
    dmarc, spf, dkim, https = profiles.effective_promises(profile, "firm.example")  # backup: other domain
    assert dmarc.settings == {"dmarc_policy": "reject"} and dmarc.domains == ("firm.example",)
    assert spf.settings["spf_all"] == "-all" and spf.settings["senders"] == ["mail.provider.example"]
    assert [p["name"] for p in spf.settings["processors"]] == ["SendGrid"]
    assert dkim.settings["selectors"] == ["s2024"] and dkim.settings["dkim_min_bits"] == 1024
    assert https.settings["hosts"] == ["portal.firm.example"] and https.settings["require_redirect"] is True
    config = config_for(profile, Config(dkim_selectors=("given",)))
    assert config.dkim_selectors == ("given", "s2024", "s1") and config.web_hosts == ("portal.firm.example",)


def test_baseline_is_promises_like_any_other():
    base = profiles.baseline("firm.example")
    assert base.baseline and {p.kind for p in base.promises} == {"spf", "dkim", "dmarc", "mail-tls", "dane",
                                                                  "dnssec", "https"}
    assert all(p.sentence.startswith("baseline: ") for p in base.promises)
    dmarc = next(p for p in profiles.effective_promises(base) if p.kind == "dmarc")
    assert dmarc.settings["dmarc_policy"] == "quarantine" and dmarc.domains == ("firm.example",)
    assert profiles.from_toml(profiles.to_toml(base)) == base


def test_profile_lookup_by_file_name_then_by_domains(tmp_path):
    profile = read(str(FIXTURES / "goedtest-nl.txt")).profile
    profile = profiles.Profile(**{**profile.__dict__, "domains": ("good.test", "goed.test")})
    path = profiles.save(profile, tmp_path)
    assert path == tmp_path / "good.test.toml"
    assert profiles.find(tmp_path, "good.test") == path
    assert profiles.find(tmp_path, "goed.test") == path  # named in its domains
    assert profiles.find(tmp_path, "other.test") is None
    assert profile_for("goed.test", checks_dir=tmp_path) == profile
    assert profile_for("other.test", checks_dir=tmp_path).baseline
    assert profile_for("good.test", checks_dir=tmp_path / "missing").baseline


def test_an_edited_profile_is_never_overwritten_silently(tmp_path):
    profile = read(str(FIXTURES / "weakexample-en.md")).profile
    path = profiles.save(profile, tmp_path)
    path.write_text(path.read_text() + "\n# my edit\n")
    with pytest.raises(ProfileError, match="--force"):
        profiles.save(profile, tmp_path)
    assert "# my edit" in path.read_text()
    profiles.save(profile, tmp_path, overwrite=True)
    assert "# my edit" not in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["weak.test.toml"]  # no temporary files left


def test_an_unreadable_profile_is_a_profile_error(tmp_path):
    (tmp_path / "bad.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(ProfileError):
        profiles.load(tmp_path / "bad.toml")


def test_a_written_profile_is_readable_by_others_unlike_a_key(tmp_path):
    import os
    import stat

    from mailguard.promises import profile as profiles_module
    from mailguard.promises.extract import analyse

    analysis = analyse("Voorbeeld BV (voorbeeld.nl) gebruikt SPF, DKIM en DMARC voor e-mail.", "nl")
    old = os.umask(0o022)
    try:
        path = profiles_module.save(profiles_module.from_analysis(analysis, "statement.txt"), tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
