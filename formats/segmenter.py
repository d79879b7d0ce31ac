"""From word timestamps to cues, following a style profile (CAPTIONS.md, "From word timestamps to cues").

1. Words are cleaned: surrounding spaces stripped (Whisper words start with one), punctuation-only
   tokens attached to the word before, negative or reversed times clamped, sorted by start.
2. A silence of at least ``pause_break_ms`` or a change of speaker always ends a cue.
3. Within each stretch, cue ends are chosen by dynamic programming over word positions. A cue must
   fit in ``max_lines`` lines of ``max_chars_per_line`` and last at most ``max_duration_ms`` (a single
   word that is longer than a line or lasts longer is the only exception: it gets a cue of its own).
   Among those, the cost prefers few cues, ends at sentence punctuation (and, mildly, no sentence
   ending inside a cue), then clause punctuation,
   then before a conjunction or preposition (the scoring in :mod:`formats.linebreak`, shared with
   line breaking), and heavily penalises cues that could not be read at ``max_cps`` or shown for
   ``min_duration_ms`` even after extending their end.
4. Times: a cue starts with its first word. Its end runs into the following silence, by at most
   ``max_extend_ms``, to meet reading speed; to reach ``min_duration_ms`` it may run further into
   silence (a minimum-duration cue is better than a flash). A gap to the next cue shorter than
   ``gap_close_ms`` is closed to ``min_gap_ms``. Ends never pass the next start minus
   ``min_gap_ms`` (or the next start itself when words abut), and never exceed ``max_duration_ms``.
5. Each cue is broken into lines by :func:`formats.linebreak.break_lines` (one line when it fits).

Cues keep their words in ``Cue.words``. Results are sorted and never overlap.
"""

from __future__ import annotations

import math

from formats.linebreak import break_lines, break_penalty
from formats.model import Captions, Cue, Word
from formats.profiles import StyleProfile, get_profile

CUE_COST = 1.0
CPS_PENALTY = 30.0
SHORT_PENALTY = 6.0
INNER_SENTENCE_END = 1.5  # a sentence that ends inside a cue: cues preferably end with sentences


# Marks that close the word before them; a lone "&" or "—" is a word of its own and keeps its spaces.
_CLOSING_MARKS = frozenset(".,;:!?…)]}»”’'\"%")


def clean_words(words: list[Word]) -> list[Word]:
    """Stripped copies of ``words``: closing punctuation tokens joined to the word before, empty ones
    (nothing to show) left out, times made non-negative and non-reversed, sorted by start."""
    out: list[Word] = []
    for w in sorted(words, key=lambda w: w.start):
        text = " ".join(str(w.text).split())
        if not text:
            continue
        start = max(0, int(w.start))
        end = max(start, int(w.end))
        if out and set(text) <= _CLOSING_MARKS and out[-1].speaker == w.speaker:
            prev = out[-1]
            prev.text += text
            prev.end = max(prev.end, end)
            continue
        out.append(Word(start, end, text, w.probability, w.speaker))
    return out


def _stretches(words: list[Word], profile: StyleProfile) -> list[list[Word]]:
    """Split at long silences and speaker changes."""
    groups: list[list[Word]] = [[words[0]]]
    for prev, w in zip(words, words[1:], strict=False):
        if w.start - prev.end >= profile.pause_break_ms or w.speaker != prev.speaker:
            groups.append([w])
        else:
            groups[-1].append(w)
    return groups


def _room(gap: float, profile: StyleProfile) -> float:
    """How far a cue end may move into a following gap to meet reading speed."""
    if gap < profile.gap_close_ms:
        return max(0.0, gap - profile.min_gap_ms)
    return max(0.0, min(profile.max_extend_ms, gap - profile.min_gap_ms))


