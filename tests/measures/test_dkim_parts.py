"""The pure pieces of message verification: the message parser, canonicalization, DKIM-Signature."""

from __future__ import annotations

import contextlib
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailguard.core.errors import ParseError
from mailguard.core.mime import address_domains, parse_message
from mailguard.measures.dkim.canon import canon_body, canon_header, signed_header_data
from mailguard.measures.dkim.signature import SignatureError, parse_signature
from mailguard.measures.dkim.verify import KeyLookup, plan, verify

# -- the message (RFC 5322 §2.2) ------------------------------------------------------------------

def test_folded_fields_are_kept_as_written():
    msg = parse_message(b"Subject: a\r\n  folded\r\n\tline\r\nFrom: x@y.test\r\n\r\nbody\r\n")
    assert [f.name for f in msg.headers] == ["Subject", "From"]
    assert msg.headers[0].raw == b"Subject: a\r\n  folded\r\n\tline"
    assert msg.headers[0].unfolded() == "a  folded\tline"
    assert msg.body == b"body\r\n" and not msg.newlines_converted


def test_bare_lf_files_are_read_as_crlf():
    msg = parse_message(b"A: 1\n B\nC: 2\n\nbody\nline\n")
    assert msg.newlines_converted
    assert msg.headers[0].raw == b"A: 1\r\n B" and msg.body == b"body\r\nline\r\n"


def test_mbox_envelope_line_is_skipped_and_repeats_kept():
    msg = parse_message(b"From someone Mon Nov 23 10:00:00 2026\r\nReceived: a\r\nReceived: b\r\n\r\n")
    assert [f.raw for f in msg.get_all("received")] == [b"Received: a", b"Received: b"]
    assert msg.body == b""


def test_header_only_message_and_obsolete_space_before_colon():
    msg = parse_message(b"Subject : hi\r\n")
    assert msg.headers[0].name == "Subject" and msg.headers[0].value == b" hi" and msg.body == b""


@pytest.mark.parametrize("data, position, words", [
    (b" starts folded\r\n\r\n", 0, "continuation"),
    (b"A: 1\r\nno colon here\r\n\r\n", 6, "without a field name"),
    (b": empty name\r\n", 0, "without a field name"),
    (b"\r\nbody only", 0, "no header fields"),
    (b"", 0, "no header fields"),
])
def test_message_errors(data, position, words):
    with pytest.raises(ParseError) as caught:
        parse_message(data)
    assert caught.value.position == position and words in str(caught.value)


@pytest.mark.parametrize("value, domains", [
    ("Joe <joe@Football.Example.com>", ("football.example.com",)),
    ("a@x.test, b@y.test", ("x.test", "y.test")),
    ('"Odd, Name" <odd@x.test>', ("x.test",)),
    ("undisclosed-recipients:;", ()),
    ("no address", ()),
])
def test_address_domains(value, domains):
    assert address_domains(value) == domains


@given(st.binary(max_size=400))
def test_junk_bytes_only_raise_parse_error(data):
    with contextlib.suppress(ParseError):
        parse_message(data)


# -- canonicalization: the example of RFC 6376 §3.4.5 ----------------------------------------------

EXAMPLE = b"A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n"


def test_rfc6376_example_relaxed():
    msg = parse_message(EXAMPLE)
    assert b"".join(canon_header(f, "relaxed") for f in msg.headers) == b"a:X\r\nb:Y Z\r\n"
    assert canon_body(msg.body, "relaxed") == b" C\r\nD E\r\n"


def test_rfc6376_example_simple():
    msg = parse_message(EXAMPLE)
    assert b"".join(canon_header(f, "simple") for f in msg.headers) == b"A: X\r\nB : Y\t\r\n\tZ  \r\n"
    assert canon_body(msg.body, "simple") == b" C \r\nD \t E\r\n"


@pytest.mark.parametrize("body, simple, relaxed", [
    (b"", b"\r\n", b""),                           # empty bodies (RFC 6376 §3.4.3, §3.4.4)
    (b"\r\n\r\n", b"\r\n", b""),
    (b"abc", b"abc\r\n", b"abc\r\n"),              # a missing final CRLF is added
    (b"a  b \t\r\n \r\n", b"a  b \t\r\n \r\n", b"a b\r\n"),  # a line of white space is not empty
    (b"x\r\n\r\ny\r\n\r\n", b"x\r\n\r\ny\r\n", b"x\r\n\r\ny\r\n"),
])
def test_body_canonicalization(body, simple, relaxed):
    assert canon_body(body, "simple") == simple and canon_body(body, "relaxed") == relaxed


def test_empty_body_hashes_are_the_known_values():
    def b64(data):
        import base64
        return base64.b64encode(hashlib.sha256(data).digest()).decode()

    assert b64(canon_body(b"", "simple")) == "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY="
    assert b64(canon_body(b"", "relaxed")) == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


# -- the DKIM-Signature field (RFC 6376 §3.5, §6.1.1) ------------------------------------------------

BASE = "v=1; a=rsa-sha256; d=sig.test; s=sel; h=from:to; bh=YWJj; b=ZGVm"


def sig(value: str):
    return parse_signature(parse_message(f"DKIM-Signature: {value}\r\nFrom: a@sig.test\r\n".encode())
                           .headers[0])


def test_defaults():
    s = sig(BASE)
    assert (s.header_canon, s.body_canon, s.identity, s.query_methods) == ("simple", "simple", "@sig.test",
                                                                           ("dns/txt",))
    assert (s.key_type, s.hash, s.length, s.timestamp, s.expires) == ("rsa", "sha256", None, None, None)
    assert s.key_name == "sel._domainkey.sig.test" and s.signature == b"def" and s.body_hash == b"abc"


