"""Clean up the text of a privacy statement so that sentences come out whole.

Text extracted from PDFs (and pasted from them) arrives broken: every line of the page is a line
of text, often with a blank line after each; words are hyphenated at the line end; letters that
were kerned apart come out with a space inside the word ("be veiligd", "S SL"); non-breaking and
zero-width spaces hide between words. :func:`normalise` undoes that and returns paragraphs
separated by one blank line, each paragraph on one line. Pure: text in, text out.
"""

from __future__ import annotations

import re
import statistics
import unicodedata

# Characters that look like nothing or like a space (NFKC maps most spaces; these it keeps).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")

BULLETS = "•▪◦●○■□☐☑☒✓✔➢➤►▶‣⁃–—-*·"
_BULLET_LINE = re.compile(r"^\s*(?:[" + re.escape(BULLETS) + r"]|\d{1,2}[.)]|[a-z][.)])\s+")
_TERMINAL = ".!?:;"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words after which a sentence cannot end: a line ending in one continues on the next line.
_CONTINUES = _words("""
aan als bij dat de den der des die door een en het in met na naar noch of om onder onze ons op
over per tot te tegen uit uw van voor zoals zodat wij we zij je jouw ook dan maar niet wel a an
and as at but by for from in into nor of on or our over than that the their to via with your we
is are was be has have will can
und oder mit für von vom zu zur zum dem das ein eine einer einem einen eines unser unsere unserer
unserem unseren ihre ihrer ihrem ihren damit dass über durch bei auf aus sowie
""")

# Abbreviations whose full stop is not a sentence end (lower-case, without the final dot): Dutch,
# English, and the German ones that most often stand before a capital or a number ("SSL- bzw.
# TLS", "Art. 32 Abs. 1"), so that a statement in a language read only partly still comes out in
# whole sentences (issue 17).
ABBREVIATIONS = _words("""
bijv b.v e.g i.e etc o.a m.b.t t.a.v z.s.m incl excl ca nr no mr mrs ms dr st vs resp evt jl
d.w.z i.v.m n.a.v m.u.v a.u.b t.b.v v.a o.b.v p.a fig art lid bv zgn vgl cf approx
bzw ggf ggfs gem gemäß sog inkl evtl vgl abs bspw insb zzgl tel str
""")

# Words that PDF extraction tends to split with a stray space. Each may be found with one or
# more spaces between its letters and is then written whole again. Upper-case entries match
# case-sensitively (so "dan e-mail" never becomes "DANE-mail").
VOCABULARY = (
    "SSL", "TLS", "SPF", "DKIM", "DMARC", "DNSSEC", "DANE", "HTTPS", "STARTTLS", "MTA-STS", "2FA",
    "https", "beveiligd", "beveiligde", "beveiliging", "beveiligen", "beveiligingsmaatregelen",
    "beveiligingssoftware", "versleuteld", "versleutelde", "versleuteling", "encryptie",
    "certificaat", "certificaten", "verbinding", "verbindingen", "tweestapsverificatie",
    "tweefactorauthenticatie", "virusscanner", "virusscanners", "firewall", "firewalls",
    "gecontroleerd", "persoonsgegevens", "overdracht", "communicatie", "wachtwoord", "wachtwoorden",
    "encrypted", "encryption", "certificate", "certificates", "connection", "connections", "secure",
    "secured", "security", "protection", "protected", "authentication", "verification", "personal",
    "transfer", "communication", "password", "passwords", "antivirus",
)


def abbreviation(word: str) -> bool:
    """``word`` (lower case, without its final full stop) is an abbreviation or an initial: "bijv",
    "bzw", "z.b", "j"; its full stop does not end a sentence."""
    word = word.lstrip("(\"'‘“")
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or bool(re.fullmatch(r"(?:\w\.)+\w", word))


