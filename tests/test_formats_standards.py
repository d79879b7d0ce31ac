"""Readers that follow the standards: broken cues skipped with warnings, cues kept as the file said
(normalisation a separate step), WebVTT cue identifiers and settings, SCC read back (and checked
against ffmpeg's decoder), TTML time expressions."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import formats
from formats import CaptionFormatError, Captions, Cue, blocks, srt
from formats.scc import _pac, _pair, encode_row

DATA = Path(__file__).parent / "data" / "formats"
PYCAPTION = DATA / "pycaption"  # real SCC files (Apache-2.0, see its README.md)
ROOT = Path(__file__).resolve().parents[1]
FRAME_MS = 1001 / 30
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


def triples(captions: Captions) -> list[tuple[int, int, list[str]]]:
    return [(c.start, c.end, c.lines) for c in captions.cues]


# --- one broken cue never costs the file ------------------------------------------------------

BROKEN = [
    (
        "vtt",
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA\n\n00:00:1d.890 --> 00:00:03.000\nbad\n\n"
        b"00:00:04.000 --> 00:00:05.000\nB\n",
        6,
    ),
    (
        "vtt",
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA\n\n00:00:00.000 -a -->\n\n00:00:04.000 --> 00:00:05.000\nB\n",
        6,
    ),
    (
        "vtt",
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA\n\n00:00:60.000 --> 00:01:03.000\nbad\n\n"
        b"00:00:04.000 --> 00:00:05.000\nB\n",
        6,
    ),  # fmt: skip
    (
        "vtt",
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA\n\n00:60:00.000 --> 01:00:03.000\nbad\n\n"
        b"00:00:04.000 --> 00:00:05.000\nB\n",
        6,
    ),  # fmt: skip
    (
        "srt",
        b"1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\n00:00:1d,890 --> 00:00:03,000\nbad\n\n"
        b"3\n00:00:04,000 --> 00:00:05,000\nB\n",
        6,
    ),  # fmt: skip
    ("sbv", b"0:00:01.000,0:00:02.000\nA\n\n0:00:0x.000,0:00:03.000\nbad\n\n0:00:04.000,0:00:05.000\nB\n", 4),
    (
        "ttml",
        b'<tt xmlns="http://www.w3.org/ns/ttml"><body><div>\n<p begin="1s" end="2s">A</p>\n'
        b'<p begin="later" end="3s">bad</p>\n<p begin="4s" end="5s">B</p>\n</div></body></tt>',
        3,
    ),
]


@pytest.mark.parametrize(("fmt", "data", "line"), BROKEN, ids=[f"{b[0]}-{i}" for i, b in enumerate(BROKEN)])
def test_a_broken_cue_is_skipped_with_a_warning(fmt: str, data: bytes, line: int) -> None:
    captions = formats.read(data, fmt)
    assert triples(captions) == [(1000, 2000, ["A"]), (4000, 5000, ["B"])]
    assert [w.line for w in captions.warnings] == [line]


@pytest.mark.parametrize(
    ("fmt", "data", "words"),
    [
        ("srt", b"1\n00:00:1d,890 --> 00:00:03,000\nbad\n", "malformed timing line"),
        ("sbv", b"0:00:0x.000,0:00:03.000\nbad\n", "malformed timing line"),
        ("ttml", b'<tt xmlns="http://www.w3.org/ns/ttml"><body><p begin="x" end="3s">a</p></body></tt>', "bad time"),
        ("vtt", b"00:00:1d.890 --> 00:00:03.000\nbad\n", "malformed timing line"),
    ],
)
def test_no_readable_cue_is_an_error_with_the_first_reason(fmt: str, data: bytes, words: str) -> None:
    with pytest.raises(CaptionFormatError, match="no") as err:
        formats.read(data, fmt)
    assert words in str(err.value)


def test_a_webvtt_with_a_header_and_no_cue_is_an_empty_track() -> None:
    for data in (b"WEBVTT\n", b"WEBVTT", b"WEBVTT - title\nKind: captions\n\nNOTE nothing yet\n"):
        captions = formats.read(data)
        assert captions.cues == [] and captions.warnings == []
    broken = formats.read(b"WEBVTT\n\n00:00:1d.890 --> 00:00:03.000\nbad\n")
    assert broken.cues == [] and broken.warnings[0].line == 3


def test_webvtt_timing_white_space_and_nul() -> None:
    data = b"WEBVTT\n\n00:00:01.000\x0b-->\x0b00:00:02.000\nvt\n\n00:00:03.000 --> 00:00:04.000\x00align:end\nnul\n"
    captions = formats.read(data)
    assert triples(captions) == [(3000, 4000, ["nul"])]
    assert captions.cues[0].settings == ""  # "\ufffdalign:end" is no setting
    assert [w.line for w in captions.warnings] == [3]


def test_style_blocks_never_leak_into_cues() -> None:
    data = (
        b"WEBVTT\n\nSTYLE\n::cue { color: red }\n\n::cue(b) { color: blue }\n\n"
        b"STYLE\n::cue(.a) { content: '-- >' }\n/* --> */\n\n00:00:01.000 --> 00:00:02.000\nText\n"
    )
    captions = formats.read(data)
    assert triples(captions) == [(1000, 2000, ["Text"])]
    assert all("::cue" not in line for cue in captions.cues for line in cue.lines)


# --- cues as the file said; normalisation is a step of its own ---------------------------------

SIMULTANEOUS = (
    b"WEBVTT\n\nann\n00:00:01.000 --> 00:00:03.000 line:10% align:start\n<v Ann>Top\n\n"
    b"bob\n00:00:01.000 --> 00:00:02.000 line:90% align:end\n<v Bob>Bottom\n"
)


def test_simultaneous_cues_keep_identity_ids_and_settings() -> None:
    captions = formats.read(SIMULTANEOUS)
    assert [(c.identifier, c.settings, c.speaker, c.lines) for c in captions.cues] == [
        ("ann", "line:10% align:start", "Ann", ["Top"]),
        ("bob", "line:90% align:end", "Bob", ["Bottom"]),
    ]
    written = formats.write(captions, "vtt")
    assert b"ann\n00:00:01.000 --> 00:00:03.000 line:10% align:start\n" in written
    assert formats.validate_webvtt(written) == []
    assert formats.read(written).cues == captions.cues


def test_normalise_is_named_and_reported() -> None:
    captions = formats.read(SIMULTANEOUS)
    fixed, report = formats.normalise(captions)
    assert triples(fixed) == [(1000, 3000, ["Top", "Bottom"])]
    assert report.to_dict() == {"changes": 1, "same_start": 1, "overlaps": 0, "end_before_start": 0, "out_of_order": 0}
    assert len(captions.cues) == 2  # the original is untouched
    quality = formats.lint(captions).to_dict()
    assert quality["normalisation"]["same_start"] == 1
    assert formats.lint(fixed).to_dict()["normalisation"]["changes"] == 0


def test_scc_writer_normalises_because_it_shows_one_caption_at_a_time() -> None:
    back = formats.read(formats.write(formats.read(SIMULTANEOUS), "scc"))
    assert [c.lines for c in back.cues] == [["Top", "Bottom"]]


def test_resegmenting_normalises_first() -> None:
    shuffled = formats.read(
        b"2\n00:00:03,000 --> 00:00:04,000\nlater words\n\n1\n00:00:01,000 --> 00:00:02,000\nfirst words\n"
    )
    recut = formats.resegment(shuffled)
    assert " ".join(line for cue in recut.cues for line in cue.lines) == "first words later words"


def test_convert_keeps_cues_unless_normalise_is_asked(tmp_path: Path) -> None:
    source = tmp_path / "in.vtt"
    source.write_bytes(SIMULTANEOUS)
    for extra, cues in (([], 2), (["--normalise"], 1)):
        out = tmp_path / "out.srt"
        subprocess.run(
            [sys.executable, "-m", "formats.cli", "convert", str(source), str(out), *extra],
            check=True, cwd=ROOT, timeout=60,
        )  # fmt: skip
        assert len(formats.read(out.read_bytes()).cues) == cues, extra


# --- SCC -------------------------------------------------------------------------------------------

RU2, CR, EDM, RDC = _pair(0x14, 0x25), _pair(0x14, 0x2D), _pair(0x14, 0x2C), _pair(0x14, 0x29)


def _scc(*lines: tuple[str, list[str]]) -> bytes:
    return ("Scenarist_SCC V1.0\n\n" + "".join(f"{tc}\t{' '.join(pairs)}\n\n" for tc, pairs in lines)).encode()


def _row(row: int, text: str) -> list[str]:
    return [_pac(row, 0)] * 2 + encode_row(text)


ROLL_UP = _scc(
    ("00:00:01;00", [RU2, RU2, CR, CR, *_row(15, "HELLO WORLD")]),
    ("00:00:03;00", [CR, CR, *_row(15, "SECOND LINE")]),
    ("00:00:05;00", [CR, CR, *_row(15, "THIRD ONE")]),
    ("00:00:07;00", [EDM, EDM]),
)
PAINT_ON = _scc(
    ("00:00:01;00", [RDC, RDC, *_row(14, "PAINTED ON")]),
    ("00:00:03;00", [EDM, EDM]),
    ("00:00:04;00", [RDC, RDC, *_row(15, "ANOTHER")]),
    ("00:00:06;00", [EDM, EDM]),
)


def test_scc_roll_up_and_paint_on() -> None:
    assert triples(formats.read(ROLL_UP)) == [
        (1001, 3003, ["HELLO WORLD"]),
        (3003, 5005, ["HELLO WORLD", "SECOND LINE"]),
        (5005, 7007, ["SECOND LINE", "THIRD ONE"]),
    ]
    # CEA-608 paint-on: after RDC each character is written straight into displayed memory, so
    # the caption is on screen from the line that sends its first characters (01;00, 04;00) until
    # EDM erases it (03;00, 06;00). ffmpeg's default (buffered) decoding says 0 s and 3 s: it only
    # emits a caption at EDM, CR or EOC and dates it from the previous one it emitted (see
    # test_scc_paint_on_agrees_with_ffmpeg_real_time and docs/formats.md).
    assert triples(formats.read(PAINT_ON)) == [(1001, 3003, ["PAINTED ON"]), (4004, 6006, ["ANOTHER"])]


def test_scc_paint_on_text_before_a_pop_on_load_is_shown() -> None:
    """RDC and a painted caption, then RCL and the next pop-on caption loaded on the same line:
    the painted caption is on screen until the EDM before the next EOC."""
    captions = formats.read((PYCAPTION / "multiple-formats.scc").read_bytes())
    assert captions.warnings == []
    assert triples(captions)[:2] == [
        (267, 2503, ["(Client's Voice)", "Remember that degree", "you got in taxation?"]),
        (2503, 4505, ["(Danny)", "Of course you don't", "because you didn't!"]),
    ]


def test_scc_round_trip_keeps_words_and_times() -> None:
    source = formats.read((DATA / "news.srt").read_bytes())
    back = formats.read(formats.write(source, "scc"), "scc")
    assert back.warnings == []
    assert [" ".join(c.lines).split() for c in back.cues] == [" ".join(c.lines).split() for c in source.cues]
    for ours, theirs in zip(back.cues, source.cues, strict=True):
        assert abs(ours.start - theirs.start) <= 2 * FRAME_MS
        assert abs(ours.end - theirs.end) <= 2 * FRAME_MS


def _ffmpeg_cues(path: Path, real_time: bool = False) -> Captions:
    """ffmpeg's decoding; it writes the apostrophe as '’' and indents with ASS hard spaces.

    ``real_time``: its decoder's real-time mode, which emits the screen as soon as roll-up or
    paint-on text is received, with no end (an erased screen is an empty event): the ends are
    dropped, and so are empty events and repeats of the screen before."""
    options = ["-real_time", "1"] if real_time else []
    srt = subprocess.run(
        ["ffmpeg", "-v", "error", *options, "-i", str(path), "-f", "srt", "-"],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    if real_time:
        srt = re.sub(rb"--> \d+:\d\d:\d\d,\d{3}", b"--> 99:00:00,000", srt)
    captions = formats.read(srt.replace("’".encode(), b"'").replace(b"\\h", b" "), "srt")
    if real_time:
        screens: list[Cue] = []
        for cue in captions.cues:
            if not screens or screens[-1].text.split() != cue.text.split():
                screens.append(cue)
        captions = Captions([cue for cue in screens if cue.text.split()])
    return captions


def _scc_sample(name: str) -> bytes:
    """One of the SCC samples: made by our writer from a file of another format, or as it is."""
    samples = {"roll-up": ROLL_UP, "paint-on": PAINT_ON}
    if name in samples:
        return samples[name]
    if name.endswith(".scc"):
        return (DATA / name).read_bytes()
    return formats.write(formats.read((DATA / name).read_bytes()), "scc")


def _assert_same_words_and_starts(ours: Captions, theirs: Captions) -> None:
    assert [c.text.split() for c in ours.cues] == [c.text.split() for c in theirs.cues]
    for a, b in zip(ours.cues, theirs.cues, strict=True):
        assert abs(a.start - b.start) <= 2 * FRAME_MS, (a, b)


@needs_ffmpeg
@pytest.mark.parametrize(
    "name", ["news.srt", "interview.vtt", "sample.sbv", "broadcast.dfxp", "roll-up", "pycaption/flashing-cue.scc"]
)
def test_scc_reader_agrees_with_ffmpeg(tmp_path: Path, name: str) -> None:
    data = _scc_sample(name)
    path = tmp_path / "in.scc"
    path.write_bytes(data)
    _assert_same_words_and_starts(formats.read(data), _ffmpeg_cues(path))


@needs_ffmpeg
@pytest.mark.parametrize("name", ["paint-on", "pycaption/multiple-formats.scc", "roll-up"])
def test_scc_paint_on_agrees_with_ffmpeg_real_time(tmp_path: Path, name: str) -> None:
    """Paint-on is compared with ffmpeg's real-time mode, which shows painted text when it is
    received, as CEA-608 does. Its default mode emits a caption only at EDM, CR or EOC and starts
    it at the previous one it emitted: a painted caption starts at the erase before it (0 s and
    3 s for PAINT_ON); on multiple-formats.scc, where a pop-on load follows it on its line, it
    comes out one caption late (from its erase to the next EOC, 2.5-4.5 s), beside the next one."""
    data = _scc_sample(name)
    path = tmp_path / "in.scc"
    path.write_bytes(data)
    _assert_same_words_and_starts(formats.read(data), _ffmpeg_cues(path, real_time=True))


@needs_ffmpeg
def test_scc_paint_on_ends_agree_with_ffmpeg(tmp_path: Path) -> None:
    """The ends (EDM) agree with ffmpeg's default mode; its starts are the erase before."""
    path = tmp_path / "in.scc"
    path.write_bytes(PAINT_ON)
    ours, theirs = formats.read(PAINT_ON).cues, _ffmpeg_cues(path).cues
    assert [c.lines for c in ours] == [c.lines for c in theirs]
    for a, b in zip(ours, theirs, strict=True):
        assert abs(a.end - b.end) <= 2 * FRAME_MS and b.start <= a.start, (a, b)


