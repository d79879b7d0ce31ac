"""Media into uploads that fit an endpoint's size limit: as it is, transcoded, or cut at silences.

OpenAI refuses files over 25 MB. A file that fits and has a name the endpoint understands is
sent unchanged. Anything else is decoded with PyAV to 16 kHz mono (what Whisper models hear
anyway) and encoded to a compact format (MP3 at 32 kbit/s by default: about 14 MB an hour). When
even that is too large, the audio is cut into parts at the quietest moment near each limit, so
no word is split, and every part remembers where it starts so the transcripts' times can be
put back on the media's clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from providers.errors import PermanentProviderError

SAMPLE_RATE = 16000

#: Names OpenAI's endpoint takes as they are (it reads the format from the extension).
ACCEPTED_SUFFIXES = frozenset({".flac", ".m4a", ".mp3", ".mp4", ".mpeg", ".mpga", ".oga", ".ogg", ".wav", ".webm"})

#: Upload formats: (container, codec, suffix, MIME type).
ENCODINGS: dict[str, tuple[str, str, str, str]] = {
    "mp3": ("mp3", "libmp3lame", ".mp3", "audio/mpeg"),
    "ogg": ("ogg", "libopus", ".ogg", "audio/ogg"),
    "flac": ("flac", "flac", ".flac", "audio/flac"),
    "wav": ("wav", "pcm_s16le", ".wav", "audio/wav"),
}

#: Loudness is measured over frames this long when looking for a quiet place to cut.
FRAME_S = 0.05
#: A cut goes where the audio is quietest over this long a stretch (a pause, not a stop consonant).
QUIET_STRETCH_S = 0.4
#: A cut is searched for in this last share of each part.
SEARCH_SHARE = 0.3
#: The shortest part worth sending; a size limit that allows less is a configuration error.
MIN_PART_S = 2.0
#: Each new plan leaves this much more room when a part came out over the limit (variable bit rate).
PLAN_MARGIN = 0.85
#: Frames measured at once (about 3 minutes of audio).
_FRAMES_PER_BLOCK = 4096


@dataclass(frozen=True)
class Upload:
    """One file to send and where its audio starts on the media's clock."""

    path: Path
    offset_s: float
    duration_s: float | None
    mime_type: str


def mime_type(path: Path) -> str:
    suffix = path.suffix.lower()
    for _container, _codec, known, mime in ENCODINGS.values():
        if suffix == known:
            return mime
    return {".mp4": "video/mp4", ".m4a": "audio/mp4", ".webm": "video/webm"}.get(suffix, "application/octet-stream")


def uploads(media: Path, folder: Path, *, max_bytes: int, encoding: str, bitrate: int) -> list[Upload]:
    """The files to send for ``media``, each at most ``max_bytes``.

    ``encoding`` is ``"auto"`` (the media itself when it fits and has an accepted name, else
    MP3) or one of :data:`ENCODINGS` (always transcoded). Parts are written into ``folder``.
    """
    if encoding == "auto" and media.suffix.lower() in ACCEPTED_SUFFIXES and media.stat().st_size <= max_bytes:
        return [Upload(media, 0.0, None, mime_type(media))]
    codec = "mp3" if encoding == "auto" else encoding
    samples = decode(media)
    duration_s = len(samples) / SAMPLE_RATE
    bytes_per_s = expected_bytes_per_s(codec, bitrate)
    if bytes_per_s is None or duration_s * bytes_per_s <= max_bytes * 1.1:
        whole = encode(samples, folder / "audio", codec, bitrate)
        if whole.stat().st_size <= max_bytes:
            return [Upload(whole, 0.0, duration_s, ENCODINGS[codec][3])]
        bytes_per_s = whole.stat().st_size / duration_s
        whole.unlink()
    return split(samples, folder, max_bytes=max_bytes, codec=codec, bitrate=bitrate, bytes_per_s=bytes_per_s)


def expected_bytes_per_s(codec: str, bitrate: int) -> float | None:
    """What a second of 16 kHz mono audio takes in ``codec``; ``None`` where only encoding tells (FLAC)."""
    if codec == "wav":
        return SAMPLE_RATE * 2.0
    return bitrate / 8 if codec in ("mp3", "ogg") else None


