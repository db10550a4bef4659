"""The report history: atomic writes, never an overwrite, the previous report found."""

from __future__ import annotations

import os

import pytest

from mailguard.core.errors import InputError
from mailguard.history import folder as history


@pytest.mark.parametrize(
    ("started", "stem"),
    [
        ("2026-03-01T09:00:00.123+00:00", "20260301T090000Z"),
        ("2026-03-01T10:00:00+01:00", "20260301T090000Z"),
        ("2026-03-01T09:00:00Z", "20260301T090000Z"),
    ],
)
def test_stem_is_utc(started, stem):
    assert history.stem(started) == stem


def make(content: str):
    return lambda stem: {"html": f"{content} {stem}".encode(), "json": b'{"domain": "a.test"}'}


def test_a_second_set_with_the_same_time_gets_a_suffix_and_nothing_is_overwritten(tmp_path):
    first = history.write_set(tmp_path, "20260301T090000Z", ["html", "json"], make("one"))
    second = history.write_set(tmp_path, "20260301T090000Z", ["html", "json"], make("two"))
    third = history.write_set(tmp_path, "20260301T090000Z", ["html", "json"], make("three"))
    assert [p.name for p in first.values()] == ["20260301T090000Z.html", "20260301T090000Z.json"]
    assert (
        second["html"].name == "20260301T090000Z-2.html" and third["json"].name == "20260301T090000Z-3.json"
    )
    assert first["html"].read_text() == "one 20260301T090000Z"
    assert second["html"].read_text() == "two 20260301T090000Z-2"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_any_taken_name_of_the_set_moves_the_whole_set(tmp_path):
    (tmp_path / "20260301T090000Z.json").write_text("someone else's")
    written = history.write_set(tmp_path, "20260301T090000Z", ["html", "json"], make("x"))
    assert {p.name for p in written.values()} == {"20260301T090000Z-2.html", "20260301T090000Z-2.json"}
    assert (tmp_path / "20260301T090000Z.json").read_text() == "someone else's"
    assert not (tmp_path / "20260301T090000Z.html").exists()


def test_write_new_refuses_an_existing_name_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "r.html"
    target.write_bytes(b"old")
    with pytest.raises(FileExistsError):
        history.write_new(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["r.html"]


def test_a_name_taken_during_the_write_moves_the_set(tmp_path):
    # Another run takes the name between the check and the write: the set goes to -2.
    calls = []

    def racing(stem):
        calls.append(stem)
        if len(calls) == 1:
            (tmp_path / f"{stem}.json").write_text("the other run")
        return {"html": b"h", "json": b"j"}

    written = history.write_set(tmp_path, "20260301T090000Z", ["html", "json"], racing)
    assert calls == ["20260301T090000Z", "20260301T090000Z-2"]
    assert written["json"].name == "20260301T090000Z-2.json"
    assert (tmp_path / "20260301T090000Z.json").read_text() == "the other run"
    assert not (tmp_path / "20260301T090000Z.html").exists()  # our half-set was taken back


def test_previous_is_the_newest_readable_json(tmp_path):
    assert history.previous(tmp_path / "none") is None
    (tmp_path / "20260101T000000Z.json").write_text('{"n": 1}')
    (tmp_path / "20260301T090000Z.json").write_text('{"n": 2}')
    (tmp_path / "20260301T090000Z-2.json").write_text('{"n": 3}')
    (tmp_path / "20260301T090000Z-10.json").write_text('{"n": 4}')
    (tmp_path / "20260401T000000Z.json").write_text("junk {")
    (tmp_path / "notes.json").write_text('{"n": 99}')
    path, document = history.previous(tmp_path)
    assert path.name == "20260301T090000Z-10.json" and document == {"n": 4}


@pytest.mark.parametrize("domain", ["", "../x", "a/b", ".hidden"])
def test_domain_folders_stay_inside_the_report_dir(tmp_path, domain):
    with pytest.raises(InputError):
        history.domain_folder(tmp_path, domain)
