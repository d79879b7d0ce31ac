"""A headless browser for tests: Debian's ``chromium`` driven by Playwright for Python.

Playwright's own browser download is not used (nor reachable from the test machines): it
launches the system's chromium through ``executable_path``. Install it with
``apt-get install chromium`` (``make test`` does) and Playwright with ``pip install -e '.[test]'``.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def chromium_path() -> str | None:
    return shutil.which("chromium")


def browser_missing() -> str | None:
    """Why no browser test can run here, or ``None`` when they can."""
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -e '.[test]')"
    if chromium_path() is None:
        return "chromium is not installed (apt-get install chromium)"
    return None


@contextmanager
def headless_chromium() -> Iterator[Any]:
    """A launched headless chromium (a Playwright ``Browser``), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()
