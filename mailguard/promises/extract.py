"""From a statement's text to its sentences, the domains it names and the promises it makes.

Everything here is pure: normalised text in (see :mod:`mailguard.promises.normalise`), frozen
records out. Every promise keeps the sentence it comes from, so a report can quote the
statement's own words beside the evidence.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from publicsuffixlist import PublicSuffixList

from ..core import psl
from ..core.model import Promise
from . import patterns
from .normalise import ABBREVIATIONS
from .processors import ProcessorInfo, find_processors, provider_domains

MAX_SENTENCE = 1000  # characters: longer runs without a full stop are cut, so matching stays linear
RESERVED_TLDS = frozenset({"test", "example"})  # RFC 2606 names used by the lab and fixtures


# --- sentences ------------------------------------------------------------------------------

_BOUNDARY = re.compile(r"([.!?]+)[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9À-Ý•▪☑])")


def sentences(text: str) -> tuple[str, ...]:
    """The sentences of normalised text: paragraphs split at full stops that end a sentence.

    A full stop after an abbreviation ("bijv.", "e.g."), an initial ("J. Jansen") or inside a
    number or a domain name ("www.example.nl") does not end a sentence.
    """
    return tuple(s for paragraph in paragraphs(text) for s in paragraph)


def paragraphs(text: str) -> tuple[tuple[str, ...], ...]:
    """The sentences of each paragraph (a list item is a paragraph of its own)."""
    out: list[tuple[str, ...]] = []
    for block in re.split(r"\n\s*\n|\n(?=\s*[•▪☑-])", text):
        found = tuple(s for s in (_BULLET.sub("", s).strip() for s in _split(" ".join(block.split()))) if s)
        if found:
            out.append(found)
    return tuple(out)


def _split(paragraph: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        before = paragraph[start:match.start()].rsplit(" ", 1)[-1].lower()
        if match.group(1) == "." and _not_an_end(before):
            continue
        out.extend(_cut(paragraph[start:match.end(1)]))
        start = match.end()
    out.extend(_cut(paragraph[start:]))
    return out


_BULLET = re.compile(r"^\s*[•▪◦●○■□☐☑☒✓✔➢➤►▶‣⁃–*·-]+\s*")


def _not_an_end(word: str) -> bool:
    word = word.lstrip("(\"'‘“")
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or bool(re.fullmatch(r"(?:\w\.)+\w", word))


def _cut(sentence: str) -> list[str]:
    return [sentence[i:i + MAX_SENTENCE] for i in range(0, len(sentence), MAX_SENTENCE)] or [sentence]


# --- domains --------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def registrable(host: str) -> str | None:
    """The registrable domain of ``host`` (``www.example.co.uk`` -> ``example.co.uk``), lower-case."""
    return psl.registrable_domain(host)


_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,})")
_URL = re.compile(r"\bhttps?://([A-Za-z0-9.-]+)", re.IGNORECASE)
_BARE = re.compile(r"(?<![\w@./-])((?:www\.)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,})(?![\w-]|\.\w)",
                   re.IGNORECASE)


@dataclass(frozen=True)
class StatementDomains:
    """company: the company's own registrable domains, most named first; web_hosts: host names
    of its websites as written (``www.example.nl``); emails: its addresses; others: domains the
    statement names that belong to someone else (processors, authorities, links)."""

    company: tuple[str, ...]
    web_hosts: tuple[str, ...]
    emails: tuple[str, ...]
    others: tuple[str, ...]


def find_domains(text: str, links: tuple[str, ...] = (), source_url: str = "") -> StatementDomains:
    """The domains a statement names: in e-mail addresses, URLs and bare names like www.example.nl."""
    emails = [m.group(0).lower().rstrip(".") for m in _EMAIL.finditer(text)]
    emails += [link[7:].split("?")[0].lower() for link in links if link.lower().startswith("mailto:")]
    hosts = [m.group(1).lower().rstrip(".") for m in _URL.finditer(text)]
    hosts += [m.group(1).lower() for link in links for m in _URL.finditer(link)]
    text_without = _EMAIL.sub(" ", _URL.sub(" ", text))
    hosts += [h.lower() for h in _BARE.findall(text_without) if _plausible_bare(h)]
    source_host = (_URL.match(source_url).group(1).lower() if _URL.match(source_url) else "")  # type: ignore[union-attr]
    return classify_domains(text, emails, hosts, source_host)


# Technologies written like domain names; in prose they name a framework, not a website.
TECH_NAMES = frozenset({"asp.net", "vb.net", "ado.net", "socket.io"})


def _plausible_bare(name: str) -> bool:
    """A bare name is a domain when it ends in a real top-level domain and is written as one.

    Case does not matter to DNS, so "SchorelWeb.NL" and a sentence's "Schorelweb.nl" count
    (issue 17). Not counted: a framework ("ASP.NET"), a file ("index.html": no such TLD), an IP
    address (no TLD of letters), and two words where a space is missing after a full stop
    ("persoonsgegevens.De"): a top-level domain is written all lower or all upper case.
    """
    lowered = name.lower()
    if lowered in TECH_NAMES:
        return False
    tld = name.rsplit(".", 1)[-1]
    if not (tld.islower() or tld.isupper()):
        return False
    return tld.lower() in RESERVED_TLDS or _psl().publicsuffix(lowered, accept_unknown=False) is not None


MAX_CANDIDATES = 200


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def classify_domains(text: str, emails: list[str], hosts: list[str], source_host: str) -> StatementDomains:
    """Tell the company's domains from those of others.

    Its own: the domains of its e-mail addresses and of the statement's URL, and websites whose
    name recurs in the text (the company name: "Example Web" for example-web.nl). Others: the
    providers' and authorities' domains, and links to sites the text does not otherwise name.
    """
    foreign = provider_domains()
    squeezed = re.sub(r"[^a-z0-9]", "", _URL.sub(" ", _EMAIL.sub(" ", text.lower())))
    mail_domains = [d for d in (registrable(e.split("@", 1)[1]) for e in emails) if d and d not in foreign]
    counts: dict[str, int] = {}
    for domain in mail_domains:
        counts[domain] = counts.get(domain, 0) + 2
    web: dict[str, list[str]] = {}
    for host in [source_host] * bool(source_host) + hosts:
        if _is_ip(host):
            continue  # https://192.0.2.7/ names an address, never a domain
        where = registrable(host)
        if where and where not in foreign:
            web.setdefault(where, [])
            if host not in web[where]:
                web[where].append(host)
    # Counting a name costs a pass over the text: a real statement names a few dozen domains, so
    # only the first MAX_CANDIDATES are weighed as the company's (the rest are others').
    mail_domains = list(dict.fromkeys(mail_domains))[:MAX_CANDIDATES]
    for domain in list(web)[:MAX_CANDIDATES]:
        label = re.sub(r"[^a-z0-9]", "", domain.split(".")[0])
        named = len(label) >= 3 and squeezed.count(label) >= 1
        related = any(label in m.split(".")[0].replace("-", "") or m.split(".")[0].replace("-", "") in label
                      for m in mail_domains)
        if named or related or web[domain][0] == source_host or domain in counts:
            counts[domain] = counts.get(domain, 0) + 1 + squeezed.count(label)
    company = tuple(sorted(counts, key=lambda d: (-counts[d], d)))
    web_hosts = tuple(h for d in company for h in web.get(d, []))
    mentioned = {registrable(h) for h in hosts} | {registrable(e.split("@", 1)[1]) for e in emails}
    others = tuple(sorted(d for d in mentioned if d and d not in counts))
    own_emails = tuple(dict.fromkeys(e for e in emails if registrable(e.split("@", 1)[1]) in counts))
    return StatementDomains(company, web_hosts, own_emails, others)


# --- promises -------------------------------------------------------------------------------

_KINDS = patterns.compile_kinds()
_KIND_MATCHERS = patterns.kind_matchers()
_ANTI_SPOOFING = patterns.Matcher(patterns.ANTI_SPOOFING)
_MAIL_WORDS = patterns.Matcher((patterns.MAIL_WORDS,))
_BEST = patterns.Matcher(patterns.BEST)
_THIRD_PARTY = patterns.Matcher(patterns.THIRD_PARTY)
_GENERIC_TLS = re.compile(r"\b(?:SSL|TLS)\b", re.IGNORECASE)
_WEB_WORDS = re.compile(r"https|website|web ?site|\bsite\b|browser|webpagina|portal|formulier|\bform\b|"
                        r"certifica|verbinding|connection|persoonsgegevens|personal data", re.IGNORECASE)
# Words that put a sentence about TLS on the website itself, even next to MTA-STS or DANE.
_SITE_WORDS = re.compile(r"\bhttps\b|website|web ?site|\bsite\b|browser|webpagina|\bportal|formulier|"
                         r"\bform\b|slotje|padlock|\bweb\b", re.IGNORECASE)
_HSTS = re.compile(r"\bHSTS\b|Strict-Transport-Security", re.IGNORECASE)
_TABLE_ROW = re.compile(r"\|.*\|")


_LINK = re.compile(r"\bhttps?://[A-Za-z0-9][^\s]*", re.IGNORECASE)


def kinds_in(sentence: str) -> list[str]:
    """The kinds of promise a sentence makes, in the order of the pattern table."""
    return list(_kinds_in(sentence))


# Statements repeat their short lines (headings, list items, "SSL"): each is read once.
@functools.lru_cache(maxsize=4096)
def _kinds_in(sentence: str) -> tuple[str, ...]:
    sentence = _LINK.sub("<link>", sentence)  # "see https://example.nl" promises nothing
    lowered = sentence.lower()
    found = [kind for kind, matcher in _KIND_MATCHERS.items() if matcher.hit(sentence, lowered)]
    if "https" in found and "mail-tls" in found and not _WEB_WORDS.search(sentence) and all(
            not r.search(sentence) or r.pattern in (r"\bSSL\b", r"\bTLS\b") for r in _KINDS["https"]):
        found.remove("https")  # "TLS for our e-mail" is about mail, not the website
    if "https" in found and ("mta-sts" in found or "dane" in found) and not _SITE_WORDS.search(sentence):
        # "MTA-STS om TLS-encryptie af te dwingen": the TLS (or the encrypted connection) that a
        # mail transport standard enforces is mail's, not the website's (issue 17).
        found.remove("https")
    if _ANTI_SPOOFING.hit(sentence, lowered) and _MAIL_WORDS.hit(sentence, lowered) and "dmarc" not in found:
        found.insert(found.index("spf") + 1 if "spf" in found else 0, "dmarc")
    if "encryption-at-rest" in found and "mail-tls" in found:
        found.remove("encryption-at-rest")
    return tuple(found)


@dataclass(frozen=True)
class _Wording:
    best: bool
    spoofing: bool
    third_party: bool


@functools.lru_cache(maxsize=4096)
def _wording(sentence: str) -> _Wording:
    """What a sentence's words say about strictness, read once for all the kinds it promises."""
    lowered = sentence.lower()
    return _Wording(_BEST.hit(sentence, lowered),
                    _ANTI_SPOOFING.hit(sentence, lowered) and _MAIL_WORDS.hit(sentence, lowered),
                    _THIRD_PARTY.hit(sentence, lowered))


