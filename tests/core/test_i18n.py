"""The Dutch gettext catalog (mailguard/locale/nl/LC_MESSAGES/mailguard.po) and the messages in the
code agree: every message has a Dutch translation, none is fuzzy, none in the catalog is stale."""

from __future__ import annotations

import gc
import importlib
import pkgutil
from importlib import resources

from babel.messages.pofile import read_po

import mailguard
from mailguard.core.i18n import translate
from mailguard.core.messages import Message

SKIP = ("mailguard.lab", "mailguard.app.fleet.celery_app", "mailguard.app.dashboard.", "mailguard.__main__")


def every_message() -> set[str]:
    """The English of every Message the package defines (finding codes, reasons, advice, wording)."""
    for module in pkgutil.walk_packages(mailguard.__path__, "mailguard."):
        if not module.name.startswith(SKIP) and ".migrations" not in module.name:
            importlib.import_module(module.name)
    from tests.report_fixture import _CODES  # the golden-file fixture's own codes: not the package's

    fixture = {en for en, _nl, _rfc in _CODES.values()}
    return {m.en for m in gc.get_objects() if isinstance(m, Message) and m.en not in fixture}


def every_word() -> set[tuple[str | None, str]]:
    """(context, English) of every message, label and word a Dutch reader is shown."""
    from mailguard.core.model import Verdict
    from mailguard.render import terms, view

    words: set[tuple[str | None, str]] = {(None, en) for en in every_message()}
    words |= {(f"label:{key}", text) for key, text in view.LABELS["en"].items()}
    words |= {("verdict", v.value) for v in Verdict}
    words |= {("area", text) for text in view.AREA_LABELS["en"].values()}
    for context, names in (("promise kind", terms.PROMISE_KINDS), ("measure title", terms.MEASURE_TITLES),
                           ("check", terms.CHECKS), ("evidence kind", terms.EVIDENCE_KINDS)):
        words |= {(context, name) for name in names}
    return words | used_by_both()


def used_by_both() -> set[tuple[str | None, str]]:
    """The (context, English) every small word table asked the catalog for while importing."""
    from mailguard.app.dashboard import labels  # noqa: F401  (its Dutch comes from the catalog too)
    from mailguard.core import i18n

    return set(i18n.asked)


def shipped_catalog() -> dict[tuple[str | None, str], tuple[str, bool]]:
    source = resources.files("mailguard").joinpath("locale/nl/LC_MESSAGES/mailguard.po")
    with source.open("rb") as handle:
        catalog = read_po(handle, locale="nl")
    return {(m.context, str(m.id)): (str(m.string), m.fuzzy) for m in catalog if m.id}


def test_every_message_label_and_word_has_dutch_none_fuzzy_none_stale():
    english = every_word()
    catalog = shipped_catalog()
    assert len(english) > 600
    missing = sorted(e for e in english if not catalog.get(e, ("", False))[0])
    fuzzy = sorted(e for e, (_nl, is_fuzzy) in catalog.items() if is_fuzzy)
    stale = sorted(e for e in catalog if e not in english)
    assert not missing, f"messages without Dutch (add them to the .po): {missing[:5]}"
    assert not fuzzy, f"fuzzy translations (review them): {fuzzy[:5]}"
    assert not stale, f"catalog entries no code uses (remove them): {stale[:5]}"


def test_the_catalog_is_what_a_dutch_report_reads():
    english = next(iter(sorted(every_message())))
    assert translate(english, "nl") == shipped_catalog()[(None, english)][0]
    assert translate(english, "en") == english
