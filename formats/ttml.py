"""TTML / DFXP: reader and an IMSC1 text profile writer.

``dfxp`` and ``ttml`` write the same document (TTML1 namespace, which DFXP consumers read). The
speaker is written as a ``ttm:agent`` declared in the head and referenced by the ``<p>``.

The reader accepts the TTML namespace and the old DFXP one (``http://www.w3.org/2006/10/ttaf1``),
clock times (``00:00:01.500``, ``00:00:01:15`` frames), offset times (``1.5s``, ``1500ms``, ``2m``,
``1h``, ``30f``, ``100t``), ``begin``/``end``/``dur``, times relative to enclosing ``body``/``div``
begins, ``<br/>`` and nested ``<span>``. Documents with a DOCTYPE are refused (entity expansion).
"""

from __future__ import annotations

import re

from formats.errors import CaptionFormatError
from formats.model import Captions, Cue
from formats.normalize import normalize, prepared
from formats.text import escape_xml
from formats.timecode import format_vtt

TT_NS = "http://www.w3.org/ns/ttml"
TTP_NS = "http://www.w3.org/ns/ttml#parameter"
TTM_NS = "http://www.w3.org/ns/ttml#metadata"
XML_NS = "http://www.w3.org/XML/1998/namespace"
IMSC1_TEXT = "http://www.w3.org/ns/ttml/profile/imsc1/text"

_CLOCK_RE = re.compile(r"^(\d+):(\d{2}):(\d{2})(?:(\.\d+)|:(\d+(?:\.\d+)?))?$")
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


class _Timing:
    def __init__(self, frame_rate: float, tick_rate: float) -> None:
        self.frame_rate = frame_rate
        self.tick_rate = tick_rate

    def ms(self, value: str) -> int:
        v = value.strip()
        m = _CLOCK_RE.match(v)
        if m:
            h, mi, s, frac, frames = m.groups()
            seconds = int(h) * 3600 + int(mi) * 60 + int(s)
            if frac:
                seconds += float(frac)
            if frames:
                seconds += float(frames) / self.frame_rate
            return round(seconds * 1000)
        m = _OFFSET_RE.match(v)
        if m:
            num, unit = float(m.group(1)), m.group(2)
            scale = {
                "h": 3_600_000,
                "m": 60_000,
                "s": 1000,
                "ms": 1,
                "f": 1000 / self.frame_rate,
                "t": 1000 / self.tick_rate,
            }
            return round(num * scale[unit])
        raise ValueError(value)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _rate(root, name: str, default: float) -> float:  # noqa: ANN001 - ElementTree element
    raw = root.get(f"{{{TTP_NS}}}{name}") or root.get(f"{{http://www.w3.org/2006/10/ttaf1#parameter}}{name}")
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    if name == "frameRate":
        mult = root.get(f"{{{TTP_NS}}}frameRateMultiplier")
        if mult:
            try:
                num, den = (float(x) for x in mult.split())
                value = value * num / den
            except ValueError:
                pass
    return value if value > 0 else default


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


def parse(text: str, language: str = "en") -> Captions:
    import xml.etree.ElementTree as ET

    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise CaptionFormatError("documents with a DOCTYPE are not accepted", fmt="ttml")
    try:
        root = ET.fromstring(text.lstrip("\ufeff").lstrip())
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise CaptionFormatError(
            f"not well-formed XML: {exc.msg if hasattr(exc, 'msg') else exc}", line=line, fmt="ttml"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise CaptionFormatError(f"not well-formed XML: {exc}", fmt="ttml") from None
    if _local(root.tag) != "tt":
        raise CaptionFormatError(f"root element is <{_local(root.tag)}>, expected <tt>", line=1, fmt="ttml")
    timing = _Timing(_rate(root, "frameRate", 30.0), _rate(root, "tickRate", 1.0))
    lang = root.get(f"{{{XML_NS}}}lang") or language
    agents: dict[str, str] = {}
    for el in root.iter():
        if _local(el.tag) == "agent":
            agent_id = el.get(f"{{{XML_NS}}}id")
            name = next((c.text for c in el if _local(c.tag) == "name" and c.text), None)
            if agent_id and name:
                agents[agent_id] = name.strip()
    cues: list[Cue] = []

    def attr_ms(el, name: str) -> int | None:  # noqa: ANN001
        raw = el.get(name)
        if raw is None:
            return None
        try:
            return timing.ms(raw)
        except ValueError:
            raise CaptionFormatError(f"bad time expression {raw[:40]!r} in <{_local(el.tag)}>", fmt="ttml") from None

    def visit(el, offset: int) -> None:  # noqa: ANN001
        tag = _local(el.tag)
        if tag == "p":
            begin = attr_ms(el, "begin")
            end = attr_ms(el, "end")
            dur = attr_ms(el, "dur")
            if begin is None:
                raise CaptionFormatError("<p> without a begin time", fmt="ttml")
            if end is None:
                if dur is None:
                    raise CaptionFormatError("<p> without an end or dur", fmt="ttml")
                end = begin + dur
            agent = el.get(f"{{{TTM_NS}}}agent")
            speaker = agents.get(agent.split()[0]) if agent else None
            cues.append(Cue(offset + begin, offset + end, _paragraph_lines(el), speaker))
            return
        begin = attr_ms(el, "begin") if tag in ("body", "div") else None
        for child in el:
            visit(child, offset + (begin or 0))

    body = next((c for c in root if _local(c.tag) == "body"), None)
    if body is not None:
        visit(body, 0)
    if not cues:
        raise CaptionFormatError("no timed <p> elements found", fmt="ttml")
    return Captions(cues=normalize(cues, fmt="ttml"), language=lang)
