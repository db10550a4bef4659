"""Selectors that common mail providers and bulk senders publish their DKIM keys under.

DKIM has no way to list a domain's selectors: a key can only be found by guessing its name
(RFC 6376 §3.1). This table is the guess list, each name with the sender known to use it, so
the report can say "selector1: Microsoft 365". Many providers also issue per-customer selectors
(Amazon SES Easy DKIM tokens, Postmark's dated ``...pm`` names, HubSpot's ``hs1-<id>``) that no
list can guess; for those the user gives ``--dkim-selector`` or a signed message (``--eml``).

Entries marked "(unconfirmed)" are names a sender is reported to use that we could not confirm
from its own documentation; they cost one query each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GENERIC = "generic name"

# selector -> who uses it. Ordered by how often the selector is seen; the order is the order of
# the report.
COMMON_SELECTORS: Mapping[str, str] = {
    "google": "Google Workspace",
    "selector1": "Microsoft 365",
    "selector2": "Microsoft 365",
    "k1": "Mailchimp",
    "k2": "Mailchimp",
    "k3": "Mailchimp",
    "mandrill": "Mandrill (Mailchimp Transactional)",
    "mte1": "Mailchimp Transactional",
    "mte2": "Mailchimp Transactional",
    "s1": "SendGrid",
    "s2": "SendGrid",
    "smtpapi": "SendGrid",
    "amazonses": "Amazon SES (legacy)",
    "mailo": "Mailgun",
    "mg": "Mailgun",
    "pic": "Mailgun",
    "krs": "Mailgun",
    "smtp": "Mailgun / generic",
    "zoho": "Zoho Mail",
    "zmail": "Zoho Mail",
    "pm": "Postmark",
    "mail": "Brevo (Sendinblue) / generic",
    "brevo1": "Brevo",
    "brevo2": "Brevo",
    "hs1": "HubSpot",
    "hs2": "HubSpot",
    "mailjet": "Mailjet",
    "protonmail": "Proton Mail",
    "protonmail2": "Proton Mail",
    "protonmail3": "Proton Mail",
    "fm1": "Fastmail",
    "fm2": "Fastmail",
    "fm3": "Fastmail",
    "zendesk1": "Zendesk",
    "zendesk2": "Zendesk",
    "ctct1": "Constant Contact",
    "ctct2": "Constant Contact",
    "cm": "Campaign Monitor",
    "litesrv": "MailerLite",
    "moneybird": "Moneybird (unconfirmed)",
    "exact": "Exact Online (unconfirmed)",
    "default": GENERIC,
    "dkim": GENERIC,
    "dkim1": GENERIC,
    "dkim2": GENERIC,
    "key1": GENERIC,
    "key2": GENERIC,
    "sig1": GENERIC,
    "email": GENERIC,
    "s1024": GENERIC,
    "s2048": GENERIC,
}


@dataclass(frozen=True)
class Provider:
    """A mail provider recognised by its MX hosts or by the SPF includes that authorise it, and the
    selectors it publishes keys under."""

    name: str
    mx: tuple[str, ...]
    spf: tuple[str, ...]
    selectors: tuple[str, ...]


# Guess by provider first (issue 19): a domain whose MX or SPF names a provider is asked that
# provider's selectors only; the long list is for domains where none is recognised.
PROVIDERS: tuple[Provider, ...] = (
    Provider("Google Workspace", ("google.com", "googlemail.com"), ("_spf.google.com",), ("google",)),
    Provider("Microsoft 365", ("mail.protection.outlook.com",), ("spf.protection.outlook.com",),
             ("selector1", "selector2")),
    Provider("Mailchimp", (), ("servers.mcsv.net",), ("k1", "k2", "k3")),
    Provider("Mandrill", (), ("spf.mandrillapp.com", "mandrillapp.com"), ("mandrill", "mte1", "mte2")),
    Provider("SendGrid", (), ("sendgrid.net",), ("s1", "s2", "smtpapi")),
    Provider("Amazon SES", ("amazonaws.com",), ("amazonses.com",), ("amazonses",)),
    Provider("Mailgun", ("mailgun.org",), ("mailgun.org",), ("mailo", "mg", "pic", "krs", "smtp")),
    Provider("Brevo", (), ("spf.brevo.com", "spf.sendinblue.com", "sendinblue.com"), ("mail", "brevo1", "brevo2")),
    Provider("Zoho Mail", ("zoho.com", "zoho.eu"), ("zoho.com", "zoho.eu"), ("zoho", "zmail")),
    Provider("Postmark", (), ("spf.mtasv.net", "mtasv.net"), ("pm",)),
    Provider("Mailjet", (), ("spf.mailjet.com",), ("mailjet",)),
    Provider("Proton Mail", ("protonmail.ch",), ("_spf.protonmail.ch",), ("protonmail", "protonmail2", "protonmail3")),
    Provider("Fastmail", ("messagingengine.com",), ("spf.messagingengine.com",), ("fm1", "fm2", "fm3")),
    Provider("Zendesk", (), ("mail.zendesk.com",), ("zendesk1", "zendesk2")),
    Provider("HubSpot", (), ("hubspotemail.net",), ("hs1", "hs2")),
)


def _under(name: str, suffix: str) -> bool:
    name = name.lower().rstrip(".")
    return name == suffix or name.endswith("." + suffix)


def recognise(mx_hosts: Iterable[str], spf_domains: Iterable[str]) -> tuple[Provider, ...]:
    """The providers the domain's MX hosts and SPF include/redirect domains name."""
    hosts, includes = list(mx_hosts), list(spf_domains)
    return tuple(p for p in PROVIDERS if any(_under(h, s) for h in hosts for s in p.mx)
                 or any(_under(d, s) for d in includes for s in p.spf))


def provider_of(selector: str) -> str:
    """The sender known to use ``selector``, or "" when the name is in no table."""
    return COMMON_SELECTORS.get(selector.lower(), "")


__all__ = ["COMMON_SELECTORS", "GENERIC", "PROVIDERS", "Provider", "provider_of", "recognise"]
