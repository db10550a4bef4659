"""DKIM selectors guessed by provider first (issue 19): the providers the MX and SPF records name
are asked their own selectors; the long common list only where none is recognised, or when asked."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailguard.lab import Lab, load_zone_text
from mailguard.measures.dkim import measure as dkim
from mailguard.measures.dkim.measure import plan_selectors
from mailguard.measures.dkim.selectors import recognise
from tests.conftest import run_measure

KEY = ("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzNuja55ImUv4squsbQzqXwOqxxPHPJq1YKdSBP"
       "hIiEDd6Wg5FSO6EWbnS0ZSK46gJ755uPpkThqkig+VZoDDAZIAEC2zFZTeqR3ngIMryMUxxlQUJE7exonPKRxcpc18MamhZLhT4F6V"
       "UPtyJa/82QoYfExT9/s+sdNrgMT3AfanSdHedLqLOqcVqCiQ63XJICmTqKj6SwTLSNlbCBFHyxN5wTwON6QCgK2D75pdaGcaUnuYUG"
       "bMHrIjjRra9lzNJ/H2l8klPB9zy+coDTCuiq5zzWkE7WyN54XmkO9FB/z/l/sxbq3ypiQKmPnnr3EfgQ7nQUnPp/em6uAFqPCViQIDAQAB")
# Google hosts the mail (MX and SPF name it); a Mailchimp key is published too, named by nothing.
ZONE = f"""$TTL 300
@    IN SOA ns1.workspace.test. hostmaster.workspace.test. 1 7200 3600 1209600 300
@    IN NS  ns1.workspace.test.
ns1  IN A   127.0.0.53
@    IN MX  1 aspmx.l.google.com.
@    IN TXT "v=spf1 include:_spf.google.com ~all"
google._domainkey IN TXT "{KEY[:200]}" "{KEY[200:]}"
k1._domainkey     IN TXT "{KEY[:200]}" "{KEY[200:]}"
"""
# Microsoft 365 per its records, but the key sits under a Mailchimp selector: the short guesses find
# nothing, so the whole list is asked and the key is found as before.
FALLBACK = f"""$TTL 300
@    IN SOA ns1.fallback.test. hostmaster.fallback.test. 1 7200 3600 1209600 300
@    IN NS  ns1.fallback.test.
ns1  IN A   127.0.0.53
@    IN MX  0 fallback-test.mail.protection.outlook.com.
@    IN TXT "v=spf1 include:spf.protection.outlook.com -all"
k2._domainkey IN TXT "{KEY[:200]}" "{KEY[200:]}"
"""
# Its own mail server, no provider to recognise, and a key under the most common selector: the three
# most common selectors are asked first, and the long list is not needed.
OWNMAIL = f"""$TTL 300
@    IN SOA ns1.ownmail.test. hostmaster.ownmail.test. 1 7200 3600 1209600 300
@    IN NS  ns1.ownmail.test.
ns1  IN A   127.0.0.53
@    IN MX  10 mail.ownmail.test.
mail IN A   127.0.0.25
@    IN TXT "v=spf1 mx -all"
selector1._domainkey IN TXT "{KEY[:200]}" "{KEY[200:]}"
"""


@pytest.mark.parametrize(("mx", "includes", "names"), [
    (["aspmx.l.google.com"], [], ["Google Workspace"]),
    (["example-nl.mail.protection.outlook.com"], ["spf.protection.outlook.com"], ["Microsoft 365"]),
    (["mx.example.nl"], ["servers.mcsv.net", "sendgrid.net"], ["Mailchimp", "SendGrid"]),
    (["mx.example.nl"], ["_spf.example.nl"], []),
    (["notgoogle.com"], ["evil-sendgrid.net"], []),  # a suffix must be a whole label
])
def test_providers_are_recognised_from_mx_and_spf(mx, includes, names):
    assert [p.name for p in recognise(mx, includes)] == names


@pytest.fixture(scope="module")
def workspace_lab():
    zones = [load_zone_text("workspace.test", ZONE), load_zone_text("fallback.test", FALLBACK),
             load_zone_text("ownmail.test", OWNMAIL)]
    with Lab(extra_zones=zones) as lab:
        yield lab


def test_a_google_domain_is_asked_only_googles_selectors_and_its_key_is_found(workspace_lab):
    result = run_measure(dkim, "workspace.test", workspace_lab.config())
    tried = result.data["tried"]
    assert "google._domainkey.workspace.test" in tried and len(tried) <= 4
    assert result.data["usable"] == ["google"]
    # the price, said plainly: a key under a provider's selector the records do not name is not guessed
    assert "k1._domainkey.workspace.test" not in tried


def test_asked_for_all_the_long_list_still_finds_every_common_key(workspace_lab):
    result = run_measure(dkim, "workspace.test", workspace_lab.config(dkim_guess="all"))
    assert sorted(result.data["usable"]) == ["google", "k1"] and len(result.data["tried"]) > 40


def test_when_the_short_guesses_find_no_key_the_whole_list_is_asked(workspace_lab):
    provider = run_measure(dkim, "fallback.test", workspace_lab.config())
    everything = run_measure(dkim, "fallback.test", workspace_lab.config(dkim_guess="all"))
    assert provider.data["usable"] == everything.data["usable"] == ["k2"]
    assert provider.data["tried"] == everything.data["tried"]  # the same questions, in the report's order


def test_without_a_recognised_provider_the_most_common_selectors_go_first(workspace_lab):
    result = run_measure(dkim, "ownmail.test", workspace_lab.config())
    assert result.data["usable"] == ["selector1"]
    first = ("google", "selector1", "selector2")
    assert sorted(result.data["tried"]) == [f"{s}._domainkey.ownmail.test" for s in first]
    everything = run_measure(dkim, "ownmail.test", workspace_lab.config(dkim_guess="all"))
    assert everything.data["usable"] == ["selector1"] and len(everything.data["tried"]) > 40


@given(st.lists(st.text(alphabet="ab-_.9", max_size=70), max_size=6),
       st.sampled_from(["shop.test", "x" * 60 + "." + "y" * 60 + "." + "z" * 60 + ".test", "a.test."]))
def test_a_selector_is_asked_exactly_when_its_whole_name_is_a_dns_name(selectors, domain):
    """plan_selectors checks a name's two parts, each once; the whole name is the reference."""
    from mailguard.core.names import is_valid_dns_name

    planned, invalid = plan_selectors(domain, selectors)
    asked = {c.name for c in planned}
    for selector in selectors:
        name = f"{selector.strip().lower()}._domainkey.{domain}"
        valid = bool(selector.strip()) and is_valid_dns_name(name)
        assert (name in asked) == valid
        assert (selector.strip().lower() in invalid) == (not valid)
