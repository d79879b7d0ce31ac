"""The gateway's own JSON caption format.

``{"language": "en", "cues": [{"start": 1000, "end": 2500, "lines": ["..."], "speaker": null,
"words": [{"start": 1000, "end": 1300, "text": "Hello,", "probability": 0.98}]}]}``.
Times are integer milliseconds. The reader also accepts ``"text"`` (a string, split on newlines)
instead of ``"lines"``, and a bare list of cues.
"""

from __future__ import annotations

from typing import Any

from formats.errors import CaptionFormatError
from formats.model import Captions, Cue, Word
from formats.normalize import prepared
from formats.timecode import MAX_HOURS, MAX_MS


def _word_dict(w: Word) -> dict[str, Any]:
    d: dict[str, Any] = {"start": w.start, "end": w.end, "text": w.text}
    if w.probability is not None:
        d["probability"] = w.probability
    if w.speaker is not None:
        d["speaker"] = w.speaker
    return d


def render(captions: Captions) -> str:
    import json

    cues = [
        {
            "start": c.start,
            "end": c.end,
            "lines": c.lines,
            "speaker": c.speaker,
            "words": [_word_dict(w) for w in c.words],
        }
        for c in prepared(captions.cues)
    ]
    return json.dumps({"language": captions.language, "cues": cues}, ensure_ascii=False, indent=1) + "\n"


def _ms(value: Any, what: str, index: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CaptionFormatError(f"cue {index}: {what} must be a number of milliseconds", fmt="json")
    if value != value:
        raise CaptionFormatError(f"cue {index}: {what} is not a finite number", fmt="json")
    if not -MAX_MS <= value <= MAX_MS:
        raise CaptionFormatError(f"cue {index}: {what} out of range (more than {MAX_HOURS} hours)", fmt="json")
    return round(value)


def _parse_int(digits: str) -> int | float:
    """JSON integers; ones too long to be a time become a float (infinite if huge), which
    :func:`_ms` reports as out of range, rather than hitting Python's integer digit limit."""
    return int(digits) if len(digits) <= 20 else float(digits)


def _opt_str(value: Any, what: str, index: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise CaptionFormatError(f"cue {index}: {what} must be a string", fmt="json")
    return value


def _cue(obj: Any, index: int) -> Cue:
    if not isinstance(obj, dict):
        raise CaptionFormatError(f"cue {index} is not an object", fmt="json")
    if "lines" in obj:
        lines = obj["lines"]
        if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
            raise CaptionFormatError(f"cue {index}: lines must be a list of strings", fmt="json")
    elif isinstance(obj.get("text"), str):
        lines = obj["text"].split("\n")
    else:
        raise CaptionFormatError(f"cue {index} has neither lines nor text", fmt="json")
    words_raw = obj.get("words") or []
    if not isinstance(words_raw, list):
        raise CaptionFormatError(f"cue {index}: words must be a list", fmt="json")
    words = []
    for w in words_raw:
        if not isinstance(w, dict) or not isinstance(w.get("text"), str):
            raise CaptionFormatError(f"cue {index}: each word needs start, end and text", fmt="json")
        prob = w.get("probability")
        if prob is not None and (isinstance(prob, bool) or not isinstance(prob, int | float)):
            raise CaptionFormatError(f"cue {index}: word probability must be a number", fmt="json")
        words.append(
            Word(
                _ms(w.get("start"), "word start", index),
                _ms(w.get("end"), "word end", index),
                w["text"],
                prob,
                _opt_str(w.get("speaker"), "word speaker", index),
            )
        )
    return Cue(
        start=_ms(obj.get("start"), "start", index),
        end=_ms(obj.get("end"), "end", index),
        lines=[line.strip() for line in lines if line.strip()],
        speaker=_opt_str(obj.get("speaker"), "speaker", index),
        words=words,
    )


def parse(text: str, language: str = "en") -> Captions:
    import json

    try:
        doc = json.loads(text, parse_int=_parse_int)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise CaptionFormatError(f"invalid JSON: {getattr(exc, 'msg', exc)}", line=line, fmt="json") from None
    except RecursionError:
        raise CaptionFormatError("invalid JSON: nested too deeply", fmt="json") from None
    if isinstance(doc, list):
        raw_cues, lang = doc, language
    elif isinstance(doc, dict) and isinstance(doc.get("cues"), list):
        raw_cues = doc["cues"]
        lang = doc.get("language") if isinstance(doc.get("language"), str) and doc.get("language") else language
    else:
        raise CaptionFormatError('expected an object with a "cues" list', line=1, fmt="json")
    if not raw_cues:
        raise CaptionFormatError("no cues found", fmt="json")
    cues = [_cue(obj, i) for i, obj in enumerate(raw_cues)]
    return Captions(cues=cues, language=lang)
