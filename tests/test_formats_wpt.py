"""The web-platform-tests WebVTT parsing expectations (``webvtt/parsing/file-parsing``), file for file
and cue for cue: count, identifiers, times, settings and text (see tests/data/formats/wpt).

Upstream (https://github.com/web-platform-tests/wpt, ``webvtt/parsing/file-parsing``): each generated
test's input is ``support/<name>.test`` after its ``===`` line (built to ``tests/support/<name>.vtt``),
``header-regions.vtt`` is the input of the hand-written ``tests/header-regions.html``, and the
``signature-*.vtt`` files that ``signature-invalid.html`` expects to fail are ``support/<name>.vtt``.
"""

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


# A file the algorithm rejects (its first line is no WebVTT signature) and that has no cue either: the
# reader raises CaptionFormatError (see formats.webvtt; a file with cues is read, with a warning).
NOT_WEBVTT = "not WebVTT"

# file -> expected cues (or NOT_WEBVTT); each cue lists only the fields the suite checks. Text is the
# model's: the suite's cue text with each line's surrounding white space removed.
EXPECTED: dict[str, list[dict[str, Any]] | str] = {
    "arrows.vtt": _cues([f"text{n}" for n in range(1, 7)], start=0, end=S),
    "ids.vtt": [
        {"id": " leading space", "text": "text1"},
        {"id": "trailing space ", "text": "text2"},
        {"id": "-- >", "text": "text3"},
        {"id": "->", "text": "text4"},
        {"id": " ", "text": "text5"},
    ],
    "newlines.vtt": [  # CR, LF, CRLF and LFCR line ends
        {"id": "cr", "text": "text0", "start": 0, "end": S},
        {"id": "lf", "text": "text1", "start": 0, "end": S},
        {"id": "crlf", "text": "text2", "start": 0, "end": S},
        {"id": "lfcr", "text": "text3", "start": 0, "end": S},
    ],
    "nulls.vtt": [
        {"text": "text1"},
        {"id": "\ufffd (null in id)", "text": "text2"},
        {"id": "\ufffd (null in cue data)", "text": "\ufffdtext\ufffd3"},
        {"align": None, "text": "text4"},
        {"align": None, "text": "text5"},
        {"align": None, "text": "text6"},
        {"align": "end", "text": "text7"},
    ],
    "comment-in-cue-text.vtt": [
        {"text": "NOTE text", "start": 0, "end": S},
        {"text": "NOTE text\nNOTE text2", "start": S, "end": 2 * S},
    ],
    "header-garbage.vtt": _cues(["text"], start=0, end=S),
    "header-space.vtt": _cues(["text"], start=0, end=S),
    "header-tab.vtt": _cues(["text"], start=0, end=S),
    "header-timings.vtt": _cues(["text"], start=0, end=S),  # no blank line: the timing line ends the header
    # The suite reads the region each cue should have from its text ("no region" or the region's JSON).
    "header-regions.vtt": [
        {"region": None, "text": '"no region"', "start": 0, "end": 2500},  # an unknown region id
        {"region": None, "line": "5", "text": '"no region"'},
        {"region": None, "size": "10%", "text": '"no region"'},
        {"region": None, "vertical": "lr", "text": '"no region"'},
        {"region": "region_without_settings", "text": "{}", "start": 3 * S, "end": 4 * S},
        {"region": "region_with_all_settings", "start": 4 * S, "end": 5 * S},
        {"region": "region_floating_point_anchor", "start": 5 * S, "end": 6 * S},
        {"region": "not_unique_id", "text": '{"width":67}', "start": 6 * S, "end": 7 * S},  # the last one
        {"region": None, "text": '"no region"', "start": 7 * S, "end": 8 * S},  # "region:" names none
    ],
    "signature-bom.vtt": [],
    "signature-no-newline.vtt": [],
    "signature-space.vtt": [],
    "signature-space-no-newline.vtt": [],
    "signature-tab.vtt": [],
    "signature-tab-no-newline.vtt": [],
    "signature-timings.vtt": [],  # a timing line on the signature line is header text, not a cue
    # signature-invalid.html: files that are not WebVTT (a track that fails to load)
    "signature-formfeed.vtt": NOT_WEBVTT,
    "signature-invalid-whitespace.vtt": NOT_WEBVTT,  # a no-break space after WEBVTT
    "signature-lowercase.vtt": NOT_WEBVTT,
    "signature-missing-whitespace.vtt": NOT_WEBVTT,
    "signature-partial.vtt": NOT_WEBVTT,
    "signature-two-boms.vtt": NOT_WEBVTT,  # decoding removes one byte order mark, not two
    "signature-websrt.vtt": NOT_WEBVTT,
    # No WEBVTT line at all: our reader's documented leniency reads the cue (with a warning, see
    # test_wpt_missing_signature_is_a_warning) where a browser rejects the file.
    "signature-missing.vtt": [{"text": "invalid", "start": 0, "end": S}],
    "stylesheets.vtt": [{"id": "foo", "text": "text"}, {"id": "bar", "text": "text"}],
    "stylesheets-none.vtt": [],
    "stylesheets-newlines.vtt": [{"id": "foo", "text": "text"}, {"id": "bar", "text": "text"}],
    "timings-60.vtt": [  # 60 minutes or seconds is invalid, 60 hours is not
        {"text": "text1", "start": 0, "end": 216_001 * S},
        {"text": "text2", "start": 216_000 * S, "end": 216_001 * S},
    ],
    "timings-eof.vtt": [],
    # The suite expects no cue; the last block, "00:00:00,000 --> 00:00:01,000", has SRT's comma,
    # which our reader accepts (its one timestamp leniency, see formats.webvtt_parser).
    "timings-garbage.vtt": [{"text": "invalid", "start": 0, "end": S}],
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
    "regions-lines.vtt": _settings("region", [str(n) for n in range(1, 14)], text="text"),
    "regions-regionanchor.vtt": _settings("region", [str(n) for n in range(20)], text="text"),
    "regions-viewportanchor.vtt": _settings("region", [str(n) for n in range(20)], text="text"),
    "regions-scroll.vtt": _settings("region", [str(n) for n in range(6)], text="text"),
    # a REGION block cut short by a "-->" line is no region (the suite checks foo keeps lines:1, jill 3)
    "regions-edge-case.vtt": _settings("region", ["foo", "bill", "jill", "jack"], text="text"),
}

