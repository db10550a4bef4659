"""Translations: gettext catalogs (``mailguard/locale/<lang>/LC_MESSAGES/mailguard.po``), read with
Babel. The English text written in the code is the message id; a catalog gives the reader's
language. A message the catalog lacks reads in English (tests/render/test_render_nl.py fails on
any such gap, so none ships)."""

from __future__ import annotations

from functools import cache
from importlib import resources

DOMAIN = "mailguard"


@cache
def catalog(lang: str) -> dict[tuple[str | None, str], str]:
    """(msgctxt, msgid) -> msgstr of the language's catalog (translated, not fuzzy); empty for
    English. A context tells apart the same English word in different places (a label, a check)."""
    if lang == "en":
        return {}
    from babel.messages.pofile import read_po

    source = resources.files("mailguard").joinpath(f"locale/{lang}/LC_MESSAGES/{DOMAIN}.po")
    if not source.is_file():
        return {}
    with source.open("rb") as handle:
        read = read_po(handle, locale=lang, domain=DOMAIN)
    return {(m.context, str(m.id)): str(m.string) for m in read if m.id and m.string and not m.fuzzy}


def add_translations(lang: str, translations: dict[str, str], context: str | None = None) -> None:
    """Messages a catalog does not ship (an extension's, a test's), added for this process."""
    catalog(lang).update({(context, english): text for english, text in translations.items()})


# Every (context, English) looked up with a context: the word tables' entries, so that a test can
# tell a stale catalog entry from one that a table uses.
asked: set[tuple[str | None, str]] = set()


def translate(english: str, lang: str, context: str | None = None) -> str:
    """``english`` in ``lang`` (English itself when the catalog has no translation)."""
    if context is not None:
        asked.add((context, english))
    return catalog(lang).get((context, english), english) if lang != "en" else english


def both(english: str, context: str) -> tuple[str, str]:
    """(English, Dutch) of a word or phrase of the catalog's ``context``."""
    return english, translate(english, "nl", context)


def has_translation(english: str, lang: str, context: str | None = None) -> bool:
    return (context, english) in catalog(lang)


def dutch(context: str, names: tuple[str, ...]) -> dict[str, str]:
    """English name -> its Dutch in ``context``, for the names the catalog translates."""
    table = catalog("nl")
    return {name: table[(context, name)] for name in names if (context, name) in table}