def test_scc_special_and_extended_characters() -> None:
    text = "Café ½ ♪ Über straße «oui»"
    back = formats.read(formats.write(Captions([Cue(1000, 3000, [text])]), "scc"))
    assert back.cues[0].lines == [text]


def test_scc_is_an_input_type_and_sniffed() -> None:
    assert "scc" in formats.INPUT_TYPES
    assert formats.sniff("Scenarist_SCC V1.0\n") == "scc"


# --- TTML time expressions -------------------------------------------------------------------

TICKS_10MHZ = 'ttp:tickRate="10000000"'
FPS_30_NTSC = 'ttp:frameRate="30" ttp:frameRateMultiplier="1000 1001"'

# (time expression, milliseconds or None when the expression is refused, ttp: parameters of <tt>)
TIME_EXPRESSIONS = [
    ("00:00:01.500", 1500, TICKS_10MHZ),
    ("00:01:02", 62000, TICKS_10MHZ),
    ("01:00:00:15", 3_600_500, TICKS_10MHZ),  # frames at 30 fps (the default frame rate)
    # Sub-frames count in units of 1/ttp:subFrameRate of a frame, not as a decimal fraction; without
    # ttp:subFrameRate there is one sub-frame a frame, so ".5" is out of range (TTML1 §10.3.1)
    ("00:00:01:15.5", None, TICKS_10MHZ),
    ("00:00:01:15.1", 1517, 'ttp:frameRate="30" ttp:subFrameRate="2"'),  # 1 s + 15.5 frames at 30 fps
    ("00:00:01:15.2", None, 'ttp:frameRate="30" ttp:subFrameRate="2"'),  # sub-frames 0-1
    ("00:00:01:15.0", 1500, TICKS_10MHZ),
    ("1.5h", 5_400_000, TICKS_10MHZ),
    ("2m", 120_000, TICKS_10MHZ),
    ("1.25s", 1250, TICKS_10MHZ),
    ("1500ms", 1500, TICKS_10MHZ),
    ("45f", 1500, TICKS_10MHZ),
    ("20000000t", 2000, TICKS_10MHZ),  # ttp:tickRate 10 MHz
    ("20t", 20_000, ""),  # no ttp:frameRate: one tick a second
    ("50t", 2000, 'ttp:frameRate="25"'),  # ticks default to frameRate x subFrameRate = 25 a second
    ("100t", 2000, 'ttp:frameRate="25" ttp:subFrameRate="2"'),
    ("50t", 2000, 'ttp:frameRate="25" ttp:tickRate="25"'),
    ("30f", 1001, FPS_30_NTSC),  # the effective frame rate is 30 x 1000/1001
    ("00:00:01:03", 1100, FPS_30_NTSC),  # 1 s + 3 frames of 33.367 ms
    ("60t", 1001, f'{FPS_30_NTSC} ttp:subFrameRate="2"'),  # 59.94 ticks a second
    ("00:99:00.000", None, TICKS_10MHZ),  # minutes and seconds run 00-59
    ("00:60:00", None, TICKS_10MHZ),
    ("00:00:60.000", None, TICKS_10MHZ),
    ("00:00:75:00", None, TICKS_10MHZ),
    ("00:59:59.999", 3_599_999, TICKS_10MHZ),
    ("3:58.640", 238_640, TICKS_10MHZ),  # Apple: m:ss.fff
    ("3:60.000", None, TICKS_10MHZ),
    ("19.764", 19_764, TICKS_10MHZ),  # Apple: bare seconds
]


