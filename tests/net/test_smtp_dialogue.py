"""The SMTP reply reader and dialogue, pure: bytes whole, byte by byte, and junk (RFC 5321 §4.2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailguard.net.smtp import (
    MAX_LINE,
    Finish,
    Receive,
    Reply,
    ReplyReader,
    Send,
    SmtpDialogue,
    SmtpProtocolError,
    StartTls,
)

EHLO_REPLY = (
    b"250-mx.example.nl hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
)


def feed_all(data: bytes, *, split: int = 0) -> list[Reply]:
    reader = ReplyReader()
    if not split:
        return reader.feed(data)
    out: list[Reply] = []
    for i in range(0, len(data), split):
        out += reader.feed(data[i : i + split])
    return out


@pytest.mark.parametrize("split", [0, 1, 2, 7])
def test_multi_line_reply_whole_and_in_pieces(split: int) -> None:
    replies = feed_all(b"220 mx.example.nl ESMTP\r\n" + EHLO_REPLY, split=split)
    assert [r.code for r in replies] == [220, 250]
    assert replies[1].lines == ("mx.example.nl hello", "PIPELINING", "SIZE 10240000", "STARTTLS", "8BITMIME")


@pytest.mark.parametrize(
    ("raw", "reply"),
    [
        (b"220\r\n", Reply(220, ("",))),  # a code alone ends a reply (RFC 5321 §4.2)
        (b"250 ok\n", Reply(250, ("ok",))),  # bare LF tolerated
        (b"554-no\r\n554 go away\r\n", Reply(554, ("no", "go away"))),
        (b"421 4.3.2 shutting down\r\n", Reply(421, ("4.3.2 shutting down",))),
    ],
)
def test_reply_forms(raw: bytes, reply: Reply) -> None:
    assert feed_all(raw) == [reply]


def test_incomplete_reply_waits_for_more() -> None:
    reader = ReplyReader()
    assert reader.feed(b"250-first\r\n250 sec") == []
    assert reader.feed(b"ond\r\n") == [Reply(250, ("first", "second"))]


@pytest.mark.parametrize(
    "junk",
    [
        b"HTTP/1.1 400 Bad Request\r\n",
        b"22 short\r\n",
        b"620 bad first digit\r\n",
        b"2x0 letters\r\n",
        b"250_underscore\r\n",
        b"250-a\r\n251 changed code\r\n",
        b"\x16\x03\x01\x00\xa5\r\n",
    ],
)
def test_junk_is_a_protocol_error_with_position(junk: bytes) -> None:
    with pytest.raises(SmtpProtocolError) as caught:
        feed_all(junk)
    assert caught.value.position is not None


def test_line_and_reply_caps() -> None:
    with pytest.raises(SmtpProtocolError):
        feed_all(b"250 " + b"x" * (MAX_LINE + 10))  # no newline yet, but already too long
    with pytest.raises(SmtpProtocolError):
        feed_all(b"250-x\r\n" * 200 + b"250 end\r\n")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_reader_never_crashes_on_junk(data: bytes) -> None:
    try:
        replies = ReplyReader().feed(data)
    except SmtpProtocolError:
        return
    assert all(200 <= r.code <= 559 for r in replies)


# -- the dialogue ----------------------------------------------------------------------------------


def drive(
    dialogue: SmtpDialogue, server: list[bytes], *, split: int = 0, tls_ok: bool = True
) -> list[object]:
    """Play a server's lines against the dialogue; return the steps it took."""
    steps: list[object] = []
    pending = list(server)
    for _ in range(100):
        step = dialogue.next_step()
        steps.append(step)
        if isinstance(step, Finish):
            return steps
        if isinstance(step, StartTls):
            dialogue.tls_done(tls_ok, "" if tls_ok else "alert handshake failure")
        elif isinstance(step, Receive):
            if not pending:
                dialogue.closed()
                continue
            data = pending.pop(0)
            if split:
                for i in range(0, len(data), split):
                    dialogue.receive(data[i : i + split])
            else:
                dialogue.receive(data)
    raise AssertionError("dialogue did not finish")


