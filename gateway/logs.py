"""Logging of the gateway and its workers: one JSON object per line, or plain text for people.

``logging.format: json`` (the default, for log collectors) writes each record as one JSON line
with its time, level, logger and message plus the fields a call passed in ``extra`` (a job's
``job_id``, ``provider``, ``status``, ``duration_s``, ``reason``). ``text`` is what ``make run``
uses: one readable line, the same fields appended as ``key=value``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

#: Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


class TextFormatter(logging.Formatter):
    """``time logger LEVEL message key=value ...``"""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(name)s %(levelname)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = " ".join(f"{k}={v}" for k, v in extra_fields(record).items())
        return f"{line} {extra}" if extra else line


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "text":
        return TextFormatter()
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        timestamp=False,
    )


def configure_logging(settings: dict[str, Any]) -> None:
    """Send every record of this process to stderr in the configured format (idempotent)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(settings["format"]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings["level"].upper())
    # urllib3 logs each request line at DEBUG, query string and all: where a provider's key
    # travels in the query (3Play's does), that would write the secret to the logs
    logging.getLogger("urllib3").setLevel(max(root.level, logging.INFO))
