"""The DMARC measure's finding codes, in English and Dutch, with the section each rests on."""

from __future__ import annotations

from ...core.i18n import translate
from ...core.messages import Message

BIS = "RFC 9989"  # DMARCbis
_M = Message

# The parser's explanations (record.py); findings carry both languages, as ``error`` and ``error_nl``
# (the Dutch from the gettext catalog).
_DETAILS = (
    'white space before v=DMARC1: the record must start with it',
    "expected ';' after v=DMARC1",
    'the version must be written exactly v=DMARC1 (case-sensitive)',
    'v=DMARC1 must be the first tag of the record',
    'not a DMARC record: it does not start with v=DMARC1',
    "empty tag between two ';'",
    'expected a tag name (letters only)',
    "expected '=' after the tag name",
    'the tag has an empty value',
    'character not allowed in a tag value (printable ASCII only)',
    'expected none, quarantine or reject',
    'expected r (relaxed) or s (strict)',
    "options are 0, 1, d and s, separated by ':'",
    '0 and 1 are mutually exclusive (DMARCbis §4.8)',
    'an option is repeated',
    'expected a whole number from 0 to 100',
    'the only report format defined is afrf',
    'expected a number of seconds (32-bit)',
    'expected y, n or u',
    'expected y or n',
    'empty URI in the list',
    'white space or a non-ASCII character in a URI',
    'not a URI: a scheme such as mailto: is missing',
    'a mailto: URI needs an address local-part@domain',
    "more than one '@' in the address",
    'the address has no valid mail domain',
    'a web URI needs //host',
)
DETAILS_NL = {detail: translate(detail, "nl", "dmarc detail") for detail in _DETAILS}

