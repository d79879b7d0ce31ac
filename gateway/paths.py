"""Server paths never reach a client: error bodies and job errors show ``<path>`` instead."""

from __future__ import annotations

import os
import re
import sys
import tempfile
from typing import Any

PLACEHOLDER = "<path>"
#: The rest of a path after its folder: up to a space, a quote or the punctuation that follows it.
PATH_REST = r"[^\s'\",:;()]*"


def server_folders(storage_root: str) -> list[str]:
    """Folders whose paths must never reach a client (longest first)."""
    folders = {os.getcwd(), sys.prefix, tempfile.gettempdir(), os.path.dirname(os.path.dirname(__file__))}
    folders.add(os.path.abspath(storage_root))
    return sorted((f for f in folders if len(f) > 1), key=len, reverse=True)


def hide_paths(value: Any, storage_root: str) -> Any:
    """``value`` with every absolute path under a server folder replaced by ``<path>``."""
    if isinstance(value, dict):
        return {hide_paths(k, storage_root): hide_paths(v, storage_root) for k, v in value.items()}
    if isinstance(value, list):
        return [hide_paths(v, storage_root) for v in value]
    if isinstance(value, str) and "/" in value:
        for folder in server_folders(storage_root):
            value = re.sub(re.escape(folder) + PATH_REST, PLACEHOLDER, value)
    return value
