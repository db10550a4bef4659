"""Issue 17: statements read without inventing promises.

Each table is one class of error seen on real statements: a processor's sentence or a Gmail
address making mail promises, one sentence giving a kind twice, list items and headings read as
promises of their own, a German paragraph coming out in fragments. The statements are our own.
"""

from __future__ import annotations

import pytest

from mailguard.core.model import Evidence
from mailguard.promises import profiles, understand
from mailguard.promises.extract import Analysis, kinds_in
from mailguard.promises.processors import find_processors
from mailguard.promises.statement import Document


def read(text: str, fmt: str = "text") -> Analysis:
    """A statement as `mailguard promises` reads it: parsed, normalised, analysed."""
    return understand(Document(text.encode(), fmt, "fixture", "", Evidence("input", "fixture"))).analysis


def found(text: str, fmt: str = "text") -> list[tuple[str, str]]:
    return [(p.kind, p.sentence) for p in read(text, fmt).promises]


# --- 1. processors add senders only to mail promises the statement makes -------------------

@pytest.mark.parametrize(("sentence", "kinds"), [
    # A processor sending mail on the company's behalf is no promise against forged mail.
    ("Onze nieuwsbrief wordt namens ons per e-mail verstuurd door Mailchimp.", []),
    ("Moneybird e-mails our invoices on behalf of us.", []),
    ("Facturen mailen wij uit onze naam via ons boekhoudpakket.", []),
    ("We publish an SPF record that names the servers allowed to send e-mail in our name.", ["spf"]),
    # Wording against forged mail still promises DMARC.
    ("Wij beschermen u tegen e-mail die uit onze naam wordt verstuurd.", ["dmarc"]),
    ("SPF voorkomt dat oplichters namens ons e-mails sturen.", ["spf", "dmarc"]),
    ("DKIM stops fraudsters from sending e-mail in our name.", ["dmarc", "dkim"]),
    ("Niemand anders kan e-mail uit onze naam versturen, dankzij SPF.", ["spf", "dmarc"]),
])
def test_sending_on_our_behalf_is_no_promise_against_forged_mail(sentence, kinds):
    assert kinds_in(sentence) == kinds


_NAMES_PROCESSORS = ("Het bezoek aan onze website meten wij met Google Analytics. Onze nieuwsbrief sturen "
                     "wij met Mailchimp. Vragen? Mail naar kantoor.voorbeeld@gmail.com.\n\n")


@pytest.mark.parametrize(("text", "senders"), [
    (_NAMES_PROCESSORS, {}),  # no mail promise: no processor makes one
    (_NAMES_PROCESSORS + "Wij gebruiken SPF en DKIM voor onze e-mail.\n",
     {"spf": ["Mailchimp"], "dkim": ["Mailchimp"]}),  # analytics sends no mail
    (_NAMES_PROCESSORS + "Onze nieuwsbrieven gaan namens ons de deur uit via Mailchimp per e-mail.\n", {}),
    ("Mail ons gerust op ons Gmail-adres of op voorbeeld [at] gmail [dot] com.\n\n"
     "Wij gebruiken SPF voor onze e-mail.\n", {"spf": []}),  # a Gmail address is no mail provider
    ("Write to us at firm(at)gmail.com or to our gmail account.\n\nOur mail is covered by SPF.\n", {"spf": []}),
    ("Onze e-mail loopt via Gmail van Google Workspace en wij gebruiken SPF.\n", {"spf": ["Google Workspace"]}),
    ("Our invoices are sent by Moneybird. We use DKIM.\n", {"dkim": ["Moneybird"]}),
])
def test_only_mail_processors_add_senders_to_the_mail_promises_made(text, senders):
    profile = profiles.from_analysis(read(text))
    got = {p.kind: [s["name"] for s in p.settings["processors"]]
           for p in profiles.effective_promises(profile) if p.kind in {"spf", "dkim", "dmarc"}
           and "processors" in p.settings}
    assert got == senders
    assert {p.kind for p in profile.promises} == set(senders)


