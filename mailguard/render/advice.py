"""What the privacy officer should do, and what the statement may say: advice from the findings.

Two tables, English and Dutch, written for a reader who is not a mail administrator:

* ``RECOMMENDATIONS``: finding code (or a code prefix ending in ``-``) -> what to ask for. The
  longest matching key wins; a measure may add its own entries with
  :func:`mailguard.core.messages.register_advice`, beside its
  ``MESSAGES``. Findings no entry covers get a general line naming the measure and the reason.
* ``WORDING``: measure name -> a sentence of a security section that a measure which passed
  supports. Measures not in the table get a general sentence with their title; ``None`` keeps a
  measure out (an MX record protects nothing).

Everything here is pure and selects from verdicts the measures and promise checks already gave;
it judges nothing itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..core import messages
from ..core.i18n import both, translate
from ..core.messages import Message
from ..core.model import Fulfilment, MeasureResult, PromiseResult, ScanReport, Verdict

_R = Message  # en, nl

RECOMMENDATIONS: dict[str, Message] = {
    # MX (RFC 5321, RFC 7505)
    "MX-NONE": _R(
        "The domain has no MX record. If it should receive mail, ask your provider to publish "
        "MX records; if it should not, publish a null MX (RFC 7505).",
    ),
    "MX-NULL-MIXED": _R(
        "Remove either the null MX or the other MX records: together they are invalid.",
    ),
    "MX-HOST-": _R(
        "Ask your mail provider to make every MX host name resolve to an address directly.",
    ),
    "MX-DOMAIN-MISSING": _R(
        "The domain does not exist in DNS. Check the name in the statement.",
    ),
    # Mail authentication (prefixes: the measures land their exact codes)
    "SPF-": _R(
        "Ask your mail administrator to correct the SPF record so that it lists every service "
        "that sends mail in your name and ends in -all.",
    ),
    "DKIM-": _R(
        "Ask every service that sends mail in your name (your mail provider, invoicing, "
        "newsletters) to sign it with DKIM, with keys of at least 2048 bits.",
    ),
    "DMARC-": _R(
        "Ask your mail administrator to publish a DMARC policy of p=reject (or at least "
        "p=quarantine) once reports show that all your own mail passes SPF or DKIM.",
    ),
    # Mail transport
    "STARTTLS-": _R(
        "Ask your mail provider to offer STARTTLS with a valid certificate on every MX host.",
    ),
    "MTASTS-": _R(
        "Ask your mail provider to publish an MTA-STS policy in enforce mode, so that senders "
        "insist on encryption.",
    ),
    "TLSRPT-": _R(
        "Publish a TLS-RPT record so that you receive reports of failed encrypted delivery.",
    ),
    "DANE-": _R(
        "Ask your mail provider to publish correct TLSA records (DANE) for every MX host.",
    ),
    "DNSSEC-": _R(
        "Ask your DNS provider to sign the domain with DNSSEC and keep the signatures valid.",
    ),
    # Website
    "HTTPS-": _R(
        "Ask your web host to serve every page over HTTPS with a valid certificate and to "
        "redirect http:// to https://.",
    ),
    "HSTS-": _R(
        "Ask your web host to send an HSTS header with a max-age of at least one year.",
    ),
    "CERT-": _R(
        "Ask your provider to replace the certificate before it expires, with one that names "
        "the host and is issued by a trusted authority.",
    ),
    "TLS-": _R(
        "Ask your provider to switch off old TLS versions and weak ciphers (NCSC-NL TLS guidelines).",
    ),
    "CAA-": _R(
        "Publish CAA records naming the certificate authorities you use.",
    ),
    "SECURITYTXT-": _R(
        "Publish a valid, current /.well-known/security.txt so that researchers can reach you.",
    ),
}

GENERAL = _R(
    "{title}: {reason}. Ask the administrator of this service to fix it.",
)
PROMISE = _R(
    "The statement says \u201c{sentence}\u201d, but this is {verdict}: {reason}. Have the measure "
    "fixed, or change the sentence until it is.",
)

# Measure name -> a sentence the evidence supports when the measure passed.
WORDING: dict[str, Message | None] = {
    "mx": None,
    "spf": _R(
        "We publish an SPF record that names the servers allowed to send e-mail in our name.",
    ),
    "dkim": _R(
        "E-mail we send is signed with DKIM, so receivers can check that it really comes from us.",
    ),
    "dmarc": _R(
        "Our DMARC policy tells receivers what to do with e-mail that falsely uses our name.",
    ),
    "dnssec": _R(
        "Our domain is signed with DNSSEC, so its DNS answers cannot be forged unnoticed.",
    ),
    "starttls": _R(
        "Our mail servers encrypt e-mail in transit (STARTTLS) with a valid certificate.",
    ),
    "mta-sts": _R(
        "With MTA-STS we ask senders to deliver e-mail to us only over an encrypted connection.",
    ),
    "dane": _R(
        "With DANE, senders can verify our mail servers' certificates through DNSSEC.",
    ),
    "https": _R(
        "Our website is only available over an encrypted connection (https://) with a valid certificate.",
    ),
    "hsts": _R(
        "Our website tells browsers to always use an encrypted connection (HSTS).",
    ),
}
WORDING_GENERAL = _R("{title}: checked and in order.")
WORDING_INTRO = _R(
    "We protect your personal data and our communication with you with these technical measures, "
    "which we have checked from outside regularly:",
)


messages.register_advice(RECOMMENDATIONS)
register = messages.register_advice
recommendation_for = messages.advice_for


@dataclass(frozen=True)
class Recommendation:
    """One thing to ask for. ``verdict``: the worst verdict behind it; ``about``: what it concerns."""

    key: str
    verdict: Verdict
    text: str
    about: tuple[str, ...]


def _text(message: Message, lang: str, **params: object) -> str:
    template = message.nl if lang == "nl" else message.en
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def reason(code: str, params: Mapping[str, object], english: str, lang: str) -> str:
    """A finding's or promise's reason in ``lang``; the stored English when the code is unknown here."""
    if lang == "en":
        return english
    try:
        return messages.render(code, params, lang)
    except KeyError:
        return english


def recommendations(report: ScanReport, lang: str = "en") -> list[Recommendation]:
    """What to do, failures first: one entry per table key, naming every check it covers."""
    found: dict[str, tuple[Verdict, str, list[str]]] = {}
    for promise in report.promises:
        if promise.verdict in (Fulfilment.NOT_UPHELD, Fulfilment.PARTLY):
            verdict = Verdict.FAIL if promise.verdict == Fulfilment.NOT_UPHELD else Verdict.WARN
            text = _text(
                PROMISE,
                lang,
                sentence=promise.promise.sentence,
                verdict=fulfilment_label(promise.verdict, lang),
                reason=reason(promise.code, promise.params, promise.reason, lang),
            )
            found[f"promise:{promise.promise.kind}:{promise.promise.sentence}"] = (
                verdict,
                text,
                [promise.promise.kind],
            )
    for measure in report.measures:
        for finding in measure.findings:
            if finding.verdict not in (Verdict.FAIL, Verdict.WARN):
                continue
            entry = recommendation_for(finding.code)
            if entry is None:
                key = f"general:{measure.name}:{finding.code}"
                text = _text(
                    GENERAL,
                    lang,
                    title=measure.title,
                    reason=reason(finding.code, finding.params, finding.reason, lang),
                )
            else:
                key, text = entry[0], _text(entry[1], lang)
            label = f"{measure.title}: {finding.check}" + (f" ({finding.subject})" if finding.subject else "")
            verdict, text, about = found.get(key, (finding.verdict, text, []))
            if finding.verdict == Verdict.FAIL:
                verdict = Verdict.FAIL
            if label not in about:
                about.append(label)
            found[key] = (verdict, text, about)
    out = [Recommendation(k, v, t, tuple(a)) for k, (v, t, a) in found.items()]
    return sorted(out, key=lambda r: 0 if r.verdict == Verdict.FAIL else 1)


_FULFILMENT_EN = {Fulfilment.NOT_VERIFIABLE: "not verifiable"}  # its reason says why: from outside, no evidence...
_FULFILMENT_NL = {v: translate(_FULFILMENT_EN.get(v, v.value), "nl", "fulfilment badge") for v in Fulfilment}




def fulfilment_label(verdict: Fulfilment, lang: str) -> str:
    return _FULFILMENT_NL[verdict] if lang == "nl" else _FULFILMENT_EN.get(verdict, verdict.value)


def supported(measures: Iterable[MeasureResult]) -> list[MeasureResult]:
    """The measures the evidence fully supports: every finding pass or info, at least one pass."""
    out = []
    for measure in measures:
        verdicts = {f.verdict for f in measure.findings}
        if Verdict.PASS in verdicts and verdicts <= {Verdict.PASS, Verdict.INFO}:
            out.append(measure)
    return out


# Promise kind -> what the evidence shows when the promise is upheld or partly upheld: the facts of
# this scan, never more (an SPF ~all is a soft fail, and the sentence says so).
WORDING_PROMISE: dict[str, Message] = {
    "spf": _R("We publish an SPF record that names the servers allowed to send e-mail in our name; it "
              "ends in {all} ({all_meaning})."),
    "dmarc": _R("Our DMARC policy (p={policy}) tells receivers to {action} e-mail that falsely uses our name."),
    "dkim": _R("E-mail we send is signed with DKIM (selector {selectors}), so receivers can check that it "
               "really comes from us."),
    "mail-tls": _R("Our mail servers accept e-mail over an encrypted connection (STARTTLS, {version})."),
    "mta-sts": _R("With MTA-STS (mode {mode}) we ask senders to deliver e-mail to us only over an encrypted "
                  "connection."),
    "dnssec": WORDING["dnssec"] or WORDING_GENERAL,
    "dane": WORDING["dane"] or WORDING_GENERAL,
    "https": WORDING["https"] or WORDING_GENERAL,
}
_ALL_MEANING = {"-all": both("mail from other servers is to be refused", "spf all meaning"),
                "~all": both("a soft fail: mail from other servers is only marked as suspicious", "spf all meaning")}


_DMARC_ACTION = {"quarantine": both("quarantine", "dmarc action"), "reject": both("refuse", "dmarc action")}


def suggested_wording(report: ScanReport, lang: str = "en") -> tuple[str, tuple[str, ...]]:
    """An introduction and one sentence per promise the evidence upholds (or partly upholds),
    saying exactly what holds; nothing about measures that were neither promised nor tested."""
    sentences: list[str] = []
    for result in report.promises:
        if result.verdict not in (Fulfilment.UPHELD, Fulfilment.PARTLY):
            continue
        message = WORDING_PROMISE.get(result.promise.kind)
        if message is None:
            continue
        params = dict(result.params)
        meaning = _ALL_MEANING.get(str(params.get("all")), ("", ""))
        action = _DMARC_ACTION.get(str(params.get("policy")))
        params.update(all_meaning=meaning[0], all_meaning_nl=meaning[1])
        if result.promise.kind == "dmarc":
            if action is None:
                continue  # p=none asks receivers for nothing: no sentence may say it protects
            params.update(action=action[0], action_nl=action[1])
        template = message.nl if lang == "nl" else message.en
        try:
            sentence = template.format(**params)
        except (KeyError, IndexError, ValueError):
            continue  # a fact the sentence needs is not in the evidence: say nothing rather than guess
        if sentence not in sentences:
            sentences.append(sentence)
    return _text(WORDING_INTRO, lang), tuple(sentences)


def promise_measures(promises: Iterable[PromiseResult]) -> set[str]:
    """The names of the measures some promise rests on."""
    return {name for p in promises for name in p.measures}
