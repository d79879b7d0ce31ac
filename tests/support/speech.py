"""Known speech on disk: synthesised from a script with espeak-ng, muxed into mp4 with ffmpeg.

Tests that run a real speech recogniser need audio whose words are known in advance. These
helpers make it from text, so nothing is downloaded and the expected transcript is the script.
They also make media that must be refused: bytes that are not a media file, and an mp4 with a
video track but no audio.

Every helper takes the output folder and returns the path it wrote. Generating is cheap (well
under a second per clip), but callers should still cache results per test session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

#: Two to three sentences of clear news-like speech (about 19 s at 150 words a minute).
NEWS_SCRIPT = (
    "The city council approved a new budget on Tuesday after a long debate. "
    "The plan adds money for public schools, road repairs and two new parks. "
    "Officials said the changes will take effect next month, "
    "and residents can read the full report on the city website."
)

#: About a minute of speech, for the benchmark.
LONG_SCRIPT = (
    "Good evening, here is the news. "
    "The city council approved a new budget on Tuesday after a long debate. "
    "The plan adds money for public schools, road repairs and two new parks. "
    "Officials said the changes will take effect next month, "
    "and residents can read the full report on the city website. "
    "In other news, heavy rain is expected across the region this weekend. "
    "Forecasters warned drivers to take care on the roads and to check for delays before they travel. "
    "Several rivers could rise above their normal level by Sunday morning. "
    "At the airport, a new terminal opened to passengers for the first time today. "
    "The building has more gates, faster security lanes and a larger waiting area. "
    "Travellers said the lines were shorter than they had expected. "
    "In sports, the home team won its third game in a row on Monday night. "
    "The coach praised the players for their defence and said the season is far from over. "
    "That is all for now. Thank you for watching, and good night."
)

ESPEAK_VOICE = "en-us"
ESPEAK_WORDS_PER_MINUTE = 150


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is required to generate test media; install it (Debian: apt-get install {name})")
    return path


def _run(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed ({result.returncode}): {result.stderr.strip()[-500:]}")


def speak_wav(text: str, out: Path, voice: str = ESPEAK_VOICE, wpm: int = ESPEAK_WORDS_PER_MINUTE) -> Path:
    """Read ``text`` aloud with espeak-ng into the WAV file ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    _run([_tool("espeak-ng"), "-v", voice, "-s", str(wpm), "-w", str(out), text])
    return out


