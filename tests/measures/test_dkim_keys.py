"""DKIM tag lists and key records: table tests from RFC 6376 §3.2/§3.6.1, RFC 8301, RFC 8463."""

from __future__ import annotations

import base64
import contextlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import given
from hypothesis import strategies as st

from mailguard.core.errors import ParseError
from mailguard.measures.dkim.keys import KeyLoadError, load_key, looks_like_key_record, parse_key_record
from mailguard.measures.dkim.tags import parse_tag_list, split_list, strip_fws

# The 512-bit key of the lab's broken.test (cryptography no longer generates keys this small).
RSA512 = ("MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBALoMrmdkwWLGCf59RnR7E34hry45grCYOBpIdVDe4KJ2p44id1ibtTrq8VcFF"
          "ovPUAQ2dggjFTDiBtK/en8r5fkCAwEAAQ==")
# RFC 8463 Appendix A.2: the Ed25519 example key.
RFC8463_ED = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def rsa2048() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def spki(key: rsa.RSAPrivateKey) -> str:
    return b64(key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo))


# -- the tag list (§3.2) ----------------------------------------------------------------------

def test_tags_in_order_with_values():
    tags = parse_tag_list("v=DKIM1; k=rsa; p=abc")
    assert list(tags) == ["v", "k", "p"] and tags["k"] == "rsa" and len(tags) == 3


@pytest.mark.parametrize("text, name, value", [
    ("p=abc;", "p", "abc"),                                   # a trailing ";" is allowed
    (" v = DKIM1 ;\r\n\tp = ab c ", "p", "ab c"),              # FWS around names, = and values
    ("a=x;;  ; b=y", "b", "y"),                               # empty tag-specs are skipped
    ("n=a=b:c", "n", "a=b:c"),                                 # "=" and ":" are VALCHARs
    ("h=from : to :\r\n subject", "h", "from : to :\r\n subject"),  # inner FWS kept, ends trimmed
    ("k=", "k", ""),                                           # an empty value
    ("x_1=2", "x_1", "2"),                                     # ALNUMPUNC in names
])
def test_tag_values(text, name, value):
    assert parse_tag_list(text)[name] == value


def test_tag_value_span_is_the_value_as_written():
    text = "b = ab\r\n cd ; bh=x"
    tag = parse_tag_list(text).tag("b")
    assert tag is not None and text[tag.value_start:tag.value_end] == "ab\r\n cd"
    assert tag.raw_end == text.index(";")


def test_tag_names_are_case_sensitive():
    tags = parse_tag_list("P=x; p=y")
    assert tags["P"] == "x" and tags["p"] == "y"


@pytest.mark.parametrize("text, position, words", [
    ("v=DKIM1; p=a; p=b", 14, "twice"),
    ("1v=x", 0, "tag name"),
    ("v DKIM1", 2, "'='"),
    ("v", 1, "the end"),
    ("p=ab\x00cd", 4, "not allowed"),
    ("p=abé", 4, "not allowed"),
    ("", 0, "empty"),
    (" ; ;", 0, "empty"),
])
def test_tag_list_errors_have_positions(text, position, words):
    with pytest.raises(ParseError) as caught:
        parse_tag_list(text)
    assert caught.value.position == position and words in str(caught.value)


def test_helpers():
    assert strip_fws(" MIIB\r\n\tAQAB ") == "MIIBAQAB"
    assert split_list("sha1 : sha256:") == ("sha1", "sha256")


# -- key records (§3.6.1) -----------------------------------------------------------------------

def test_minimal_record_takes_the_defaults():
    record = parse_key_record("p=MIIB")
    assert (record.version, record.key_type, record.public_key) == (None, "rsa", "MIIB")
    assert record.hash_algorithms is None and record.service_types == ("*",) and record.flags == ()
    assert record.for_email and record.allows_hash("sha256") and not record.revoked