MESSAGES = {
    # -- finding the record ----------------------------------------------------------------------
    "DMARC-LOOKUP-FAILED": _M(
        "the DMARC record at _dmarc.{domain} could not be looked up ({status}): not tested",
        "RFC 7489 §6.6.3, RFC 9989 §4.10.1"),
    "DMARC-WALK-INCOMPLETE": _M(
        "_dmarc.{name} could not be looked up ({status}): the DNS tree walk may have missed a record there",
        f"{BIS} §4.10"),
    "DMARC-NO-RECORD": _M(
        "no DMARC record at _dmarc.{domain} nor above it ({searched}): receivers apply no DMARC, so "
        "anyone can send mail in this domain's name",
        f"RFC 7489 §6.6.3, {BIS} §4.10.1"),
    "DMARC-NOT-DMARC": _M(
        "a TXT record at _dmarc.{name} is meant as DMARC but receivers ignore it: {error} "
        "(position {position}): \"{text}\"",
        f"RFC 7489 §6.6.3, {BIS} §4.7"),
    "DMARC-MULTIPLE": _M(
        "{count} DMARC records at _dmarc.{name}: receivers discard them all",
        f"RFC 7489 §6.6.3, {BIS} §4.10"),
    "DMARC-RECORD": _M("DMARC record at _dmarc.{name}: {text}",
                       "RFC 7489 §6.1"),
    "DMARC-INHERITED": _M(
        "no DMARC record of its own: inherited from its organizational domain {source} via {via}",
        f"{BIS} §4.10.1, RFC 7489 §6.6.3"),
    "DMARC-INHERITED-PSD": _M(
        "no DMARC record of its own, nor at its organizational domain {org}: inherited from the public "
        "suffix domain {source} (psd=y) via {via}", f"{BIS} §4.10.1"),
    # -- the record's syntax and tags --------------------------------------------------------------
    "DMARC-SYNTAX": _M(
        "syntax error at position {position}: {error}; receivers skip the broken part", f"{BIS} §4.8"),
    "DMARC-TAG-UNKNOWN": _M(
        "unknown tag {tag}={value} (position {position}): receivers ignore it", f"{BIS} §4.7"),
    "DMARC-TAG-REMOVED": _M(
        "{tag}={value} (position {position}) was removed in DMARCbis: only RFC 7489 receivers use it", f"{BIS} §4.7"),
    "DMARC-TAG-DUPLICATE": _M(
        "tag {tag}= appears again at position {position}: receivers may reject the whole record",
        "RFC 6376 §3.2"),
    "DMARC-TAG-INVALID": _M(
        "invalid value {tag}={value} at position {position}: {error}; receivers fall back to the default",
        f"{BIS} §4.8, RFC 7489 §6.3"),
    "DMARC-P-MISSING": _M(
        "no p= tag: DMARCbis receivers read the record as p=none, and RFC 7489 requires p=",
        f"{BIS} §4.7, RFC 7489 §6.3"),
    "DMARC-P-NOT-SECOND": _M(
        "p= (position {position}) does not directly follow v=DMARC1: RFC 7489 requires that order, "
        "DMARCbis does not", "RFC 7489 §6.3"),
    "DMARC-FO-IGNORED": _M("fo={value} has no effect without ruf=", f"{BIS} §4.7"),
    # -- the policy --------------------------------------------------------------------------------
    "DMARC-POLICY-REJECT": _M(
        "{via} ({source}): mail that fails DMARC is rejected", f"{BIS} §4.7"),
    "DMARC-POLICY-QUARANTINE": _M(
        "{via} ({source}): mail that fails DMARC is treated as suspicious (spam folder); reject is "
        "stronger", f"{BIS} §4.7"),
    "DMARC-POLICY-NONE": _M(
        "{via} ({source}) is monitoring only: it stops no spoofing", f"{BIS} §4.7"),
    "DMARC-POLICY-FALLBACK": _M(
        "p=, sp= or np= is invalid and rua= is valid: receivers act as if p=none, which stops no spoofing",
        f"{BIS} §4.10.1, RFC 7489 §6.6.3"),
    "DMARC-POLICY-UNUSABLE": _M(
        "p=, sp= or np= is invalid and there is no valid rua=: receivers apply no DMARC at all",
        f"{BIS} §4.10.1, RFC 7489 §6.6.3"),
    "DMARC-SP-WEAKER": _M(
        "sp={sp} for subdomains is weaker than p={p}: subdomains are easier to spoof",
        f"{BIS} §4.7"),
    "DMARC-NP-WEAKER": _M(
        "np={np} for non-existent subdomains is weaker than p={p}: made-up subdomains are easier to spoof",
        f"{BIS} §4.7"),
    "DMARC-SP-IGNORED": _M(
        "{tags} on {domain} have no effect: its subdomains take their policy from the organizational "
        "domain {org}", f"{BIS} §4.7"),
    "DMARC-PCT": _M(
        "pct={pct}: RFC 7489 receivers apply {policy} to only {pct}% of failing mail (DMARCbis ignores pct)",
        "RFC 7489 §6.3"),
    "DMARC-TESTING": _M(
        "t=y: testing mode, receivers apply {applied} instead of {policy}", f"{BIS} §4.7"),
    "DMARC-ALIGNMENT": _M(
        "alignment: adkim={adkim}, aspf={aspf} (r = relaxed, s = strict)", f"{BIS} §4.4"),
    # -- reports -----------------------------------------------------------------------------------
    "DMARC-NO-RUA": _M(
        "no valid rua=: no aggregate reports are sent, so nobody notices abuse of the domain", f"{BIS} §4.7"),
    "DMARC-NO-RUA-NULL-MX": _M(
        "no rua=: no reports, acceptable for a domain that sends no mail and rejects all mail in its name",
        f"{BIS} §4.7, RFC 7505"),
    "DMARC-RUA": _M("aggregate reports (rua) go to {uris}",
                    f"{BIS} §4.7"),
    "DMARC-RUF": _M("failure reports (ruf) go to {uris}",
                    f"{BIS} §4.7"),
    "DMARC-URI-INVALID": _M(
        "invalid {tag} URI \"{uri}\" at position {position}: {error}; reports to it are lost",
        f"{BIS} §4.6, §4.8"),
    "DMARC-URI-SCHEME": _M(
        "{tag} URI {uri} uses {scheme}:, which receivers need not support (only mailto: is required)", f"{BIS} §4.7"),
    "DMARC-URI-SIZE": _M(
        "{tag} URI {uri} carries a size limit !{size}: obsolete in DMARCbis, reporters ignore it",
        f"{BIS} §4.8, RFC 7489 §6.2"),
    "DMARC-REPORT-AUTHORIZED": _M(
        "{host} accepts {tag} reports for {policy_domain}: {query} has a v=DMARC1 record",
        "RFC 7489 §7.1"),
    "DMARC-REPORT-UNAUTHORIZED": _M(
        "{host} has not agreed to receive reports for {policy_domain} (no v=DMARC1 record at {query}): "
        "receivers send no {tag} reports there", "RFC 7489 §7.1"),
    "DMARC-REPORT-UNTESTED": _M(
        "whether {host} accepts reports for {policy_domain} could not be looked up at {query} ({status}): "
        "not tested", "RFC 7489 §7.1"),
    # -- expectations from other facts -------------------------------------------------------------
    "DMARC-NULL-MX-REJECT": _M(
        "null MX and p=reject: the domain sends no mail and mail in its name is refused",
        "RFC 7505 §4, RFC 9989 §4.7"),
    "DMARC-NULL-MX-WEAK": _M(
        "null MX: the domain sends no mail, so its DMARC policy should be reject, not {policy}",
        "RFC 7505 §4, RFC 9989 §4.7"),
    "DMARC-METHODS-DIFFER": _M(
        "receivers disagree: DMARCbis receivers (DNS tree walk) apply {bis_policy} from {bis_source}; "
        "RFC 7489 receivers (Public Suffix List) apply {rfc_policy} from {rfc_source}",
        f"{BIS} §4.10, RFC 7489 §6.6.3"),
    "DMARC-METHODS-DIFFER-BIS-ONLY": _M(
        "receivers disagree: DMARCbis receivers (DNS tree walk) apply {bis_policy} from {bis_source}; "
        "RFC 7489 receivers (Public Suffix List) find no usable DMARC policy and apply none at all",
        f"{BIS} §4.10, RFC 7489 §6.6.3"),
    "DMARC-METHODS-DIFFER-RFC-ONLY": _M(
        "receivers disagree: DMARCbis receivers (DNS tree walk) find no usable DMARC policy; RFC 7489 "
        "receivers (Public Suffix List) apply {rfc_policy} from {rfc_source}",
        f"{BIS} §4.10, RFC 7489 §6.6.3"),
    "DMARC-ORG-DIFFERS": _M(
        "organizational domain: {bis_org} by the DNS tree walk (DMARCbis), {rfc_org} by the Public Suffix "
        "List (RFC 7489); relaxed alignment is judged differently",
        f"{BIS} §4.10.2, RFC 7489 §3.2"),
}