def split(
    samples: np.ndarray, folder: Path, *, max_bytes: int, codec: str, bitrate: int, bytes_per_s: float
) -> list[Upload]:
    """Cut ``samples`` into encoded parts of at most ``max_bytes``, planning again with more room
    whenever a part comes out larger than the plan assumed."""
    part_s = max_bytes / bytes_per_s * PLAN_MARGIN
    for _attempt in range(6):
        if part_s < MIN_PART_S:
            raise PermanentProviderError(
                f"max_upload_bytes ({max_bytes}) leaves less than {MIN_PART_S:g} s of {codec} audio per upload"
            )
        parts = list(_encode_parts(samples, folder, codec, bitrate, quiet_cuts(samples, part_s)))
        if all(part.path.stat().st_size <= max_bytes for part in parts):
            return parts
        for part in parts:
            part.path.unlink()
        part_s *= PLAN_MARGIN
    raise PermanentProviderError(f"the audio could not be cut into parts of at most {max_bytes} bytes")


def _encode_parts(samples: np.ndarray, folder: Path, codec: str, bitrate: int, cuts: list[int]) -> Iterator[Upload]:
    bounds = [0, *cuts, len(samples)]
    for index, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False)):
        path = encode(samples[start:end], folder / f"part-{index:03d}", codec, bitrate)
        yield Upload(path, start / SAMPLE_RATE, (end - start) / SAMPLE_RATE, ENCODINGS[codec][3])


def quiet_cuts(samples: np.ndarray, part_s: float) -> list[int]:
    """Sample indices where to cut so that no part is longer than ``part_s`` seconds.

    Each cut lies in the last :data:`SEARCH_SHARE` of its part, at the middle of the quietest
    :data:`QUIET_STRETCH_S` there (the pause between two sentences, where there is one).
    """
    frame = int(FRAME_S * SAMPLE_RATE)
    loudness = _smoothed_loudness(samples, frame)
    longest = int(part_s * SAMPLE_RATE)
    cuts: list[int] = []
    start = 0
    while len(samples) - start > longest:
        low = (start + int(longest * (1 - SEARCH_SHARE))) // frame
        high = max(low + 1, (start + longest) // frame)
        quietest = low + int(np.argmin(loudness[low:high]))
        cut = min(max(quietest * frame + frame // 2, start + frame), start + longest)
        cuts.append(cut)
        start = cut
    return cuts


def _smoothed_loudness(samples: np.ndarray, frame: int) -> np.ndarray:
    """Mean square of each frame, averaged over :data:`QUIET_STRETCH_S` around it.

    Computed a block of frames at a time, so hours of audio need no float copy of every sample.
    """
    frames = math.ceil(len(samples) / frame)
    power = np.empty(frames, dtype=np.float32)
    for first in range(0, frames, _FRAMES_PER_BLOCK):
        piece = samples[first * frame : (first + _FRAMES_PER_BLOCK) * frame].astype(np.float32) / 32768.0
        count = math.ceil(len(piece) / frame)
        padded = np.zeros(count * frame, dtype=np.float32)
        padded[: len(piece)] = piece
        power[first : first + count] = (padded.reshape(count, frame) ** 2).mean(axis=1)
    width = max(1, int(QUIET_STRETCH_S / FRAME_S))
    return np.convolve(power, np.ones(width) / width, mode="same")


def decode(media: Path) -> np.ndarray:
    """The media's first audio track as 16 kHz mono 16-bit samples (about 115 MB an hour).

    Raises :class:`PermanentProviderError` for a file that is not media, has no audio track or
    holds no samples.
    """
    import av

    try:
        with av.open(str(media), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise PermanentProviderError("cannot decode media: it has no audio track")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            pieces = [
                out.to_ndarray().reshape(-1) for frame in container.decode(stream) for out in resampler.resample(frame)
            ]
            pieces += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    except PermanentProviderError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, IndexError, RuntimeError) as err:
        raise PermanentProviderError(f"cannot decode media: {err}") from err
    samples = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)
    if samples.size == 0:
        raise PermanentProviderError("cannot decode media: the audio track holds no samples")
    return samples


def encode(samples: np.ndarray, stem: Path, codec: str, bitrate: int) -> Path:
    """16 kHz mono ``samples`` encoded as ``codec`` (a key of :data:`ENCODINGS`) next to ``stem``."""
    import av

    container_format, codec_name, suffix, _mime = ENCODINGS[codec]
    path = stem.with_suffix(suffix)
    with av.open(str(path), mode="w", format=container_format) as container:
        stream = container.add_stream(codec_name, rate=SAMPLE_RATE, layout="mono")
        if codec in ("mp3", "ogg"):
            stream.bit_rate = bitrate
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path
