"""Property tests: write -> read round trips, and no input bytes raise anything but CaptionFormatError."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import formats
from formats import CaptionFormatError, Captions, Cue, Word
from formats.timecode import format_srt, format_vtt, span_text

DATA = Path(__file__).parent / "data" / "formats"
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text a caption line can hold in every format: printable, no surrounding or doubled spaces.
# SRT and SBV have no escaping, so their lines avoid '<' and '{' (which would read back as tags);
# WebVTT, TTML and JSON get the full alphabet including '&', '<', '>' and '-->'.
SAFE = st.characters(
    codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters="\u2028\u2029\x85\xa0\u3000<{"
)
ANY = st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters="\u2028\u2029\x85")


def _clean(s: str) -> str:
    return " ".join(s.split())


def lines_strategy(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    line = st.text(alphabet, min_size=1, max_size=30).map(_clean).filter(bool)
    return st.lists(line, min_size=1, max_size=3)


@st.composite
def tracks(draw: st.DrawFn, alphabet: st.SearchStrategy[str] = SAFE) -> Captions:
    n = draw(st.integers(1, 8))
    cues = []
    t = draw(st.integers(0, 10_000_000))
    for _ in range(n):
        t += draw(st.integers(0, 5000))
        length = draw(st.integers(1, 10_000))
        cues.append(Cue(t, t + length, draw(lines_strategy(alphabet))))
        t += length
    return Captions(cues=cues)


def _text_for(fmt: str, lines: list[str]) -> list[str]:
    if fmt in ("srt",):
        return [line.replace("-->", "->") for line in lines]
    if fmt in ("dfxp", "ttml"):
        return [_clean(line) for line in lines]
    return lines


@pytest.mark.parametrize("fmt", ["srt", "vtt", "sbv", "dfxp", "ttml", "json"])
@SETTINGS
@given(data=st.data())
def test_write_read_round_trip(fmt: str, data: st.DataObject) -> None:
    alphabet = SAFE if fmt in ("srt", "sbv") else ANY
    track = data.draw(tracks(alphabet))
    if fmt == "sbv":
        # SBV text lines that look like an SBV timing line cannot be told apart from one
        for cue in track.cues:
            cue.lines = [line for line in cue.lines if "," not in line or ":" not in line] or ["x"]
    out = formats.write(track, fmt)
    back = formats.read(out, fmt)
    assert len(back.cues) == len(track.cues)
    for a, b in zip(track.cues, back.cues, strict=True):
        assert (b.start, b.end) == (a.start, a.end)
        assert b.lines == _text_for(fmt, a.lines)


@SETTINGS
@given(track=tracks(ANY), speaker=st.text(ANY, min_size=1, max_size=20).map(_clean).filter(bool))
def test_speaker_round_trip_vtt_ttml_json(track: Captions, speaker: str) -> None:
    for cue in track.cues[::2]:
        cue.speaker = speaker
    for fmt in ("vtt", "ttml", "json"):
        back = formats.read(formats.write(track, fmt), fmt)
        assert [c.speaker for c in back.cues] == [c.speaker for c in track.cues], fmt


def test_json_keeps_words_and_language() -> None:
    words = [Word(1000, 1400, "Hello,", 0.91), Word(1500, 1900, "world.", None, "Ann")]
    track = Captions(cues=[Cue(1000, 2000, ["Hello, world."], "Ann", words)], language="pt-BR")
    back = formats.read(formats.write(track, "json"))
    assert back.language == "pt-BR"
    assert back.cues[0].words == words
    assert back.cues[0].speaker == "Ann"


@SETTINGS
@given(track=tracks(ANY))
def test_writers_sort_and_keep_overlaps_normalise_fixes_them(track: Captions) -> None:
    # shuffle and overlap on purpose: every written file reads back sorted with every cue kept;
    # normalising gives non-overlapping cues
    track.cues.reverse()
    for cue in track.cues:
        cue.end += 3000
    for fmt in ("srt", "vtt", "ttml", "json"):
        back = formats.read(formats.write(track, fmt), fmt).cues
        assert len(back) == len(track.cues), fmt
        assert all(a.start <= b.start for a, b in zip(back, back[1:], strict=False)), fmt
        assert all(c.end > c.start for c in back)
        fixed, report = formats.normalise(Captions(back))
        assert all(a.start < b.start and a.end <= b.start for a, b in zip(fixed.cues, fixed.cues[1:], strict=False))
        assert report.changes == report.overlaps + report.same_start  # sorted, ends after starts


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=400), fmt=st.sampled_from([None, "srt", "vtt", "sbv", "ttml", "json"]))
def test_random_bytes_only_raise_caption_format_error(data: bytes, fmt: str | None) -> None:
    try:
        captions = formats.read(data, fmt)
    except CaptionFormatError as exc:
        assert "unreadable input" not in str(exc), exc  # the catch-all must never be needed
        return
    assert captions.cues or fmt in (None, "vtt")  # only a WebVTT with its header may be empty


SAMPLES = ["news.srt", "interview.vtt", "sample.sbv", "broadcast.dfxp"]


@st.composite
def mangled(draw: st.DrawFn) -> bytes:
    data = bytearray((DATA / draw(st.sampled_from(SAMPLES))).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["truncate", "flip", "cr", "dup", "delete", "comment"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "truncate":
            del data[pos:]
        elif op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "cr":
            data[pos:pos] = b"\r"
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 20))]
        elif op == "comment":
            lines = bytes(data).split(b"\n")
            k = draw(st.integers(0, len(lines)))
            lines[k:k] = draw(st.sampled_from([[b"NOTE x"], [b"", b"STYLE"], [b"REGION", b""], [b"", b"NOTE", b""]]))
            data = bytearray(b"\n".join(lines))
        else:
            lines = bytes(data).split(b"\n")
            k = draw(st.integers(0, len(lines) - 1))
            lines.insert(k, lines[k])
            data = bytearray(b"\n".join(lines))
    return bytes(data)


@settings(max_examples=300, deadline=None)
@given(data=mangled())
def test_mangled_real_files_only_raise_caption_format_error(data: bytes) -> None:
    try:
        captions, _ = formats.normalise(formats.read(data))
    except CaptionFormatError as exc:
        assert "unreadable input" not in str(exc), exc
        return
    cues = captions.cues
    assert all(c.end > c.start >= 0 for c in cues)
    assert all(a.start < b.start and a.end <= b.start for a, b in zip(cues, cues[1:], strict=False))
    # and whatever we read, we can write in every output type; the WebVTT is valid
    for fmt in formats.OUTPUT_TYPES:
        out = formats.write(captions, fmt)
        assert out or fmt == "txt" or not cues  # an empty WebVTT is an empty track
    assert formats.validate_webvtt(formats.write(captions, "vtt")) == []


TOKENS = [
    "1", "2", "\n", "\r\n", "\r", "\n\n", " ", "-->", " --> ", "00:00:01,000", "00:00:02.500", "0:0:1,5",
    "-00:00:01,000", "99:99:99,999", "00:01.000", "WEBVTT", "NOTE", "STYLE", "<v Ann>", "<i>", "</i>", "&amp;",
    "&", "<", "Hello", "world.", "0:00:01.000,0:00:02.000", "<tt>", "{", '"cues"', "\ufeff", "\x00", "é",
    "REGION", "NOTE x\n", "\nSTYLE\n::cue{}\n", "->", "\u2014>", " => ", "00:00:01;500", "9" * 30 + ":00:01,000",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.sampled_from(TOKENS), max_size=40), fmt=st.sampled_from([None, "srt", "vtt", "sbv"]))
def test_caption_like_noise_only_raises_caption_format_error(parts: list[str], fmt: str | None) -> None:
    try:  # a cue that ends before 0 is read as the file said and refused by the writer
        written = formats.write(formats.read("".join(parts).encode("utf-8"), fmt), "vtt")
    except CaptionFormatError as exc:
        assert "unreadable input" not in str(exc), exc
        return
    assert formats.validate_webvtt(written) == []


COMMENT_LINES = ["NOTE", "NOTE THE TIME", "STYLE", "STYLE ::cue{}", "REGION", "REGION id:r1"]
BLOCK_BODY = ["::cue { color: red }", "id:r1 width:40%", "some words", "1"]
# WebVTT text with no escapes or tags, so each line reads back as written
VTT_TEXT = st.characters(codec="utf-8", categories=("L", "N", "P", "Zs"), exclude_characters="\u2028\u2029\x85&<>")


@st.composite
def vtt_with_comment_blocks(draw: st.DrawFn) -> tuple[str, list[list[str]]]:
    """A WebVTT file with NOTE/STYLE/REGION blocks before and between cues, with or without the blank
    line that should end them, and cue text lines that start with those words; and each cue's text."""
    plain = st.text(VTT_TEXT, min_size=1, max_size=20).map(_clean).filter(bool)
    out = ["WEBVTT", ""]
    texts = []
    t = 0
    for n in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            out.append(draw(st.sampled_from(COMMENT_LINES)))
            out.extend(draw(st.lists(st.sampled_from(BLOCK_BODY), max_size=2)))
            if draw(st.booleans()):
                out.append("")
        if draw(st.booleans()):
            out.append(f"cue{n}")
        t += draw(st.integers(0, 2000))
        length = draw(st.integers(1, 3000))
        out.append(f"{format_vtt(t)} --> {format_vtt(t + length)}")
        t += length
        lines = draw(st.lists(st.one_of(st.sampled_from(COMMENT_LINES), plain), min_size=1, max_size=3))
        out.extend(lines)
        out.append("")
        texts.append(lines)
    return "\n".join(out), texts


@SETTINGS
@given(case=vtt_with_comment_blocks(), crlf=st.booleans())
def test_comment_blocks_lose_no_cue_text(case: tuple[str, list[list[str]]], crlf: bool) -> None:
    text, texts = case
    data = (text.replace("\n", "\r\n") if crlf else text).encode()
    assert [c.lines for c in formats.read(data).cues] == texts


@given(start=st.integers(0, 500 * 3_600_000), length=st.integers(0, 10 * 3_600_000))
def test_a_cue_timing_is_written_as_its_two_timestamps(start: int, length: int) -> None:
    """The writers' table-driven timing text agrees with the plain formatter, past 99 hours too."""
    end = start + length
    assert span_text(start, end) == f"{format_vtt(start)} --> {format_vtt(end)}"
    assert span_text(start, end, ",") == f"{format_srt(start)} --> {format_srt(end)}"


def test_a_negative_cue_time_is_refused_by_the_timing_text() -> None:
    with pytest.raises(ValueError, match="negative"):
        span_text(-1, 1000)
