"""Read a privacy statement: a file (text, Markdown, HTML, PDF) or a URL, in Dutch or English.

The readers are pure (bytes in, text out); only :func:`load_statement` touches the outside world,
through :func:`mailguard.net.fetch.fetch_document` for URLs. The text that comes out is
normalised (:mod:`mailguard.promises.normalise`): one paragraph per line, PDF breakage repaired.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from ..core.config import Config
from ..core.errors import InputError, MailguardError
from ..core.files import read_capped
from ..core.model import Evidence
from .normalise import normalise

MAX_STATEMENT_BYTES = 10_000_000  # a privacy statement is a few pages; refuse anything huge
MAX_PDF_PAGES = 300
MAX_TEXT_CHARS = 5_000_000  # characters of text from one statement

FORMATS = ("text", "markdown", "html", "pdf")


@dataclass(frozen=True)
class Statement:
    """A statement as mailguard read it.

    source: the path or URL given; url: the final URL after redirects (empty for files).
    format: one of :data:`FORMATS`; language: ``nl`` or ``en``.
    text: normalised text, paragraphs separated by blank lines.
    links: link targets found in HTML or Markdown (``mailto:`` and web addresses).
    evidence: what was read, how much, its SHA-256, and for a URL the HTTP exchange.
    """

    source: str
    format: str
    language: str
    text: str
    links: tuple[str, ...] = ()
    url: str = ""
    evidence: Evidence = Evidence("input", "")


def is_url(source: str) -> bool:
    return re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source) is not None


@dataclass(frozen=True)
class Document:
    """A statement's bytes as read or fetched, before parsing."""

    data: bytes
    format: str
    source: str
    url: str
    evidence: Evidence


