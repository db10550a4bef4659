"""Does a page ask for personal data? A pure look at the HTML's form fields.

A page served over plain http that has a field a visitor types into (a password, an e-mail
address, a name, a message) sends what is typed in the clear: that breaks the promise "https for
all personal data". Search boxes and hidden or button inputs do not count.
"""

from __future__ import annotations

from html.parser import HTMLParser

# input types a visitor does not type personal data into
_NOT_ENTRY = frozenset({"hidden", "submit", "button", "reset", "image", "checkbox", "radio", "range",
                        "color", "search"})
_SEARCH_NAMES = frozenset({"q", "s", "search", "query", "zoek", "zoeken", "keyword", "keywords"})
MAX_FIELDS = 20


class _Fields(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[str] = []
        self.search_form_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k.lower(): (v or "") for k, v in attrs}
        if tag == "form" and (attr.get("role", "").lower() == "search"):
            self.search_form_depth += 1
        if len(self.fields) >= MAX_FIELDS:
            return
        if tag == "input":
            kind = attr.get("type", "text").strip().lower() or "text"
            name = attr.get("name", "") or attr.get("id", "")
            if kind in _NOT_ENTRY or self.search_form_depth or name.lower() in _SEARCH_NAMES:
                return
            self.fields.append(f"input type={kind}" + (f" name={name[:40]}" if name else ""))
        elif tag == "textarea" and not self.search_form_depth:
            name = attr.get("name", "") or attr.get("id", "")
            self.fields.append("textarea" + (f" name={name[:40]}" if name else ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.search_form_depth:
            self.search_form_depth -= 1


def personal_data_fields(html: str) -> tuple[str, ...]:
    """The entry fields on a page (at most 20), e.g. ``input type=password name=pw``."""
    parser = _Fields()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # html.parser on hostile markup; keep what was found
        pass
    return tuple(parser.fields)