def settings_for(kind: str, sentence: str, shared: str = "") -> dict[str, Any]:
    """How strict the check of ``kind`` must be, from the sentence's wording (and ``shared``, the
    purpose its paragraph states for mail authentication)."""
    wording = _wording(sentence)
    best = wording.best or shared == "best"
    spoofing = wording.spoofing or shared == "anti-spoofing"
    purpose = "best" if best else "anti-spoofing" if spoofing else ""
    settings: dict[str, Any] = {}
    if kind not in patterns.VERIFIABLE:
        return settings
    if kind == "https" and wording.third_party:
        return {"scope": "processors"}  # promises about suppliers' systems, not the company's own
    if kind == "dmarc":
        settings["dmarc_policy"] = "reject" if best else "quarantine"
    elif kind == "spf":
        settings["spf_all"] = "-all" if best else "~all"
    elif kind == "dkim":
        settings["dkim_min_bits"] = 2048 if best else 1024
    elif kind in {"https", "mail-tls"}:
        settings["min_tls"] = "1.2"
        if kind == "https":
            settings["require_redirect"] = True
            settings["require_hsts"] = best or bool(_HSTS.search(sentence))
        else:
            settings["require_valid_certificate"] = best
    if purpose:
        settings["purpose"] = purpose
    return settings


