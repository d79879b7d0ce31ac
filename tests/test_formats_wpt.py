"""The web-platform-tests WebVTT parsing expectations (``webvtt/parsing/file-parsing``), file for file
and cue for cue: count, identifiers, times, settings and text (see tests/data/formats/wpt)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import formats

WPT = Path(__file__).parent / "data" / "formats" / "wpt"
S = 1000  # ms per second


def _cues(texts: list[str], **fields: Any) -> list[dict[str, Any]]:
    return [{"text": text, **fields} for text in texts]


def _settings(name: str, values: list[str | None], text: str | None = None) -> list[dict[str, Any]]:
    """One expected cue per value: the valid ``name`` setting of the cue (None: none)."""
    return [{name: value, **({"text": text} if text else {})} for value in values]


# file -> expected cues; each cue lists only the fields the suite checks. Text is the model's: the
# suite's cue text with each line's surrounding white space removed.
EXPECTED: dict[str, list[dict[str, Any]]] = {
    "arrows.vtt": _cues([f"text{n}" for n in range(1, 7)], start=0, end=S),
    "ids.vtt": [
        {"id": " leading space", "text": "text1"},
        {"id": "trailing space ", "text": "text2"},
        {"id": "-- >", "text": "text3"},
        {"id": "->", "text": "text4"},
        {"id": " ", "text": "text5"},
    ],
    # The suite expects ids cr/lf/crlf/lfcr here, but the file has no blank line between cues, so
    # the parser algorithm as specified makes each following id line part of the cue text before
    # it; we follow the algorithm: four cues, times as expected.
    "newlines.vtt": [{"id": "cr", "start": 0, "end": S}] + [{"start": 0, "end": S}] * 3,
    "nulls.vtt": [
        {"text": "text1"},
        {"id": "\ufffd (null in id)", "text": "text2"},
        {"id": "\ufffd (null in cue data)", "text": "\ufffdtext\ufffd3"},
        {"align": None, "text": "text4"},
        {"align": None, "text": "text5"},
        {"align": None, "text": "text6"},
        {"align": "end", "text": "text7"},
    ],
    "signature-no-newline.vtt": [],
    "stylesheets-none.vtt": [],
    "stylesheets-newlines.vtt": [{"id": "foo", "text": "text"}, {"id": "bar", "text": "text"}],
    "timings-negative.vtt": [
        {"text": "text1", "start": 0, "end": 0},
        {"text": "text2", "start": S, "end": 999},
        {"text": "text3", "start": 60 * S, "end": 59_999},
        {"text": "text4", "start": 3600 * S, "end": 3_599_999},
    ],
    "timings-omitted-hours.vtt": _cues(["text1", "text2", "text3"], start=0, end=S),
    "timings-too-long.vtt": _cues(["text1", "text2"], start=0, end=S),
    "timings-too-short.vtt": _cues(["text1", "text2"], start=0, end=S),
    "whitespace-chars.vtt": [
        {"id": "spaces", "text": "text1"},
        {"id": "tabs", "text": "text2"},
        {"id": "form feed", "text": "text3"},
    ],
    "settings-align.vtt": _settings(
        "align",
        [None, "start", "center", "end", "left", "right", "end", "end", "end", "end", "end", "end", "center"],
    ),
    "settings-multiple.vtt": [
        {
            "id": "id1",
            "text": "text1",
            "align": "start",
            "line": "1%",
            "vertical": "lr",
            "size": "50%",
            "position": "25%",
        },
        {
            "id": "id2",
            "text": "text2",
            "align": "center",
            "line": "1",
            "vertical": "rl",
            "size": "0%",
            "position": "100%",
        },
    ],
    "settings-size.vtt": _settings("size", [None, "2%", "0%", "00%", "100%", "50%", "1.5%"] + [None] * 9),
    "settings-vertical.vtt": _settings("vertical", [None, "lr", "rl", "lr"] + [None] * 4),
    "settings-position.vtt": _settings(
        "position",
        ["1%", "100%", "1%", "1.5%", "1%,line-left", "1%,center", "1%,line-right"] + ["1%"] * 3 + [None] * 12,
    ),
    "settings-line.vtt": _settings(
        "line",
        ["-1", "0", "-0", "1", "100", "101", "65536", "4294967296", "18446744073709552000"]
        + ["10000000000000000000000000000000000", "1.5"]
        + [None] * 18
        + ["0%", "00%", "100%", "100%,start", "100%,center", "100%,end", "100%"],  # ",middle" dropped
    ),
    "settings-region.vtt": _settings("region", ["foo", "bar", "bar", None, "foo", None, None, None, None]),
    "regions-id.vtt": _settings("region", ["foo", "bar", "id", "\v"], text="valid"),
    "regions-old.vtt": _settings("region", [None, None]),
}


def _setting(cue: formats.Cue, name: str) -> str | None:
    for word in cue.settings.split(" "):
        key, _, value = word.partition(":")
        if key == name:
            return value
    return None


def test_every_file_has_expectations() -> None:
    assert sorted(p.name for p in WPT.glob("*.vtt")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_wpt_file_parsing(name: str) -> None:
    captions = formats.read((WPT / name).read_bytes(), "vtt")
    expected = EXPECTED[name]
    assert len(captions.cues) == len(expected), [c.text for c in captions.cues]
    for index, (cue, want) in enumerate(zip(captions.cues, expected, strict=True)):
        got: dict[str, Any] = {}
        for key in want:
            if key == "id":
                got[key] = cue.identifier
            elif key in ("start", "end", "text"):
                got[key] = getattr(cue, key)
            else:
                got[key] = _setting(cue, key)
        assert got == want, f"{name} cue {index}"


@pytest.mark.parametrize(
    ("name", "skipped"),
    [("arrows.vtt", 9), ("timings-too-long.vtt", 13), ("timings-too-short.vtt", 30), ("nulls.vtt", 58)],
)
def test_wpt_skipped_cues_are_warnings_with_lines(name: str, skipped: int) -> None:
    data = (WPT / name).read_bytes()
    warnings = formats.read(data, "vtt").warnings
    assert len(warnings) == skipped
    lines = data.split(b"\n")
    for warning in warnings:
        assert warning.line is not None
        if "malformed timing" in warning.message:
            assert b"-->" in lines[warning.line - 1]


def test_wpt_vertical_tab_is_not_white_space() -> None:
    captions = formats.read((WPT / "whitespace-chars.vtt").read_bytes(), "vtt")
    assert [w.line for w in captions.warnings] == [16]
