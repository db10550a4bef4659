"""The reasoning of verdicts on promises, in English and Dutch: one message table.

Every code is rendered with ``str.format`` from a verdict's params; ``{claim}`` and ``{claim_nl}``
are the statement's quoted words (or the baseline's description in either language), so that the
reasoning always says which sentence a finding proves or disproves.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..core import messages
from ..core.i18n import both, translate
from ..core.messages import Message
from ..core.model import Fulfilment

# What a kind that cannot be verified from outside is, in both languages.
UNVERIFIABLE: Mapping[str, tuple[str, str]] = {
    "2fa": both("Two-factor authentication", "unverifiable kind"),
    "firewall": both("A firewall", "unverifiable kind"),
    "antivirus": both("Virus scanning", "unverifiable kind"),
    "backup": both("Backups", "unverifiable kind"),
    "encryption-at-rest": both("Encryption of stored data", "unverifiable kind"),
    "audit": both("Regular checks of the measures", "unverifiable kind"),
    "access-control": both("Access control", "unverifiable kind"),
    "pseudonymisation": both("Pseudonymisation", "unverifiable kind"),
    "training": both("Staff training and confidentiality", "unverifiable kind"),
    "monitoring": both("Logging and monitoring", "unverifiable kind"),
    "security-measures": both("Organisational and technical measures", "unverifiable kind"),
}

# The verdicts' names in both languages, for renderers.
FULFILMENT_TEXT: Mapping[Fulfilment, tuple[str, str]] = {
    Fulfilment.UPHELD: both("upheld", "fulfilment"),
    Fulfilment.PARTLY: both("partly upheld", "fulfilment"),
    Fulfilment.NOT_UPHELD: both("not upheld", "fulfilment"),
    Fulfilment.NOT_VERIFIABLE: both("not verifiable", "fulfilment"),
    Fulfilment.NOT_TESTED: both("not tested", "fulfilment"),
}

M = Message
MESSAGES: Mapping[str, Message] = {
    "PROMISE-NOT-VERIFIABLE": M(
        "{what_en} cannot be seen from outside: ask for evidence (a policy, a settings screen, an audit report)"),
    "PROMISE-PROCESSORS-SCOPE": M(
        "{claim} is about the processors' systems, which this scan does not cover"),
    "PROMISE-MEASURE-MISSING": M(
        "measure not available: this mailguard has no {measures} measure, so {claim} was not tested"),
    "PROMISE-NOT-OBSERVED": M(
        "{measure} could not be observed ({why}), so {claim} is not verifiable in this report"),
    "PROMISE-NO-EVIDENCE": M(
        "no check that could prove {claim} was made ({why}), so it is not verifiable; it is not upheld "
        "either: nothing failed"),
    "PROMISE-UNSCANNABLE": M(
        "the domain could not be scanned ({error}), so {claim} is not verifiable in this report"),
    "PROMISE-DKIM-NO-MAIL": M(
        "the domain sends no mail (null MX, RFC 7505): DKIM signing does not apply, so {claim} is not "
        "verifiable (SPF -all and DMARC reject still protect its name)"),
    "PROMISE-FINDINGS-PASS": M(
        "{measure}: all {count} check(s) passed, so {claim} is upheld"),
    "PROMISE-FINDINGS-WARN": M(
        "{measure}: {problems_en}; so {claim} is only partly upheld"),
    "PROMISE-FINDINGS-FAIL": M(
        "{measure}: {problems_en}; so {claim} is not upheld"),
    "PROMISE-FINDINGS-UNTESTED": M(
        "{measure}: {problems_en}; until that can be observed, {claim} is not tested"),
    # DMARC (RFC 7489 §6.3, p= and sp=; §6.6.4 pct=)
    "PROMISE-DMARC-MISSING": M(
        "no DMARC record is published: nothing tells receivers to refuse mail forged in your name, "
        "so {claim} is not upheld"),
    "PROMISE-DMARC-INVALID": M(
        "the DMARC record is not valid, so receivers ignore it: {claim} is not upheld"),
    "PROMISE-DMARC-NONE": M(
        "DMARC is published with p=none: it does not stop others from sending mail in your name, "
        "so {claim} is not upheld"),
    "PROMISE-DMARC-MONITOR": M(
        "DMARC is published, but with p=none it only reports: mail forged in your name is still "
        "delivered; {claim} is partly upheld (p={required} or stricter is needed)"),
    "PROMISE-DMARC-WEAKER": M(
        "DMARC is published with p={policy}, weaker than the p={required} that {claim} calls for: "
        "forged mail goes to the spam folder instead of being refused; partly upheld"),
    "PROMISE-DMARC-SUBDOMAINS": M(
        "DMARC is published with p={policy}, but sp={subdomain_policy} lets mail forged in the name of "
        "subdomains through; {claim} is partly upheld"),
    "PROMISE-DMARC-PCT": M(
        "DMARC p={policy} applies to only {pct}% of the failing mail (pct={pct}); {claim} is partly upheld"),
    "PROMISE-DMARC-TESTING": M(
        "DMARC p={policy} is in test mode (t=y): receivers apply {applied} instead; {claim} is partly upheld"),
    "PROMISE-DMARC-UPHELD": M(
        "DMARC is published with p={policy}: receivers {action} mail that fails SPF and DKIM in your "
        "name, so {claim} is upheld"),
    # SPF (RFC 7208 §5.1 all, §4.6.4 lookup limit, §2.6.7 permerror)
    "PROMISE-SPF-MISSING": M(
        "no SPF record is published, so {claim} is not upheld"),
    "PROMISE-SPF-INVALID": M(
        "the SPF record cannot be evaluated ({why}): receivers treat it as a permanent error, so {claim} "
        "is not upheld"),
    "PROMISE-SPF-OPEN": M(
        "the SPF record ends in {all}: it allows any server to send mail in your name, so {claim} is not "
        "upheld"),
    "PROMISE-SPF-NO-ALL": M(
        "the SPF record has no 'all' term, so mail from any other server gets 'neutral': nothing is "
        "refused, and {claim} is not upheld"),
    "PROMISE-SPF-INCLUDE-OPEN": M(
        "the SPF record includes {include}, which ends in +all: any server passes SPF in your name, so "
        "{claim} is not upheld"),
    "PROMISE-SPF-SOFT": M(
        "the SPF record ends in {all}, milder than the {required} that {claim} calls for; partly upheld"),
    "PROMISE-SPF-SENDER-MISSING": M(
        "{processor} sends {sends} for you, but {include} is not in your SPF record: that mail fails SPF; "
        "{claim} is partly upheld"),
    "PROMISE-SPF-NO-DMARC": M(
        "SPF is published ({all}), but without a DMARC policy of quarantine or reject receivers need not "
        "refuse mail that fails it, so {claim} is only partly upheld"),
    "PROMISE-SPF-UPHELD": M(
        "SPF is published and ends in {all}, so {claim} is upheld"),
    # DKIM (RFC 6376 §3.6; RFC 8301 §3.2 key sizes)
    "PROMISE-DKIM-NO-DOMAINKEY": M(
        "_domainkey.{domain} does not exist, so no DKIM key is published under any selector: {claim} is "
        "not upheld"),
    "PROMISE-DKIM-UNKNOWN-SELECTOR": M(
        "_domainkey.{domain} exists but none of the selectors tried has a key; selectors cannot be "
        "listed from DNS, so {claim} is not verifiable: name yours in the profile (dkim_selectors) or "
        "pass a message the domain sent with --eml"),
    "PROMISE-DKIM-NONE-USABLE": M(
        "DKIM key records are published ({selectors}), but none holds a key receivers can use, so {claim} "
        "is not upheld"),
    "PROMISE-DKIM-WEAK": M(
        "the DKIM key(s) ({selectors}) have {bits} bits, fewer than the {required} that {claim} calls for; "
        "partly upheld"),
    "PROMISE-DKIM-TESTING": M(
        "the DKIM key(s) ({selectors}) are in test mode (t=y): receivers may ignore failures; {claim} is "
        "partly upheld"),
    "PROMISE-DKIM-PROCESSOR-MISSING": M(
        "{processor} sends {sends} for you, but no DKIM key is published under its selector(s) "
        "{selectors}: that mail is not signed for your domain; {claim} is partly upheld"),
    "PROMISE-DKIM-UPHELD": M(
        "DKIM keys are published ({selectors}), so {claim} is upheld"),
    "PROMISE-DMARC-BAD-POLICY": M(
        "the DMARC record says p={written}, which is no policy: receivers fall back to p=none, which "
        "stops nobody, so {claim} is not upheld"),
    # the website (RFC 9110 §4.2.2 https, RFC 6797 HSTS, RFC 5280 certificates)
    "PROMISE-HTTPS-BROKEN": M(
        "{problems_en}: visitors' connections are not reliably protected, so {claim} is not upheld"),
    "PROMISE-HTTPS-WEAK": M(
        "the website works over https with a valid certificate, but {problems_en}; {claim} is partly upheld"),
    "PROMISE-HTTPS-UPHELD": M(
        "the website answers over https with a valid certificate ({measure}: {count} check(s) passed), "
        "so {claim} is upheld"),
    # DNSSEC (RFC 4033 §5, RFC 4035 §5)
    "PROMISE-DNSSEC-SECURE": M(
        "the domain is signed with DNSSEC and its answers validate, so {claim} is upheld"),
    "PROMISE-DNSSEC-UNSIGNED": M(
        "the domain is not signed with DNSSEC (its parent zone proves there is no DS record), so {claim} "
        "is not upheld"),
    "PROMISE-DNSSEC-BOGUS": M(
        "the domain's DNSSEC signatures do not validate: validating resolvers answer SERVFAIL, so {claim} "
        "is not upheld"),
    "PROMISE-DNSSEC-HOSTS": M(
        "the domain is signed, but its mail server(s) {hosts} are not validly signed; {claim} is partly "
        "upheld"),
    # STARTTLS (RFC 3207)
    "PROMISE-MAILTLS-NO-MAIL": M(
        "the domain receives no mail (no MX or null MX): there is no transfer of mail to protect, so "
        "{claim} does not apply and is not verifiable"),
    "PROMISE-MAILTLS-MISSING": M(
        "{hosts} do(es) not offer working STARTTLS: mail to it travels unencrypted, so {claim} is not upheld"),
    "PROMISE-MAILTLS-OLD": M(
        "STARTTLS works, but {hosts} negotiate(s) {version}, older than the TLS {required} that {claim} "
        "calls for; partly upheld"),
    "PROMISE-MAILTLS-CERT": M(
        "STARTTLS works, but the certificate of {hosts} is not valid for its name: a sender cannot tell "
        "it from an impostor; {claim} is partly upheld"),
    "PROMISE-MAILTLS-WEAK": M(
        "STARTTLS works on every mail server, but {problems_en}; {claim} is partly upheld"),
    "PROMISE-MAILTLS-UPHELD": M(
        "every mail server offers STARTTLS ({version}), so {claim} is upheld"),
    # MTA-STS (RFC 8461 §5)
    "PROMISE-MTASTS-MODE": M(
        "the MTA-STS policy is in mode {mode}, not {required}: senders do not refuse insecure delivery; "
        "{claim} is partly upheld"),
    "PROMISE-MTASTS-UPHELD": M(
        "an MTA-STS policy in mode {mode} is published and served, so {claim} is upheld"),
}
messages.register(MESSAGES)

_SENDS = ("the company's own e-mail", "invoices and payment reminders", "invoices", "newsletters",
          "transactional mail", "support replies")
SENDS_NL = {what: translate(what, "nl", "sends") for what in _SENDS}

# The baseline's promises in Dutch, for the reasoning of Dutch reports (from the catalog).
BASELINE_NL: Mapping[str, str] = {
    kind: translate(english, "nl", "baseline") for kind, english in (
        ("spf", "an SPF record ending in -all or ~all, with DMARC enforcing"),
        ("dkim", "DKIM keys published for the domain's mail"),
        ("dmarc", "a DMARC policy of quarantine or reject"),
        ("mail-tls", "STARTTLS with TLS 1.2 or newer on every mail server"),
        ("dane", "DANE (TLSA records) for the mail servers"),
        ("dnssec", "the domain signed with DNSSEC"),
        ("https", "the website over HTTPS with TLS 1.2 or newer, a redirect from http:// and HSTS"),
    )
}

__all__ = ["BASELINE_NL", "FULFILMENT_TEXT", "MESSAGES", "SENDS_NL", "UNVERIFIABLE"]