@pytest.mark.parametrize(("sentence", "processors"), [
    ("Schrijf ons op voorbeeld [at] gmail [dot] com.", []),
    ("Ons Gmail-adres staat onderaan deze pagina.", []),
    ("Our Gmail address is on the contact page.", []),
    ("We meten het gebruik van onze site met Google Analytics.", [("Google Analytics", False)]),
    ("Wij mailen met Gmail en agenderen in Google Workspace.", [("Google Workspace", True)]),
    ("Onze nieuwsbrief gaat via Mailchimp.", [("Mailchimp", True)]),
])
def test_which_named_services_send_mail_for_the_company(sentence, processors):
    assert [(i.name, i.sends_mail) for i, _ in find_processors((sentence,))] == processors


# --- 2. one sentence, at most one promise of each kind --------------------------------------

_LONG = ("Wij gebruiken SPF voor al onze domeinen" + ", en daarnaast nog veel andere maatregelen" * 40
         + " en ook voor de nieuwsbrief SPF")
_TWICE = "Wij publiceren een zgn. SPF-record; dat SPF-record noemt onze mailservers."


@pytest.mark.parametrize(("text", "kinds"), [
    ("Wij gebruiken SPF, want met SPF ziet uw mailserver of een bericht echt van ons is.\n", ["spf"]),
    (_TWICE + "\n", ["spf"]),
    ("We sign our mail with DKIM, e.g. every invoice carries a DKIM signature.\n", ["dkim"]),
    (_LONG + ".\n", ["spf"]),
    ("Wij gebruiken SSL voor onze website.\n\nOverige zaken.\n\nWij gebruiken SSL voor onze website.\n",
     ["https"]),
    ("SPF gebruiken wij om te voorkomen dat u uit onze naam mails krijgt. Daarnaast gebruiken we DKIM en "
     "DMARC.\n", ["spf", "dkim", "dmarc"]),
])
def test_one_sentence_yields_at_most_one_promise_of_each_kind(text, kinds):
    assert [k for k, _ in found(text)] == kinds


def test_a_sentence_naming_spf_twice_is_quoted_whole():
    assert found(_TWICE) == [("spf", _TWICE)]


def test_dmarc_is_quoted_from_the_sentence_that_names_it():
    text = ("SPF gebruiken wij om te voorkomen dat u uit onze naam mails krijgt. Daarnaast gebruiken we "
            "DKIM en DMARC.")
    dmarc, = [p for p in read(text).promises if p.kind == "dmarc"]
    assert dmarc.sentence == "Daarnaast gebruiken we DKIM en DMARC."
    assert dmarc.settings == {"dmarc_policy": "quarantine", "purpose": "anti-spoofing"}


# --- 3. list items are sentences; a heading and its explanation are one promise -------------

@pytest.mark.parametrize(("text", "fmt", "expected"), [
    ("Onze maatregelen: • SPF voor onze e-mail • een firewall • dagelijkse back-ups\n", "text",
     [("spf", "SPF voor onze e-mail"), ("firewall", "een firewall"), ("backup", "dagelijkse back-ups")]),
    ("We take these measures: ▪ DKIM on all outgoing mail ▪ a firewall\n", "text",
     [("dkim", "DKIM on all outgoing mail"), ("firewall", "a firewall")]),
    ("Wij nemen deze maatregelen:\n\n• Een firewall\n• Back-ups van alle systemen\n• DKIM voor onze e-mail\n\n"
     "Daarnaast gebruiken wij SPF.\n", "text",
     [("firewall", "Een firewall"), ("backup", "Back-ups van alle systemen"), ("dkim", "DKIM voor onze e-mail"),
      ("spf", "Daarnaast gebruiken wij SPF.")]),
])
def test_list_items_are_sentences_of_their_own(text, fmt, expected):
    assert found(text, fmt) == expected