@pytest.mark.parametrize("text, attribute, expected", [
    ("v=DKIM1; k=ed25519; p=abc", "key_type", "ed25519"),
    ("v=DKIM1; k=RSA; p=abc", "key_type", "rsa"),             # ABNF literals are case-insensitive
    ("v=DKIM1; p=", "revoked", True),
    ("v=DKIM1; p= ", "revoked", True),
    ("v=DKIM1; p=MIIB AQAB\r\n\tAA==", "public_key", "MIIBAQABAA=="),
    ("v=DKIM1; h=sha1:sha256; p=a", "hash_algorithms", ("sha1", "sha256")),
    ("v=DKIM1; h=SHA256; p=a", "hash_algorithms", ("sha256",)),
    ("v=DKIM1; t=y:s; p=a", "testing", True),
    ("v=DKIM1; t=y:s; p=a", "strict", True),
    ("v=DKIM1; t=s; p=a", "testing", False),
    ("v=DKIM1; t=y:x; p=a", "flags", ("y", "x")),              # unknown flags kept, ignored
    ("v=DKIM1; s=email; p=a", "for_email", True),
    ("v=DKIM1; s=*; p=a", "for_email", True),
    ("v=DKIM1; s=other; p=a", "for_email", False),
    ("v=DKIM1; n=hello world; p=a", "notes", "hello world"),
    ("v=DKIM1; p=a; x=1; g=*", "unknown_tags", ("x",)),        # g= (RFC 4871) is known, ignored
])
def test_record_fields(text, attribute, expected):
    assert getattr(parse_key_record(text), attribute) == expected


def test_sha1_only_record_does_not_allow_sha256():
    assert not parse_key_record("v=DKIM1; h=sha1; p=a").allows_hash("sha256")


@pytest.mark.parametrize("text, words, position", [
    ("k=rsa; v=DKIM1; p=a", "first tag", 7),
    ("v=DKIM2; p=a", "not DKIM1", 2),
    ("v=DKIM1; k=rsa", "p= is required", 14),
    ("v=DKIM1; k=rsa p=abc", "p= is required", 20),            # a missing ";" swallows p=
    ("v=DKIM1; p=a; p=b", "twice", 14),
])
def test_record_errors(text, words, position):
    with pytest.raises(ParseError) as caught:
        parse_key_record(text)
    assert words in str(caught.value) and caught.value.position == position


@pytest.mark.parametrize("text, expected", [
    ("v=DKIM1; p=abc", True),
    ("  v = DKIM1 ; p=", True),
    ("k=rsa; p=abc", True),
    ("p=abc", True),
    ("v=DKIM1; k=rsa p=abc", True),     # meant as a key, malformed: judged, not ignored
    ("v=spf1 -all", False),
    ("v=DMARC1; p=reject", False),       # has p=, but v= says it is something else
    ("google-site-verification=abc", False),
    ("", False),
    # Issue 17, RFC 6376 §3.6.1: "Records beginning with a v= tag with any other value MUST be
    # discarded": the value must be exactly DKIM1.
    ("v=DKIM1: g=*; k=rsa; p=abc", False),  # a ':' typo makes the value "DKIM1: g=*"
    ("v=dkim1; p=abc", False),
    ("v=DKIM1x; p=abc", False),
    ("v=DKIM 1; p=abc", False),
    ("v=DKIM2; p=abc", False),
    ("v=; p=abc", False),
    ("v=DKIM1 ; p=abc", True),               # white space around the value is not part of it
    ("v=DKIM1\r\n\t; p=abc", True),        # nor is folding white space (FWS)
])
def test_looks_like_key_record(text, expected):
    assert looks_like_key_record(text) is expected