def find_promises(text_paragraphs: tuple[tuple[str, ...], ...],
                  domains: tuple[str, ...] = ()) -> tuple[Promise, ...]:
    """Every promise the paragraphs make, each with its sentence; one per (kind, sentence).

    Strictness spreads within a paragraph among the mail-authentication promises: "SPF, DKIM and
    DMARC ... for the best possible protection of our e-mail" makes all three strict, even when
    the list and the purpose are in different sentences of it.
    """
    found: list[Promise] = []
    for paragraph in text_paragraphs:
        kinds = [(sentence, kinds_in(sentence)) for sentence in paragraph if not _TABLE_ROW.search(sentence)]
        shared = _shared_purpose([s for s, k in kinds if _MAIL_AUTH & set(k)])
        for sentence, sentence_kinds in kinds:
            for kind in sentence_kinds:
                settings = settings_for(kind, sentence, shared if kind in _MAIL_AUTH else "")
                found.append(Promise(kind=kind, sentence=sentence, domains=domains, settings=settings))
    return tuple(found)


_MAIL_AUTH = frozenset({"spf", "dkim", "dmarc"})


def _shared_purpose(mail_sentences: list[str]) -> str:
    if any(_BEST.hit(s) for s in mail_sentences):
        return "best"
    if any(_ANTI_SPOOFING.hit(s) and _MAIL_WORDS.hit(s) for s in mail_sentences):
        return "anti-spoofing"
    return ""


# --- the whole analysis ---------------------------------------------------------------------

@dataclass(frozen=True)
class Processor:
    """A processor the statement names; ``info`` is the table entry, ``sentence`` where it is named."""

    info: ProcessorInfo
    sentence: str


@dataclass(frozen=True)
class Analysis:
    language: str
    sentences: tuple[str, ...]
    domains: StatementDomains
    promises: tuple[Promise, ...]
    processors: tuple[Processor, ...] = field(default=())


def analyse(text: str, language: str, *, links: tuple[str, ...] = (), source_url: str = "") -> Analysis:
    """Sentences, domains, promises and processors of a normalised statement text."""
    blocks = paragraphs(text)
    parts = tuple(s for block in blocks for s in block)
    domains = find_domains(text, links, source_url)
    promises = find_promises(blocks, domains.company)
    processors = tuple(Processor(info, sentence) for info, sentence in find_processors(parts))
    return Analysis(language, parts, domains, promises, processors)
