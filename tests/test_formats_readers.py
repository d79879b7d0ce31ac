"""Readers: the malformed inputs real SRT/WebVTT/SBV/TTML/JSON files contain, normalised or rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

import formats
from formats import CaptionFormatError

DATA = Path(__file__).parent / "data" / "formats"


def triples(captions: formats.Captions) -> list[tuple[int, int, list[str]]]:
    return [(c.start, c.end, c.lines) for c in captions.cues]


TWO = [(1000, 2500, ["Hello there."]), (3000, 4000, ["Second cue"])]
GOOD_SRT = "1\n00:00:01,000 --> 00:00:02,500\nHello there.\n\n2\n00:00:03,000 --> 00:00:04,000\nSecond cue\n"

# (id, input bytes, expected cues) for inputs that must be read and normalised (times are fixed by
# formats.normalise, not by the reader: see test_reader_keeps_what_the_file_said)
NORMALISED = [
    ("textbook", GOOD_SRT.encode(), TWO),
    ("dot-millis", GOOD_SRT.replace(",", ".").encode(), TWO),
    ("bom", b"\xef\xbb\xbf" + GOOD_SRT.encode(), TWO),
    ("crlf", GOOD_SRT.replace("\n", "\r\n").encode(), TWO),
    ("lone-cr", GOOD_SRT.replace("\n", "\r").encode(), TWO),
    ("utf16-le-bom", GOOD_SRT.encode("utf-16"), TWO),
    ("utf16-be-no-bom", GOOD_SRT.encode("utf-16-be"), TWO),
    ("utf16-le-no-bom", GOOD_SRT.encode("utf-16-le"), TWO),
    (
        "cp1252",
        b"1\n00:00:01,000 --> 00:00:02,500\nCaf\xe9 \x93quoted\x94\n",
        [(1000, 2500, ["Café “quoted”"])],
    ),
    ("no-blank-lines", GOOD_SRT.replace("\n\n", "\n").encode(), TWO),
    (
        "no-numbers",
        b"00:00:01,000 --> 00:00:02,500\nHello there.\n\n00:00:03,000 --> 00:00:04,000\nSecond cue\n",
        TWO,
    ),
    (
        "no-numbers-no-blank-lines",
        b"00:00:01,000 --> 00:00:02,500\nHello there.\n00:00:03,000 --> 00:00:04,000\nSecond cue\n",
        TWO,
    ),
    (
        "blank-line-inside-text",
        b"1\n00:00:01,000 --> 00:00:02,500\nFirst paragraph\n\nsecond paragraph\n\n"
        b"2\n00:00:03,000 --> 00:00:04,000\nNext\n",
        [(1000, 2500, ["First paragraph", "second paragraph"]), (3000, 4000, ["Next"])],
    ),
    (
        "negative-start-clamped",
        b"1\n-00:00:00,500 --> 00:00:01,000\nEarly\n\n2\n00:00:02,000 --> 00:00:03,000\nLater\n",
        [(0, 1000, ["Early"]), (2000, 3000, ["Later"])],
    ),
    (
        "end-before-start-gets-reading-time",
        b"1\n00:00:05,000 --> 00:00:04,000\nHello\n\n2\n00:00:09,000 --> 00:00:10,000\nLater\n",
        [(5000, 6000, ["Hello"]), (9000, 10000, ["Later"])],
    ),
    (
        "end-before-start-capped-by-next",
        b"1\n00:00:05,000 --> 00:00:04,000\nA rather long line of text for the viewer\n\n"
        b"2\n00:00:06,000 --> 00:00:07,000\nLater\n",
        [(5000, 6000, ["A rather long line of text for the viewer"]), (6000, 7000, ["Later"])],
    ),
    ("short-timings", b"1\n0:0:1,5 --> 0:0:3,25\nShort\n", [(1500, 3250, ["Short"])]),
    ("minutes-seconds-only", b"01:02.5 --> 01:04.000\nNo hours\n", [(62500, 64000, ["No hours"])]),
    ("coordinates", b"1\n00:00:01,000 --> 00:00:02,500  X1:100 X2:600 Y1:50 Y2:80\nHello there.\n", TWO[:1]),
    (
        "overlap-trimmed",
        b"1\n00:00:01,000 --> 00:00:05,000\nOne\n\n2\n00:00:03,000 --> 00:00:06,000\nTwo\n",
        [(1000, 3000, ["One"]), (3000, 6000, ["Two"])],
    ),
    (
        "out-of-order-sorted",
        b"2\n00:00:03,000 --> 00:00:04,000\nSecond cue\n\n1\n00:00:01,000 --> 00:00:02,500\nHello there.\n",
        TWO,
    ),
    (
        "same-start-merged-not-dropped",
        b"1\n00:00:01,000 --> 00:00:02,000\nTop\n\n2\n00:00:01,000 --> 00:00:03,000\nBottom\n",
        [(1000, 3000, ["Top", "Bottom"])],
    ),
    (
        "empty-cue-kept",
        b"1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:03,000 --> 00:00:04,000\nSecond cue\n",
        [(1000, 2000, []), (3000, 4000, ["Second cue"])],
    ),
    (
        "tags-and-ssa-codes",
        b'1\n00:00:01,000 --> 00:00:02,500\n{\\an8}<i>Hello</i> <font color="red">there.</font>\n',
        [(1000, 2500, ["Hello there."])],
    ),
    ("unknown-tag-is-text", b"1\n00:00:01,000 --> 00:00:02,500\na <not> b & c\n", [(1000, 2500, ["a <not> b & c"])]),
    ("trailing-spaces-and-tabs", b"1  \n 00:00:01,000 --> 00:00:02,500 \n  Hello there.\t\n", TWO[:1]),
    ("many-fraction-digits", b"00:00:01,0004 --> 00:00:02,4996\nx\n", [(1000, 2500, ["x"])]),
]


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in NORMALISED], ids=[c[0] for c in NORMALISED])
def test_srt_reader_normalises(data: bytes, expected: list) -> None:
    assert triples(formats.normalise(formats.read(data, "srt"))[0]) == expected


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in NORMALISED], ids=[c[0] for c in NORMALISED])
def test_sniffing_reads_the_same(data: bytes, expected: list) -> None:
    assert triples(formats.normalise(formats.read(data))[0]) == expected


@pytest.mark.parametrize(
    ("name", "expected", "changes"),
    [
        ("same-start-merged-not-dropped", [(1000, 2000, ["Top"]), (1000, 3000, ["Bottom"])], {"same_start": 1}),
        ("overlap-trimmed", [(1000, 5000, ["One"]), (3000, 6000, ["Two"])], {"overlaps": 1}),
        (
            "end-before-start-gets-reading-time",
            [(5000, 4000, ["Hello"]), (9000, 10000, ["Later"])],
            {"end_before_start": 1},
        ),
        ("negative-start-clamped", [(-500, 1000, ["Early"]), (2000, 3000, ["Later"])], {}),
        ("out-of-order-sorted", [(3000, 4000, ["Second cue"]), (1000, 2500, ["Hello there."])], {"out_of_order": 1}),
    ],
)
def test_reader_keeps_what_the_file_said(name: str, expected: list, changes: dict) -> None:
    data = dict((c[0], c[1]) for c in NORMALISED)[name]
    captions = formats.read(data, "srt")
    assert triples(captions) == expected
    report = formats.normalise(captions)[1].to_dict()
    assert {key: report[key] for key in changes} == changes
    assert triples(captions) == expected  # normalise works on a copy


# (id, input, format, expected line of the error, words the message must contain)
REJECTED = [
    (
        "negative-both",
        b"1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\n-00:00:02,000 --> -00:00:01,000\nB\n",
        None,
        "negative",
    ),
    ("malformed-timing", b"1\n00:00:01,000 --> 00:0x:02,000\nHi\n", 2, "malformed timing"),
    ("text-before-first-cue", b"My show\n\n1\n00:00:01,000 --> 00:00:02,000\nHi\n", 1, "before the first cue"),
    ("no-timing-at-all", b"just some words\nand more\n", 1, "no cue timing"),
    ("empty", b"", None, "no cues"),
    ("only-blank-lines", b"\n\n\r\n", None, "no cues"),
]


@pytest.mark.parametrize(("data", "line", "words"), [c[1:] for c in REJECTED], ids=[c[0] for c in REJECTED])
def test_srt_reader_rejects_with_line(data: bytes, line: int | None, words: str) -> None:
    assert first_problem(data, "srt") == (line, words) or first_problem(data, "srt")[0] == line
    assert words in problem_text(data, "srt")


def _problems(data: bytes, fmt: str | None) -> list[tuple[int | None, str]]:
    """What reading and normalising ``data`` reported: the error, or the reader's warnings (a broken
    cue is skipped with a warning when other cues are readable)."""
    try:
        captions = formats.read(data, fmt)
        problems = [(w.line, w.message) for w in captions.warnings]
        formats.normalise(captions)
    except CaptionFormatError as exc:
        return [(exc.line, str(exc))]
    return problems


def first_problem(data: bytes, fmt: str | None) -> tuple[int | None, str]:
    problems = _problems(data, fmt)
    assert problems, "neither an error nor a warning"
    return problems[0]


def problem_text(data: bytes, fmt: str | None) -> str:
    return " ".join(message for _, message in _problems(data, fmt))


def test_garbage_is_not_recognised() -> None:
    with pytest.raises(CaptionFormatError) as err:
        formats.read(b"\x89PNG\r\n\x1a\n\x00\x00garbage")
    assert "not a caption format" in str(err.value)
    assert err.value.line == 1


def test_scc_without_captions_is_an_empty_track() -> None:
    assert formats.read(b"Scenarist_SCC V1.0\n\n00:00:00;00\t9420\n").cues == []


def test_unknown_read_format() -> None:
    with pytest.raises(CaptionFormatError, match="cannot read 'docx'"):
        formats.read(GOOD_SRT.encode(), "docx")


def test_sample_srt_file() -> None:
    c = formats.read((DATA / "news.srt").read_bytes())
    assert len(c.cues) == 5
    assert c.cues[0].lines == ["[Music playing]"]
    assert c.cues[2].lines == ["Tonight: storms & floods", "across the northern coast."]
    assert c.cues[3].lines[1] == '"we are ready -- and we are <not> afraid."'
    assert c.cues[4].lines == ["Café owners counted the cost."]
    assert (c.cues[1].start, c.cues[1].end) == (4100, 7250)


def test_sample_vtt_file_blocks_voices_entities() -> None:
    c = formats.read((DATA / "interview.vtt").read_bytes())
    assert [(q.start, q.end) for q in c.cues] == [(500, 2000), (2200, 5000), (5100, 8000), (8200, 9900)]
    assert [q.speaker for q in c.cues] == ["Anchor", "Maria Lopez", "Anchor", None]
    assert c.cues[1].lines == ["Thanks for having me & my team.", "It's a pleasure."]
    assert c.cues[2].lines == ["So, what happened <exactly> that night?"]
    assert c.cues[3].lines == ["We waited. And waited."]


def test_vtt_without_header_and_with_identifiers() -> None:
    data = b"a1\n00:01.000 --> 00:02.000\nOne\n\nb2\n00:03.000 --> 00:04.000 align:start\nTwo\n"
    assert triples(formats.read(data, "vtt")) == [(1000, 2000, ["One"]), (3000, 4000, ["Two"])]


def test_vtt_note_with_arrow_and_crlf() -> None:
    data = (
        b"WEBVTT\r\n\r\nNOTE 00:00:09.000 --> 00:00:10.000 is not a cue\r\n\r\n00:00:01.000 --> 00:00:02.000\r\nOne\r\n"
    )
    assert triples(formats.read(data)) == [(1000, 2000, ["One"])]


def test_sample_sbv_file() -> None:
    c = formats.read((DATA / "sample.sbv").read_bytes())
    assert triples(c) == [
        (400, 2100, ["Hi everyone, welcome", "to the channel."]),
        (2300, 5000, ["Today we're building a bird feeder."]),
        (5200, 7900, ["You'll need wood, screws,", "and about an hour."]),
    ]


def test_sample_dfxp_file_times_and_text() -> None:
    c = formats.read((DATA / "broadcast.dfxp").read_bytes())
    assert c.language == "en-GB"
    # the div begins at 10 s; 00:00:04:10 is 4 s + 10 frames at 25 fps
    assert triples(c) == [
        (10000, 12500, ["The 10 o'clock news", "with Fiona Bruce."]),
        (12600, 14100, ["Good evening."]),
        (14400, 16000, ["Rain & wind across the UK."]),
    ]


@pytest.mark.parametrize(
    ("value", "ms"),
    [("1.5s", 1500), ("1500ms", 1500), ("2m", 120000), ("1h", 3600000), ("45f", 1500), ("20t", 2000)],
)
def test_ttml_offset_times(value: str, ms: int) -> None:
    data = (
        '<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter" '
        f'ttp:frameRate="30" ttp:tickRate="10"><body><div><p begin="{value}" end="9h">x</p></div></body></tt>'
    ).encode()
    assert formats.read(data, "ttml").cues[0].start == ms


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"<tt><body><p begin='1s' end='2s'>x</p>", "not well-formed"),
        (b"<html><body/></html>", "expected <tt>"),
        (b'<?xml version="1.0"?><!DOCTYPE tt [<!ENTITY a "aaaa">]><tt/>', "DOCTYPE"),
        (b"<tt xmlns='http://www.w3.org/ns/ttml'><body><div><p>x</p></div></body></tt>", "without a begin"),
        (b"<tt xmlns='http://www.w3.org/ns/ttml'><body><div><p begin='soon' end='2s'>x</p></div></body></tt>", "bad"),
        (b"<tt xmlns='http://www.w3.org/ns/ttml'><body/></tt>", "no timed"),
    ],
)
def test_ttml_rejections(data: bytes, words: str) -> None:
    with pytest.raises(CaptionFormatError, match=words):
        formats.read(data, "dfxp")


def test_json_reader_accepts_text_and_lists() -> None:
    data = b'[{"start": 1000, "end": 2000, "text": "a\\nb", "speaker": "Ann"}]'
    c = formats.read(data)
    assert triples(c) == [(1000, 2000, ["a", "b"])]
    assert c.cues[0].speaker == "Ann"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b'{"cues": [}', "invalid JSON"),
        (b'{"cues": []}', "no cues"),
        (b'{"cues": [{"start": "1", "end": 2, "lines": []}]}', "start must be a number"),
        (b'{"cues": [{"start": 1, "end": 2, "lines": [1]}]}', "list of strings"),
        (b'{"cues": [{"start": 1, "end": 2}]}', "neither lines nor text"),
        (b'{"cues": [{"start": NaN, "end": 2, "lines": []}]}', "finite"),
        (b'{"words": []}', '"cues" list'),
        (b"[" * 100000, "JSON"),
    ],
)
def test_json_rejections(data: bytes, words: str) -> None:
    with pytest.raises(CaptionFormatError, match=words):
        formats.read(data, "json")


def test_reader_rejects_non_bytes() -> None:
    with pytest.raises(CaptionFormatError, match="expected bytes"):
        formats.read("1\n00:00:01,000 --> 00:00:02,000\nx\n")  # type: ignore[arg-type]


CUES_AB = [(1000, 2000, ["A"]), (3000, 4000, ["B"])]
SRT_AB = "1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\n{timing}\nB\n"
CJK_SRT = (
    "1\n00:00:01,000 --> 00:00:02,000\n你好，世界。这是一个很长的中文字幕行，还有更多的字\n"
    "第二行的中文字幕内容也很长很长很长\n\n"
    "2\n00:00:03,000 --> 00:00:04,000\n再见，朋友们，下次再见吧，我们明天再见面\n"
)
CJK_CUES = [
    (1000, 2000, ["你好，世界。这是一个很长的中文字幕行，还有更多的字", "第二行的中文字幕内容也很长很长很长"]),
    (3000, 4000, ["再见，朋友们，下次再见吧，我们明天再见面"]),
]

# (id, input, format or None to sniff, expected cues): the line-by-line reader keeps every cue and line
LENIENT = [
    (
        "vtt-note-word-is-cue-text",
        b"WEBVTT\n\n00:01.000 --> 00:02.000\nNOTE THE TIME\n",
        "vtt",
        [(1000, 2000, ["NOTE THE TIME"])],
    ),
    (
        "vtt-style-word-is-cue-text",
        b"WEBVTT\n\n00:01.000 --> 00:02.000\nSTYLE\nREGION x\n",
        None,
        [(1000, 2000, ["STYLE", "REGION x"])],
    ),
    (
        "vtt-note-word-after-text",
        b"WEBVTT\n\n00:01.000 --> 00:02.000\nA\nNOTE B\n",
        None,
        [(1000, 2000, ["A", "NOTE B"])],
    ),
    (
        "vtt-note-ended-by-timing-line",
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA\n\nNOTE x\n00:00:03.000 --> 00:00:04.000\nB\n",
        None,
        CUES_AB,
    ),
    (
        "vtt-style-ended-by-timing-line",
        b"WEBVTT\n\nSTYLE\n::cue{}\n00:00:01.000 --> 00:00:02.000\nA\n\n00:00:03.000 --> 00:00:04.000\nB\n",
        None,
        CUES_AB,
    ),
    (
        "vtt-region-ended-by-identifier-and-timing",
        b"WEBVTT\n\nREGION\nid:r1\nc1\n00:00:01.000 --> 00:00:02.000\nA\n\nNOTE\n\n00:00:03.000 --> 00:00:04.000\nB\n",
        None,
        CUES_AB,
    ),
    ("vtt-no-header-note-first", b"NOTE hi\n00:00:01.000 --> 00:00:02.000\nA\n", "vtt", CUES_AB[:1]),
    ("srt-single-dash-arrow", SRT_AB.format(timing="00:00:03,000 -> 00:00:04,000").encode(), None, CUES_AB),
    ("srt-em-dash-arrow", SRT_AB.format(timing="00:00:03,000 \u2014> 00:00:04,000").encode(), None, CUES_AB),
    ("srt-en-dash-arrow", SRT_AB.format(timing="00:00:03,000 \u2013> 00:00:04,000").encode(), None, CUES_AB),
    ("srt-spaced-arrow", SRT_AB.format(timing="00:00:03,000 - -> 00:00:04,000").encode(), None, CUES_AB),
    ("srt-spaced-arrow-2", SRT_AB.format(timing="00:00:03,000 -- > 00:00:04,000").encode(), None, CUES_AB),
    ("srt-unicode-arrow", SRT_AB.format(timing="00:00:03,000 \u2192 00:00:04,000").encode(), "srt", CUES_AB),
    # WebVTT follows the parser algorithm: a '->' line is no timing, so its block is skipped
    ("vtt-single-dash-arrow", b"WEBVTT\n\n00:01.000 --> 00:02.000\nA\n\n00:03.000->00:04.000\nB\n", None, CUES_AB[:1]),
    ("semicolon-millis", b"1\n00:00:01;000 --> 00:00:02;000\nA\n", None, CUES_AB[:1]),
    ("sbv-semicolon-millis", b"0:00:01;000,0:00:02;000\nA\n", "sbv", CUES_AB[:1]),
    (
        "numeric-last-line-kept",
        b"1\n00:00:01,000 --> 00:00:02,000\nThe answer is\n42\n00:00:03,000 --> 00:00:04,000\nB\n\n"
        b"3\n00:00:05,000 --> 00:00:06,000\nC\n",
        None,
        [(1000, 2000, ["The answer is", "42"]), (3000, 4000, ["B"]), (5000, 6000, ["C"])],
    ),
    (
        "sequential-number-without-blank-line",
        b"1\n00:00:01,000 --> 00:00:02,000\nA\n2\n00:00:03,000 --> 00:00:04,000\nB\n\n"
        b"3\n00:00:05,000 --> 00:00:06,000\nC\n",
        None,
        [*CUES_AB, (5000, 6000, ["C"])],
    ),
    (
        "unicode-digit-is-text",
        "1\n00:00:01,000 --> 00:00:02,000\nA\n\u00b2\n00:00:03,000 --> 00:00:04,000\nB\n".encode(),
        None,
        [(1000, 2000, ["A", "\u00b2"]), (3000, 4000, ["B"])],
    ),
    ("utf16-le-no-bom-cjk", CJK_SRT.encode("utf-16-le"), None, CJK_CUES),
    ("utf16-be-no-bom-cjk", CJK_SRT.encode("utf-16-be"), None, CJK_CUES),
    (
        "mixed-utf8-and-cp1252-lines",
        b"1\n00:00:01,000 --> 00:00:02,000\nCaf\xc3\xa9\n\n2\n00:00:03,000 --> 00:00:04,000\nCaf\xe9\n",
        None,
        [(1000, 2000, ["Café"]), (3000, 4000, ["Café"])],
    ),
]


@pytest.mark.parametrize(("data", "fmt", "expected"), [c[1:] for c in LENIENT], ids=[c[0] for c in LENIENT])
def test_line_reader_keeps_every_cue_and_line(data: bytes, fmt: str | None, expected: list) -> None:
    assert triples(formats.read(data, fmt)) == expected


HUGE = "9" * 5000
# (id, input, format or None, expected line, words): a mistyped timing line or an impossible time is an
# error that says what and where, never text of the previous cue
READ_ERRORS = [
    ("fat-arrow", SRT_AB.format(timing="00:00:03,000 => 00:00:04,000").encode(), None, 6, "malformed timing"),
    ("leading-junk", SRT_AB.format(timing="At 00:00:03,000 --> 00:00:04,000").encode(), None, 6, "malformed timing"),
    ("dashes-no-head", SRT_AB.format(timing="00:00:03,000 -- 00:00:04,000").encode(), "srt", 6, "malformed timing"),
    ("semicolon-frames", b"1\n00:00:01;15 --> 00:00:02;00\nA\n", "srt", 2, "malformed timing"),
    ("vtt-mistyped-in-note", b"WEBVTT\n\nNOTE x\n00:00:0x.000 --> 00:00:02.000\nA\n", "vtt", 4, "malformed timing"),
    (
        "vtt-fat-arrow",
        b"WEBVTT\n\n00:01.000 --> 00:02.000\nA\n\n00:03.000 => 00:04.000\nB\n",
        "vtt",
        6,
        "without a cue timing",
    ),
    ("sbv-bad-digit", b"0:00:01.000,0:00:02.000\nA\n\n0:00:0x.000,0:00:04.000\nB\n", "sbv", 4, "malformed timing"),
    ("huge-hours", b"1\n99999999999999999999:00:01,000 --> 00:00:02,000\nA\n", "srt", 2, "time out of range"),
    ("5000-digit-hours", f"1\n{HUGE}:00:01,000 --> 00:00:02,000\nA\n".encode(), None, 2, "time out of range"),
    ("101-hours", b"WEBVTT\n\n101:00:00.000 --> 101:00:01.000\nA\n", None, 3, "time out of range"),
    ("sbv-huge-hours", f"0:00:01.000,{HUGE}:00:01.000\nA\n".encode(), "sbv", 1, "time out of range"),
]


@pytest.mark.parametrize(
    ("data", "fmt", "line", "words"), [c[1:] for c in READ_ERRORS], ids=[c[0] for c in READ_ERRORS]
)
def test_line_reader_errors_say_what_and_where(data: bytes, fmt: str | None, line: int, words: str) -> None:
    # a broken cue is a warning (the rest is read) or, when nothing else is readable, the error
    problems = _problems(data, fmt)
    assert any(at == line and words in message for at, message in problems), problems
    assert "unreadable input" not in problem_text(data, fmt)


def test_long_fraction_rounds_like_a_short_one() -> None:
    data = f"1\n00:00:01,4996{HUGE} --> 00:00:02,000\nA\n".encode()
    assert triples(formats.read(data)) == [(1500, 2000, ["A"])]


TT = '<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter"{attrs}>\n<body{body}>\n{divs}\n</body>\n</tt>'

# (id, attributes of <body>, its content, expected cues): TTML time inheritance
TTML_TIMING = [
    (
        "span-timing-only",
        "",
        '<div><p><span begin="1s" end="2s">A</span> <span begin="2s" end="3s">B</span></p></div>',
        [(1000, 3000, ["A B"])],
    ),
    ("div-timing-untimed-p", "", '<div begin="5s" end="7s"><p>A</p></div>', [(5000, 7000, ["A"])]),
    ("div-dur-untimed-p", "", '<div begin="5s" dur="2s"><p>A</p></div>', [(5000, 7000, ["A"])]),
    ("body-timing-untimed-p", ' begin="2s" end="4s"', "<div><p>A</p></div>", [(2000, 4000, ["A"])]),
    ("p-begin-inherits-div-end", "", '<div begin="5s" end="9s"><p begin="1s">A</p></div>', [(6000, 9000, ["A"])]),
    ("p-end-clipped-to-div", "", '<div begin="5s" end="9s"><p begin="1s" end="10s">A</p></div>', [(6000, 9000, ["A"])]),
    (
        "nested-divs-add-up",
        "",
        '<div begin="10s"><div begin="1s"><p begin="1s" end="2s">A</p></div></div>',
        [(12000, 13000, ["A"])],
    ),
    (
        "span-relative-to-p",
        "",
        '<div><p begin="1s"><span begin="1s" dur="2s">A</span></p></div>',
        [(1000, 4000, ["A"])],
    ),
]


@pytest.mark.parametrize(("body", "divs", "expected"), [c[1:] for c in TTML_TIMING], ids=[c[0] for c in TTML_TIMING])
def test_ttml_time_inheritance(body: str, divs: str, expected: list) -> None:
    data = TT.format(attrs="", body=body, divs=divs).encode()
    assert triples(formats.read(data, "ttml")) == expected


# (id, attributes of <tt>, <body> content on line 3, line of the error, words)
TTML_ERRORS = [
    ("untimed-p-named", "", '<div><p xml:id="c7">x</p></div>', 3, 'xml:id="c7"'),
    ("untimed-p", "", "<div>\n<p>x</p></div>", 4, "without a begin"),
    ("no-end", "", '<div><p begin="1s">x</p></div>', 3, "without an end"),
    ("bad-time", "", '<div><p begin="soon" end="2s">x</p></div>', 3, "bad time expression 'soon'"),
    ("huge-offset", "", f'<div><p begin="{HUGE}s" end="2s">x</p></div>', 3, "time out of range"),
    ("huge-clock-hours", "", f'<div><p begin="{HUGE}:00:00" end="2s">x</p></div>', 3, "time out of range"),
    ("101-hours", "", '<div><p begin="101h" end="102h">x</p></div>', 3, "time out of range"),
    ("nested-over-100-hours", "", '<div begin="60h"><p begin="60h" end="61h">x</p></div>', 3, "time out of range"),
    ("tiny-frame-rate", ' ttp:frameRate="1e-320"', '<div><p begin="1s" end="2s">x</p></div>', 1, "frameRate"),
    (
        "zero-multiplier",
        ' ttp:frameRate="30" ttp:frameRateMultiplier="1 0"',
        '<div><p begin="1f" end="2s">x</p></div>',
        1,
        "frameRate",
    ),
    ("huge-frames", "", f'<div><p begin="00:00:01:{HUGE}" end="2s">x</p></div>', 3, "time out of range"),
    ("xml-error-line", "", "<div><p begin='1s' end='2s'>x</div>", 3, "not well-formed"),
]


@pytest.mark.parametrize(
    ("attrs", "divs", "line", "words"), [c[1:] for c in TTML_ERRORS], ids=[c[0] for c in TTML_ERRORS]
)
def test_ttml_errors_name_the_line(attrs: str, divs: str, line: int, words: str) -> None:
    with pytest.raises(CaptionFormatError) as err:
        formats.read(TT.format(attrs=attrs, body="", divs=divs).encode(), "ttml")
    assert err.value.line == line
    assert words in str(err.value)
    assert "unreadable input" not in str(err.value)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (f'{{"cues": [{{"start": {HUGE}, "end": 2, "lines": []}}]}}'.encode(), "cue 0: start out of range"),
        (
            b'{"cues": [{"start": 1, "end": 2, "lines": []}, {"start": 1, "end": 1e300, "lines": []}]}',
            "cue 1: end out of",
        ),
        (
            b'[{"start": 1, "end": 2, "lines": [], "words": [{"start": -1e30, "end": 1, "text": "a"}]}]',
            "cue 0: word start",
        ),
        (b'[{"start": 1, "end": 2, "lines": ["a"]}, {"start": -5, "end": -1, "lines": ["b"]}]', "cue 1: negative"),
    ],
)
def test_json_time_errors_name_the_cue(data: bytes, words: str) -> None:
    with pytest.raises(CaptionFormatError, match=words):
        formats.normalise(formats.read(data, "json"))


def test_a_timestamp_with_another_scripts_digit_leaves_the_fast_path() -> None:
    """``\\d`` of the textbook patterns is 0-9 only: such a file is read line by line, not refused
    with a failed lookup."""
    data = "1\n00:00:0\u0663,000 --> 00:00:04,000\nHello\n\n2\n00:00:05,000 --> 00:00:06,000\nThere\n"
    captions = formats.read(data.encode(), "srt")
    assert [(cue.start, cue.text) for cue in captions.cues] == [(3000, "Hello"), (5000, "There")]
