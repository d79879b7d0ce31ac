"""Where a caption may be broken: one scoring of break points, used both to end cues (the
segmenter) and to break a cue into lines (the segmenter and the SCC writer).

The rules are those Netflix and the BBC share: break after sentence punctuation, then after clause
punctuation, then before a conjunction or preposition; never split article + noun, adjective +
noun, first + last name, pronoun + verb, auxiliary/negation + verb, and never inside a word. Without
a part-of-speech tagger, "noun" and "verb" are inferred from small English word lists: a break right
after an article, determiner, subject pronoun, auxiliary or negation is forbidden, as is one between
two capitalised words and one after a common adjective. Forbidden means expensive, not impossible:
when a line has no other break point the least bad one is used.

A *bad* line break (:data:`BAD_BREAK` or dearer: the forbidden ones, and a line ending with a
conjunction, a preposition or a number before its unit) is made only when no layout with the same
number of lines avoids it; the segmenter chooses cue ends so that it never has to.
"""

from __future__ import annotations

from collections.abc import Sequence


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


SENTENCE_END = 0.0
CLAUSE_END = 1.0
BEFORE_LINKER = 2.0
NEUTRAL = 4.0
AFTER_LINKER = 8.0
FORBIDDEN = 20.0
BAD_BREAK = AFTER_LINKER  # line breaks at least this dear are avoided whenever a layout allows
BAD_LINE_COST = 1000.0  # added to a bad line break: outweighs any balance or other break cost

ARTICLES = _wordset(
    "a an the this that these those my your his her its our their some any no every each another "
    "such whose several many few"
)
PRONOUNS = _wordset("i you he she it we they who")
AUXILIARIES = _wordset(
    "am is are was were be been being have has had do does did will would shall should can could may might "
    "must not never i'm you're he's she's it's we're they're i've you've we've they've i'll you'll he'll "
    "she'll we'll they'll i'd you'd he'd she'd we'd they'd don't doesn't didn't can't cannot won't wouldn't "
    "isn't aren't wasn't weren't haven't hasn't hadn't shouldn't couldn't mustn't let's there's"
)
CONJUNCTIONS = _wordset(
    "and but or nor so yet because although though while whereas if unless since when whenever where "
    "whether than as that which who"
)
PREPOSITIONS = _wordset(
    "about above across after against along among around at before behind below beneath beside between "
    "beyond by despite down during except for from in inside into like near of off on onto out outside "
    "over past through throughout to toward towards under underneath until up upon with within without"
)
ADJECTIVES = _wordset(
    "good new first last long great little own other old right big high different small large next early "
    "young important public bad same able best better whole real sure free full special clear recent "
    "certain major white black red blue green dark strong local national social political economic "
    "american british human huge easy hard true false main final only short late low open simple whole"
)
_ADJ_SUFFIXES = ("ful", "ous", "ive", "less", "able", "ible", "ical")
ABBREVIATIONS = _wordset("mr. mrs. ms. dr. st. vs. e.g. i.e. jr. sr. prof. no. mt. etc.")
MAX_BALANCED_WORDS = 120
_CLOSERS = "\"')]}»”’"
_SENTENCE_PUNCT = ".?!…"
_CLAUSE_PUNCT = ",;:–—"


def bare(word: str) -> str:
    """Lowercased word without surrounding punctuation, for the word lists."""
    return word.strip(".,;:!?…\"'()[]{}«»“”‘’-–—").lower().replace("’", "'")


def ends_sentence(word: str) -> bool:
    w = word.rstrip(_CLOSERS)
    if not w or w[-1] not in _SENTENCE_PUNCT:
        return False
    return word.lower().rstrip(_CLOSERS) not in ABBREVIATIONS


def _capitalised(word: str) -> bool:
    w = word.lstrip("\"'(“‘")
    return len(w) > 1 and w[0].isupper() and w[1:2].islower()


