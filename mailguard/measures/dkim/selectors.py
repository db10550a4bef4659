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

from collections.abc import Mapping

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


def provider_of(selector: str) -> str:
    """The sender known to use ``selector``, or "" when the name is in no table."""
    return COMMON_SELECTORS.get(selector.lower(), "")


__all__ = ["COMMON_SELECTORS", "GENERIC", "provider_of"]