@pytest.mark.parametrize(("expression", "ms", "params"), TIME_EXPRESSIONS)
def test_ttml_time_expressions(expression: str, ms: int | None, params: str) -> None:
    doc = (
        '<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter" '
        f"{params}><body><div>\n"
        f'<p begin="{expression}" dur="1s">a</p>\n'
        '<p begin="00:00:05.000" dur="1s">b</p>\n</div></body></tt>'
    )
    captions = formats.read(doc.encode(), "ttml")
    if ms is None:  # the cue is skipped with a warning naming its line, as any bad time
        assert triples(captions) == [(5000, 6000, ["b"])]
        assert [w.line for w in captions.warnings] == [2]
        assert f"bad time expression '{expression}'" in captions.warnings[0].message
    else:
        assert triples(captions) == [(ms, ms + 1000, ["a"]), (5000, 6000, ["b"])]
        assert captions.warnings == []


def test_ttml_out_of_range_terms_say_which() -> None:
    doc = (
        '<tt xmlns="http://www.w3.org/ns/ttml"><body><div>\n<p begin="00:99:00.000" dur="1s">a</p>\n'
        '<p begin="00:00:59:01.1" dur="1s">b</p>\n<p begin="1s" dur="1s">c</p>\n</div></body></tt>'
    )
    captions = formats.read(doc.encode(), "ttml")
    assert [c.lines for c in captions.cues] == [["c"]]
    assert [(w.line, w.message.split("(")[-1]) for w in captions.warnings] == [
        (2, "minutes must be 00-59)"),
        (3, "sub-frames must be below ttp:subFrameRate 1)"),
    ]


