"""The ``captions`` command, the transcript writer and the public API surface."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import formats
from formats import Captions, Cue
from formats.cli import main

DATA = Path(__file__).parent / "data" / "formats"
ROOT = Path(__file__).resolve().parents[1]


def test_public_api() -> None:
    assert formats.OUTPUT_TYPES == ("vtt", "srt", "txt", "json", "dfxp", "ttml", "scc", "sbv")
    assert set(formats.INPUT_TYPES) == {"vtt", "srt", "sbv", "dfxp", "ttml", "json", "scc"}
    for name in ("read", "write", "transcript", "validate_webvtt", "segment", "lint", "get_profile", "PROFILES",
                 "StyleProfile", "ValidationIssue", "QualityReport", "CaptionFormatError"):  # fmt: skip
        assert hasattr(formats, name), name


def test_formats_imports_nothing_from_the_rest_of_the_gateway() -> None:
    code = (
        "import sys, formats, formats.cli; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('gateway', 'providers', 'storage')]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_write_rejects_unknown_type() -> None:
    with pytest.raises(formats.CaptionFormatError, match="cannot write 'docx'"):
        formats.write(Captions(cues=[Cue(0, 1000, ["x"])]), "docx")


def test_transcript_paragraphs_and_speakers() -> None:
    track = Captions(
        cues=[
            Cue(0, 1000, ["Hello there."], "Ann"),
            Cue(1000, 2000, ["How are", "you?"], "Ann"),
            Cue(2100, 3000, ["Fine, thanks."], "Bob"),
            Cue(9000, 10000, ["Much later."], "Bob"),
            Cue(10000, 11000, []),
        ]
    )
    assert formats.transcript(track) == ("Ann: Hello there. How are you?\n\nBob: Fine, thanks.\n\nBob: Much later.\n")
    assert formats.transcript(track, speakers=False) == "Hello there. How are you?\n\nFine, thanks.\n\nMuch later.\n"
    assert formats.write(track, "txt").decode() == formats.transcript(track)


def test_cli_convert_by_extension(tmp_path: Path) -> None:
    out = tmp_path / "news.vtt"
    assert main(["convert", str(DATA / "news.srt"), str(out)]) == 0
    text = out.read_text()
    assert text.startswith("WEBVTT\n\n00:00:01.200 --> 00:00:03.900\n[Music playing]\n")
    assert "Tonight: storms &amp; floods" in text
    assert formats.validate_webvtt(out.read_bytes()) == []


@pytest.mark.parametrize("fmt", ["srt", "txt", "json", "dfxp", "ttml", "scc", "sbv"])
def test_cli_convert_to_every_type(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out.bin"
    assert main(["convert", str(DATA / "interview.vtt"), str(out), "--to", fmt]) == 0
    assert out.read_bytes() == formats.write(formats.read((DATA / "interview.vtt").read_bytes()), fmt)


def test_cli_convert_resegment_with_profile(tmp_path: Path) -> None:
    src = tmp_path / "long.srt"
    long_line = "This caption is much too long for a single line and keeps going well past the limit of a cea608 row"
    src.write_text(f"1\n00:00:01,000 --> 00:00:09,000\n{long_line}\n")
    out = tmp_path / "out.srt"
    assert main(["convert", str(src), str(out), "--resegment", "--profile", "cea608"]) == 0
    back = formats.read(out.read_bytes())
    assert len(back.cues) >= 2
    assert all(len(line) <= 32 for c in back.cues for line in c.lines)
    assert " ".join(line for c in back.cues for line in c.lines) == long_line


def test_cli_lint_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(DATA / "interview.vtt")]) == 0
    assert "violations: 0" in capsys.readouterr().out
    bad = tmp_path / "bad.srt"
    bad.write_text("1\n00:00:01,000 --> 00:00:01,300\nNobody can read this so quickly\n")
    assert main(["lint", str(bad), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["violations"] == 2
    assert report["over_cps"]["cues"] == [0] and report["too_short"]["cues"] == [0]
    assert main(["lint", str(bad), "--profile", "bbc", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["profile"] == "bbc"


def test_cli_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.vtt"
    good.write_bytes(formats.write(formats.read((DATA / "news.srt").read_bytes()), "vtt"))
    assert main(["validate", str(good)]) == 0
    assert "valid WebVTT" in capsys.readouterr().out
    bad = tmp_path / "bad.vtt"
    bad.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfish & chips\n")
    assert main(["validate", str(bad)]) == 1
    assert f"{bad}:4: unescaped '&'" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["convert", "missing.srt", "out.vtt"], "No such file"),
        (["convert", str(DATA / "news.srt"), "out.xyz"], "cannot tell the output type"),
        (["convert", str(DATA / "news.srt"), "out.vtt", "--to", "docx"], "cannot write 'docx'"),
        (["convert", str(DATA / "news.srt"), "out.vtt", "--from", "docx"], "cannot read 'docx'"),
        (["convert", str(DATA / "news.srt"), "out.vtt", "--profile", "tiny"], "unknown style profile"),
        (["lint", str(DATA / "broadcast.dfxp"), "--from", "srt"], "srt:"),
    ],
)
def test_cli_errors_exit_2_without_traceback(
    args: list[str], words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("captions: ") and words in err
    assert "Traceback" not in err


def test_cli_as_a_process(tmp_path: Path) -> None:
    bad = tmp_path / "broken.srt"
    bad.write_bytes(b"1\n00:00:01,000 --> 00:00:0x,000\nHi\n")
    proc = subprocess.run(
        [sys.executable, "-m", "formats.cli", "convert", str(bad), str(tmp_path / "o.vtt")],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "captions: srt: no cues found (cue skipped: malformed timing line '00:00:01,000 --> 00:00:0x,000') (line 2)"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "formats.cli", "convert", str(DATA / "sample.sbv"), "-", "--to", "vtt"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0
    assert proc.stdout.startswith("WEBVTT\n\n00:00:00.400 --> 00:00:02.100\nHi everyone, welcome\nto the channel.\n")
