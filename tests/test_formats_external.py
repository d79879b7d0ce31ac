"""Independent readers accept what we write: ffmpeg/ffprobe (SRT, WebVTT, SCC), webvtt-py,
xml.etree (TTML), and our own strict WebVTT validator. ffmpeg tests are skipped without ffmpeg."""

from __future__ import annotations

import io
import random
import re
import shutil
import subprocess
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import webvtt

import formats
from formats import Captions, Cue, scc
from formats.timecode import dropframe_to_frame, frame_to_dropframe, frame_to_ms, ms_to_frame, parse_arrow_timing

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
    cues = ffmpeg_scc(path)
    assert len(cues) == 3
    texts = [text for _, _, text in cues]
    assert texts[0] == "Good evening, and welcome\nto the news."
    assert texts[1] == "Café owners count the cost ♪"
    rows = texts[2].split("\n")
    assert " ".join(rows) == "This line is far too long to fit in thirty-two columns of a caption row"
    assert all(len(row) <= 32 for row in rows) and len(rows) <= 4
    assert [(start, end) for start, end, _ in cues] == [(1000, 3000), (5000, 7000), (8000, 12000)]


# --- SCC read back: ffmpeg and a CEA-608 decoder that takes one byte pair per frame ---------------

_608_BASIC = dict(zip(b"*\\^_`{|}~\x7f", "áéíóúç÷Ññ█", strict=True))  # where the basic set differs from ASCII
_608_SPECIAL = "®°½¿™¢£♪à èâêîôû"  # 0x11 0x30-0x3F
_608_EXTENDED = {0x12: "ÁÉÓÚÜü‘¡*'—©℠•“”ÀÂÇÈÊËëÎÏïÔÙùÛ«»", 0x13: "ÃãÍÌìÒòÕõ{}\\^_|~ÄäÖöß¥¤¦ÅåØø┌┐└┘"}
_608_ROWS = {(0x11, 0x40): 1, (0x11, 0x60): 2, (0x12, 0x40): 3, (0x12, 0x60): 4, (0x15, 0x40): 5,
             (0x15, 0x60): 6, (0x16, 0x40): 7, (0x16, 0x60): 8, (0x17, 0x40): 9, (0x17, 0x60): 10,
             (0x10, 0x40): 11, (0x13, 0x40): 12, (0x13, 0x60): 13, (0x14, 0x40): 14, (0x14, 0x60): 15}  # fmt: skip


def decode_scc(text: str) -> tuple[list[tuple[int, int, str]], dict[int, bool]]:
    """Pop-on captions ``(flip frame, erase frame, text)`` as a decoder that runs one byte pair per
    frame shows them, and the frames that carry a pair (True for a redundant copy of a control
    code, which the decoder ignores). An extended character replaces the one before it; lines must
    not overlap."""
    pairs: dict[int, tuple[int, int]] = {}
    for line in text.split("\n"):
        if "\t" not in line:
            continue
        label, codes = line.split("\t")
        first = dropframe_to_frame(label)
        assert first >= max(pairs, default=-1) + 1, f"{label} starts before the previous line is sent"
        for k, word in enumerate(codes.split()):
            pairs[first + k] = (int(word[:2], 16) & 0x7F, int(word[2:], 16) & 0x7F)
    hidden: dict[int, list[str]] = {}
    shown: dict[int, list[str]] = {}
    out: list[list] = []
    busy: dict[int, bool] = {}
    row = col = 0
    prev: tuple[int, int] | None = None

    def write(ch: str) -> None:
        nonlocal col
        cells = hidden.setdefault(row, [" "] * 32)
        assert col < 32, f"text past column 32: {''.join(cells)!r}"
        cells[col] = ch
        col += 1

    def close(frame: int) -> None:
        if out and out[-1][1] is None:
            out[-1][1] = frame

    for frame, (b1, b2) in sorted(pairs.items()):
        busy[frame] = b1 < 0x20 and (b1, b2) == prev
        if busy[frame]:
            prev = None
            continue
        prev = (b1, b2) if b1 < 0x20 else None
        if (b1, b2) == (0x14, 0x2E):
            hidden = {}
        elif (b1, b2) == (0x14, 0x2F):
            close(frame)
            hidden, shown = shown, hidden
            out.append([frame, None, "\n".join("".join(shown[r]).strip() for r in sorted(shown))])
        elif (b1, b2) == (0x14, 0x2C):
            close(frame)
            shown = {}
        elif (b1, b2) == (0x14, 0x20):
            pass
        elif 0x10 <= b1 <= 0x17 and b2 >= 0x40:
            row = _608_ROWS[(b1, b2 & 0x60)]
            col = (b2 & 0x0E) * 2 if b2 & 0x10 else 0
        elif b1 == 0x11 and 0x30 <= b2 <= 0x3F:
            write(_608_SPECIAL[b2 - 0x30])
        elif b1 in _608_EXTENDED and 0x20 <= b2 <= 0x3F:
            col -= 1
            write(_608_EXTENDED[b1][b2 - 0x20])
        else:
            assert b1 >= 0x20, f"unexpected code {b1:02x}{b2:02x}"
            for b in (b1, b2):
                if b:
                    write(_608_BASIC.get(b, chr(b)))
    return [(start, end, text) for start, end, text in out], busy