def test_ttml_sub_frame_rate_must_be_at_least_one() -> None:
    doc = (
        b'<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter" ttp:subFrameRate="0"/>'
    )
    with pytest.raises(CaptionFormatError, match="subFrameRate '0' out of range .at least 1 a frame"):
        formats.read(doc, "ttml")


def test_ttml_old_dfxp_parameters() -> None:
    doc = (
        b'<tt xmlns="http://www.w3.org/2006/10/ttaf1" xmlns:ttp="http://www.w3.org/2006/10/ttaf1#parameter" '
        b'ttp:frameRate="30" ttp:frameRateMultiplier="1000 1001" ttp:subFrameRate="2">'
        b'<body><div><p begin="60t" end="00:00:02:00.1">a</p></div></body></tt>'
    )
    assert triples(formats.read(doc, "ttml")) == [(1001, 2017, ["a"])]


def test_ttml_dur_and_sequential_time_container() -> None:
    doc = (
        b'<tt xmlns="http://www.w3.org/ns/ttml"><body><div timeContainer="seq" begin="10s">'
        b'<p dur="3:58.640">one</p><p dur="2s">two</p><p begin="1s" dur="1s">three</p></div></body></tt>'
    )
    assert triples(formats.read(doc, "ttml")) == [
        (10_000, 248_640, ["one"]),
        (248_640, 250_640, ["two"]),
        (251_640, 252_640, ["three"]),
    ]


