"""A strict WebVTT validator (W3C WebVTT syntax; docs/formats.md, "Validator").

Unlike the reader, which repairs what it can, this reports every departure from the syntax with the
1-based line number where it was found. Metadata header lines directly after ``WEBVTT`` (such as
``Kind: captions``) are tolerated, as every parser ignores them; a blank line must end the header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from formats.text import split_lines

_TS = r"(?:(\d{2,}):)?(\d{2}):(\d{2})\.(\d{3})"
_TIMING_RE = re.compile(r"^" + _TS + r"[ \t]+-->[ \t]+" + _TS + r"(?:[ \t]+(.*))?$")
_LOOSE_TS_RE = re.compile(r"^(?:(\d+):)?(\d+):(\d+)[.,](\d+)$")
_PCT = r"\d+(?:\.\d+)?%"
_SETTINGS = {
    "vertical": re.compile(r"^(?:rl|lr)$"),
    "line": re.compile(r"^(?:-?\d+|" + _PCT + r")(?:,(?:start|center|end))?$"),
    "position": re.compile(r"^" + _PCT + r"(?:,(?:line-left|center|line-right))?$"),
    "size": re.compile(r"^" + _PCT + r"$"),
    "align": re.compile(r"^(?:start|center|end|left|right)$"),
    "region": re.compile(r"^[^\s-][^\s]*$|^-(?!->)[^\s]*$"),
}
_TAG_RE = re.compile(
    r"<(?:/(?:c|i|b|u|ruby|rt|v|lang)|(?:c|i|b|u|ruby|rt)(?:\.[^\s.<>&]+)*|(?:v|lang)(?:\.[^\s.<>&]+)*[ \t]+[^<>]+"
    r"|(?:\d{2,}:)?\d{2}:\d{2}\.\d{3})>"
)
_ENTITY_RE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#\d+|#[xX][0-9A-Fa-f]+);")


@dataclass(frozen=True)
class ValidationIssue:
    """One problem: the 1-based line and what is wrong there."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def _ms(h: str | None, m: str, s: str, f: str) -> int:
    return ((int(h) if h else 0) * 3600 + int(m) * 60 + int(s)) * 1000 + int(f)


def _timestamp_problem(ts: str) -> str:
    m = _LOOSE_TS_RE.match(ts.strip())
    if not m:
        return f"{ts.strip()!r} is not a timestamp ([hh:]mm:ss.ttt)"
    h, mi, s, f = m.groups()
    if "," in ts:
        return f"{ts.strip()!r}: the fraction must follow '.', not ','"
    if len(f) != 3:
        return f"{ts.strip()!r}: exactly 3 millisecond digits are required"
    if len(mi) != 2 or len(s) != 2 or (h is not None and len(h) < 2):
        return f"{ts.strip()!r}: minutes and seconds need 2 digits, hours at least 2"
    if int(mi) > 59 or int(s) > 59:
        return f"{ts.strip()!r}: minutes and seconds must be 00-59"
    return f"{ts.strip()!r} is not a valid timestamp"


def _check_timing(line: str, lineno: int, issues: list[ValidationIssue]) -> tuple[int, int] | None:
    m = _TIMING_RE.match(line)
    if not m:
        left, _, right = line.partition("-->")
        if not re.search(r"[ \t]-->[ \t]", line):
            issues.append(ValidationIssue(lineno, "'-->' must have a space or tab on both sides"))
        right_ts = right.strip().split()[0] if right.strip() else ""
        for ts in (left, right_ts):
            if not re.match(r"^" + _TS + r"$", ts.strip()):
                issues.append(ValidationIssue(lineno, _timestamp_problem(ts)))
                break
        else:
            if not any(i.line == lineno for i in issues):
                issues.append(ValidationIssue(lineno, "malformed cue timing line"))
        return None
    g = m.groups()
    for mm, ss in ((g[1], g[2]), (g[5], g[6])):
        if int(mm) > 59 or int(ss) > 59:
            issues.append(ValidationIssue(lineno, "minutes and seconds must be 00-59"))
            return None
    start, end = _ms(*g[0:4]), _ms(*g[4:8])
    if end <= start:
        issues.append(ValidationIssue(lineno, "cue end time must be after its start time"))
    _check_settings(g[8] or "", lineno, issues)
    return start, end


