"""TTML / DFXP: reader and an IMSC1 text profile writer.

``dfxp`` and ``ttml`` write the same document (TTML1 namespace, which DFXP consumers read). The
speaker is written as a ``ttm:agent`` declared in the head and referenced by the ``<p>``.

The reader accepts the TTML namespace and the old DFXP one (``http://www.w3.org/2006/10/ttaf1``),
clock times (``00:00:01.500``, ``00:00:01:15`` frames, ``00:00:01:15.1`` sub-frames), offset times
(``1.5s``, ``1500ms``, ``2m``, ``1h``, ``30f``, ``100t``), ``begin``/``end``/``dur``, ``<br/>`` and
nested ``<span>``. Frames count at the effective frame rate (``ttp:frameRate``, default 30, times
``ttp:frameRateMultiplier``), sub-frames at ``ttp:subFrameRate`` (default 1) sub-frames a frame,
and ticks at ``ttp:tickRate``, which defaults to the effective frame rate times the sub-frame rate
when ``ttp:frameRate`` is given, else 1 (TTML1 and TTML2 alike). Minutes and seconds of a clock
time run from 00 to 59 and sub-frames stay below the sub-frame rate; any other value is a bad
time expression. Timing follows TTML's parallel time containers: ``begin``/``end`` on ``body``,
``div``, ``p`` and ``span`` are relative to the parent's begin and clipped to the parent's end; a
``<p>`` without timing inherits its parent's interval, and timed spans give an otherwise untimed
``<p>`` its extent.
Errors name the element's line (and ``xml:id``). Documents with a DOCTYPE are refused (entity
expansion).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from formats.errors import CaptionFormatError
from formats.model import Captions, Cue, ReadWarning
from formats.normalize import prepared
from formats.text import escape_xml
from formats.timecode import MAX_MS, TimeRangeError, format_vtt

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

TT_NS = "http://www.w3.org/ns/ttml"
TTP_NS = "http://www.w3.org/ns/ttml#parameter"
TTM_NS = "http://www.w3.org/ns/ttml#metadata"
DFXP_TTP_NS = "http://www.w3.org/2006/10/ttaf1#parameter"
XML_NS = "http://www.w3.org/XML/1998/namespace"
IMSC1_TEXT = "http://www.w3.org/ns/ttml/profile/imsc1/text"

_CLOCK_RE = re.compile(r"^(\d+):(\d{2}):(\d{2})(?:(\.\d+)|:(\d+)(?:\.(\d+))?)?$")
# Not TTML, but written by Apple's and other tools: ``m:ss.fff`` clock times and bare seconds.
_SHORT_CLOCK_RE = re.compile(r"^(\d+):(\d{2})(\.\d+)?$")
_BARE_SECONDS_RE = re.compile(r"^\d+(?:\.\d+)?$")
_OFFSET_RE = re.compile(r"^(\d+(?:\.\d+)?)(h|ms|m|s|f|t)$")
_WS_RE = re.compile(r"\s+")
_XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_text(text: str) -> str:
    return escape_xml(_XML_INVALID_RE.sub("", text))


def render(captions: Captions) -> str:
    cues = prepared(captions.cues)
    agents: dict[str, str] = {}
    for cue in cues:
        if cue.speaker and cue.speaker.strip() and cue.speaker not in agents:
            agents[cue.speaker] = f"speaker{len(agents) + 1}"
    lang = _xml_text(captions.language or "en")
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<tt xmlns="{TT_NS}" xmlns:ttp="{TTP_NS}" xmlns:tts="http://www.w3.org/ns/ttml#styling" '
        f'xmlns:ttm="{TTM_NS}" ttp:profile="{IMSC1_TEXT}" ttp:timeBase="media" xml:lang="{lang}">\n',
        "  <head>\n",
        '    <styling>\n      <style xml:id="s1" tts:textAlign="center" tts:color="white"/>\n    </styling>\n',
        '    <layout>\n      <region xml:id="bottom" tts:origin="10% 10%" tts:extent="80% 80%" '
        'tts:displayAlign="after"/>\n    </layout>\n',
    ]
    if agents:
        out.append("    <metadata>\n")
        for name, agent_id in agents.items():
            out.append(
                f'      <ttm:agent xml:id="{agent_id}" type="person">'
                f'<ttm:name type="full">{_xml_text(name)}</ttm:name></ttm:agent>\n'
            )
        out.append("    </metadata>\n")
    out.append('  </head>\n  <body region="bottom" style="s1">\n    <div>\n')
    for n, cue in enumerate(cues, 1):
        agent = f' ttm:agent="{agents[cue.speaker]}"' if cue.speaker in agents else ""
        text = "<br/>".join(_xml_text(line) for line in cue.lines)
        out.append(
            f'      <p xml:id="c{n}" begin="{format_vtt(cue.start)}" end="{format_vtt(cue.end)}"{agent}>{text}</p>\n'
        )
    out.append("    </div>\n  </body>\n</tt>\n")
    return "".join(out)


class _BadTime(ValueError):
    """A time expression of the right shape with a term out of its range (the reason)."""


class _Timing:
    """The document's time parameters: the effective frame rate (frames a second), sub-frames a
    frame and ticks a second."""

    def __init__(self, frame_rate: float, sub_frame_rate: float, tick_rate: float) -> None:
        self.frame_rate = frame_rate
        self.sub_frame_rate = sub_frame_rate
        self.tick_rate = tick_rate

    def ms(self, value: str) -> int:
        """Milliseconds of a time expression; ValueError when it is not one (:class:`_BadTime`
        with the reason when a term is out of range), TimeRangeError past
        :data:`formats.timecode.MAX_MS`."""
        v = value.strip()
        m = _CLOCK_RE.match(v)
        if m:
            h, mi, s, frac, frames, sub_frames = m.groups()
            _check_clock(mi, s)
            if len(h.lstrip("0")) > 3:
                raise TimeRangeError
            seconds = int(h.lstrip("0") or "0") * 3600 + int(mi) * 60 + int(s)
            if frac:
                seconds += float(frac)
            if frames:
                # TTML media time: (frames + sub-frames / subFrameRate) / effective frame rate
                count = float(frames)
                if sub_frames:
                    sub = float(sub_frames)
                    if sub >= self.sub_frame_rate:
                        raise _BadTime(f"sub-frames must be below ttp:subFrameRate {self.sub_frame_rate:g}")
                    count += sub / self.sub_frame_rate
                seconds += count / self.frame_rate
            ms = seconds * 1000
        elif _SHORT_CLOCK_RE.match(v):
            mi, s, frac = _SHORT_CLOCK_RE.match(v).groups()  # type: ignore[union-attr]
            _check_clock(None, s)
            ms = (int(mi) * 60 + int(s) + (float(frac) if frac else 0)) * 1000
        elif _BARE_SECONDS_RE.match(v):
            ms = float(v) * 1000
        else:
            m = _OFFSET_RE.match(v)
            if m is None:
                raise ValueError(value)
            num, unit = float(m.group(1)), m.group(2)
            scale = {
                "h": 3_600_000,
                "m": 60_000,
                "s": 1000,
                "ms": 1,
                "f": 1000 / self.frame_rate,
                "t": 1000 / self.tick_rate,
            }
            ms = num * scale[unit]
        if not math.isfinite(ms) or ms > MAX_MS:
            raise TimeRangeError
        return round(ms)


def _check_clock(minutes: str | None, seconds: str) -> None:
    """Minutes and seconds of a clock time run from 00 to 59 (no leap seconds in media time)."""
    if minutes is not None and int(minutes) > 59:
        raise _BadTime("minutes must be 00-59")
    if int(seconds) > 59:
        raise _BadTime("seconds must be 00-59")


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _parameter(root, name: str) -> str | None:  # noqa: ANN001 - ElementTree element
    """A ``ttp:`` parameter of ``<tt>`` in the TTML or the old DFXP namespace."""
    return root.get(f"{{{TTP_NS}}}{name}") or root.get(f"{{{DFXP_TTP_NS}}}{name}")


def _timing(root, line: int) -> _Timing:  # noqa: ANN001 - ElementTree element
    """The time parameters of the document, as TTML1 and TTML2 define them: the effective frame
    rate is ``ttp:frameRate`` (default 30) times ``ttp:frameRateMultiplier``; ``ttp:subFrameRate``
    defaults to 1; ``ttp:tickRate`` defaults to the effective frame rate times the sub-frame rate
    when ``ttp:frameRate`` is given, else to 1."""
    frame_rate = _rate(root, "frameRate", 30.0, line)
    sub_frame_rate = _rate(root, "subFrameRate", 1.0, line)
    default_ticks = frame_rate * sub_frame_rate if _parameter(root, "frameRate") else 1.0
    return _Timing(frame_rate, sub_frame_rate, _rate(root, "tickRate", default_ticks, line))


def _rate(root, name: str, default: float, line: int) -> float:  # noqa: ANN001 - ElementTree element
    """``ttp:frameRate`` (times ``ttp:frameRateMultiplier``), ``ttp:subFrameRate`` or ``ttp:tickRate``;
    at least 1."""
    raw = _parameter(root, name)
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = math.nan
    if name == "frameRate":
        mult = _parameter(root, "frameRateMultiplier")
        if mult:
            try:
                num, den = (float(x) for x in mult.split())
                value = value * num / den
            except (ValueError, ZeroDivisionError):
                value = math.nan
    if not (math.isfinite(value) and value >= 1):
        shown = (raw or "")[:40]
        unit = "a frame" if name == "subFrameRate" else "per second"
        raise CaptionFormatError(f"ttp:{name} {shown!r} out of range (at least 1 {unit})", line=line, fmt="ttml")
    return value


def _paragraph_lines(p) -> list[str]:  # noqa: ANN001 - ElementTree element
    """Text of a <p>: spans flattened, <br/> starts a new line, whitespace collapsed."""
    lines: list[str] = [""]

    def walk(el) -> None:  # noqa: ANN001
        if el.text and _local(el.tag) != "br":
            lines[-1] += el.text
        for child in el:
            if _local(child.tag) == "br":
                lines.append("")
            elif _local(child.tag) in ("span", "p"):
                walk(child)
            if child.tail:
                lines[-1] += child.tail

    walk(p)
    out = [_WS_RE.sub(" ", line).strip() for line in lines]
    return [line for line in out if line]


def _tree(text: str) -> tuple[Element, dict[int, int]]:
    """The document as an ElementTree, and the line of each element (by ``id``) for error messages."""
    import xml.etree.ElementTree as ET
    from xml.parsers import expat

    def qname(name: str) -> str:
        return "{" + name if "}" in name else name  # expat's "uri}local" to ElementTree's "{uri}local"

    builder = ET.TreeBuilder()
    lines: dict[int, int] = {}
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True

    def start(name: str, attrs: dict[str, str]) -> None:
        el = builder.start(qname(name), {qname(k): v for k, v in attrs.items()})
        lines[id(el)] = parser.CurrentLineNumber

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: builder.end(qname(name))
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise CaptionFormatError(
            f"not well-formed XML: {expat.ErrorString(exc.code)}", line=exc.lineno, fmt="ttml"
        ) from None
    except ValueError as exc:
        raise CaptionFormatError(f"not well-formed XML: {exc}", fmt="ttml") from None
    return builder.close(), lines


def parse(text: str, language: str = "en") -> Captions:
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise CaptionFormatError("documents with a DOCTYPE are not accepted", fmt="ttml")
    root, element_lines = _tree(text.lstrip("\ufeff").lstrip())
    if _local(root.tag) != "tt":
        raise CaptionFormatError(f"root element is <{_local(root.tag)}>, expected <tt>", line=1, fmt="ttml")
    root_line = element_lines.get(id(root), 1)
    timing = _timing(root, root_line)
    lang = root.get(f"{{{XML_NS}}}lang") or language
    agents: dict[str, str] = {}
    for el in root.iter():
        if _local(el.tag) == "agent":
            agent_id = el.get(f"{{{XML_NS}}}id")
            name = next((c.text for c in el if _local(c.tag) == "name" and c.text), None)
            if agent_id and name:
                agents[agent_id] = name.strip()
    cues: list[Cue] = []
    warnings: list[ReadWarning] = []

    def error(message: str, el: Element) -> CaptionFormatError:
        ident = el.get(f"{{{XML_NS}}}id")
        name = f'<{_local(el.tag)} xml:id="{ident[:40]}">' if ident else f"<{_local(el.tag)}>"
        return CaptionFormatError(f"{name} {message}", line=element_lines.get(id(el)), fmt="ttml")

    def attr_ms(el: Element, name: str) -> int | None:
        raw = el.get(name)
        if raw is None:
            return None
        try:
            return timing.ms(raw)
        except TimeRangeError as exc:
            raise error(f"{name}: {exc}", el) from None
        except _BadTime as exc:
            raise error(f"has a bad time expression {raw[:40]!r} ({exc})", el) from None
        except ValueError:
            raise error(f"has a bad time expression {raw[:40]!r}", el) from None

    def interval(el: Element, begin: int | None, end: int | None) -> tuple[int | None, int | None]:
        """``el``'s active interval inside its parent's ``[begin, end]`` (None: not known)."""
        b, e, d = attr_ms(el, "begin"), attr_ms(el, "end"), attr_ms(el, "dur")
        base = begin or 0
        own_begin = base + b if b is not None else begin
        if e is not None:
            own_end: int | None = base + e
        elif d is not None:
            own_end = (own_begin or 0) + d
        else:
            own_end = end
        if end is not None and own_end is not None:
            own_end = min(own_end, end)
        return own_begin, own_end

    def span_extent(el: Element, begin: int | None, end: int | None, out: list[int], ends: list[int]) -> None:
        for child in el:
            if _local(child.tag) == "span":
                b, e = interval(child, begin, end)
                if b is not None:
                    out.append(b)
                if e is not None:
                    ends.append(e)
                span_extent(child, b, e, out, ends)

    def visit(el: Element, begin: int | None, end: int | None) -> int | None:
        """Add the cues of ``el`` inside its parent's ``[begin, end]``; returns ``el``'s end. An
        element with a broken time is skipped (with its content) as a warning."""
        tag = _local(el.tag)
        try:
            if tag in ("body", "div", "p"):
                begin, end = interval(el, begin, end)
            if tag == "p":
                return paragraph(el, begin, end)
        except CaptionFormatError as exc:
            warnings.append(ReadWarning(exc.line, f"skipped: {exc.reason}"))
            return None
        sequential = el.get("timeContainer") == "seq"
        running = begin
        for child in el:
            child_end = visit(child, running if sequential else begin, end)
            if sequential and child_end is not None:
                running = child_end
        return end

    def paragraph(el: Element, begin: int | None, end: int | None) -> int:
        if begin is None or end is None:
            begins: list[int] = []
            ends: list[int] = []
            span_extent(el, begin, end, begins, ends)
            if begin is None and begins:
                begin = min(begins)
            if end is None and ends:
                end = max(ends)
        if begin is None:
            raise error("without a begin time (on it, its spans or an enclosing div/body)", el)
        if end is None:
            raise error("without an end or dur", el)
        if begin > MAX_MS or end > MAX_MS:
            raise error(str(TimeRangeError()), el)
        agent = el.get(f"{{{TTM_NS}}}agent")
        speaker = agents.get(agent.split()[0]) if agent and agent.split() else None
        cues.append(Cue(begin, end, _paragraph_lines(el), speaker))
        return end

    body = next((c for c in root if _local(c.tag) == "body"), None)
    if body is not None:
        visit(body, None, None)
    if not cues:
        first = warnings[0] if warnings else None
        reason = f"no timed <p> elements found ({first.message})" if first else "no timed <p> elements found"
        raise CaptionFormatError(reason, line=first.line if first else None, fmt="ttml")
    return Captions(cues=cues, language=lang, warnings=warnings)
