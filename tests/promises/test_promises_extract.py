"""Sentences, domains, promises and processors, from statements of our own in Dutch and English."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailguard.promises.extract import (
    analyse,
    find_domains,
    find_promises,
    kinds_in,
    paragraphs,
    registrable,
    sentences,
)
from mailguard.promises.patterns import VERIFIABLE
from mailguard.promises.statement import load_statement

FIXTURES = Path(__file__).parents[1] / "fixtures" / "statements"


def analysed(name: str):
    statement = load_statement(str(FIXTURES / name))
    return statement, analyse(statement.text, statement.language, links=statement.links)


def kinds(analysis) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for promise in analysis.promises:
        out.setdefault(promise.kind, []).append(promise.sentence)
    return out


# --- sentences ------------------------------------------------------------------------------

def test_sentences_split_at_full_stops_but_not_abbreviations_names_or_domains():
    text = ("Wij gebruiken bijv. SPF en DKIM. Zie www.voorbeeld.nl voor meer. Mail J. Jansen via "
            "j.jansen@voorbeeld.nl! Versie 2.1 geldt. Klaar?\n\nNieuwe alinea")
    assert sentences(text) == (
        "Wij gebruiken bijv. SPF en DKIM.", "Zie www.voorbeeld.nl voor meer.",
        "Mail J. Jansen via j.jansen@voorbeeld.nl!", "Versie 2.1 geldt.", "Klaar?", "Nieuwe alinea")


def test_list_items_are_paragraphs_without_their_bullets():
    assert paragraphs("Wij nemen maatregelen:\n\n• Firewalls.\n\n▪ Back-ups. Dagelijks.") == (
        ("Wij nemen maatregelen:",), ("Firewalls.",), ("Back-ups.", "Dagelijks."))


def test_a_huge_sentence_is_cut_so_matching_stays_linear():
    assert max(len(s) for s in sentences("woord " * 5000)) <= 1000


# --- domains --------------------------------------------------------------------------------

def test_registrable_domains_use_the_public_suffix_list():
    assert registrable("www.jansen.co.uk") == "jansen.co.uk"
    assert registrable("portaal.voorbeeld.nl") == "voorbeeld.nl"
    assert registrable("mail.good.test") == "good.test"
    assert registrable("nl") is None


def test_company_domains_from_addresses_and_recurring_names():
    text = ("Voorbeeld Webdiensten (www.voorbeeld-web.nl) is bereikbaar via info@voorbeeldweb.nl. "
            "Meer over privacy: https://hulpbijprivacy.example. Wij gebruiken ASP.NET, zie index.html. "
            "Klachten: www.autoriteitpersoonsgegevens.nl of support@gmail.com.")
    found = find_domains(text)
    assert set(found.company) == {"voorbeeld-web.nl", "voorbeeldweb.nl"}
    assert found.web_hosts == ("www.voorbeeld-web.nl",)
    assert found.emails == ("info@voorbeeldweb.nl",)
    assert set(found.others) == {"hulpbijprivacy.example", "autoriteitpersoonsgegevens.nl", "gmail.com"}


def test_the_statement_url_host_is_the_company_domain():
    found = find_domains("We protect your data.", source_url="https://www.firm.example/privacy")
    assert found.company == ("firm.example",) and found.web_hosts == ("www.firm.example",)


def test_mailto_links_count_as_addresses():
    found = find_domains("Contact our privacy team.", links=("mailto:privacy@firm.test?subject=x",))
    assert found.company == ("firm.test",) and found.emails == ("privacy@firm.test",)


# Issue 17: case does not matter to DNS; an IP address is never a domain.
@pytest.mark.parametrize(("text", "company"), [
    ("Deze verklaring geldt voor SchorelWeb.NL en haar klanten.", ("schorelweb.nl",)),
    ("Schorelweb.nl verwerkt uw gegevens zorgvuldig.", ("schorelweb.nl",)),  # at a sentence start
    ("Bezoek WWW.SCHORELWEB.NL voor meer informatie.", ("schorelweb.nl",)),
    ("Wij bouwen met ASP.NET, Node.js en Socket.IO.", ()),  # frameworks, not websites
    ("Wij verwerken persoonsgegevens.De gegevens blijven in Nederland.", ()),  # a missing space
    ("De server staat op 192.0.2.7 en https://198.51.100.4/login, of https://[2001:db8::1]/.", ()),
    ("Onze portal: http://203.0.113.9:8080/ (intern).", ()),
])
def test_domains_in_capitals_are_found_and_addresses_are_not_domains(text, company):
    found = find_domains(text)
    assert found.company == company
    for name in found.web_hosts + found.others:
        with pytest.raises(ValueError):
            ipaddress.ip_address(name.strip("[]"))


def test_an_address_in_a_link_or_the_source_url_is_never_the_company_domain():
    found = find_domains("We protect your data.", links=("https://192.0.2.7/privacy",),
                         source_url="http://198.51.100.4/privacy")
    assert found.company == () and found.web_hosts == () and found.others == ()


# --- promises -------------------------------------------------------------------------------

@pytest.mark.parametrize(("sentence", "expected"), [
    # Dutch
    ("Wij gebruiken SPF, DKIM en DMARC.", ["spf", "dkim", "dmarc"]),
    ("SSL en https:// gebruiken we voor al onze persoonsgegevens.", ["https"]),
    ("Onze website heeft een SSL-certificaat.", ["https"]),
    ("U bezoekt onze website via een beveiligde verbinding.", ["https"]),
    ("Wij zorgen voor een veilige overdracht van uw gegevens en communicatie met ons.", ["mail-tls"]),
    ("E-mail wordt versleuteld verzonden.", ["mail-tls"]),
    ("Ons domein is ondertekend met DNSSEC en onze mailservers publiceren DANE-records.", ["dnssec", "dane"]),
    ("Wij ondersteunen MTA-STS.", ["mta-sts"]),
    # Issue 17: the TLS a mail transport standard enforces is mail's, not the website's
    ("Wij gebruiken MTA-STS om TLS-encryptie af te dwingen.", ["mta-sts"]),
    ("MTA-STS en DANE dwingen een versleutelde verbinding af.", ["dane", "mta-sts"]),
    ("We use MTA-STS to enforce TLS.", ["mta-sts"]),
    ("Onze website gebruikt TLS en onze mail MTA-STS.", ["https", "mta-sts"]),
    ("Medewerkers gebruiken tweestapsverificatie.", ["2fa"]),
    ("Inloggen gaat met 2-staps verificatie.", ["2fa"]),
    ("Beveiligingssoftware (virusscanners en firewalls).", ["firewall", "antivirus"]),
    ("Wij maken dagelijks een back-up.", ["backup"]),
    ("Uw gegevens worden versleuteld opgeslagen.", ["encryption-at-rest"]),
    ("Onze beveiligingsmaatregelen worden regelmatig gecontroleerd.", ["audit"]),
    ("Alleen de noodzakelijke personen hebben toegang tot uw gegevens.", ["access-control"]),
    ("Statistieken worden geanonimiseerd.", ["pseudonymisation"]),
    ("Wij nemen passende maatregelen om misbruik te voorkomen.", ["security-measures"]),
    # English
    ("We use two-factor authentication and MFA for all accounts.", ["2fa"]),
    ("Our website is protected by TLS and HTTPS.", ["https"]),
    ("E-mail sent to us is encrypted in transit with STARTTLS.", ["mail-tls"]),
    ("Communication with us is encrypted.", ["mail-tls"]),
    ("Our measures are checked regularly by an auditor.", ["audit"]),
    ("Data is encrypted at rest.", ["encryption-at-rest"]),
    ("Staff receive security awareness training.", ["training"]),
    ("We use DMARC to stop e-mails that pretend to be us.", ["dmarc"]),
    # no promises
    ("We ask for a copy of your passport; please black out the MRZ.", []),
    ("See https://www.example.org/ssl for more.", []),  # a link is not a promise of HTTPS
    ("Een e-mail met virussen is spam.", []),  # viruses are not virus scanners
    ("Dan e-mailen wij u.", []),
])
def test_kinds_of_promise(sentence, expected):
    assert kinds_in(sentence) == expected


def test_protection_against_mail_in_our_name_means_dmarc_that_enforces():
    promise, = [p for p in find_promises((("Wij beschermen u tegen e-mail die uit onze naam wordt "
                                            "verstuurd.",),)) if p.kind == "dmarc"]
    assert promise.settings == {"dmarc_policy": "quarantine", "purpose": "anti-spoofing"}


@pytest.mark.parametrize("wording", [
    "DKIM en DMARC voor de best mogelijke beveiliging van onze e-mail.",
    "Wij gebruiken DMARC om u zo goed mogelijk te beschermen.",
    "We use DMARC for the best possible protection of our e-mail.",
])
def test_best_possible_protection_means_reject(wording):
    dmarc, = [p for p in find_promises(((wording,),)) if p.kind == "dmarc"]
    assert dmarc.settings["dmarc_policy"] == "reject" and dmarc.settings["purpose"] == "best"


def test_strictness_spreads_to_the_mail_promises_of_the_same_paragraph():
    found = find_promises((("SPF is een van de drie standaarden die wij gebruiken.",
                            "Daarnaast gebruiken we DKIM en DMARC voor de best mogelijke beveiliging."),
                           ("Los daarvan gebruiken wij SPF.",)))
    spf = [p for p in found if p.kind == "spf"]
    assert spf[0].settings == {"spf_all": "-all", "purpose": "best"}
    assert spf[1].settings == {"spf_all": "~all"}  # another paragraph promises no more than SPF


def test_promises_about_processors_systems_are_not_the_companys_website():
    https, = [p for p in find_promises((("Wij werken alleen met digitale systemen die SSL en 2FA hebben.",),))
              if p.kind == "https"]
    assert https.settings == {"scope": "processors"}


def test_rows_of_a_processor_table_are_no_promises():
    assert find_promises((("Mailchimp | verwerkersovereenkomst met SSL | Privacy Policy",),)) == ()


# --- whole statements -----------------------------------------------------------------------

def test_dutch_pdf_style_statement():
    statement, analysis = analysed("goedtest-nl.txt")
    assert statement.language == "nl"
    assert analysis.domains.company == ("good.test",)
    assert analysis.domains.web_hosts == ("www.good.test", "portaal.good.test")
    assert "autoriteitpersoonsgegevens.nl" in analysis.domains.others
    found = kinds(analysis)
    assert set(found) >= {"spf", "dkim", "dmarc", "https", "mail-tls", "dnssec", "2fa", "firewall",
                          "antivirus", "backup", "encryption-at-rest", "audit", "access-control",
                          "security-measures"}
    # repaired words and joined lines come out in the quoted sentences
    assert found["https"] == ["Wij gebruiken een SSL-certificaat en een beveiligde verbinding (https) voor "
                              "onze website en het klantportaal op portaal.good.test."]
    assert found["audit"] == ["Onze beveiligingsmaatregelen worden jaarlijks getest door een extern bureau."]
    assert "Uw gegevens worden beveiligd opgeslagen" in found["encryption-at-rest"][0]
    dmarc, = [p for p in analysis.promises if p.kind == "dmarc"]
    assert dmarc.settings["dmarc_policy"] == "reject"  # "zo goed mogelijk"
    assert [(p.info.name, p.info.sends_mail) for p in analysis.processors] == [
        ("Moneybird", True), ("Mailchimp", True), ("Mollie", False)]


def test_english_markdown_statement():
    statement, analysis = analysed("weakexample-en.md")
    assert statement.language == "en" and statement.format == "markdown"
    assert analysis.domains.company == ("weak.test",)
    assert set(analysis.domains.web_hosts) == {"www.weak.test", "portal.weak.test", "weak.test"}
    assert "ico.org.uk" in analysis.domains.others
    found = kinds(analysis)
    assert {"spf", "dkim", "dmarc", "https", "mail-tls", "dane", "mta-sts", "2fa", "access-control",
            "encryption-at-rest", "backup", "audit", "security-measures"} <= set(found)
    dmarc, = [p for p in analysis.promises if p.kind == "dmarc"]
    assert dmarc.settings == {"dmarc_policy": "reject", "purpose": "best"}
    names = {p.info.name: p.info for p in analysis.processors}
    assert names["Google Workspace"].spf_include == "_spf.google.com"
    assert names["SendGrid"].dkim_selectors == ("s1", "s2")


def test_english_html_statement():
    statement, analysis = analysed("goodexample-en.html")
    assert statement.language == "en" and statement.format == "html"
    assert analysis.domains.company == ("good.test",)
    assert analysis.domains.others == ("europa.eu", "twitter.com")
    found = kinds(analysis)
    assert set(found) == {"https", "dmarc", "dnssec", "backup", "training"}  # nothing from script or style
    https, = [p for p in analysis.promises if p.kind == "https"]
    assert https.settings["require_hsts"] is True  # HSTS is named
    dmarc, = [p for p in analysis.promises if p.kind == "dmarc"]
    assert dmarc.settings == {"dmarc_policy": "quarantine", "purpose": "anti-spoofing"}


def test_unverifiable_promises_are_kept():
    _, analysis = analysed("goedtest-nl.txt")
    unverifiable = [p for p in analysis.promises if p.kind not in VERIFIABLE]
    assert {p.kind for p in unverifiable} >= {"2fa", "firewall", "antivirus", "backup"}


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=600))
def test_any_text_analyses_without_error(text):
    analysis = analyse(text, "en")
    assert all(p.sentence for p in analysis.promises)


@pytest.mark.parametrize(("sentence", "kinds"), [
    ("E-mail tussen onze mailservers en die van anderen gaat versleuteld over TLS.", ["mail-tls"]),
    ("Mail between our servers and yours is encrypted with TLS.", ["mail-tls"]),
    ("Onze website werkt uitsluitend via https://, met een geldig SSL-certificaat.", ["https"]),
])
def test_encrypted_mail_between_servers_is_a_mail_transport_promise_not_a_website_one(sentence, kinds):
    assert kinds_in(sentence) == kinds


# The matchers' word prefilter may only skip sentences their patterns cannot match.
_VOCABULARY = ["SPF", "DKIM", "DMARC", "ssl", "TLS", "https", "STARTTLS", "MTA-STS", "DANE", "e-mail", "mail",
               "berichten", "versleuteld", "beveiligd", "verzonden", "tussen onze", "verbinding", "website",
               "twee-factor", "2FA", "MFA", "back-up", "firewall", "virusscanner", "regelmatig", "gecontroleerd",
               "ISO 27001", "toegang", "beperkt", "pseudonimiseren", "opgeslagen", "encrypted", "stored",
               "uit onze naam", "namens ons", "best mogelijke", "leveranciers", "wij", "de", "en", "onze", ".",
               "secure connection", "signed zone", "communicatie met", "correspondence with", "Mail"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_VOCABULARY), min_size=1, max_size=14))
def test_the_word_prefilter_never_changes_what_a_sentence_promises(words):
    from mailguard.promises import patterns

    sentence = " ".join(words)
    for name, matcher in patterns.kind_matchers().items():
        unfiltered = patterns.Matcher.__new__(patterns.Matcher)
        unfiltered.__dict__.update(matcher.__dict__, _needs=None)
        assert matcher.hit(sentence) == unfiltered.hit(sentence), (name, sentence)


def test_a_gmail_address_is_no_mail_processor_of_the_company():
    from mailguard.promises.processors import find_processors

    assert find_processors(("Mail ons op info.bedrijf@gmail.com met uw vragen.",)) == ()
    assert [i.name for i, _ in find_processors(("Wij gebruiken Gmail voor onze e-mail.",))] == ["Google Workspace"]