def _check_settings(settings: str, lineno: int, issues: list[ValidationIssue]) -> None:
    seen: set[str] = set()
    for item in settings.split():
        name, sep, value = item.partition(":")
        if not sep or not name or not value:
            issues.append(ValidationIssue(lineno, f"cue setting {item!r} is not name:value"))
            continue
        pattern = _SETTINGS.get(name)
        if pattern is None:
            issues.append(ValidationIssue(lineno, f"unknown cue setting {name!r}"))
            continue
        if name in seen:
            issues.append(ValidationIssue(lineno, f"cue setting {name!r} given more than once"))
        seen.add(name)
        if not pattern.match(value):
            issues.append(ValidationIssue(lineno, f"invalid value {value!r} for cue setting {name!r}"))
        elif value.endswith("%") or "%," in value:
            pct = float(value.split("%")[0])
            if pct > 100:
                issues.append(ValidationIssue(lineno, f"percentage over 100 in cue setting {name!r}"))


def _check_text(line: str, lineno: int, issues: list[ValidationIssue]) -> None:
    if "-->" in line:
        issues.append(ValidationIssue(lineno, "cue text must not contain '-->'"))
    pos = line.find("&")
    while pos != -1:
        if not _ENTITY_RE.match(line, pos):
            issues.append(ValidationIssue(lineno, f"unescaped '&' at column {pos + 1} (write &amp;)"))
            break
        pos = line.find("&", pos + 1)
    pos = line.find("<")
    while pos != -1:
        m = _TAG_RE.match(line, pos)
        if not m:
            issues.append(ValidationIssue(lineno, f"unescaped '<' or unknown tag at column {pos + 1} (write &lt;)"))
            break
        pos = line.find("<", m.end())


def _block_kind(first: str) -> str | None:
    for word in ("NOTE", "STYLE", "REGION"):
        if first.startswith(word) and (len(first) == len(word) or first[len(word)] in " \t"):
            return word
    return None


def validate_webvtt(data: bytes) -> list[ValidationIssue]:
    """All syntax problems of a WebVTT file; an empty list means it is valid."""
    issues: list[ValidationIssue] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        issues.append(ValidationIssue(line, "not valid UTF-8"))
        text = data.decode("utf-8", errors="replace")
    lines = split_lines(text)
    if not lines or not (lines[0] == "WEBVTT" or re.match(r"^WEBVTT[ \t]", lines[0])):
        issues.append(ValidationIssue(1, "the first line must be 'WEBVTT' (optionally followed by a space and text)"))
    i = 1
    while i < len(lines) and lines[i] != "":
        if "-->" in lines[i]:
            issues.append(ValidationIssue(i + 1, "a blank line must separate the header from the first cue"))
            break
        i += 1
    seen_cue = False
    ids: dict[str, int] = {}
    prev_start = -1
    n = len(lines)
    while i < n:
        if lines[i] == "":
            i += 1
            continue
        block_start = i
        block: list[str] = []
        while i < n and lines[i] != "":
            block.append(lines[i])
            i += 1
        kind = _block_kind(block[0])
        if kind is not None:
            if kind != "NOTE" and seen_cue:
                issues.append(ValidationIssue(block_start + 1, f"{kind} blocks must come before the first cue"))
            for k, line in enumerate(block):
                if "-->" in line:
                    issues.append(ValidationIssue(block_start + k + 1, f"'-->' is not allowed in a {kind} block"))
            continue
        if "-->" in block[0]:
            timing_at = 0
        else:
            ident = block[0]
            if len(block) < 2 or "-->" not in block[1]:
                issues.append(
                    ValidationIssue(block_start + 1, "block without a cue timing line (blank line inside cue text?)")
                )
                continue
            timing_at = 1
            if ident in ids:
                issues.append(
                    ValidationIssue(block_start + 1, f"cue identifier {ident!r} already used on line {ids[ident]}")
                )
            else:
                ids[ident] = block_start + 1
        seen_cue = True
        lineno = block_start + timing_at + 1
        times = _check_timing(block[timing_at], lineno, issues)
        if times is not None:
            if times[0] < prev_start:
                issues.append(ValidationIssue(lineno, "cue starts before the previous cue (starts must not decrease)"))
            prev_start = max(prev_start, times[0])
        for k in range(timing_at + 1, len(block)):
            _check_text(block[k], block_start + k + 1, issues)
    return issues