def break_penalty(before: str, after: str) -> float:
    """Cost of a break (line or cue) between the words ``before`` and ``after``."""
    if ends_sentence(before):
        return SENTENCE_END
    tail = before.rstrip(_CLOSERS)
    if tail and (tail[-1] in _CLAUSE_PUNCT or before.endswith("--")):
        return CLAUSE_END
    b = bare(before)
    a = bare(after)
    if b in ARTICLES or b in AUXILIARIES or (b in PRONOUNS and a not in CONJUNCTIONS and a not in PREPOSITIONS):
        return FORBIDDEN
    if _capitalised(before) and _capitalised(after) and b != "i":
        return FORBIDDEN  # first + last name, or a multi-word proper noun
    if (b in ADJECTIVES or (len(b) > 5 and b.endswith(_ADJ_SUFFIXES))) and a not in CONJUNCTIONS | PREPOSITIONS:
        return FORBIDDEN  # adjective + noun
    if b in CONJUNCTIONS or b in PREPOSITIONS:
        return AFTER_LINKER
    if b[:1].isdigit() and not a[:1].isdigit():
        return AFTER_LINKER  # number + unit ("10 percent", "5 p.m.")
    if a in CONJUNCTIONS or a in PREPOSITIONS:
        return BEFORE_LINKER
    return NEUTRAL


def line_break_cost(before: str, after: str) -> float:
    """:func:`break_penalty` for a line break, with :data:`BAD_LINE_COST` added to a bad one."""
    penalty = break_penalty(before, after)
    return penalty + BAD_LINE_COST if penalty >= BAD_BREAK else penalty


def _line_len(lengths: Sequence[int], i: int, j: int) -> int:
    return sum(lengths[i:j]) + (j - i - 1)


def break_lines(words: Sequence[str], max_chars: int, max_lines: int) -> list[str]:
    """Lay ``words`` out in at most ``max_lines`` lines of at most ``max_chars`` characters.

    One line when it fits. Otherwise the layout with the fewest lines that fit, choosing break points
    by :func:`line_break_cost` (no bad break when one can be avoided) and then by balance (lines of
    similar length, the top one not much longer). If no layout fits (a word longer than a line, or
    too much text), the result has the fewest lines possible with over-long words on lines of their
    own; callers check.
    """
    words = [w for w in words if w]
    if not words:
        return []
    lengths = [len(w) for w in words]
    n = len(words)
    total = sum(lengths) + n - 1
    if total <= max_chars:
        return [" ".join(words)]
    if n > MAX_BALANCED_WORDS:
        return greedy_lines(words, max_chars)  # the balanced search is quadratic; cues never get here
    penalties = [line_break_cost(words[k - 1], words[k]) for k in range(1, n)]
    inf = float("inf")
    for k in range(2, max_lines + 1):
        target = total / k
        # cost[j][m]: best cost of words[:j] in m lines; back[j][m]: where the last of those lines starts.
        # A line longer than max_chars is allowed only when it is a single word.
        cost = [[inf] * (k + 1) for _ in range(n + 1)]
        back = [[0] * (k + 1) for _ in range(n + 1)]
        cost[0][0] = 0.0
        for j in range(1, n + 1):
            for i in range(j - 1, -1, -1):
                length = _line_len(lengths, i, j)
                if length > max_chars and j - i > 1:
                    break
                shape = ((length - target) / max_chars) ** 2 * 10 + (penalties[j - 1] if j < n else 0.0)
                for m in range(1, k + 1):
                    prev = cost[i][m - 1]
                    if prev == inf:
                        continue
                    c = prev + shape
                    if m == 1 and length > target:
                        c += 0.5  # prefer a bottom-heavy layout
                    if c < cost[j][m]:
                        cost[j][m] = c
                        back[j][m] = i
        if cost[n][k] < inf:
            starts: list[int] = []
            j, m = n, k
            while j > 0:
                i = back[j][m]
                starts.append(i)
                j, m = i, m - 1
            starts.reverse()
            return [" ".join(words[s:e]) for s, e in zip(starts, starts[1:] + [n], strict=True)]
    return greedy_lines(words, max_chars)


def greedy_lines(words: Sequence[str], max_chars: int) -> list[str]:
    """Fill lines greedily (the fewest lines possible); a word longer than a line gets its own line."""
    lines: list[str] = []
    current = ""
    for w in words:
        if not current:
            current = w
        elif len(current) + 1 + len(w) <= max_chars:
            current += " " + w
        else:
            lines.append(current)
            current = w
    if current:
        lines.append(current)
    return lines