def sent(steps: list[object]) -> list[bytes]:
    return [s.data for s in steps if isinstance(s, Send)]


@pytest.mark.parametrize("split", [0, 1, 3])
def test_full_dialogue_never_sends_mail(split: int) -> None:
    dialogue = SmtpDialogue("scanner.example")
    steps = drive(
        dialogue,
        [
            b"220 mx ESMTP\r\n",
            EHLO_REPLY,
            b"220 2.0.0 go ahead\r\n",
            b"250-mx\r\n250 SIZE 1000\r\n",
            b"221 bye\r\n",
        ],
        split=split,
    )
    assert sent(steps) == [
        b"EHLO scanner.example\r\n",
        b"STARTTLS\r\n",
        b"EHLO scanner.example\r\n",
        b"QUIT\r\n",
    ]
    assert steps[-1] == Finish("ok")
    assert dialogue.starttls_offered
    assert dialogue.ehlo_tls is not None and dialogue.ehlo_tls.lines[-1] == "SIZE 1000"
    assert any(isinstance(s, StartTls) for s in steps)
    assert dialogue.transcript[0] == "S: 220 mx ESMTP" and "C: STARTTLS" in dialogue.transcript


def test_no_starttls_quits_politely() -> None:
    dialogue = SmtpDialogue("h")
    steps = drive(dialogue, [b"220 mx\r\n", b"250-mx\r\n250 PIPELINING\r\n"])
    assert sent(steps) == [b"EHLO h\r\n", b"QUIT\r\n"]
    assert steps[-1] == Finish("ok") and not dialogue.starttls_offered


@pytest.mark.parametrize(
    ("server", "status", "stage"),
    [
        ([b"554 no service for you\r\n"], "rejected", "banner"),
        ([b"220 mx\r\n", b"550 no EHLO\r\n"], "rejected", "ehlo"),
        ([b"220 mx\r\n", b"421 busy, closing\r\n"], "rejected", "ehlo"),
        ([b"220 mx\r\n", EHLO_REPLY, b"454 4.7.0 TLS not available\r\n"], "starttls-rejected", "starttls"),
        ([b"220 mx\r\n"], "closed", "ehlo"),
        ([b"SSH-2.0-OpenSSH_9.6\r\n"], "protocol-error", "banner"),
    ],
)
def test_endings(server: list[bytes], status: str, stage: str) -> None:
    dialogue = SmtpDialogue("h")
    steps = drive(dialogue, server)
    assert isinstance(steps[-1], Finish) and steps[-1].status == status
    assert dialogue.ended_in == stage


def test_tls_failure_ends_without_plaintext_quit() -> None:
    dialogue = SmtpDialogue("h")
    steps = drive(dialogue, [b"220 mx\r\n", EHLO_REPLY, b"220 go\r\n"], tls_ok=False)
    assert steps[-1] == Finish("tls-failed", "alert handshake failure")
    assert sent(steps) == [b"EHLO h\r\n", b"STARTTLS\r\n"]


def test_plaintext_after_starttls_reply_is_kept_aside_not_read_as_tls() -> None:
    dialogue = SmtpDialogue("h", ehlo_after_tls=False)
    steps = drive(dialogue, [b"220 mx\r\n", EHLO_REPLY, b"220 go\r\n250 injected\r\nextra", b"221 bye\r\n"])
    assert dialogue.plaintext_after_starttls == b"250 injected\r\nextra"
    assert steps[-1] == Finish("ok")
    assert sent(steps)[-1] == b"QUIT\r\n"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=8))
def test_dialogue_always_finishes_on_junk(chunks: list[bytes]) -> None:
    dialogue = SmtpDialogue("h")
    steps = drive(dialogue, chunks)
    assert isinstance(steps[-1], Finish)