def _cut(words: list[Word], next_start: float, profile: StyleProfile) -> list[list[Word]]:
    """Choose cue boundaries within one stretch by dynamic programming."""
    n = len(words)
    max_chars = profile.max_chars_per_line
    space = 1 if profile.count_spaces else 0
    lengths = [len(w.text) if profile.count_spaces else sum(not c.isspace() for c in w.text) for w in words]
    rooms = []
    silences = []
    for j in range(n):
        gap = (words[j + 1].start if j + 1 < n else next_start) - words[j].end
        rooms.append(_room(gap, profile))
        silences.append(max(0.0, gap - profile.min_gap_ms))
    breaks = [break_penalty(words[j].text, words[j + 1].text) for j in range(n - 1)] + [0.0]
    inf = float("inf")
    best = [inf] * (n + 1)
    back = [0] * (n + 1)
    best[0] = 0.0
    for i in range(n):
        if best[i] == inf:
            continue
        lines_used = 1
        line_len = 0
        chars = 0
        inner = 0.0
        start = words[i].start
        for j in range(i, n):
            wlen = len(words[j].text)
            if j > i:
                chars += space
                if line_len + 1 + wlen <= max_chars:
                    line_len += 1 + wlen
                else:
                    lines_used += 1
                    line_len = wlen
                if lines_used > profile.max_lines or wlen > max_chars:
                    break
                if words[j].end - start > profile.max_duration_ms:
                    break
            else:
                line_len = wlen
            chars += lengths[j]
            spoken = words[j].end - start
            readable = min(spoken + rooms[j], profile.max_duration_ms)
            cost = CUE_COST + breaks[j] + inner
            if readable <= 0 or chars * 1000 / readable > profile.max_cps:
                over = chars * 1000 / readable - profile.max_cps if readable > 0 else 50.0
                cost += CPS_PENALTY + 10 * over
            if spoken + silences[j] < profile.min_duration_ms:
                cost += SHORT_PENALTY
            total = best[i] + cost
            if total < best[j + 1]:
                best[j + 1] = total
                back[j + 1] = i
            if j == i and wlen > max_chars:
                break  # a word longer than a line gets a cue of its own
            if breaks[j] == 0.0 and j + 1 < n:
                inner += INNER_SENTENCE_END
    cuts: list[list[Word]] = []
    j = n
    while j > 0:
        i = back[j]
        cuts.append(words[i:j])
        j = i
    cuts.reverse()
    return cuts


def segment(words: list[Word], profile: StyleProfile | None = None, language: str = "en") -> Captions:
    """Cut word timestamps into cues that follow ``profile`` (default ``netflix-en``)."""
    profile = get_profile(profile)
    cleaned = clean_words(words)
    if not cleaned:
        return Captions(cues=[], language=language)
    stretches = _stretches(cleaned, profile)
    groups: list[list[Word]] = []
    for k, stretch in enumerate(stretches):
        next_start = stretches[k + 1][0].start if k + 1 < len(stretches) else float("inf")
        groups.extend(_cut(stretch, next_start, profile))
    starts = [g[0].start for g in groups]
    for k in range(1, len(starts)):
        if starts[k] <= starts[k - 1]:
            starts[k] = starts[k - 1] + 1  # words with identical times: keep cues strictly ordered
    cues: list[Cue] = []
    for k, group in enumerate(groups):
        start = starts[k]
        end = max(group[-1].end, start + 1)
        texts = [w.text for w in group]
        chars = sum(len(t) for t in texts) + (len(texts) - 1)
        if not profile.count_spaces:
            chars = sum(sum(not c.isspace() for c in t) for t in texts)
        need = math.ceil(chars * 1000 / profile.max_cps)  # ms needed to read the cue
        if end - start < need:
            end = max(end, min(start + need, end + profile.max_extend_ms))
        if end - start < profile.min_duration_ms:
            end = start + profile.min_duration_ms
        if k + 1 < len(groups):
            next_start = starts[k + 1]
            limit = next_start - profile.min_gap_ms
            if limit <= start:
                limit = next_start
            if next_start - end < profile.gap_close_ms:
                end = limit
            end = min(end, limit)
        end = min(end, start + profile.max_duration_ms)
        end = max(end, start + 1)
        lines = break_lines(texts, profile.max_chars_per_line, profile.max_lines)
        cues.append(Cue(start, end, lines, group[0].speaker, list(group)))
    return Captions(cues=cues, language=language)


def words_from_cues(captions: Captions) -> list[Word]:
    """Words of a track for re-segmenting: each cue's own words when it has them, otherwise its text
    split into words with the cue's time shared out in proportion to their length."""
    out: list[Word] = []
    for cue in captions.cues:
        if cue.words:
            out.extend(Word(w.start, w.end, w.text, w.probability, w.speaker or cue.speaker) for w in cue.words)
            continue
        tokens = " ".join(cue.lines).split()
        if not tokens:
            continue
        weights = [len(t) + 1 for t in tokens]
        total = sum(weights)
        span = max(0, cue.end - cue.start)
        acc = 0
        for tok, weight in zip(tokens, weights, strict=True):
            w_start = cue.start + span * acc // total
            acc += weight
            out.append(Word(w_start, cue.start + span * acc // total, tok, None, cue.speaker))
    return out


def resegment(captions: Captions, profile: StyleProfile | None = None) -> Captions:
    """Re-cut an existing track to ``profile`` (see :func:`words_from_cues`)."""
    return segment(words_from_cues(captions), profile, captions.language)