def load_document(source: str, config: Config | None = None) -> Document:
    """Read ``source`` (a path or an http(s) URL): its bytes, at most MAX_STATEMENT_BYTES."""
    config = config or Config()
    if is_url(source):
        return asyncio.run(_fetch(source, config))
    path = Path(source)
    data = read_capped(path, MAX_STATEMENT_BYTES, "statement")
    fmt = detect_format(path.name, "", data)
    evidence = Evidence("input", f"statement {source} ({fmt}, {len(data)} bytes)",
                        {"path": str(path), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    return Document(data, fmt, source, "", evidence)


def load_statement(source: str, config: Config | None = None) -> Statement:
    """Read ``source`` (a path or an http(s) URL) and return the parsed statement."""
    return parse_document(load_document(source, config))


def parse_document(document: Document) -> Statement:
    return parse_statement(document.data, document.format, source=document.source, url=document.url,
                           evidence=document.evidence)


async def _fetch(url: str, config: Config) -> Document:
    from ..net.fetch import fetch_document

    try:
        fetched = await fetch_document(url, config, max_bytes=MAX_STATEMENT_BYTES)
    except MailguardError as exc:
        raise InputError(f"cannot fetch statement {url}: {exc}") from exc
    if not 200 <= fetched.status < 300:
        raise InputError(f"cannot fetch statement {url}: HTTP status {fetched.status}")
    fmt = detect_format(urlsplit(fetched.url).path, fetched.content_type, fetched.body)
    return Document(fetched.body, fmt, url, fetched.url, fetched.evidence)


def parse_statement(data: bytes, fmt: str, *, source: str = "", url: str = "",
                    evidence: Evidence | None = None) -> Statement:
    """Pure: the bytes of a statement in format ``fmt`` -> a normalised :class:`Statement`."""
    links: tuple[str, ...] = ()
    if fmt == "pdf":
        raw = pdf_text(data)
    elif fmt == "html":
        raw, links = html_text(decode(data))
    elif fmt == "markdown":
        raw, links = markdown_text(decode(data))
    else:
        raw = decode(data)
    text = normalise(raw)
    if not text.strip():
        raise InputError(f"{source or 'statement'}: no text found in this {fmt} document")
    return Statement(source=source, format=fmt, language=detect_language(text), text=text, links=links,
                     url=url, evidence=evidence or Evidence("input", f"statement {source}"))


def detect_format(name: str, content_type: str, data: bytes) -> str:
    """The document's format from its first bytes, then its media type, then its file name."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf-"):
        return "pdf"
    media = content_type.split(";")[0].strip().lower()
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if media in {"text/html", "application/xhtml+xml"} or suffix in {"html", "htm", "xhtml"}:
        return "html"
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    if media == "text/markdown" or suffix in {"md", "markdown"}:
        return "markdown"
    return "text"


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252 as Dutch sites often used."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


# --- HTML -----------------------------------------------------------------------------------

_BLOCK_TEXT = """address article aside blockquote body br dd div dl dt fieldset figcaption figure
footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody td th thead tr ul
"""
_BLOCK = frozenset(_BLOCK_TEXT.split())
_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe", "object"})


class _TextCollector(HTMLParser):
    """Text of an HTML page, with line breaks where blocks start and end, and its link targets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n\n• " if tag == "li" else "\n\n")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.lower().startswith(("http://", "https://", "mailto:")):
                self.links.append(href.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_text(html: str) -> tuple[str, tuple[str, ...]]:
    """The visible text of an HTML document (blocks on their own lines) and its link targets."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    lines = "".join(collector.parts).split("\n")
    return "\n".join(line.strip() for line in lines), tuple(dict.fromkeys(collector.links))


# --- Markdown -------------------------------------------------------------------------------

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_MD_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^>\s]+)>")


def markdown_text(markdown: str) -> tuple[str, tuple[str, ...]]:
    """Markdown as plain text: link texts kept, markers and emphasis dropped; and the link targets."""
    links = [target for _, target in _MD_LINK.findall(markdown)] + _MD_AUTOLINK.findall(markdown)
    text = _MD_LINK.sub(lambda m: "" if m.group(0).startswith("!") else m.group(1), markdown)
    text = _MD_AUTOLINK.sub(lambda m: m.group(1).removeprefix("mailto:"), text)
    out = []
    for line in text.split("\n"):
        line = re.sub(r"^\s{0,3}#{1,6}\s+", "", line)  # headings
        line = re.sub(r"^\s{0,3}>\s?", "", line)  # quotes
        line = re.sub(r"^\s*[-*+]\s+", "• ", line)  # list items
        line = re.sub(r"(\*\*|__)(.+?)\1", r"\2", line)
        line = re.sub(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])", r"\2", line)
        line = line.replace("`", "")
        out.append("" if re.fullmatch(r"\s*(?:[-*_=]\s*){3,}", line) else line)
    keep = [t for t in links if t.lower().startswith(("http://", "https://", "mailto:"))]
    return "\n".join(out), tuple(dict.fromkeys(keep))


# --- PDF ------------------------------------------------------------------------------------

def pdf_text(data: bytes) -> str:
    """The text of a PDF, page by page (pypdf), pages separated by a blank line."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")  # many published PDFs are "encrypted" with an empty password
        texts: list[str] = []
        size = 0
        for page in reader.pages[:MAX_PDF_PAGES]:
            texts.append(page.extract_text() or "")
            size += len(texts[-1])
            if size > MAX_TEXT_CHARS:  # a PDF that inflates into megabytes of text is no statement
                raise InputError(f"the PDF holds more than {MAX_TEXT_CHARS:,} characters of text")
        return "\n\n".join(texts)
    except InputError:
        raise
    except Exception as exc:
        # A broken or hostile PDF makes pypdf raise far more than PdfReadError (LimitReachedError
        # on reference loops, AttributeError, AssertionError, IndexError, RecursionError...);
        # every one of them means "not readable", never a crash.
        raise InputError(f"not a readable PDF: {type(exc).__name__}: {str(exc)[:200]}") from exc


# --- Language -------------------------------------------------------------------------------

_NL_WORDS = ("de het een en van dat die niet op te zijn voor met als wij uw onze ons worden wordt ook bij "
             "naar deze door om kunt heeft hebben gegevens")
_EN_WORDS = ("the a an and of that which not on to are be for with as you your our us will this by from it "
             "can has have data")
_FUNCTION_WORDS = {"nl": frozenset(_NL_WORDS.split()), "en": frozenset(_EN_WORDS.split())}


def detect_language(text: str) -> str:
    """``nl`` or ``en``: which language's most common function words occur more often."""
    words = re.findall(r"[a-zà-ÿ]+", text.lower())
    counts = {lang: sum(1 for w in words if w in vocab) for lang, vocab in _FUNCTION_WORDS.items()}
    return "nl" if counts["nl"] > counts["en"] else "en"
