"""The ``captions`` command: convert, lint and validate caption files.

    captions convert IN OUT [--from FMT] [--to FMT] [--profile NAME] [--resegment] [--normalise]
    captions lint FILE [--profile NAME] [--json]       (exit 1 when there are violations)
    captions validate FILE.vtt                           (exit 1 when there are issues)

Formats are guessed from file extensions (input: from the content when the extension says
nothing). ``-`` reads stdin / writes stdout. Errors print one line on stderr and exit with 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from formats.profiles import StyleProfile

_EXTENSIONS = {
    ".vtt": "vtt",
    ".webvtt": "vtt",
    ".srt": "srt",
    ".sbv": "sbv",
    ".dfxp": "dfxp",
    ".ttml": "ttml",
    ".xml": "ttml",
    ".json": "json",
    ".txt": "txt",
    ".scc": "scc",
}


class UsageError(Exception):
    """A problem with the command line or the files, reported without a traceback."""


def _type_of(path: str) -> str | None:
    return _EXTENSIONS.get(os.path.splitext(path)[1].lower())


def _read_bytes(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as fh:
        return fh.read()


def _convert(args: argparse.Namespace) -> int:
    import formats
    from formats.convert import gc_paused

    src = args.source_format or _type_of(args.input)
    dst = args.target_format or _type_of(args.output)
    if dst is None:
        types = ", ".join(formats.OUTPUT_TYPES)
        raise UsageError(f"cannot tell the output type of {args.output!r}; use --to ({types})")
    if src is not None and src not in formats.INPUT_TYPES:
        if args.source_format:
            raise UsageError(f"cannot read {src!r}; readable types: {', '.join(formats.INPUT_TYPES)}")
        src = None  # an extension we cannot read (such as .txt): let the content decide
    if dst not in formats.OUTPUT_TYPES:
        raise UsageError(f"cannot write {dst!r}; output types: {', '.join(formats.OUTPUT_TYPES)}")
    # naming a profile asks for captions that follow it; a bad name fails before any work
    profile = formats.get_profile(args.profile) if args.resegment or args.profile else None
    with gc_paused():
        _convert_files(args, src, dst, profile)
    return 0


def _convert_files(args: argparse.Namespace, src: str | None, dst: str, profile: StyleProfile | None) -> None:
    import formats
    from formats.convert import read_text, write_to
    from formats.text import decode

    text = decode(_read_bytes(args.input))  # the bytes are freed before parsing: large files stay small
    captions = read_text(text, src)
    del text
    if args.normalise:
        captions, _ = formats.normalise(captions)
    if profile is not None:
        captions = formats.resegment(captions, profile)
    if args.output == "-":
        write_to(captions, dst, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    else:
        with open(args.output, "wb") as fh:
            write_to(captions, dst, fh)


def _lint(args: argparse.Namespace) -> int:
    import formats

    captions = formats.read(_read_bytes(args.file), args.source_format or _readable_type(args.file))
    report = formats.lint(captions, formats.get_profile(args.profile))
    if args.json:
        import json

        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(f"profile {report.profile}: {report.cues} cues, {report.words_per_minute:.0f} words/min")
        for name in report.CHECKS:
            check = getattr(report, name)
            listed = ", ".join(str(i) for i in check.cues[:10])
            more = " ..." if check.count > 10 else ""
            detail = f" (cues {listed}{more})" if check.count else ""
            print(f"  {name.replace('_', ' ')}: {check.count} ({check.share:.1%}){detail}")
        changes = report.normalisation.to_dict()
        detail = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in changes.items() if k != "changes" and v)
        print(f"normalisation would change {changes['changes']} cues" + (f" ({detail})" if detail else ""))
        print(f"violations: {report.violations}")
    return 1 if report.violations else 0


def _readable_type(path: str) -> str | None:
    kind = _type_of(path)
    return kind if kind in ("vtt", "srt", "sbv", "dfxp", "ttml", "json", "scc") else None


def _validate(args: argparse.Namespace) -> int:
    from formats.validate import validate_webvtt

    issues = validate_webvtt(_read_bytes(args.file))
    for issue in issues:
        print(f"{args.file}:{issue.line}: {issue.message}")
    if not issues:
        print(f"{args.file}: valid WebVTT")
    return 1 if issues else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="captions", description="Convert, lint and validate caption files.")
    sub = parser.add_subparsers(dest="command", required=True)
    conv = sub.add_parser("convert", help="convert a caption file to another format")
    conv.add_argument("input")
    conv.add_argument("output")
    conv.add_argument("--from", dest="source_format", help="input type (default: from extension or content)")
    conv.add_argument("--to", dest="target_format", help="output type (default: from the output extension)")
    conv.add_argument("--profile", help="re-cut the cues to this style profile (netflix-en, bbc, cea608, ...)")
    conv.add_argument("--resegment", action="store_true", help="re-cut the cues to the default profile (netflix-en)")
    conv.add_argument(
        "--normalise",
        action="store_true",
        help="sort the cues, merge cues that share a start, trim overlaps, fix ends before starts",
    )
    conv.set_defaults(func=_convert)
    lint = sub.add_parser("lint", help="report caption quality against a style profile")
    lint.add_argument("file")
    lint.add_argument("--from", dest="source_format", help="input type (default: from extension or content)")
    lint.add_argument("--profile", help="style profile (default netflix-en)")
    lint.add_argument("--json", action="store_true", help="print the report as JSON")
    lint.set_defaults(func=_lint)
    val = sub.add_parser("validate", help="check a WebVTT file against the WebVTT syntax")
    val.add_argument("file")
    val.set_defaults(func=_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (0 ok, 1 lint/validate findings, 2 error)."""
    args = _parser().parse_args(argv)
    from formats.errors import CaptionFormatError

    try:
        return args.func(args)
    except (CaptionFormatError, UsageError, ValueError, OSError) as exc:
        print(f"captions: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