def ffmpeg_scc(path: Path) -> list[tuple[int, int, str]]:
    """(start ms, end ms, text) of each caption as ffmpeg decodes ``path`` (rows stripped; ffmpeg
    shows the apostrophe as ’ and * | ~ in full width)."""
    out = []
    for timing, text in ffmpeg_srt(path):
        start, end, _ = parse_arrow_timing(timing)
        text = text.replace("\\h", " ").replace("’", "'").translate(str.maketrans("＊｜～", "*|~"))
        out.append((start, end, "\n".join(row.strip() for row in text.split("\n"))))
    return out


def expected_scc_text(cue: Cue) -> str:
    return "\n".join(scc.rows_for(cue.lines))


def news_cues(count: int, seconds: float, gap_ms: int = 0, chars: int = 40, seed: int = 1, first: int = 0) -> list[Cue]:
    """``count`` cues of up to ``chars`` characters of news text, ``seconds`` long, ``gap_ms`` apart,
    from ``first`` ms."""
    rng = random.Random(seed)
    words = ("the mayor said that crews would be working through the night in Zürich while "
             "Ørsted and Søren Kierkegaard's café owners counted €12 of damage — again… "
             "señor Müller ♪ Straße Ærøskøbing").split()  # fmt: skip
    texts = textwrap.wrap(" ".join(rng.choice(words) for _ in range(count * chars // 5)), chars)
    step = int(seconds * 1000) + gap_ms
    return [Cue(first + k * step, first + k * step + int(seconds * 1000), [texts[k]]) for k in range(count)]


def check_scc_read_back(track: Captions, tmp_path: Path, on_time: bool = True) -> list[tuple[int, int, str]]:
    """Write ``track`` as SCC: ffmpeg (when installed) and the frame-accurate decoder must both see
    every cue with its text. A caption flips on at its start frame, or later only when the channel
    was busy with nothing redundant since the previous one (when ``on_time``: only the first, at
    the file's start); the decoder erases an on-time caption at its end frame, or the next
    replaces it. ffmpeg starts each caption within 0.1 s of that flip (the first: of its cue)."""
    data = formats.write(track, "scc").decode("ascii")
    expected = [expected_scc_text(cue) for cue in track.cues]
    decoded, busy = decode_scc(data)
    assert [text for _, _, text in decoded] == expected
    since = 0
    for k, ((flip, erase, _), cue) in enumerate(zip(decoded, track.cues, strict=True)):
        start = ms_to_frame(cue.start)
        if flip > start:
            assert not on_time or k == 0, (k, cue, flip)
            assert all(busy.get(f) is False for f in range(since, flip)), (k, cue)  # no idle frame
        else:
            assert flip == start, (k, cue)
            following = track.cues[k + 1].start if k + 1 < len(track.cues) else None
            if following is None or ms_to_frame(following) > ms_to_frame(cue.end) + 2:
                assert erase == ms_to_frame(cue.end), (k, cue)
            else:
                assert erase == decoded[k + 1][0], (k, cue)
        since = flip + 1 + (busy.get(flip + 1) is True)
    if shutil.which("ffmpeg") is not None:
        path = tmp_path / "t.scc"
        path.write_text(data)
        seen = ffmpeg_scc(path)
        assert [text for _, _, text in seen] == expected
        for k, ((start, _, _), (flip, _, _)) in enumerate(zip(seen, decoded, strict=True)):
            assert abs(start - (track.cues[0].start if k == 0 else frame_to_ms(flip))) <= 100, (k, start)
            if on_time:
                assert abs(start - track.cues[k].start) <= 100, (k, start)
    return decoded


def test_scc_shows_accented_text_and_the_first_cue_on_time(tmp_path: Path) -> None:
    track = Captions(
        cues=[
            Cue(0, 2500, ["Über die Straße: Ærø, Ørsted"]),
            Cue(2500, 5000, ["Señor Müller ♪♪ sagte «¡sí!»", "© 2024 — 50% ½ price…"]),
            Cue(5000, 7000, ["São Paulo, Zürich, Ålesund, François", "naïve {x} | a_b ~ c\\d ^ e*f"]),
            Cue(7500, 9000, ["Well… I—I think so… maybe—maybe."]),
        ]
    )
    decoded = check_scc_read_back(track, tmp_path)
    assert [text for _, _, text in decoded] == [
        "Über die Straße: AErø, Ørsted",
        "Señor Müller ♪ ♪ sagte «¡sí!»\n© 2024 -- 50% ½ price...",
        "São Paulo, Zürich,\nÅlesund, François naïve\n{x} | a_b ~ c\\d ^ e*f",
        "Well... I--I think so...\nmaybe--maybe.",
    ]


def test_scc_sends_every_special_and_extended_character(tmp_path: Path) -> None:
    chars = _608_SPECIAL.replace(" ", "") + "".join(_608_EXTENDED.values()) + "áéíóúç÷Ññ"
    kept = "".join(c for c in chars if c not in "‘'—•“”")  # sent as ASCII: decoders disagree on them
    rows = [kept[k : k + 24] for k in range(0, len(kept), 24)]
    track = Captions(cues=[Cue(2000 + 3000 * k, 4000 + 3000 * k, [row]) for k, row in enumerate(rows)])
    decoded = check_scc_read_back(track, tmp_path)
    assert [text for _, _, text in decoded] == rows


def test_scc_keeps_sixty_back_to_back_one_second_cues_on_time(tmp_path: Path) -> None:
    # 30 characters a second, twice the CEA-608 reading speed, leaves the channel time to spare
    check_scc_read_back(Captions(cues=news_cues(60, 1.0, chars=30, first=2000)), tmp_path)
    check_scc_read_back(Captions(cues=news_cues(60, 0.9, gap_ms=200, chars=30, seed=2, first=1000)), tmp_path)
    track = Captions(cues=news_cues(60, 2.0, chars=60, seed=3, first=1500))
    assert min(len(scc.rows_for(c.lines)) for c in track.cues) == 2  # all on two rows
    check_scc_read_back(track, tmp_path)
    # from frame 0 the first caption's bytes come first: the next few flip late, as the channel
    # allows, and catch up
    track = Captions(cues=news_cues(60, 1.0, chars=30, seed=4))
    decoded = check_scc_read_back(track, tmp_path, on_time=False)
    late = [k for k, (flip, _, _) in enumerate(decoded) if flip > ms_to_frame(track.cues[k].start)]
    assert late == list(range(len(late))) and len(late) < 10, late


def test_scc_text_beyond_the_byte_rate_is_late_but_never_lost(tmp_path: Path) -> None:
    # 64 characters a second is more than line 21 carries (2 bytes a frame, 60 a second): the
    # captions fall behind, but only as far as the bytes force, and are on time after a pause
    burst = [Cue(k * 1000, k * 1000 + 1000, ["x" * 31 + str(k % 10), "y" * 32]) for k in range(60)]
    calm = [Cue(100000 + k * 2000, 101500 + k * 2000, [f"On time again {k}"]) for k in range(5)]
    decoded = check_scc_read_back(Captions(cues=burst + calm), tmp_path, on_time=False)
    flips = [flip for flip, _, _ in decoded]
    for k in range(1, 60):  # 64 characters and 5 control codes: 7 frames a second late (old: 12)
        assert flips[k] - flips[k - 1] <= 37, k
    assert flips[60:] == [ms_to_frame(cue.start) for cue in calm]


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
    assert first[4] == "9476"  # row 15 (0x14 0x60) + indent 12 (0x10 | 3 << 1): "Hello" centred
    # "Hello" = c8 e5 ec ec ef (with parity), padded with 80
    assert first[6:9] == ["c8e5", "ecec", "ef80"]
    # the load ends right before the cue's start frame, where 942f comes on a line of its own
    load_frame = dropframe_to_frame(lines[0].split("\t")[0])
    assert load_frame + len(first) == ms_to_frame(1000)
    assert lines[1] == f"{frame_to_dropframe(ms_to_frame(1000))}\t942f 942f"
    # the first cue is replaced by the second within 2 frames: no erase in between;
    # the second is erased at its end because the third starts much later
    assert [line.split("\t")[1] for line in lines].count("942c 942c") == 2
    assert f"{frame_to_dropframe(ms_to_frame(4000))}\t942c 942c" in lines


def test_scc_splits_more_than_four_rows_into_captions(tmp_path: Path) -> None:
    words = " ".join(f"word{i}" for i in range(60))
    text = formats.write(Captions(cues=[Cue(0, 20000, [words])]), "scc").decode()
    decoded, _ = decode_scc(text)
    assert len(decoded) >= 3 and all(len(t.split("\n")) <= 4 for _, _, t in decoded)
    assert " ".join(t.replace("\n", " ") for _, _, t in decoded) == words
    assert decoded[-1][1] == ms_to_frame(20000)
    assert all(a[1] == b[0] for a, b in zip(decoded, decoded[1:], strict=False))  # one after the other


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