def _ffmpeg(out: Path, *args: str) -> Path:
    """Run ffmpeg quietly, writing ``out`` (its folder is created); returns ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    _run([_tool("ffmpeg"), "-hide_banner", "-loglevel", "error", "-y", *args, str(out)])
    return out


def mux_mp4(wav: Path, out: Path) -> Path:
    """Put ``wav`` as AAC audio next to a black 320x240 video track in the mp4 ``out``."""
    return _ffmpeg(
        out,
        *("-f", "lavfi", "-i", "color=c=black:s=320x240:r=25"),
        *("-i", str(wav)),
        *("-map", "0:v", "-map", "1:a", "-shortest"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", "-b:a", "96k"),
    )


def speech_mp4(text: str, folder: Path, name: str = "speech") -> Path:
    """An mp4 whose audio track reads ``text``; returns its path."""
    wav = speak_wav(text, folder / f"{name}.wav")
    return mux_mp4(wav, folder / f"{name}.mp4")


def repeated_wav(source: Path, out: Path, times: int) -> Path:
    """The audio of ``source`` played ``times`` times over, as the 16 kHz mono WAV file ``out``.

    Minutes of speech in well under a second (no synthesis, no lossy encoder), about 2 MB a minute.
    """
    return _ffmpeg(
        out,
        *("-stream_loop", str(times - 1), "-i", str(source)),
        *("-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le"),
    )


def silent_wav(folder: Path, seconds: float = 3.0, name: str = "silence") -> Path:
    """A WAV file of digital silence (16 kHz mono)."""
    return _ffmpeg(folder / f"{name}.wav", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", str(seconds))


def video_only_mp4(folder: Path, seconds: float = 2.0, name: str = "video-only") -> Path:
    """An mp4 with a black video track and no audio track at all."""
    return _ffmpeg(
        folder / f"{name}.mp4",
        *("-f", "lavfi", "-i", "color=c=black:s=320x240:r=25", "-t", str(seconds)),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-an"),
    )


def garbage_mp4(folder: Path, size: int = 64 * 1024, name: str = "garbage") -> Path:
    """Random bytes saved under an ``.mp4`` name: not a media file, whatever the name says."""
    out = folder / f"{name}.mp4"
    folder.mkdir(parents=True, exist_ok=True)
    out.write_bytes(os.urandom(size))
    return out


def empty_wav(folder: Path, name: str = "empty") -> Path:
    """A well-formed WAV file holding no samples (zero duration)."""
    return _ffmpeg(folder / f"{name}.wav", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-frames:a", "0")


#: A feature report read more slowly, with numbers, names and longer sentences (about 60 s).
FEATURE_SCRIPT = (
    "For more than forty years, the old mill by the river stood empty. "
    "This spring, a group of neighbours bought it for one dollar and a promise to repair the roof. "
    "Maria Lopez, who grew up two streets away, leads the project. "
    "She says the building will hold a bakery, a small library and workshops for young people. "
    "The first floor is already open on weekends, and the smell of fresh bread reaches the bridge. "
    "Money came from local families, a regional grant and a concert that sold out in one hour. "
    "Engineers checked the walls in March and found them stronger than anyone had hoped. "
    "The hardest part, Lopez says, was not the stone but the paperwork. "
    "Work on the upper floors should be finished before the winter, "
    "and the group plans a festival in October to celebrate."
)

#: Questions and answers in short, quick turns (about 50 s).
INTERVIEW_SCRIPT = (
    "Thank you for joining us this morning. "
    "It is a pleasure to be here. "
    "Let us start with the storm. How bad was the damage in your town? "
    "Honestly, it was worse than we expected. "
    "Many trees fell across the main road, and about two thousand homes lost power for a day. "
    "How quickly did the crews respond? "
    "They were out before sunrise. By noon most of the roads were clear again. "
    "What do people need most right now? "
    "Mostly patience, and a little help from their neighbours. "
    "The school gym is open as a shelter, and volunteers are bringing hot meals every evening. "
    "Is there anything you would change for the next storm? "
    "Yes. We need better warnings on the radio, and we need them earlier."
)

#: One French sentence pair, for a multilingual model (espeak-ng voice ``fr``).
FRENCH_SCRIPT = (
    "Le conseil municipal a approuvé un nouveau budget mardi après un long débat. "
    "Le plan prévoit de l'argent pour les écoles publiques et la réparation des routes."
)

#: Six readings in different voices and speeds with pauses between them: over six minutes of
#: varied speech. Each item is (script, espeak-ng voice, words a minute, pause after it in seconds).
VARIED_READINGS: tuple[tuple[str, str, int, float], ...] = (
    (LONG_SCRIPT, "en-us", 150, 1.5),
    (FEATURE_SCRIPT, "en-gb", 170, 3.0),
    (INTERVIEW_SCRIPT, "en-us+f3", 135, 1.0),
    (LONG_SCRIPT, "en-gb-x-rp", 185, 2.5),
    (FEATURE_SCRIPT, "en-us+m3", 140, 1.5),
    (INTERVIEW_SCRIPT, "en-gb-scotland", 160, 2.0),
)


def readings_script(readings: tuple[tuple[str, str, int, float], ...] = VARIED_READINGS) -> str:
    """The text of ``readings`` in order: the reference transcript of :func:`readings_wav`."""
    return " ".join(script for script, _voice, _wpm, _pause in readings)


def readings_wav(
    folder: Path, readings: tuple[tuple[str, str, int, float], ...] = VARIED_READINGS, name: str = "varied"
) -> Path:
    """Every reading of ``readings`` spoken with its voice and speed, each followed by its pause of
    silence, joined into the 16 kHz mono WAV file ``<folder>/<name>.wav``."""
    parts: list[Path] = []
    for index, (script, voice, wpm, pause_s) in enumerate(readings):
        parts.append(speak_wav(script, folder / f"{name}-{index}.wav", voice=voice, wpm=wpm))
        parts.append(silent_wav(folder, pause_s, name=f"{name}-{index}-pause"))
    inputs = [arg for part in parts for arg in ("-i", str(part))]
    indices = range(len(parts))
    streams = "".join(f"[{index}:a]aresample=16000,aformat=channel_layouts=mono[a{index}];" for index in indices)
    joined = "".join(f"[a{index}]" for index in indices)
    graph = f"{streams}{joined}concat=n={len(parts)}:v=0:a=1[out]"
    return _ffmpeg(folder / f"{name}.wav", *inputs, "-filter_complex", graph, "-map", "[out]", "-c:a", "pcm_s16le")
