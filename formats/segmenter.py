"""From word timestamps to cues, following a style profile (docs/formats.md, "Segmenter").

1. Words are cleaned: surrounding spaces stripped (Whisper words start with one), punctuation-only
   tokens attached to the word before, negative or reversed times clamped, sorted by start.
2. A silence of at least ``pause_break_ms`` or a change of speaker always ends a cue.
3. Within each stretch, cue ends are chosen by dynamic programming over word positions. A cue must
   fit in ``max_lines`` lines of ``max_chars_per_line`` and last at most ``max_duration_ms`` (a single
   word that is longer than a line or lasts longer is the only exception: it gets a cue of its own).
   Each candidate cue is judged as it will be shown: its end as step 4 sets it, and the best layout
   of its lines. In order of weight, the cost avoids a cue whose lines need a bad break
   (:data:`formats.linebreak.BAD_BREAK`: article + noun, first + last name, auxiliary + verb, a
   line ending with a preposition ...; a shorter cue always avoids one), then a cue the linter would
   flag (faster than ``max_cps`` or shorter than ``min_duration_ms`` even with its end extended:
   then a neighbour takes it in, where the rules permit), then prefers few cues ending at sentence
   punctuation (and, mildly, no sentence ending inside a cue), then clause punctuation, then
   before a conjunction or preposition (the scoring in :mod:`formats.linebreak`, shared with line
   breaking), and good line breaks.
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

from formats.linebreak import BAD_LINE_COST, break_lines, break_penalty, line_break_cost
from formats.model import Captions, Cue, Word
from formats.normalize import normalise
from formats.profiles import StyleProfile, get_profile

CUE_COST = 1.0
VIOLATION = 1000.0  # a cue the linter flags (too fast to read, too short): only when nothing avoids it
BAD_LAYOUT = 100 * VIOLATION  # a cue that needs a bad line break: never, as shorter cues avoid it
LINE_WEIGHT = 0.5  # the line breaks a cue needs, relative to where it ends
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


def cue_end(start: int, last_end: int, chars: int, next_start: float, profile: StyleProfile) -> int:
    """The end the timing rules (step 4) give a cue that starts at ``start``, whose last word ends at
    ``last_end``, that holds ``chars`` characters and is followed by a cue at ``next_start``."""
    end = last_end if last_end > start else start + 1
    need = start + math.ceil(chars * 1000 / profile.max_cps)  # when the cue has been read
    if end < need:
        end = min(need, end + profile.max_extend_ms)
    if end - start < profile.min_duration_ms:
        end = start + profile.min_duration_ms
    if next_start != math.inf:
        limit = int(next_start) - profile.min_gap_ms
        if limit <= start:
            limit = int(next_start)
        if end > limit or next_start - end < profile.gap_close_ms:
            end = limit
    if end - start > profile.max_duration_ms:
        end = start + profile.max_duration_ms
    return end if end > start else start + 1


def _cut(words: list[Word], next_start: float, profile: StyleProfile) -> list[list[Word]]:
    """Choose cue boundaries within one stretch by dynamic programming."""
    n = len(words)
    max_chars = profile.max_chars_per_line
    max_lines = profile.max_lines
    space = 1 if profile.count_spaces else 0
    texts = [w.text for w in words]
    lengths = [len(t) if profile.count_spaces else sum(not c.isspace() for c in t) for t in texts]
    widths = [len(t) for t in texts]
    offsets = [0]  # offsets[k] - offsets[i] - 1: width of words i..k-1 on one line
    for wlen in widths:
        offsets.append(offsets[-1] + wlen + 1)
    nexts = [float(words[j + 1].start) for j in range(n - 1)] + [next_start]
    breaks = [break_penalty(texts[j], texts[j + 1]) for j in range(n - 1)] + [0.0]
    line_costs = [line_break_cost(texts[j], texts[j + 1]) for j in range(n - 1)]
    inf = math.inf
    best = [inf] * (n + 1)
    back = [0] * (n + 1)
    best[0] = 0.0
    for i in range(n):
        if best[i] == inf:
            continue
        start = words[i].start
        lines_used = 1
        line_len = 0
        chars = 0
        inner = 0.0
        # layouts[m][j - i]: the cheapest breaks that lay words i..j out in exactly m + 1 lines
        layouts: list[list[float]] = [[] for _ in range(max_lines)]
        first = i  # the first word that can start the last line of words i..j
        for j in range(i, n):
            wlen = widths[j]
            if j > i:
                chars += space
                if line_len + 1 + wlen <= max_chars:
                    line_len += 1 + wlen
                else:
                    lines_used += 1
                    line_len = wlen
                if lines_used > max_lines or wlen > max_chars:
                    break
                if words[j].end - start > profile.max_duration_ms:
                    break
            else:
                line_len = wlen
            chars += lengths[j]
            while offsets[j + 1] - offsets[first] - 1 > max_chars and first < j:
                first += 1
            layouts[0].append(0.0 if lines_used == 1 else inf)
            for m in range(1, max_lines):
                # words i..j need lines_used lines at least; the last level only serves this cue
                lowest = inf
                if lines_used <= m + 1 and (m + 1 < max_lines or lines_used == max_lines):
                    above = layouts[m - 1]
                    for k in range(max(first, i + 1), j + 1):
                        c = above[k - 1 - i] + line_costs[k - 1]
                        if c < lowest:
                            lowest = c
                layouts[m].append(lowest)
            end = cue_end(start, words[j].end, chars, nexts[j], profile)
            duration = end - start
            layout = layouts[lines_used - 1][j - i]
            cost = CUE_COST + breaks[j] + inner + LINE_WEIGHT * layout
            if layout >= BAD_LINE_COST:
                cost += BAD_LAYOUT  # a cue that cannot be laid out without a bad line break
            over = chars * 1000 / duration - profile.max_cps
            if over > 1e-9:
                cost += VIOLATION + min(10 * over, VIOLATION / 2)  # fewer such cues, then less over
            if duration < profile.min_duration_ms:
                cost += VIOLATION
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
        texts = [w.text for w in group]
        chars = sum(len(t) for t in texts) + (len(texts) - 1)
        if not profile.count_spaces:
            chars = sum(sum(not c.isspace() for c in t) for t in texts)
        next_start = starts[k + 1] if k + 1 < len(groups) else math.inf
        end = cue_end(start, group[-1].end, chars, next_start, profile)
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
    """Re-cut an existing track to ``profile`` (see :func:`words_from_cues`), normalised first so
    that cues read as the file said them (unsorted, overlapping) give their words in order."""
    normalised, _ = normalise(captions)
    return segment(words_from_cues(normalised), profile, captions.language)
