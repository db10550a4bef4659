"""From a statement's text to its sentences, the domains it names and the promises it makes.

Everything here is pure: normalised text in (see :mod:`mailguard.promises.normalise`), frozen
records out. Every promise keeps the sentence it comes from, so a report can quote the
statement's own words beside the evidence.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from publicsuffixlist import PublicSuffixList

from ..core import psl
from ..core.model import Promise
from . import patterns
from .normalise import abbreviation
from .processors import ProcessorInfo, find_processors, provider_domains

MAX_SENTENCE = 1000  # characters: longer runs without a full stop are cut, so matching stays linear
RESERVED_TLDS = frozenset({"test", "example"})  # RFC 2606 names used by the lab and fixtures


# --- sentences ------------------------------------------------------------------------------

_BOUNDARY = re.compile(r"([.!?]+)[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9À-Ý•▪☑])")


@dataclass(frozen=True)
class Paragraph:
    """A paragraph (or a list item) as the promises are read from it.

    sentences: its sentences; one longer than MAX_SENTENCE comes in pieces, and ``cut`` holds the
    indices of the pieces that go on with the sentence before them. item: it is a list item.
    heading: the short heading above it that it explains ("TLS", "SSL-certificaat"), or "".
    """

    sentences: tuple[str, ...]
    cut: frozenset[int] = frozenset()
    item: bool = False
    heading: str = ""


def sentences(text: str) -> tuple[str, ...]:
    """The sentences of normalised text: paragraphs split at full stops that end a sentence.

    A full stop after an abbreviation ("bijv.", "e.g.", "bzw."), an initial ("J. Jansen") or inside a
    number or a domain name ("www.example.nl") does not end a sentence.
    """
    return tuple(s for paragraph in paragraphs(text) for s in paragraph)


def paragraphs(text: str) -> tuple[tuple[str, ...], ...]:
    """The sentences of each paragraph (a list item is a paragraph of its own)."""
    return tuple(p.sentences for p in _paragraphs(text))


def blocks(text: str) -> tuple[Paragraph, ...]:
    """The paragraphs promises are read from: a heading is not a paragraph of its own but the
    heading of the paragraph that explains it."""
    return with_headings(_paragraphs(text))


# A bullet inside a line: list items run together by a PDF or a pasted list (issue 17).
_INLINE_BULLET = re.compile(r"(?:^|\s)[•▪◦●■☑➢➤►▶‣⁃\uf0a7\uf0b7\uf0d8\uf0fc](?=\s)")


def _paragraphs(text: str) -> tuple[Paragraph, ...]:
    out: list[Paragraph] = []
    for block in re.split(r"\n\s*\n|\n(?=\s*[•▪☑\uf0a7\uf0b7-])", text):
        line = " ".join(block.split())
        for i, part in enumerate(_INLINE_BULLET.split(line)):
            paragraph = _paragraph(part, item=i > 0 or _BULLET.match(line) is not None)
            if paragraph.sentences:
                out.append(paragraph)
    return tuple(out)


def _paragraph(text: str, *, item: bool) -> Paragraph:
    pieces: list[str] = []
    cut: set[int] = set()
    for sentence in _split(text):
        for n, piece in enumerate(_cut(sentence)):
            piece = piece.strip() if n else _BULLET.sub("", piece).strip()
            if piece:
                if n and pieces:
                    cut.add(len(pieces))
                pieces.append(piece)
    return Paragraph(tuple(pieces), frozenset(cut), item)


def _split(paragraph: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        before = paragraph[start:match.start()].rsplit(" ", 1)[-1].lower()
        if match.group(1) == "." and abbreviation(before):
            continue
        out.append(paragraph[start:match.end(1)])
        start = match.end()
    out.append(paragraph[start:])
    return out


_BULLET = re.compile(r"^\s*[•▪◦●○■□☐☑☒✓✔➢➤►▶‣⁃–*·\uf0a7\uf0b7\uf0d8\uf0fc-]+\s*")


def _cut(sentence: str) -> list[str]:
    return [sentence[i:i + MAX_SENTENCE] for i in range(0, len(sentence), MAX_SENTENCE)] or [sentence]


# --- headings -------------------------------------------------------------------------------

MAX_HEADING_WORDS = 4
MAX_HEADING_CHARS = 40
# A subject makes a sentence of it ("Wij gebruiken SPF"), not a heading.
_SUBJECTS = frozenset({"wij", "we", "ik", "i", "wir", "ich"})


def is_heading(paragraph: Paragraph) -> bool:
    """A title, not a sentence: one short line without a full stop and without a "we" who does
    something ("TLS", "SSL-certificaat", "Beveiliging", "Two-factor authentication")."""
    if len(paragraph.sentences) != 1:
        return False
    text = paragraph.sentences[0]
    words = text.rstrip(":").split()
    return (len(text) <= MAX_HEADING_CHARS and len(words) <= MAX_HEADING_WORDS and text[-1] not in ".!?;,"
            and not _SUBJECTS & {w.lower() for w in words})


def with_headings(found: tuple[Paragraph, ...]) -> tuple[Paragraph, ...]:
    """Each heading joined to the paragraph after it, which explains it.

    An item of a list is a heading only where the list alternates items and explanations: the
    last item of a list of items is an item, not the heading of the paragraph after the list.
    """
    out: list[Paragraph] = []
    heading = ""
    for i, paragraph in enumerate(found):
        after = found[i + 1] if i + 1 < len(found) else None
        before = found[i - 1] if i else None
        if after is not None and is_heading(paragraph) and not is_heading(after) and not (
                paragraph.item and (after.item or (before is not None and before.item))):
            heading = paragraph.sentences[0]
            continue
        out.append(dataclasses.replace(paragraph, heading=heading) if heading else paragraph)
        heading = ""
    return tuple(out)


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
_FORGERY = patterns.Matcher(patterns.FORGERY)
_IN_OUR_NAME = patterns.Matcher(patterns.IN_OUR_NAME)
_ABUSE = patterns.Matcher(patterns.ABUSE)
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
    if against_forgery(sentence, lowered) and "dmarc" not in found:
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
                    against_forgery(sentence, lowered),
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


def against_forgery(sentence: str, lowered: str | None = None) -> bool:
    """The sentence promises protection against mail forged in the company's name: a word of
    forgery, or "in our name" beside a word of fraud or of stopping it, and a word for mail."""
    low = sentence.lower() if lowered is None else lowered
    named = _FORGERY.hit(sentence, low) or (_IN_OUR_NAME.hit(sentence, low) and _ABUSE.hit(sentence, low))
    return named and _MAIL_WORDS.hit(sentence, low)


@dataclass(frozen=True)
class _Reading:
    """A sentence (or a piece of one), the text its kinds were read from, and those kinds."""

    quote: str
    text: str
    kinds: tuple[str, ...]


def find_promises(text_paragraphs: Sequence[Paragraph | tuple[str, ...]],
                  domains: tuple[str, ...] = ()) -> tuple[Promise, ...]:
    """Every promise the paragraphs make, each with its sentence; one per (kind, sentence).

    Strictness spreads within a paragraph among the mail-authentication promises: "SPF, DKIM and
    DMARC ... for the best possible protection of our e-mail" makes all three strict, even when
    the list and the purpose are in different sentences of it.
    """
    found: dict[tuple[str, str], Promise] = {}
    for paragraph in text_paragraphs:
        readings = _readings(paragraph if isinstance(paragraph, Paragraph) else Paragraph(tuple(paragraph)))
        shared = _shared_purpose([r.text for r in readings if _MAIL_AUTH & set(r.kinds)])
        for reading in readings:
            for kind in reading.kinds:
                settings = settings_for(kind, reading.text, shared if kind in _MAIL_AUTH else "")
                found.setdefault((kind, reading.quote),
                                 Promise(kind=kind, sentence=reading.quote, domains=domains, settings=settings))
    return tuple(found.values())


def _readings(paragraph: Paragraph) -> list[_Reading]:
    """What each sentence of a paragraph promises: a kind once per sentence (a sentence cut in
    pieces is one), with the heading read before the first, and DMARC inferred from wording only
    where no sentence of the paragraph names DMARC."""
    readings: list[_Reading] = []
    made: set[str] = set()
    for i, piece in enumerate(paragraph.sentences):
        if i not in paragraph.cut:
            made = set()
        kinds = () if _TABLE_ROW.search(piece) else tuple(k for k in kinds_in(piece) if k not in made)
        made.update(kinds)
        readings.append(_Reading(piece, piece, kinds))
    if paragraph.heading and readings and not _TABLE_ROW.search(readings[0].quote) and kinds_in(paragraph.heading):
        readings[0] = _under_heading(paragraph.heading, readings[0], readings[1:])
    return _dmarc_where_named(readings)


def _under_heading(heading: str, first: _Reading, rest: list[_Reading]) -> _Reading:
    """The first sentence read after the heading it explains: "TLS" over "forms on our website go
    encrypted" promises https; over "mail between servers goes encrypted" it promises mail-tls.
    What the heading adds is quoted from the explanation, once: not where a later sentence of it
    makes that promise itself."""
    text = f"{heading}: {first.text}"
    later = {k for r in rest for k in r.kinds}
    kinds = tuple(k for k in kinds_in(text) if k in first.kinds or k not in later)
    return _Reading(first.quote, text, kinds)


def _dmarc_where_named(readings: list[_Reading]) -> list[_Reading]:
    """DMARC read from wording ("so that no one mails in our name") is left to the sentence of the
    paragraph that names DMARC, if one does: a promise quotes the sentence that makes it."""
    named = [_KIND_MATCHERS["dmarc"].hit(r.text) for r in readings]
    if not any(named):
        return readings
    return [r if is_named else dataclasses.replace(r, kinds=tuple(k for k in r.kinds if k != "dmarc"))
            for r, is_named in zip(readings, named, strict=True)]


_MAIL_AUTH = frozenset({"spf", "dkim", "dmarc"})


def _shared_purpose(mail_sentences: list[str]) -> str:
    if any(_BEST.hit(s) for s in mail_sentences):
        return "best"
    if any(against_forgery(s) for s in mail_sentences):
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
    found = _paragraphs(text)  # headings stay sentences of their own; the promises read them as headings
    parts = tuple(s for paragraph in found for s in paragraph.sentences)
    domains = find_domains(text, links, source_url)
    promises = find_promises(with_headings(found), domains.company)
    processors = tuple(Processor(info, sentence) for info, sentence in find_processors(parts))
    return Analysis(language, parts, domains, promises, processors)
