"""The table of security promises mailguard recognises, in Dutch and English.

Each kind has the wordings that promise it. Patterns are regular expressions matched against one
sentence, case-insensitively unless :data:`CASE_SENSITIVE` says otherwise. Kinds an outside scan
can check are in :data:`VERIFIABLE`; every other kind is kept and reported as "not verifiable
from outside", never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from re import _constants as re_constants  # type: ignore[attr-defined]
from re import _parser as re_parser  # type: ignore[attr-defined]
from typing import Any

# The measures behind each verifiable kind are in mailguard.promises.verdicts.
VERIFIABLE = frozenset({"spf", "dkim", "dmarc", "https", "mail-tls", "dnssec", "dane", "mta-sts"})

# Kinds about mail, whose domains are the mail domains; the rest are about the website or the firm.
MAIL_KINDS = frozenset({"spf", "dkim", "dmarc", "mail-tls", "dane", "mta-sts"})

_SECURE = (r"(?:\bveilig\w*|\bbeveilig\w*|\bversleutel\w*|\bgecodeerd|\bencrypt\w*|\bsecur\w*|"
           r"\bprotected|\bbeschermd\w*|\bSSL\b|\bTLS\b|\bSSL-\w+|\bTLS-\w+)")
SECURE = _SECURE  # every mail-tls pattern that looks ahead needs one of these words

_MAIL = r"(?:\be-?mail\w*|\bmail(?:s|verkeer|berichten)?\b|\bberichten\b|\bmessages\b)"
_TRANSPORT = (r"(?:verzend|verzonden|verstuur|verstuurd|overdracht|\btransport|\btransfer|transmi|\bsent\b|"
              r"\bsend|delivery|deliver|afgeleverd|aflever|ontvang|\bverkeer|traffic|in transit|onderweg|"
              r"\btussen (?:onze|de|uw)\b|\bbetween (?:our|the|your)\b)")

KINDS: Mapping[str, tuple[str, ...]] = {
    "spf": (r"\bSPF\b", r"sender policy framework"),
    "dkim": (r"\bDKIM\b", r"domain ?keys? identified mail"),
    "dmarc": (r"\bDMARC\b",),
    "https": (
        r"\bSSL\b", r"\bhttps\b", r"\bSSL-?certifica", r"\bTLS-?certifica", r"\bslotje\b", r"\bpadlock\b",
        r"(?:beveiligde|versleutelde|veilige) (?:internet)?verbinding", r"(?:secure|encrypted) connection",
        r"(?:beveiligde|versleutelde) (?:website|pagina|omgeving|portaal)",
        r"(?:secure|encrypted) (?:website|web ?site|pages?|portal)", r"\bTLS\b",
    ),
    "mail-tls": (
        r"\bSTARTTLS\b",
        rf"^(?=.*{_SECURE})(?=.*{_MAIL})(?=.*{_TRANSPORT})",
        rf"^(?=.*{_SECURE})(?=.*\b(?:communicatie|correspondentie|communication|correspondence) (?:met|with)\b)",
    ),
    "dnssec": (r"\bDNSSEC\b", r"ondertekende? (?:dns|domein)", r"\bsigned (?:dns|zone|domain)"),
    "dane": (r"\bDANE\b", r"\bTLSA\b"),
    "mta-sts": (r"\bMTA-?STS\b",),
    "2fa": (
        r"\b2-?FA\b", r"\bMFA\b", r"two[- ]?factor", r"multi[- ]?factor", r"\b2[- ]?factor",
        r"two[- ]?step (?:verification|authentication|login)", r"\b2[- ]?step",
        r"twee[- ]?(?:staps|traps|factor|ledige)[- ]?(?:verificatie|authenticatie|inlog)",
        r"\b2[- ]?(?:staps|traps)[- ]?(?:verificatie|authenticatie)", r"meer[- ]?factor",
    ),
    "firewall": (r"\bfirewall",),
    "antivirus": (r"virus-?scan", r"anti-?virus", r"virus ?(?:protection|bescherming|software)",
                  r"anti-?malware", r"malware (?:protection|scanning|bescherming|detectie)"),
    "backup": (r"\bback-?ups?\b", r"\bback-?up-?\w+", r"reservekopie", r"\bbacked up\b"),
    "encryption-at-rest": (
        r"(?:versleuteld|encrypted|gecodeerd) (?:opgeslagen|bewaard|stored|at rest)",
        r"(?:opgeslagen|bewaard|stored|opslag|storage|databases?|schijven|disks?|laptops?)\b.{0,40}"
        r"\b(?:versleuteld|encrypted|versleuteling|encryptie|encryption)",
        r"encryption at rest", r"(?:disk|schijf|full[- ]disk)[- ]?(?:encryption|versleuteling)",
    ),
    "audit": (
        r"(?:regelmatig|periodiek|jaarlijks|voortdurend) (?:\w+ )?(?:gecontroleerd|getest|geëvalueerd|"
        r"gecheckt|geaudit|gecontroleerd en \w+)",
        r"(?:controleren|testen|evalueren) (?:wij|we) (?:\w+ ){0,3}(?:regelmatig|periodiek|jaarlijks)",
        r"(?:checked|tested|reviewed|audited|assessed|evaluated) (?:\w+ )?(?:regularly|periodically|"
        r"annually|yearly)",
        r"(?:regular|periodic|annual|yearly) (?:security )?(?:audits?|tests?|checks?|reviews?|assessments?)",
        r"penetrati(?:e|on) ?test", r"\bpentest", r"\bISO[ /-]?(?:IEC )?27001\b", r"\bNEN[ -]?7510\b",
        r"\bSOC ?2\b",
    ),
    "access-control": (
        r"alleen (?:de |daartoe )?(?:noodzakelijke|bevoegde|geautoriseerde|betrokken) (?:personen|"
        r"medewerkers)", r"toegang\w* .{0,40}(?:beperkt|afgeschermd|afgeschermd is)",
        r"toegangs(?:controle|beheer|rechten)", r"\bautorisatie", r"access control",
        r"only (?:authori[sz]ed|designated|necessary) (?:staff|personnel|employees|people|persons)",
        r"need[- ]to[- ]know", r"access (?:is )?(?:restricted|limited)", r"restricted access",
    ),
    "pseudonymisation": (r"pseudonimi[sz]e", r"pseudonymi[sz]", r"geanonimiseerd", r"anonimiseren",
                         r"anonymi[sz]ed", r"anonymi[sz]ation"),
    "training": (r"\btraining", r"bewustwording", r"awareness", r"(?:getraind|opgeleid|trained)\b",
                 r"geheimhouding", r"confidentiality (?:agreement|obligation|clause)"),
    "monitoring": (r"\blogging\b", r"\bmonitoring\b", r"gemonitord", r"intrusion detection",
                   r"\bSIEM\b", r"inbraakdetectie"),
    "security-measures": (
        r"passende (?:technische en organisatorische )?(?:beveiligings)?maatregelen",
        r"(?:strenge|adequate|technische en organisatorische) beveiligingsmaatregelen",
        r"appropriate (?:technical and organi[sz]ational )?(?:security )?measures",
        r"(?:strict|adequate) security measures", r"technical and organi[sz]ational measures",
    ),
}

CASE_SENSITIVE = frozenset({r"\bDANE\b", r"\bTLSA\b", r"\bMFA\b", r"\bSIEM\b", r"\bSOC ?2\b", r"\b2-?FA\b"})

# Wording that promises protection against mail sent in the company's name (needs DMARC enforcing).
# Forgery words say it on their own.
FORGERY = (
    r"\bspoof", r"\bvervals", r"\bnagemaakt", r"\bforge[dr]?\b", r"\bforging\b", r"impersonat",
    r"pretend(?:ing)? to be (?:us|from us)", r"zich (?:uitgeven|voordoen) als (?:ons|wij)",
    r"\bappear(?:s|ing)? to come from us\b",
)
# "In our name" is also how a statement says that a processor sends mail for the company
# ("Mailchimp sends our newsletter on behalf of us"): it promises protection only beside a word
# of fraud or of preventing it (issue 17).
IN_OUR_NAME = (
    r"\b(?:uit|in|onder) onze naam\b", r"\bnamens ons\b", r"\buit naam van ons\b", r"\bin our name\b",
    r"\bon behalf of us\b",
)
ABUSE = (
    r"\bvoorkom", r"\btegen\b", r"\bbescherm", r"\bmisbruik", r"phishing", r"\bspam", r"\bfraud",
    r"\bnep", r"\boplicht", r"\bcrimin", r"\bvirus", r"\bniemand\b", r"\bniet van ons\b", r"\bprevent",
    r"\bprotect", r"\bagainst\b", r"\bstop", r"\babuse", r"\bfake", r"\bscam", r"\bno one\b",
    r"\bnobody\b", r"\bnot from us\b",
)
ANTI_SPOOFING = FORGERY + IN_OUR_NAME  # where a verdict's quote starts for purpose "anti-spoofing"
MAIL_WORDS = r"(?:e-?mail|\bmail|berichten|messages|afzender|sender)"

# Wording that promises the best protection there is: the strictest setting of every check.
BEST = (
    r"\bbest(?:e)? mogelijke?\b", r"\bzo goed (?:als )?mogelijk", r"\bbeste\b", r"\bbest possible\b",
    r"\bthe best\b", r"\bhighest (?:possible |level|standard)", r"\bhoogste (?:niveau|standaard)",
    r"\boptima(?:al|le|l)\b", r"\bstate[- ]of[- ]the[- ]art\b", r"\bstrongest\b", r"\bsterkst",
    r"\bas (?:well|securely) as possible\b",
)

# A sentence that talks about the systems of suppliers or processors, not the company's own.
THIRD_PARTY = (
    r"(?:digitale )?systemen die\b", r"\bleveranciers?\b", r"\b(?:sub)?verwerkers\b", r"\bderde partij",
    r"\bsuppliers?\b", r"\bvendors?\b", r"\b(?:sub-?)?processors\b", r"\bthird[- ]part(?:y|ies)\b",
    r"\bsystems (?:that|which) (?:have|offer|use)\b",
)

# Sentences that are about what a customer does or the customer's own account, not the firm's
# own security, are still promises; the patterns above take them as written.


def compile_kinds() -> dict[str, tuple[re.Pattern[str], ...]]:
    """Each kind's patterns, compiled one by one (to tell which one matched)."""
    return {kind: tuple(re.compile(p, 0 if p in CASE_SENSITIVE else re.IGNORECASE) for p in patterns)
            for kind, patterns in KINDS.items()}


