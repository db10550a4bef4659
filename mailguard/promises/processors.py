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

from ..core.i18n import both


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


# Gmail the product, not a mailbox at gmail.com: an address (also written "naam [at] gmail [dot]
# com"), "our Gmail address" or "Gmail-account" sends from gmail.com, never for the company's domain.
_GMAIL = (r"(?<![@\w.])(?<!\[at\] )(?<!\(at\) )(?<!\(at\))(?<!\[at\])Gmail\b"
          r"(?![.-]|\s*[\[(]?(?:dot|punt)\b|\s*(?:adres|address|account|e-?mail ?adres))")

_ASK = "its include and DKIM selector differ per account: look them up in its settings"

PROCESSORS: tuple[ProcessorInfo, ...] = (
    ProcessorInfo("Google Workspace", (r"\bGoogle (?:Workspace|Suite|Apps)\b", r"\bG ?Suite\b",
                                       _GMAIL),
                  True, both("the company's own e-mail", "sends"), "_spf.google.com",
                  ("google",), ("google.com", "gmail.com", "googlemail.com")),
    ProcessorInfo("Microsoft 365", (r"\b(?:Microsoft|Office) ?365\b", r"\bExchange Online\b"), True,
                  both("the company's own e-mail", "sends"),
                  "spf.protection.outlook.com", ("selector1", "selector2"),
                  ("microsoft.com", "outlook.com", "office.com", "office365.com", "hotmail.com", "live.com")),
    ProcessorInfo("Moneybird", (r"\bMoneybird\b",), True,
                  both("invoices and payment reminders", "sends"), "", (),
                  ("moneybird.com", "moneybird.nl"),
                  "sends from the company's own address only through a subdomain delegated to Moneybird "
                  "(an NS record); otherwise from @deliver.moneybird.com"),
    ProcessorInfo("Exact Online", (r"(?-i:\bExact)(?: Online)?\b(?! (?:same|copy|amount|date|time|number))",),
                  True, both("invoices and payment reminders", "sends"), "", (),
                  ("exact.com", "exactonline.nl"), _ASK),
    ProcessorInfo("e-Boekhouden", (r"\be-?Boekhouden(?:\.nl)?\b",), True,
                  both("invoices", "sends"), "", (), ("e-boekhouden.nl",), _ASK),
    ProcessorInfo("Jortt", (r"\bJortt\b",), True, both("invoices", "sends"), "", (), ("jortt.nl",), _ASK),
    ProcessorInfo("WeFact", (r"\bWeFact\b",), True, both("invoices", "sends"), "", (), ("wefact.nl",), _ASK),
    ProcessorInfo("SnelStart", (r"\bSnelStart\b",), True, both("invoices", "sends"), "", (),
                  ("snelstart.nl",), _ASK),
    ProcessorInfo("Twinfield", (r"\bTwinfield\b",), True, both("invoices", "sends"), "", (),
                  ("twinfield.com",), _ASK),
    ProcessorInfo("Mailchimp", (r"\bMail ?chimp\b",), True, both("newsletters", "sends"), "", ("k1", "k2"),
                  ("mailchimp.com", "mcsv.net", "list-manage.com"),
                  "its mail uses Mailchimp's own envelope sender, so SPF needs no include; DKIM must be "
                  "set up (k1/k2)"),
    ProcessorInfo("Mandrill", (r"\bMandrill\b",), True, both("transactional mail", "sends"),
                  "spf.mandrillapp.com", ("mandrill",), ("mandrillapp.com",)),
    ProcessorInfo("SendGrid", (r"\bSend ?Grid\b",), True, both("transactional mail", "sends"),
                  "sendgrid.net", ("s1", "s2"), ("sendgrid.com", "sendgrid.net")),
    ProcessorInfo("Mailgun", (r"\bMailgun\b",), True, both("transactional mail", "sends"),
                  "mailgun.org", (), ("mailgun.com", "mailgun.org"), "its DKIM selector differs per account"),
    ProcessorInfo("Brevo", (r"\bBrevo\b", r"\bSendinblue\b"), True, both("newsletters", "sends"), "",
                  ("brevo1", "brevo2", "mail"), ("brevo.com", "sendinblue.com")),
    ProcessorInfo("MailerLite", (r"\bMailer ?Lite\b",), True, both("newsletters", "sends"),
                  "_spf.mlsend.com", ("litesrv",), ("mailerlite.com", "mlsend.com")),
    ProcessorInfo("Laposta", (r"\bLaposta\b",), True, both("newsletters", "sends"), "", (),
                  ("laposta.nl",), _ASK),
    ProcessorInfo("Amazon SES", (r"\bAmazon SES\b", r"\bSimple Email Service\b"), True,
                  both("transactional mail", "sends"), "amazonses.com", (),
                  ("amazonaws.com", "amazonses.com"), "its DKIM selectors are generated per domain"),
    ProcessorInfo("Zendesk", (r"\bZendesk\b",), True, both("support replies", "sends"),
                  "mail.zendesk.com", ("zendesk1", "zendesk2"), ("zendesk.com",)),
    ProcessorInfo("TransIP", (r"\bTransIP\b",), True, both("the company's own e-mail", "sends"),
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
