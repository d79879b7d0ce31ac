"""Independent readers accept what we write: ffmpeg/ffprobe (SRT, WebVTT, SCC), webvtt-py,
xml.etree (TTML), and our own strict WebVTT validator. ffmpeg tests are skipped without ffmpeg."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import webvtt

import formats
from formats import Captions, Cue
from formats.timecode import dropframe_to_frame, frame_to_dropframe, frame_to_ms, ms_to_frame

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
DATA = Path(__file__).parent / "data" / "formats"


def tricky_track() -> Captions:
    return Captions(
        cues=[
            Cue(1000, 2500, ["Fish & chips", "a < b > c"]),
            Cue(3000, 4500, ["arrow --> here"], speaker="Ann"),
            Cue(5000, 6000, ["Café ♪ naïve"]),
            Cue(6000, 9000, ["Rain & wind <b>all</b> night,", "and more -- tomorrow."]),
        ]
    )


def ffmpeg_srt(path: Path) -> list[tuple[str, str]]:
    """(timing line, plain text) of each cue as ffmpeg decodes ``path``."""
    out = (
        subprocess.run(
            ["ffmpeg", "-v", "error", "-i", str(path), "-f", "srt", "-"], capture_output=True, check=True, timeout=60
        )
        .stdout.decode("utf-8")
        .replace("\r\n", "\n")
    )
    cues = []
    for block in out.strip().split("\n\n"):
        lines = block.split("\n")
        text = re.sub(r"</?(?:font|b|i|u)(?: [^>]*)?>|\{\\[^}]*\}", "", "\n".join(lines[2:]))
        cues.append((lines[1], text))
    return cues


def ffprobe_packets(path: Path) -> int:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0",
         str(path)],
        capture_output=True, check=True, timeout=60, text=True,
    ).stdout  # fmt: skip
    return int(out.strip())


@needs_ffmpeg
def test_ffmpeg_reads_our_webvtt(tmp_path: Path) -> None:
    path = tmp_path / "t.vtt"
    path.write_bytes(formats.write(tricky_track(), "vtt"))
    cues = ffmpeg_srt(path)
    assert ffprobe_packets(path) == 4
    assert [c[0] for c in cues] == [
        "00:00:01,000 --> 00:00:02,500",
        "00:00:03,000 --> 00:00:04,500",
        "00:00:05,000 --> 00:00:06,000",
        "00:00:06,000 --> 00:00:09,000",
    ]
    assert [c[1] for c in cues] == [
        "Fish & chips\na < b > c",
        "arrow --> here",
        "Café ♪ naïve",
        "Rain & wind all night,\nand more -- tomorrow.",  # '<b>' in the text, ffmpeg SRT has no escapes
    ]


@needs_ffmpeg
def test_ffmpeg_reads_our_srt(tmp_path: Path) -> None:
    track = tricky_track()
    track.cues[0].lines = ["Fish & chips", "two lines"]  # SRT has no escaping for '<'
    track.cues[3].lines = ["Rain & wind all night,", "and more -- tomorrow."]
    path = tmp_path / "t.srt"
    path.write_bytes(formats.write(track, "srt"))
    cues = ffmpeg_srt(path)
    assert ffprobe_packets(path) == 4
    assert [c[1] for c in cues] == [
        "Fish & chips\ntwo lines",
        "arrow -> here",
        "Café ♪ naïve",
        "Rain & wind all night,\nand more -- tomorrow.",
    ]
    assert cues[1][0] == "00:00:03,000 --> 00:00:04,500"


@needs_ffmpeg
def test_ffmpeg_decodes_our_scc(tmp_path: Path) -> None:
    track = Captions(
        cues=[
            Cue(1000, 3000, ["Good evening, and welcome", "to the news."]),
            Cue(5000, 7000, ["Café owners count the cost ♪"]),
            Cue(8000, 12000, ["This line is far too long to fit in thirty-two columns of a caption row"]),
        ]
    )
    path = tmp_path / "t.scc"
    path.write_bytes(formats.write(track, "scc"))
    texts = [text for _, text in ffmpeg_srt(path)]
    assert texts[0] == "Good evening, and welcome\nto the news."
    assert texts[1] == "Café owners count the cost ♪"
    rows = texts[2].split("\n")
    assert " ".join(rows) == "This line is far too long to fit in thirty-two columns of a caption row"
    assert all(len(row) <= 32 for row in rows) and len(rows) <= 4


def test_scc_structure() -> None:
    track = Captions(cues=[Cue(1000, 3000, ["Hello"]), Cue(3050, 4000, ["Bye"]), Cue(9000, 9500, ["Later"])])
    text = formats.write(track, "scc").decode("ascii")
    assert text.startswith("Scenarist_SCC V1.0\n\n")
    lines = [line for line in text.split("\n") if line and not line.startswith("Scenarist")]
    for line in lines:
        tc, codes = line.split("\t")
        assert re.fullmatch(r"\d\d:\d\d:\d\d;\d\d", tc)
        for word in codes.split():
            for byte in (int(word[:2], 16), int(word[2:], 16)):
                assert bin(byte).count("1") % 2 == 1, f"{word} has a byte without odd parity"
    first = lines[0].split("\t")[1].split()
    assert first[:4] == ["94ae", "94ae", "9420", "9420"]
    assert first[-2:] == ["942f", "942f"]
    assert first[4] == "9476"  # row 15 (0x14 0x60) + indent 12 (0x10 | 3 << 1): "Hello" centred
    # "Hello" = c8 e5 ec ec ef (with parity), padded with 80
    assert first[6:9] == ["c8e5", "ecec", "ef80"]
    # the first cue is replaced by the second within 2 frames: no erase in between;
    # the second is erased at its end because the third starts much later
    assert [line.split("\t")[1] for line in lines].count("942c 942c") == 2
    # the load is timed so that 942f (the last pair) lands on the cue's start frame
    load_frame = dropframe_to_frame(lines[0].split("\t")[0])
    assert load_frame + len(first) - 1 == ms_to_frame(1000)


def test_scc_splits_more_than_four_rows_into_captions() -> None:
    words = " ".join(f"word{i}" for i in range(60))
    text = formats.write(Captions(cues=[Cue(0, 20000, [words])]), "scc").decode()
    assert text.count("942f 942f") >= 3


@pytest.mark.parametrize(
    ("frame", "label"),
    [(0, "00:00:00;00"), (1799, "00:00:59;29"), (1800, "00:01:00;02"), (17982, "00:10:00;00"), (107892, "01:00:00;00")],
)
def test_dropframe_timecodes(frame: int, label: str) -> None:
    assert frame_to_dropframe(frame) == label
    assert dropframe_to_frame(label) == frame


def test_frame_ms_conversion() -> None:
    assert ms_to_frame(1000) == 30  # 29.97 frames
    assert frame_to_ms(30) == 1001
    assert ms_to_frame(3_600_000) == 107892


def test_webvtt_py_reads_our_webvtt() -> None:
    data = formats.write(tricky_track(), "vtt").decode()
    cues = list(webvtt.from_buffer(io.StringIO(data)))
    assert len(cues) == 4
    assert [(c.start, c.end) for c in cues][1] == ("00:00:03.000", "00:00:04.500")
    assert cues[0].text == "Fish &amp; chips\na &lt; b &gt; c"  # webvtt-py keeps the escapes as written


def test_our_webvtt_is_valid_and_escaped() -> None:
    data = formats.write(tricky_track(), "vtt")
    assert formats.validate_webvtt(data) == []
    text = data.decode()
    assert "-->" not in "".join(line for line in text.split("\n") if "--> " not in line[13:18])
    assert "--&gt; here" in text and "&lt;b&gt;all&lt;/b&gt;" in text and "<v Ann>" in text


@pytest.mark.parametrize("speaker", ["Ann--", "A -->", "<b>Bob</b> & co", "x-"])
def test_speaker_names_never_break_webvtt(speaker: str) -> None:
    data = formats.write(Captions(cues=[Cue(0, 1000, ["hi"], speaker)]), "vtt")
    assert formats.validate_webvtt(data) == []
    assert formats.read(data).cues[0].speaker == speaker


def test_sample_files_convert_to_valid_webvtt() -> None:
    for name in ("news.srt", "interview.vtt", "sample.sbv", "broadcast.dfxp"):
        data = formats.write(formats.read((DATA / name).read_bytes()), "vtt")
        assert formats.validate_webvtt(data) == [], name


def test_ttml_is_well_formed_imsc1() -> None:
    track = tricky_track()
    track.cues[0].lines.append("ctrl\x01char")
    data = formats.write(track, "ttml")
    root = ET.fromstring(data)
    ns = {"tt": "http://www.w3.org/ns/ttml", "ttm": "http://www.w3.org/ns/ttml#metadata"}
    assert root.tag == "{http://www.w3.org/ns/ttml}tt"
    assert root.get("{http://www.w3.org/ns/ttml#parameter}profile") == "http://www.w3.org/ns/ttml/profile/imsc1/text"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    ps = root.findall(".//tt:p", ns)
    assert len(ps) == 4
    ids = [p.get("{http://www.w3.org/XML/1998/namespace}id") for p in ps]
    assert len(set(ids)) == 4 and not any(i[0].isdigit() for i in ids)
    assert len(ps[0].findall("tt:br", ns)) == 2
    assert "".join(ps[0].itertext()) == "Fish & chipsa < b > cctrlchar"
    assert ps[1].get("{http://www.w3.org/ns/ttml#metadata}agent") == "speaker1"
    assert root.find(".//ttm:agent/ttm:name", ns).text == "Ann"
    assert (ps[3].get("begin"), ps[3].get("end")) == ("00:00:06.000", "00:00:09.000")
    assert formats.write(track, "dfxp") == data


@pytest.mark.parametrize(
    ("vtt", "line", "words"),
    [
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nok\n", None, None),
        ("WEBVT\n\n00:00:01.000 --> 00:00:02.000\nok\n", 1, "first line"),
        ("WEBVTT\n00:00:01.000 --> 00:00:02.000\nok\n", 2, "blank line"),
        ("WEBVTT\n\n00:00:01.00 --> 00:00:02.000\nok\n", 3, "3 millisecond digits"),
        ("WEBVTT\n\n00:00:01,000 --> 00:00:02.000\nok\n", 3, "'.'"),
        ("WEBVTT\n\n00:60.000 --> 01:02.000\nok\n", 3, "00-59"),
        ("WEBVTT\n\n00:00:01.000-->00:00:02.000\nok\n", 3, "space or tab"),
        ("WEBVTT\n\n00:00:02.000 --> 00:00:02.000\nok\n", 3, "after its start"),
        ("WEBVTT\n\n00:00:05.000 --> 00:00:06.000\na\n\n00:00:01.000 --> 00:00:02.000\nb\n", 6, "before the previous"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000 align:middle\nok\n", 3, "invalid value"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000 size:50% size:60%\nok\n", 3, "more than once"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000 colour:red\nok\n", 3, "unknown cue setting"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nok\n\nSTYLE\n::cue {}\n", 6, "before the first cue"),
        ("WEBVTT\n\na\n00:00:01.000 --> 00:00:02.000\nx\n\na\n00:00:03.000 --> 00:00:04.000\ny\n", 7, "identifier"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nleft --> right\n", 4, "-->"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfish & chips\n", 4, "'&'"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n1 < 2\n", 4, "'<'"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfirst\n\nsecond paragraph\n", 6, "without a cue timing"),
        ("WEBVTT\n\nNOTE a --> b\n\n00:00:01.000 --> 00:00:02.000\nok\n", 3, "NOTE"),
    ],
)
def test_validator_finds_the_line(vtt: str, line: int | None, words: str | None) -> None:
    issues = formats.validate_webvtt(vtt.encode())
    if line is None:
        assert issues == []
        return
    assert issues, "expected an issue"
    assert issues[0].line == line
    assert words in issues[0].message


def test_validator_accepts_valid_features() -> None:
    vtt = (
        "\ufeffWEBVTT - title\nKind: captions\n\nSTYLE\n::cue { color: red }\n\nREGION\nid:r1\n\n"
        "NOTE hello\n\nid-1\n00:01.000 --> 00:02.000 align:start line:-1 position:10%,line-left size:50% region:r1\n"
        "<v.loud Ann>Hi</v> &amp; <c.yellow.big>x</c> <i>y</i> <00:01.500>z &lt;3 &gt; &nbsp; &#233; &#x1F600;\n"
        "<lang en-GB>colour</lang> <ruby>漢<rt>kan</rt></ruby> 1 > 0\n"
    )
    assert formats.validate_webvtt(vtt.encode()) == []


def test_validator_reports_bad_utf8() -> None:
    issues = formats.validate_webvtt(b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\ncaf\xe9\n")
    assert issues[0].line == 4 and "UTF-8" in issues[0].message
