"""Processors a statement may list, and whether they send mail in the company's name.

A service that sends the company's invoices, reminders or newsletters with the company's address
as sender must be covered by the company's SPF record (its include domain) and sign with DKIM
under the company's domain (its selectors), or DMARC will (rightly) treat its mail as forged.
Where a provider's include or selectors vary per customer, they are left empty here: the profile
names the processor so that a person can fill them in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessorInfo:
    """One known service.

    sends_mail: it sends mail with the company's address as sender; mail: what (English, Dutch).
    spf_include: the domain to ``include:`` in SPF ("" when its mail does not need one, or it
        differs per customer); dkim_selectors: any one of these must publish a key.
    domains: the provider's own domains (never taken for the company's).
    note: what to know when the include or selectors are empty.
    """

    name: str
    patterns: tuple[str, ...]
    sends_mail: bool = False
    mail: tuple[str, str] = ("", "")
    spf_include: str = ""
    dkim_selectors: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    note: str = ""


_ASK = "its include and DKIM selector differ per account: look them up in its settings"

PROCESSORS: tuple[ProcessorInfo, ...] = (
    ProcessorInfo("Google Workspace", (r"\bGoogle (?:Workspace|Suite|Apps)\b", r"\bG ?Suite\b",
                                       r"(?<![@\w.])Gmail\b(?!\.)"),  # not an address at gmail.com
                  True, ("the company's own e-mail", "de eigen e-mail van het bedrijf"), "_spf.google.com",
                  ("google",), ("google.com", "gmail.com", "googlemail.com")),
    ProcessorInfo("Microsoft 365", (r"\b(?:Microsoft|Office) ?365\b", r"\bExchange Online\b"), True,
                  ("the company's own e-mail", "de eigen e-mail van het bedrijf"),
                  "spf.protection.outlook.com", ("selector1", "selector2"),
                  ("microsoft.com", "outlook.com", "office.com", "office365.com", "hotmail.com", "live.com")),
    ProcessorInfo("Moneybird", (r"\bMoneybird\b",), True,
                  ("invoices and payment reminders", "facturen en betalingsherinneringen"), "", (),
                  ("moneybird.com", "moneybird.nl"),
                  "sends from the company's own address only through a subdomain delegated to Moneybird "
                  "(an NS record); otherwise from @deliver.moneybird.com"),
    ProcessorInfo("Exact Online", (r"(?-i:\bExact)(?: Online)?\b(?! (?:same|copy|amount|date|time|number))",),
                  True, ("invoices and payment reminders", "facturen en betalingsherinneringen"), "", (),
                  ("exact.com", "exactonline.nl"), _ASK),
    ProcessorInfo("e-Boekhouden", (r"\be-?Boekhouden(?:\.nl)?\b",), True,
                  ("invoices", "facturen"), "", (), ("e-boekhouden.nl",), _ASK),
    ProcessorInfo("Jortt", (r"\bJortt\b",), True, ("invoices", "facturen"), "", (), ("jortt.nl",), _ASK),
    ProcessorInfo("WeFact", (r"\bWeFact\b",), True, ("invoices", "facturen"), "", (), ("wefact.nl",), _ASK),
    ProcessorInfo("SnelStart", (r"\bSnelStart\b",), True, ("invoices", "facturen"), "", (),
                  ("snelstart.nl",), _ASK),
    ProcessorInfo("Twinfield", (r"\bTwinfield\b",), True, ("invoices", "facturen"), "", (),
                  ("twinfield.com",), _ASK),
    ProcessorInfo("Mailchimp", (r"\bMail ?chimp\b",), True, ("newsletters", "nieuwsbrieven"), "", ("k1", "k2"),
                  ("mailchimp.com", "mcsv.net", "list-manage.com"),
                  "its mail uses Mailchimp's own envelope sender, so SPF needs no include; DKIM must be "
                  "set up (k1/k2)"),
    ProcessorInfo("Mandrill", (r"\bMandrill\b",), True, ("transactional mail", "transactionele e-mail"),
                  "spf.mandrillapp.com", ("mandrill",), ("mandrillapp.com",)),
    ProcessorInfo("SendGrid", (r"\bSend ?Grid\b",), True, ("transactional mail", "transactionele e-mail"),
                  "sendgrid.net", ("s1", "s2"), ("sendgrid.com", "sendgrid.net")),
    ProcessorInfo("Mailgun", (r"\bMailgun\b",), True, ("transactional mail", "transactionele e-mail"),
                  "mailgun.org", (), ("mailgun.com", "mailgun.org"), "its DKIM selector differs per account"),
    ProcessorInfo("Brevo", (r"\bBrevo\b", r"\bSendinblue\b"), True, ("newsletters", "nieuwsbrieven"), "",
                  ("brevo1", "brevo2", "mail"), ("brevo.com", "sendinblue.com")),
    ProcessorInfo("MailerLite", (r"\bMailer ?Lite\b",), True, ("newsletters", "nieuwsbrieven"),
                  "_spf.mlsend.com", ("litesrv",), ("mailerlite.com", "mlsend.com")),
    ProcessorInfo("Laposta", (r"\bLaposta\b",), True, ("newsletters", "nieuwsbrieven"), "", (),
                  ("laposta.nl",), _ASK),
    ProcessorInfo("Amazon SES", (r"\bAmazon SES\b", r"\bSimple Email Service\b"), True,
                  ("transactional mail", "transactionele e-mail"), "amazonses.com", (),
                  ("amazonaws.com", "amazonses.com"), "its DKIM selectors are generated per domain"),
    ProcessorInfo("Zendesk", (r"\bZendesk\b",), True, ("support replies", "antwoorden op supportvragen"),
                  "mail.zendesk.com", ("zendesk1", "zendesk2"), ("zendesk.com",)),
    ProcessorInfo("TransIP", (r"\bTransIP\b",), True, ("the company's own e-mail", "de eigen e-mail van het bedrijf"),
                  "_spf.transip.email", ("transip-a", "transip-b"), ("transip.nl", "transip.email")),
    ProcessorInfo("Mollie", (r"\bMollie\b",), domains=("mollie.com",)),
    ProcessorInfo("Stripe", (r"\bStripe\b",), domains=("stripe.com",)),
    ProcessorInfo("PayPal", (r"\bPay ?Pal\b",), domains=("paypal.com",)),
    ProcessorInfo("Zapier", (r"\bZapier\b",), domains=("zapier.com",)),
    ProcessorInfo("Webflow", (r"\bWebflow\b",), domains=("webflow.com", "webflow.io")),
    ProcessorInfo("Trello", (r"\bTrello\b",), domains=("trello.com",)),
    ProcessorInfo("Chatra", (r"\bChatra\b",), domains=("chatra.io", "chatra.com")),
    ProcessorInfo("Google Analytics", (r"\bGoogle[- ]Analytics\b",), domains=("google-analytics.com",)),
    ProcessorInfo("Hotjar", (r"\bHotjar\b",), domains=("hotjar.com",)),
    ProcessorInfo("Slack", (r"\bSlack\b",), domains=("slack.com",)),
    ProcessorInfo("Dropbox", (r"\bDropbox\b",), domains=("dropbox.com",)),
)

# Domains that are never the company's own: public mailbox services and authorities statements name.
_PUBLIC_TEXT = """
gmail.com googlemail.com hotmail.com outlook.com live.com yahoo.com icloud.com me.com msn.com
ziggo.nl kpnmail.nl planet.nl hetnet.nl home.nl xs4all.nl proton.me protonmail.com
autoriteitpersoonsgegevens.nl edps.europa.eu europa.eu ico.org.uk google.com microsoft.com apple.com
facebook.com instagram.com linkedin.com twitter.com x.com youtube.com
"""
PUBLIC_DOMAINS = frozenset(_PUBLIC_TEXT.split())

_COMPILED = tuple((info, re.compile("|".join(info.patterns), re.IGNORECASE)) for info in PROCESSORS)


def provider_domains() -> frozenset[str]:
    return frozenset(d for info in PROCESSORS for d in info.domains) | PUBLIC_DOMAINS


def find_processors(sentences: tuple[str, ...]) -> tuple[tuple[ProcessorInfo, str], ...]:
    """The known processors a statement names, each with the first sentence naming it."""
    found: dict[str, tuple[ProcessorInfo, str]] = {}
    for sentence in sentences:
        for info, pattern in _COMPILED:
            if info.name not in found and pattern.search(sentence):
                found[info.name] = (info, sentence)
    order = {info.name: i for i, info in enumerate(PROCESSORS)}
    return tuple(sorted(found.values(), key=lambda item: order[item[0].name]))


def by_name(name: str) -> ProcessorInfo | None:
    return next((info for info in PROCESSORS if info.name.lower() == name.lower()), None)