@pytest.mark.parametrize("extra, attribute, expected", [
    ("c=relaxed", "canonicalization", "relaxed/simple"),     # a lone c= names the header one
    ("c=relaxed/relaxed", "canonicalization", "relaxed/relaxed"),
    ("i=joe@mail.sig.test", "identity_domain", "mail.sig.test"),
    ("l=123", "length", 123),
    ("t=100; x=200", "expires", 200),
    ("q=dns/txt:other/x", "query_methods", ("dns/txt", "other/x")),
    ("z=From:a@b|To:c", "copied_headers", "From:a@b|To:c"),
])
def test_optional_tags(extra, attribute, expected):
    assert getattr(sig(f"{BASE}; {extra}"), attribute) == expected


def test_folded_h_and_b_values():
    s = sig("v=1; a=ed25519-sha256; d=SIG.test.; s=Sel;\r\n h=From : To :\r\n Subject;"
            " bh=YW\r\n Jj;\r\n b=ZG Vm")
    assert s.signed_headers == ("from", "to", "subject") and s.domain == "sig.test" and s.selector == "sel"
    assert s.body_hash == b"abc" and s.signature == b"def" and s.key_type == "ed25519"


@pytest.mark.parametrize("value, reason", [
    ("v=1; a=rsa-sha256; d=sig.test; s=sel; h=from; bh=YWJj", "missing-tag"),
    (BASE.replace("v=1", "v=2"), "version"),
    (BASE.replace("rsa-sha256", "rsa-md5"), "algorithm"),
    (BASE + "; c=fancy/simple", "canonicalization"),
    (BASE + "; q=http/well-known", "query-method"),
    (BASE + "; i=joe@elsewhere.test", "identity"),
    (BASE + "; i=joe@notsig.test", "identity"),               # a suffix is not a subdomain
    (BASE + "; t=200; x=100", "timestamps"),
    (BASE + "; l=12a", "syntax"),
    (BASE + "; x=" + "9" * 13, "syntax"),
    (BASE.replace("b=ZGVm", "b=!!"), "syntax"),
    (BASE.replace("d=sig.test", "d=nodot"), "syntax"),
    (BASE.replace("h=from:to", "h= : "), "syntax"),
    (BASE + "; d=twice.test", "syntax"),
    ("v=1; a", "syntax"),
])
def test_signature_errors(value, reason):
    with pytest.raises(SignatureError) as caught:
        sig(value)
    assert caught.value.reason == reason


def test_signed_data_takes_fields_bottom_up_and_deletes_only_b():
    raw = (b"DKIM-Signature: v=1; a=rsa-sha256; d=sig.test; s=sel; c=simple/simple;\r\n"
           b"\th=subject:subject:subject:from; b=ZGVm\r\n\t ZGVm ; bh=YWJj\r\n"
           b"Subject: first\r\nFrom: a@sig.test\r\nSubject: second\r\n\r\n")
    msg = parse_message(raw)
    planned = plan(msg)[0][0]
    assert planned.signature is not None
    data = signed_header_data(msg, planned.signature)
    assert data == (b"Subject: second\r\nSubject: first\r\nFrom: a@sig.test\r\n"  # third subject: none
                    b"DKIM-Signature: v=1; a=rsa-sha256; d=sig.test; s=sel; c=simple/simple;\r\n"
                    b"\th=subject:subject:subject:from; b=; bh=YWJj")


def test_b_value_at_the_end_is_deleted_with_its_folding():
    raw = (b"DKIM-Signature: v=1; a=rsa-sha256; d=sig.test; s=sel; h=from; bh=YWJj; b=ZG\r\n Vm\r\n"
           b"From: a@sig.test\r\n")
    msg = parse_message(raw)
    planned = plan(msg)[0][0]
    assert planned.signature is not None
    assert signed_header_data(msg, planned.signature).endswith(b"bh=YWJj; b=")


# -- hostile messages never crash verification -------------------------------------------------------

_FIELDS = st.sampled_from([
    "DKIM-Signature: v=1; a=rsa-sha256; d=sig.test; s=sel; h=from; bh=YWJj; b=ZGVm",
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=sig.test; s=sel; h=from:from; l=3; "
    "bh=YWJj; b=ZGVm",
    "DKIM-Signature: v=1; a=rsa-sha256; d=sig.test; s=sel; h=to; bh=YWJj; b=ZGVm",
    "DKIM-Signature: junk", "From: a@sig.test", "From: b@other.test", "Subject:  x \t y",
])
_KEYS = st.sampled_from([
    "v=DKIM1; p=", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", "junk",
    "v=DKIM1; k=rsa; p=aGVsbG8=", "v=DKIM1; h=sha1; p=abc", "v=DKIM1; t=s; s=email; p=AAAA",
])


@settings(max_examples=150)
@given(st.lists(_FIELDS, min_size=1, max_size=6), st.binary(max_size=60), _KEYS,
       st.sampled_from(["ok", "nxdomain", "timeout"]))
def test_any_combination_yields_a_result_word(fields, body, key, status):
    msg = parse_message(("\r\n".join(fields) + "\r\n\r\n").encode() + body)
    lookup = KeyLookup("sel._domainkey.sig.test", status, (key,) if status == "ok" else ())
    for planned in plan(msg)[0]:
        outcome = verify(msg, planned, lookup, now=1_800_000_000)
        assert outcome.result in {"fail", "permerror", "temperror"}  # nothing here is validly signed