# --- the fast path for large files gives what the line-by-line reader gives --------------------


def _numbered_srt(count: int) -> str:
    return "".join(
        f"{n}\n00:{n // 60 % 60:02d}:{n % 60:02d},{n % 1000:03d} --> 00:{n // 60 % 60:02d}:{n % 60:02d},999\n"
        f"line {n} & <i>more</i>\n{n * 7}\n\n"
        for n in range(1, count + 1)
    )


def test_a_file_without_blank_lines_reads_like_one_with_them() -> None:
    text = _numbered_srt(400)
    dense = text.replace("\n\n", "\n")
    assert formats.read(dense.encode()).cues == formats.read(text.encode()).cues
    assert formats.read(dense.encode()).cues[0].lines == ["line 1 & more", "7"]


@pytest.mark.parametrize("dense", [False, True])
def test_large_files_are_cut_between_cues(dense: bool) -> None:
    text = _numbered_srt(200)
    if dense:
        text = text.replace("\n\n", "\n")
    pieces = list(blocks._pieces(text, dense, size=97))
    assert "".join(pieces) == text and len(pieces) > 20
    for piece in pieces:
        number, timing = piece.split("\n")[:2]
        assert number.isdigit() and "-->" in timing, piece[:40]


@pytest.mark.parametrize("dense", [False, True])
@pytest.mark.parametrize(
    "old, new",
    [
        ("\nline 3 ", "\n line 3 "),  # a text line that starts with a space
        ("</i>\n21\n", "</i> \n21\n"),  # ... that ends with one
        ("00:00:03,999\n", "00:00:03,999 \n"),  # a timing line that ends with one
        ("\n3\n00:00:03", "\n3 \n00:00:03"),  # a cue number that ends with one
        ("\n\n3\n", "\n \n3\n"),  # a line of spaces between two cues
    ],
)
def test_lines_with_spaces_at_their_ends_take_the_line_by_line_reader(dense: bool, old: str, new: str) -> None:
    # the fast path keeps lines as they are, so it must leave such files to the reader that strips lines
    text = _numbered_srt(30).replace(old, new, 1)
    if dense:
        text = text.replace("\n\n", "\n")
    assert new in text
    assert blocks.fast_cues(text, vtt_ids=False, text_filter=srt.plain_text) is None
    cues = formats.read(text.encode()).cues
    assert len(cues) == 30 and cues[2].lines == ["line 3 & more", "21"]


def test_line_breaks_other_than_newlines_stay_inside_a_line() -> None:
    # as in the line-by-line reader, which splits lines at newlines only
    text = _numbered_srt(30).replace("line 3 &", "line\x0c3\u2028&", 1)
    cues = blocks.fast_cues(text, vtt_ids=False, text_filter=srt.plain_text)
    assert cues is not None and cues[2].lines == ["line\x0c3\u2028& more", "21"]
