"""Who is logged in to the console: an API key kept in Flask's signed session cookie.

The cookie holds the SHA-256 digest of the key (never the key), when the login happened and a
CSRF token; it is HttpOnly and SameSite=Lax, signed with ``GATEWAY_SECRET_KEY``. A login older
than :data:`SESSION_MAX_AGE_S` is over, and a key taken out of the configuration logs its
session out at the next request.
"""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Any

from flask import current_app, session

from gateway.keys import ApiKey, KeyRing, digest

SESSION_MAX_AGE_S = 8 * 3600  # a working day
CSRF_FIELD = "csrf_token"


def configure(app: Any) -> None:
    """Session cookie settings for the console (the API itself keeps no session)."""
    cfg = app.config["GATEWAY"]
    app.secret_key = cfg.get("secret_key") or None
    app.config.update(
        SESSION_COOKIE_NAME="console_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=str(cfg.get("public_url", "")).startswith("https://"),
    )


def keyring() -> KeyRing:
    return current_app.extensions["caption_gateway_keys"]


def log_in(presented: str) -> ApiKey | None:
    """Start a session for the key ``presented``; ``None`` (and no session) when it is not a key."""
    key = keyring().lookup(presented.strip())
    session.clear()
    if key is None:
        return None
    session.update(key=digest(presented.strip()), since=time.time(), csrf=secrets.token_urlsafe(32))
    return key


def log_out() -> None:
    session.clear()


def logged_in_key() -> ApiKey | None:
    """The key of this session, or ``None`` (no session, expired, or the key is gone)."""
    since = session.get("since")
    if not isinstance(since, int | float) or time.time() - since > SESSION_MAX_AGE_S:
        return None
    return keyring().by_digest.get(str(session.get("key", "")))


def csrf_token() -> str:
    """The token every console form carries (made for the login form before there is a key)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok(presented: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and presented) and hmac.compare_digest(str(expected), str(presented))
