"""Plain-text transcript ("txt"): the captions' words as paragraphs.

A new paragraph starts when the speaker changes or after a pause of at least 2 seconds; with
``speakers`` each paragraph whose speaker is known starts with ``Name: ``.
"""

from __future__ import annotations

from formats.model import Captions
from formats.normalize import prepared

PARAGRAPH_PAUSE_MS = 2000


def transcript(captions: Captions, speakers: bool = True) -> str:
    """The transcript text: paragraphs separated by a blank line, ending with a newline."""
    paragraphs: list[tuple[str | None, list[str]]] = []
    prev_end: int | None = None
    prev_speaker: str | None = None
    for cue in prepared(captions.cues, one_at_a_time=True):
        if not cue.lines:
            continue
        text = " ".join(cue.lines)
        new_paragraph = (
            not paragraphs
            or (cue.speaker or prev_speaker)
            and cue.speaker != prev_speaker
            or (prev_end is not None and cue.start - prev_end >= PARAGRAPH_PAUSE_MS)
        )
        if new_paragraph:
            paragraphs.append((cue.speaker, [text]))
        else:
            paragraphs[-1][1].append(text)
        prev_end = cue.end
        prev_speaker = cue.speaker
    out = []
    for speaker, texts in paragraphs:
        body = " ".join(texts)
        out.append(f"{speaker}: {body}" if speakers and speaker else body)
    return "\n\n".join(out) + "\n" if out else ""


def render(captions: Captions) -> str:
    return transcript(captions)