# Issue 17, RFC 6376 §3.2: "Unrecognized tags MUST be ignored"; §3.6.1 lists the key tags.
@pytest.mark.parametrize("text, unknown", [
    ("v=DKIM1; foo=bar; p=", ("foo",)),
    ("v=DKIM1; g=*; k=rsa; p=", ()),          # g= was RFC 4871's; still known, and ignored
    ("v=DKIM1; p=; acme=1 2; x_y=z", ("acme", "x_y")),
    ("V=DKIM1; p=", ("V",)),                  # tag names are case-sensitive (§3.2)
])
def test_unknown_tags_are_ignored(text, unknown):
    record = parse_key_record(text)
    assert record.unknown_tags == unknown and record.revoked


# -- loading the key (RFC 8301, RFC 8463) ---------------------------------------------------------

def test_rsa_subject_public_key_info(rsa2048):
    key = load_key(parse_key_record(f"v=DKIM1; k=rsa; p={spki(rsa2048)}"))
    assert (key.key_type, key.bits) == ("rsa", 2048)


def test_rsa_bare_rsapublickey_as_rfc6376_names_it(rsa2048):
    der = rsa2048.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    assert load_key(parse_key_record(f"p={b64(der)}")).bits == 2048


def test_rsa_512_loads_and_reports_its_size():
    assert load_key(parse_key_record(f"v=DKIM1; p={RSA512}")).bits == 512


def test_ed25519_raw_key_from_rfc8463():
    key = load_key(parse_key_record(f"v=DKIM1; k=ed25519; p={RFC8463_ED}"))
    assert key.key_type == "ed25519" and isinstance(key.key, ed25519.Ed25519PublicKey)


def test_ed25519_in_spki_form_is_refused_with_the_reason():
    raw = ed25519.Ed25519PrivateKey.generate().public_key()
    der = raw.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(KeyLoadError) as caught:
        load_key(parse_key_record(f"k=ed25519; p={b64(der)}"))
    assert caught.value.reason == "der" and "32-byte" in str(caught.value)


@pytest.mark.parametrize("text, reason", [
    ("v=DKIM1; p=", "revoked"),
    ("v=DKIM1; k=dsa; p=AAAA", "type"),
    ("v=DKIM1; p=MIIB!!not*base64", "base64"),
    ("v=DKIM1; p=abc", "base64"),                    # bad padding
    ("v=DKIM1; p=aGVsbG8gd29ybGQ=", "der"),          # base64, but not DER
    ("v=DKIM1; k=ed25519; p=aGVsbG8=", "der"),       # 5 bytes, not 32
    ("v=DKIM1; p=" + "A" * 9000, "size"),
])
def test_unusable_keys(text, reason):
    with pytest.raises(KeyLoadError) as caught:
        load_key(parse_key_record(text))
    assert caught.value.reason == reason


def test_an_ec_key_is_not_an_rsa_key():
    der = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(KeyLoadError, match="not an RSA key"):
        load_key(parse_key_record(f"k=rsa; p={b64(der)}"))


# -- junk never escapes as anything but ParseError --------------------------------------------------

def _only_parse_errors(text: str) -> None:
    try:
        record = parse_key_record(text)
    except ParseError:
        return
    with contextlib.suppress(KeyLoadError):
        load_key(record)


@given(st.text(max_size=300))
def test_junk_text_only_raises_parse_error(text):
    _only_parse_errors(text)


@given(st.text(alphabet="v=DKIM1;kpa rsthed25519\r\n\t:ABC+/", max_size=120))
def test_near_miss_records_only_raise_parse_error(text):
    _only_parse_errors(text)


_NAMES = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,6}", fullmatch=True)
_VALUES = st.from_regex(r"[!-:<-~]{1,8}( [!-:<-~]{1,8}){0,2}", fullmatch=True)


@given(st.dictionaries(_NAMES, _VALUES, min_size=1, max_size=6), st.sampled_from([" ", "", "\r\n "]))
def test_generated_tag_lists_round_trip(tags, space):
    text = ";".join(f"{space}{name}{space}={space}{value}{space}" for name, value in tags.items())
    parsed = parse_tag_list(text)
    assert dict(parsed) == tags
