"""The parts without a server: reading verbose_json, quiet cut points, the prompt, languages."""

from __future__ import annotations

import numpy as np
import pytest
from caption_gateway_openai import audio
from caption_gateway_openai.languages import WHISPER_LANGUAGES, language_code
from caption_gateway_openai.provider import caption_language, endpoint_language, prompt
from caption_gateway_openai.transcript import read_verbose_json

from providers.errors import PermanentProviderError

VERBOSE = {
    "task": "transcribe",
    "language": "english",
    "duration": 4.0,
    "text": "Hello, Dr. Okonkwo! It's late.",
    "segments": [
        {"id": 0, "start": 0.0, "end": 2.0, "text": " Hello, Dr. Okonkwo!"},
        {"id": 1, "start": 2.5, "end": 4.0, "text": " It's late."},
    ],
    "words": [
        {"word": "Hello", "start": 0.0, "end": 0.5},
        {"word": "Dr", "start": 0.6, "end": 0.9},
        {"word": "Okonkwo", "start": 1.0, "end": 1.9},
        {"word": "It's", "start": 2.5, "end": 2.9},
        {"word": "late", "start": 3.0, "end": 3.5},
    ],
}


def test_words_take_their_written_forms_from_the_segments():
    part = read_verbose_json(VERBOSE)
    assert [w.text for w in part.words] == ["Hello,", "Dr.", "Okonkwo!", "It's", "late."]
    assert (part.words[0].start, part.words[-1].end) == (0, 3500)
    assert (part.timestamps, part.language, part.language_answered, part.duration_s) == ("word", "en", "english", 4.0)


def test_a_later_part_is_moved_onto_the_media_clock_and_kept_within_itself():
    part = read_verbose_json({**VERBOSE, "words": [*VERBOSE["words"], {"word": "x", "start": 9, "end": 9.5}]}, 60, 64)
    assert part.words[0].start == 60_000
    assert part.words[-1].start == part.words[-1].end == 64_000


def test_segments_alone_share_their_time_among_their_words():
    part = read_verbose_json({k: v for k, v in VERBOSE.items() if k != "words"})
    assert part.timestamps == "segment"
    assert [w.text for w in part.words] == ["Hello,", "Dr.", "Okonkwo!", "It's", "late."]
    first = part.words[:3]
    assert first[0].start == 0 and first[-1].end == 2000
    assert all(a.end <= b.start for a, b in zip(first, first[1:], strict=False))


@pytest.mark.parametrize(
    "answer", [{"text": "no timestamps"}, [], {"segments": [{"start": "soon", "end": 1, "text": "hi"}]}]
)
def test_answers_without_usable_timestamps_are_provider_errors(answer):
    with pytest.raises(PermanentProviderError):
        read_verbose_json(answer)


def test_cuts_fall_in_the_pause_nearest_the_limit():
    rate = audio.SAMPLE_RATE
    tone = (8000 * np.sin(np.arange(3 * rate) * 2 * np.pi * 220 / rate)).astype(np.int16)
    pause = np.zeros(rate // 2, dtype=np.int16)
    samples = np.concatenate([tone, pause, tone, pause, tone])  # pauses at 3.0-3.5 s and 6.5-7.0 s
    cuts = audio.quiet_cuts(samples, part_s=4.0)
    assert len(cuts) == 2  # the last 3.3 s fit in one part
    assert 3.0 <= cuts[0] / rate <= 3.5
    assert 6.5 <= cuts[1] / rate <= 7.0
    assert all(b - a <= 4 * rate for a, b in zip([0, *cuts], [*cuts, len(samples)], strict=False))


def test_a_limit_too_small_for_any_speech_is_a_configuration_error(tmp_path):
    samples = np.zeros(10 * audio.SAMPLE_RATE, dtype=np.int16)
    with pytest.raises(PermanentProviderError, match="max_upload_bytes"):
        audio.split(samples, tmp_path, max_bytes=1000, codec="mp3", bitrate=32000, bytes_per_s=4000)


def test_prompt_and_language():
    assert prompt([]) is None
    assert prompt(["A", "B"], "Earlier text.") == "Glossary: A, B. Earlier text."
    assert len(prompt([f"term{i:03d}" for i in range(100)])) <= 400
    assert prompt([], "word " * 200).count("word") <= 60
    assert [endpoint_language(x) for x in ("en-US", "pt_BR", "auto", "")] == ["en", "pt", None, None]


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ("english", "en"),
        ("French", "fr"),
        (" haitian creole ", "ht"),
        ("javanese", "jv"),
        ("cantonese", "yue"),
        ("castilian", "es"),
        ("en", "en"),
        ("DE", "de"),
        ("pt_BR", "pt-BR"),
        ("jw", "jv"),
        ("klingon", None),
        ("", None),
        (None, None),
    ],
)
def test_the_endpoints_language_is_read_as_its_code(answer, code):
    assert language_code(answer) == code


def test_every_whisper_language_name_has_its_code():
    assert len(WHISPER_LANGUAGES) == 100
    for code, name in WHISPER_LANGUAGES.items():
        assert language_code(name) == ("jv" if code == "jw" else code)
        assert language_code(name.upper()) == language_code(code)


def test_the_captions_language_is_the_jobs_unless_auto():
    assert caption_language("en-US", "en") == "en-US"
    assert caption_language("auto", "fr") == "fr"
    assert caption_language("auto", None) == "und"
    assert read_verbose_json({**VERBOSE, "language": "english"}).language == "en"
    assert read_verbose_json({k: v for k, v in VERBOSE.items() if k != "language"}).language is None
