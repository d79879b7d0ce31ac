"""The language an endpoint names, as the language code the gateway records.

OpenAI's ``verbose_json`` names the language it detected in English, as Whisper does
(``"language": "english"``); self-hosted servers answer either that name or the code (``"en"``).
A job in ``auto`` takes the detected language as its own, and caption files carry it (TTML's
``xml:lang``), so the provider reports and writes the code: :func:`language_code`.
"""

from __future__ import annotations

import re

#: Every language Whisper knows, code to the name endpoints answer (Whisper's ``LANGUAGES`` table).
#: ``haw`` and ``yue`` have no two-letter ISO 639-1 code; ``jw`` is Whisper's code for Javanese,
#: whose ISO 639-1 code is ``jv`` (see :data:`ISO_CODES`).
WHISPER_LANGUAGES: dict[str, str] = {
    "en": "english",
    "zh": "chinese",
    "de": "german",
    "es": "spanish",
    "ru": "russian",
    "ko": "korean",
    "fr": "french",
    "ja": "japanese",
    "pt": "portuguese",
    "tr": "turkish",
    "pl": "polish",
    "ca": "catalan",
    "nl": "dutch",
    "ar": "arabic",
    "sv": "swedish",
    "it": "italian",
    "id": "indonesian",
    "hi": "hindi",
    "fi": "finnish",
    "vi": "vietnamese",
    "he": "hebrew",
    "uk": "ukrainian",
    "el": "greek",
    "ms": "malay",
    "cs": "czech",
    "ro": "romanian",
    "da": "danish",
    "hu": "hungarian",
    "ta": "tamil",
    "no": "norwegian",
    "th": "thai",
    "ur": "urdu",
    "hr": "croatian",
    "bg": "bulgarian",
    "lt": "lithuanian",
    "la": "latin",
    "mi": "maori",
    "ml": "malayalam",
    "cy": "welsh",
    "sk": "slovak",
    "te": "telugu",
    "fa": "persian",
    "lv": "latvian",
    "bn": "bengali",
    "sr": "serbian",
    "az": "azerbaijani",
    "sl": "slovenian",
    "kn": "kannada",
    "et": "estonian",
    "mk": "macedonian",
    "br": "breton",
    "eu": "basque",
    "is": "icelandic",
    "hy": "armenian",
    "ne": "nepali",
    "mn": "mongolian",
    "bs": "bosnian",
    "kk": "kazakh",
    "sq": "albanian",
    "sw": "swahili",
    "gl": "galician",
    "mr": "marathi",
    "pa": "punjabi",
    "si": "sinhala",
    "km": "khmer",
    "sn": "shona",
    "yo": "yoruba",
    "so": "somali",
    "af": "afrikaans",
    "oc": "occitan",
    "ka": "georgian",
    "be": "belarusian",
    "tg": "tajik",
    "sd": "sindhi",
    "gu": "gujarati",
    "am": "amharic",
    "yi": "yiddish",
    "lo": "lao",
    "uz": "uzbek",
    "fo": "faroese",
    "ht": "haitian creole",
    "ps": "pashto",
    "tk": "turkmen",
    "nn": "nynorsk",
    "mt": "maltese",
    "sa": "sanskrit",
    "lb": "luxembourgish",
    "my": "myanmar",
    "bo": "tibetan",
    "tl": "tagalog",
    "mg": "malagasy",
    "as": "assamese",
    "tt": "tatar",
    "haw": "hawaiian",
    "ln": "lingala",
    "ha": "hausa",
    "ba": "bashkir",
    "jw": "javanese",
    "su": "sundanese",
    "yue": "cantonese",
}

#: Other names Whisper takes for some of its languages.
NAME_ALIASES: dict[str, str] = {
    "burmese": "my",
    "valencian": "ca",
    "flemish": "nl",
    "haitian": "ht",
    "letzeburgesch": "lb",
    "pushto": "ps",
    "panjabi": "pa",
    "moldavian": "ro",
    "moldovan": "ro",
    "sinhalese": "si",
    "castilian": "es",
    "mandarin": "zh",
}

#: Whisper's codes that are not the language's ISO 639-1 code.
ISO_CODES: dict[str, str] = {"jw": "jv"}

#: A language's name (lower case) to its code.
CODES_BY_NAME: dict[str, str] = {
    **{name: ISO_CODES.get(code, code) for code, name in WHISPER_LANGUAGES.items()},
    **NAME_ALIASES,
}

#: A language tag: a two- or three-letter language, then subtags (``en``, ``pt-BR``, ``zh-Hant``).
_TAG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*", re.IGNORECASE)


def language_code(answer: object) -> str | None:
    """The code of the language an endpoint answered: ``english`` -> ``en``, a code kept as it is.

    Names are those of :data:`WHISPER_LANGUAGES` and :data:`NAME_ALIASES`, in any case. A code
    keeps its subtags (``pt-BR``), with the language lower-cased and Whisper's ``jw`` read as
    ``jv``. ``None`` for no answer, or a name that is not a known language.
    """
    if not isinstance(answer, str) or not answer.strip():
        return None
    text = answer.strip()
    name = " ".join(text.lower().replace("_", " ").split())
    if name in CODES_BY_NAME:
        return CODES_BY_NAME[name]
    tag = text.replace("_", "-")
    if not _TAG.fullmatch(tag):
        return None
    language, _, subtags = tag.partition("-")
    language = ISO_CODES.get(language.lower(), language.lower())
    return f"{language}-{subtags}" if subtags else language