def compile_kinds_joined() -> dict[str, re.Pattern[str]]:
    """Each kind's patterns as one alternation: one search per kind and sentence."""
    return {kind: re.compile("|".join(f"(?-i:{p})" if p in CASE_SENSITIVE else f"(?:{p})" for p in patterns),
                             re.IGNORECASE)
            for kind, patterns in KINDS.items()}


def compile_list(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


class Matcher:
    """Patterns searched fast: the case-insensitive ones as lower-case patterns over the lower-cased
    text (Python's ``re`` is about twice as fast without IGNORECASE, and finds literal prefixes),
    the case-sensitive ones (``DANE``, ``MFA``) over the text as written. The patterns hold no
    upper-case escapes (``\\S``, ``\\W``...), so lower-casing them keeps their meaning."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        folded = [p.lower() for p in patterns if p not in CASE_SENSITIVE]
        exact = [p for p in patterns if p in CASE_SENSITIVE]
        self._folded = re.compile("|".join(f"(?:{p})" for p in folded)) if folded else None
        self._exact = re.compile("|".join(f"(?:{p})" for p in exact)) if exact else None
        # Words at least one of which every folded pattern needs: a sentence with none of them
        # cannot match, and a substring test is far cheaper than the regular expression.
        needed = [required_words(p) for p in folded]
        self._needs: tuple[str, ...] | None = None if any(n is None for n in needed) else tuple(
            sorted({w for n in needed for w in n or ()}))

    def hit(self, text: str, lowered: str | None = None) -> bool:
        """Whether any pattern occurs in ``text`` (``lowered``: ``text.lower()``, if already made)."""
        if self._folded is not None:
            low = text.lower() if lowered is None else lowered
            if (self._needs is None or any(w in low for w in self._needs)) and self._folded.search(low):
                return True
        return self._exact is not None and self._exact.search(text) is not None


def required_words(pattern: str) -> frozenset[str] | None:
    """Literal strings one of which every match of ``pattern`` contains, or None when that cannot
    be told from its parse (the caller then always runs the pattern)."""
    try:
        parsed = list(re_parser.parse(pattern))
    except re.error:
        return None
    return _required(parsed)


def _required(items: list[Any]) -> frozenset[str] | None:
    """The best (longest shortest word) set of required words of a sequence of parse items."""
    best: frozenset[str] | None = None
    run: list[str] = []

    def consider(words: frozenset[str] | None) -> None:
        nonlocal best
        if words and all(words) and (best is None or min(map(len, words)) > min(map(len, best))):
            best = words

    for op, arg in items:
        if op == re_constants.LITERAL:
            run.append(chr(arg))
            continue
        consider(frozenset({"".join(run)}) if run else None)
        run = []
        if op == re_constants.BRANCH:
            branches = [_required(list(b)) for b in arg[1]]
            consider(None if any(b is None for b in branches) else frozenset().union(*branches))  # type: ignore[arg-type]
        elif op == re_constants.SUBPATTERN:
            consider(_required(list(arg[-1])))
        elif op == re_constants.ASSERT and arg[0] == 1:  # a lookahead: its words are needed too
            consider(_required(list(arg[1])))
        elif op in (re_constants.MAX_REPEAT, re_constants.MIN_REPEAT) and arg[0] >= 1:
            consider(_required(list(arg[2])))
    consider(frozenset({"".join(run)}) if run else None)
    return best


def kind_matchers() -> dict[str, Matcher]:
    return {kind: Matcher(patterns) for kind, patterns in KINDS.items()}
