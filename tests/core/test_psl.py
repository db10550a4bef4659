"""Organizational domains from the bundled Public Suffix List (RFC 7489 §3.2). Pure: no network."""

from __future__ import annotations

import pytest

from mailguard.core import psl


@pytest.mark.parametrize(("name", "org"), [
    ("example.com", "example.com"),
    ("a.b.example.com", "example.com"),
    ("a.b.example.co.uk", "example.co.uk"),          # multi-label public suffix
    ("example.co.uk", "example.co.uk"),
    ("mail.example.nl", "example.nl"),
    ("www.gemeente.amsterdam", "gemeente.amsterdam"),  # a brand TLD
    ("x.city.kawasaki.jp", "city.kawasaki.jp"),      # the exception rule !city.kawasaki.jp
    ("a.b.someone.github.io", "someone.github.io"),  # the private section counts too
    ("A.B.Example.CO.UK.", "example.co.uk"),          # case and the trailing dot do not matter
    ("inherit.dmarc.test", "dmarc.test"),            # no .test entry: the default rule "*" applies
    ("deep.x.external.example", "external.example"),
    ("mail.xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),  # A-labels, as mailguard carries names
])
def test_organizational_domain(name, org):
    assert psl.organizational_domain(name) == org


@pytest.mark.parametrize(("name", "suffix"), [
    ("a.b.example.co.uk", "co.uk"), ("example.nl", "nl"), ("x.test", "test"), ("co.uk", "co.uk"),
])
def test_public_suffix(name, suffix):
    assert psl.public_suffix(name) == suffix


def test_a_public_suffix_is_its_own_organizational_domain_but_not_registrable():
    assert psl.is_public_suffix("co.uk") and psl.is_public_suffix("nl")
    assert not psl.is_public_suffix("example.co.uk")
    assert psl.registrable_domain("co.uk") is None
    assert psl.organizational_domain("co.uk") == "co.uk"
    # *.kawasaki.jp makes every child a public suffix, except the listed exception
    assert psl.registrable_domain("x.kawasaki.jp") is None


def test_same_organization():
    assert psl.same_organization("mail.example.co.uk", "reports.example.co.uk")
    assert not psl.same_organization("example.co.uk", "other.co.uk")
    assert not psl.same_organization("weak.test", "elsewhere.test")


@pytest.mark.parametrize("junk", ["", ".", "a..b", "   "])
def test_junk_gives_no_answer_not_an_exception(junk):
    assert psl.registrable_domain(junk) is None
    assert psl.public_suffix(junk) in (None, "")