# The upstream suite's inputs: the generated tests, tests/header-regions.html and the files of
# signature-invalid.html. Those without a copy here are listed in NOT_COPIED.
UPSTREAM = [
    f"{name}.vtt"
    for name in """
    arrows comment-in-cue-text header-garbage header-regions header-space header-tab header-timings ids
    newlines nulls regions-edge-case regions-id regions-lines regions-old regions-regionanchor regions-scroll
    regions-viewportanchor settings-align settings-line settings-multiple settings-position settings-region
    settings-size settings-vertical signature-bom signature-no-newline signature-space
    signature-space-no-newline signature-tab signature-tab-no-newline signature-timings stylesheets
    stylesheets-newlines stylesheets-none timings-60 timings-eof timings-garbage timings-negative
    timings-omitted-hours timings-too-long timings-too-short whitespace-chars
    empty signature-formfeed signature-invalid signature-invalid-whitespace signature-lowercase
    signature-missing signature-missing-whitespace signature-null signature-partial signature-two-boms
    signature-websrt
    """.split()
]
NOT_COPIED = {"empty.vtt", "signature-invalid.vtt", "signature-null.vtt"}  # signature-invalid.html's


def _setting(cue: formats.Cue, name: str) -> str | None:
    for word in cue.settings.split(" "):
        key, _, value = word.partition(":")
        if key == name:
            return value
    return None


def test_every_file_has_expectations() -> None:
    files = sorted(p.name for p in WPT.glob("*.vtt"))
    assert files == sorted(EXPECTED)
    assert len(set(UPSTREAM)) == len(UPSTREAM)
    assert sorted(UPSTREAM) == sorted([*files, *NOT_COPIED])  # the whole suite, and nothing else


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_wpt_file_parsing(name: str) -> None:
    expected = EXPECTED[name]
    if expected == NOT_WEBVTT:
        with pytest.raises(formats.CaptionFormatError, match="no cues found"):
            formats.read((WPT / name).read_bytes(), "vtt")
        return
    assert isinstance(expected, list)
    captions = formats.read((WPT / name).read_bytes(), "vtt")
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
    [
        ("arrows.vtt", 9),
        ("timings-too-long.vtt", 13),
        ("timings-too-short.vtt", 30),
        ("nulls.vtt", 58),
        ("timings-60.vtt", 4),
        ("timings-garbage.vtt", 62),
    ],
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


def test_wpt_missing_signature_is_a_warning() -> None:
    captions = formats.read((WPT / "signature-missing.vtt").read_bytes(), "vtt")
    assert [(w.line, w.message) for w in captions.warnings] == [(1, "no WEBVTT header; read as WebVTT anyway")]