def normalise(text: str) -> str:
    """Paragraphs separated by one blank line, each on one line, with PDF breakage repaired."""
    text = clean_characters(text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    paragraphs = reflow(lines)
    return "\n\n".join(join_split_words(p) for p in paragraphs if p)


def clean_characters(text: str) -> str:
    """NFKC (ligatures, full-width forms, non-breaking spaces), line ends, invisible characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = text.replace("\u00ad\n", "")  # a soft hyphen at a line end joins the word halves
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return text.replace("\u2028", "\n").replace("\u2029", "\n\n")


def reflow(lines: list[str]) -> list[str]:
    """Join the lines of each paragraph; decide paragraph ends from punctuation and layout."""
    items = _with_gaps(lines)
    if not items:
        return []
    lengths = sorted(len(line) for line, _ in items)
    wrap_width = lengths[int(0.9 * (len(lengths) - 1))]
    usual_gap = statistics.mode(gap for _, gap in items[1:]) if len(items) > 1 else 0
    paragraphs: list[str] = []
    current = items[0][0]
    for (previous, _), (line, gap) in zip(items, items[1:], strict=False):
        if continues(previous, line, gap=gap, usual_gap=usual_gap, wrap_width=wrap_width):
            current = join_lines(current, line)
        else:
            paragraphs.append(current)
            current = line
    paragraphs.append(current)
    return paragraphs


def _with_gaps(lines: list[str]) -> list[tuple[str, int]]:
    """Non-empty lines, each with the number of blank lines before it."""
    out: list[tuple[str, int]] = []
    gap = 0
    for line in lines:
        if not line:
            gap += 1
            continue
        out.append((line, gap))
        gap = 0
    return out


def continues(previous: str, line: str, *, gap: int, usual_gap: int, wrap_width: int) -> bool:
    """Does ``line`` continue the sentence of ``previous`` (a wrapped line) or start anew?"""
    if _BULLET_LINE.match(line) or not line[0].isalnum() and line[0] not in "(\"'‘“":
        return False
    if previous.endswith("-") and len(previous) > 1 and previous[-2].isalnum():
        return line[0].isalpha()  # a word hyphenated at the line end
    last_word = previous.rsplit(" ", 1)[-1].lower()
    if previous[-1] in _TERMINAL:
        if previous[-1] != "." or not abbreviation(last_word[:-1]):
            return False
        # "bijv." at a line end does not end the sentence when the next line goes on in lower case,
        # nor "bzw." at the end of a full wrapped line before a German capital ("TLS", "Daten")
        return line[0].islower() or (gap <= usual_gap and len(previous) >= 0.7 * wrap_width)
    first_word = line.split(" ", 1)[0]
    starts_lower = line[0].islower() and first_word == first_word.lower()  # "iX Studios" is a name
    open_end = previous.endswith(",") or last_word in _CONTINUES
    if gap > usual_gap:  # more space than between the lines of a paragraph: need strong signs
        return starts_lower and (open_end or len(previous) >= 0.6 * wrap_width)
    if starts_lower or open_end:
        return True
    return len(previous) >= 0.7 * wrap_width and len(previous) >= 40


def join_lines(previous: str, line: str) -> str:
    """Join two lines, undoing a hyphenation at the end of the first."""
    if previous.endswith("-") and len(previous) > 1 and previous[-2].isalnum():
        stem = re.search(r"(\S+)-$", previous)
        word = stem.group(1) if stem else ""
        first = line.split(" ", 1)[0].lower()
        if first in {"en", "of", "and", "or", "tot", "to"}:
            return f"{previous} {line}"  # "opslag- en backup-systemen": a real dash
        if len(word) <= 2 or word.isupper() or line[0].isupper() or any(c.isdigit() for c in word):
            return previous + line  # "e-mail", "SSL-certificaat", "2-staps": the hyphen stays
        return previous[:-1] + line  # "beveili-gingsmaatregelen": a hyphen of the line break
    return f"{previous} {line}"


def _spaced(word: str) -> str:
    body = r"[ ]?".join(re.escape(ch) for ch in word)
    case_sensitive = word.isupper() or any(ch.isdigit() for ch in word)
    return f"(?-i:{body})" if case_sensitive else f"(?:{body})"


# One alternation, longest words first, so that each position is tried once.
_SPLIT_WORDS = re.compile(
    r"(?<![\w-])(?:" + "|".join(_spaced(w) for w in sorted(VOCABULARY, key=len, reverse=True)) + r")(?![\w])",
    re.IGNORECASE)


def join_split_words(text: str) -> str:
    """Write words of :data:`VOCABULARY` whole again where a space fell inside them."""
    if " " not in text:
        return text
    return _SPLIT_WORDS.sub(_without_spaces, text)


def _without_spaces(match: re.Match[str]) -> str:
    """The word as the writer capitalised it ("Beveiligd"), only the stray spaces taken out."""
    return match.group(0).replace(" ", "")
