"""Normalising statement text: PDF line breaks, hyphenation, stray spaces, odd whitespace."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailguard.promises.normalise import join_split_words, normalise

# A statement as text extraction from a PDF gives it: a blank line after every printed line.
PDF_BROKEN = """Beveiliging

Wij nemen strenge beveiligingsmaatregelen om misbruik van, en

ongeautoriseerde toegang tot uw gegevens te voorkomen. Onze beveili-

gingsmaatregelen worden regelmatig gecontroleerd.

~

Contact

Daarnaast maken wij gebruik van SSL-certificaten voor een veilige overdracht van

uw gegevens en uw communicatie met Voorbeeld Webdiensten.
""".replace("~", " ")  # a line holding one space, as PDF extraction writes between blocks


def test_pdf_lines_are_joined_into_paragraphs_and_headings_stay_apart():
    paragraphs = normalise(PDF_BROKEN).split("\n\n")
    assert paragraphs == [
        "Beveiliging",
        "Wij nemen strenge beveiligingsmaatregelen om misbruik van, en ongeautoriseerde toegang tot uw "
        "gegevens te voorkomen. Onze beveiligingsmaatregelen worden regelmatig gecontroleerd.",
        "Contact",
        "Daarnaast maken wij gebruik van SSL-certificaten voor een veilige overdracht van uw gegevens en "
        "uw communicatie met Voorbeeld Webdiensten.",
    ]


@pytest.mark.parametrize(("broken", "whole"), [
    ("Uw e-\nmailadres", "Uw e-mailadres"),  # a one-letter prefix keeps its hyphen
    ("het SSL-\ncertificaat", "het SSL-certificaat"),  # so does an acronym
    ("onze opslag-\nen backup-systemen", "onze opslag- en backup-systemen"),  # a real dash before "en"
    ("our protec-\ntion of data", "our protection of data"),  # a hyphen of the line break goes
    ("2-\nstaps verificatie", "2-staps verificatie"),
])
def test_hyphenation_at_line_ends(broken, whole):
    assert normalise(broken) == whole


@pytest.mark.parametrize(("broken", "whole"), [
    ("uw gegevens worden be veiligd opgeslagen", "uw gegevens worden beveiligd opgeslagen"),
    ("een S SL-certificaat", "een SSL-certificaat"),
    ("we use D KIM and DMA RC", "we use DKIM and DMARC"),
    ("with two-factor authen tication", "with two-factor authentication"),
    ("Be veiligd", "Beveiligd"),
    # never across real words, never changing case-sensitive acronyms out of ordinary words
    ("dan e-mail", "dan e-mail"),
    ("the fire station", "the fire station"),
])
def test_stray_spaces_inside_known_words(broken, whole):
    assert join_split_words(broken) == whole


def test_odd_spaces_and_invisible_characters():
    text = "Wij\u00a0gebruiken\u202fDKIM\u200b en \ufeffDMARC.\r\nOok\tSPF\u00ad\nfiles ﬁne."
    assert normalise(text) == "Wij gebruiken DKIM en DMARC.\n\nOok SPFfiles fine."


def test_bullets_start_their_own_paragraph():
    text = "Maatregelen:\n• Wij gebruiken firewalls en\nvirusscanners.\n• Back-ups maken wij dagelijks."
    assert normalise(text).split("\n\n") == [
        "Maatregelen:", "• Wij gebruiken firewalls en virusscanners.", "• Back-ups maken wij dagelijks."]


def test_abbreviation_at_a_line_end_does_not_end_the_sentence():
    # Issue 17: a capital after "bijv." or "bzw." at the end of a full line goes on with the sentence
    assert normalise("Wij gebruiken bijv.\nSPF en DKIM.") == "Wij gebruiken bijv. SPF en DKIM."
    assert normalise("Wij gebruiken o.a.\nversleuteling.") == "Wij gebruiken o.a. versleuteling."
    assert normalise("Unsere Website nutzt eine SSL- bzw.\nTLS-Verschlüsselung.") == (
        "Unsere Website nutzt eine SSL- bzw. TLS-Verschlüsselung.")
    # ...but not after a short last line and more space than between the lines of a paragraph
    text = ("Wij gebruiken veel standaarden die de e-mail beschermen, zoals\nSPF, DKIM en DMARC etc.\n\n"
            "Back-ups maken wij dagelijks.")
    assert normalise(text).split("\n\n") == [
        "Wij gebruiken veel standaarden die de e-mail beschermen, zoals SPF, DKIM en DMARC etc.",
        "Back-ups maken wij dagelijks."]


def test_a_sentence_running_over_a_page_break_is_joined():
    text = "Wij gebruiken DMARC met het beleid reject om u zo goed mogelijk te beschermen tegen e-mail\n\n\n" \
           "uit onze naam.\n"
    assert normalise(text) == ("Wij gebruiken DMARC met het beleid reject om u zo goed mogelijk te beschermen "
                               "tegen e-mail uit onze naam.")


def test_names_that_start_in_lower_case_do_not_join_a_heading():
    text = "Hoe wij gegevens beveiligen\n\niX Studios neemt de bescherming serieus."
    assert normalise(text).split("\n\n") == ["Hoe wij gegevens beveiligen", "iX Studios neemt de bescherming serieus."]


def test_ordinary_paragraph_text_is_left_alone():
    text = "One paragraph. With two sentences.\n\nAnother paragraph."
    assert normalise(text) == text


@given(st.text(max_size=400))
def test_any_text_normalises_without_error_and_is_stable(text):
    once = normalise(text)
    assert "\r" not in once and "\u00a0" not in once
    assert normalise(once) == once
