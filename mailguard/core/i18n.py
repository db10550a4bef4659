"""Translations: gettext catalogs (``mailguard/locale/<lang>/LC_MESSAGES/mailguard.po``), read with
Babel. The English text written in the code is the message id; a catalog gives the reader's
language. A message the catalog lacks reads in English (tests/render/test_render_nl.py fails on
any such gap, so none ships)."""

from __future__ import annotations

from functools import cache
from importlib import resources

DOMAIN = "mailguard"


@cache
def catalog(lang: str) -> dict[str, str]:
    """msgid -> msgstr of the language's catalog (translated, not fuzzy); empty for English."""
    if lang == "en":
        return {}
    from babel.messages.pofile import read_po

    source = resources.files("mailguard").joinpath(f"locale/{lang}/LC_MESSAGES/{DOMAIN}.po")
    if not source.is_file():
        return {}
    with source.open("rb") as handle:
        read = read_po(handle, locale=lang, domain=DOMAIN)
    return {str(m.id): str(m.string) for m in read if m.id and m.string and not m.fuzzy}


def add_translations(lang: str, translations: dict[str, str]) -> None:
    """Messages a catalog does not ship (an extension's, a test's), added for this process."""
    catalog(lang).update(translations)


def translate(english: str, lang: str) -> str:
    """``english`` in ``lang`` (English itself when the catalog has no translation)."""
    return catalog(lang).get(english, english) if lang != "en" else english