@pytest.mark.parametrize(("text", "fmt", "expected"), [
    ("TLS\n\nAlle formulieren op onze website worden versleuteld verstuurd.\n", "text",
     [("https", "Alle formulieren op onze website worden versleuteld verstuurd.")]),
    ("SSL-certificaat\n\nOnze website gebruikt een SSL-certificaat, zodat niemand kan meelezen.\n", "text",
     [("https", "Onze website gebruikt een SSL-certificaat, zodat niemand kan meelezen.")]),
    ("TLS\n\nOok e-mail tussen onze mailservers en die van anderen wordt versleuteld verzonden.\n", "text",
     [("mail-tls", "Ook e-mail tussen onze mailservers en die van anderen wordt versleuteld verzonden.")]),
    ("Beveiliging\n\nWij versturen onze nieuwsbrieven vanaf een eigen server.\n", "text", []),
    ("TLS\n\nVeiligheid vinden wij belangrijk. Daarom is onze website alleen via https bereikbaar.\n", "text",
     [("https", "Daarom is onze website alleen via https bereikbaar.")]),
    ("## Beveiliging\n\n### SPF\n\nOnze mailservers staan in ons SPF-record.\n", "markdown",
     [("spf", "Onze mailservers staan in ons SPF-record.")]),
    ("<html><body><dl><dt>Two-factor authentication</dt><dd>Staff sign in with a code from their phone as "
     "well.</dd></dl></body></html>", "html",
     [("2fa", "Staff sign in with a code from their phone as well.")]),
    ("Wat wij doen:\n\n• Back-ups\nElke nacht maken wij een kopie van alle gegevens.\n• Firewall\n"
     "Onze servers staan achter een muur die verkeer filtert.\n", "text",
     [("backup", "Elke nacht maken wij een kopie van alle gegevens."),
      ("firewall", "Onze servers staan achter een muur die verkeer filtert.")]),
])
def test_a_heading_and_its_explanation_are_one_promise_quoting_the_explanation(text, fmt, expected):
    assert found(text, fmt) == expected


# --- 4. a language read only partly still gives whole sentences ------------------------------

_GERMAN_PDF = ("Sicherheit\n\n"
               "Wir schützen Ihre Daten sorgfältig. Unsere Website wird ausschließlich über eine SSL- bzw.\n\n"
               "TLS-Verschlüsselung ausgeliefert, gem. Art. 32 Abs. 1 DSGVO und nach dem\n\n"
               "Stand der Technik.\n\n"
               "Kontakt\n\n"
               "Fragen zum Datenschutz beantworten wir gern per E-Mail oder telefonisch unter der\n\n"
               "Nummer auf unserer Kontaktseite, werktags von neun bis siebzehn Uhr.\n")
_GERMAN_HTTPS = ("Unsere Website wird ausschließlich über eine SSL- bzw. TLS-Verschlüsselung ausgeliefert, "
                 "gem. Art. 32 Abs. 1 DSGVO und nach dem Stand der Technik.")


@pytest.mark.parametrize(("text", "expected"), [
    (_GERMAN_PDF, [("https", _GERMAN_HTTPS)]),
    ("Wir versenden ggf. Newsletter über Mailchimp, signiert mit DKIM gem. Nr. 4 unserer AGB.\n",
     [("dkim", "Wir versenden ggf. Newsletter über Mailchimp, signiert mit DKIM gem. Nr. 4 unserer AGB.")]),
    ("Für E-Mails nutzen wir SPF und DKIM, u. a. für Rechnungen, bzw. DMARC für den Schutz vor "
     "Fälschungen. Mehr steht in Abs. 3.\n",
     [("spf", "Für E-Mails nutzen wir SPF und DKIM, u. a. für Rechnungen, bzw. DMARC für den Schutz vor "
              "Fälschungen."),
      ("dkim", "Für E-Mails nutzen wir SPF und DKIM, u. a. für Rechnungen, bzw. DMARC für den Schutz vor "
               "Fälschungen."),
      ("dmarc", "Für E-Mails nutzen wir SPF und DKIM, u. a. für Rechnungen, bzw. DMARC für den Schutz vor "
                "Fälschungen.")]),
])
def test_a_german_paragraph_gives_one_promise_quoting_its_whole_sentence(text, expected):
    assert found(text) == expected
