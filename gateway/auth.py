"""API keys for clients (with scopes and per-key rate limits), per-job tokens for provider
callbacks, signatures for CMS webhooks."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable

from flask import g

from gateway.keys import ApiKey

API_KEY_HEADER = "X-Api-Key"
READ_METHODS = frozenset({"GET", "HEAD"})
SIGNATURE_HEADER = "X-Caption-Gateway-Signature"
TIMESTAMP_HEADER = "X-Caption-Gateway-Timestamp"


def check_api_key(presented: str | None, keys: Iterable[str]) -> bool:
    """Constant-time check of ``presented`` against every configured key."""
    if not presented:
        return False
    ok = False
    for key in keys:
        ok |= hmac.compare_digest(presented.encode(), key.encode())
    return ok


def required_scope(method: str) -> str:
    """Reading needs ``read``; creating, cancelling and deleting need ``submit``."""
    return "read" if method in READ_METHODS else "submit"


def current_key() -> ApiKey | None:
    """The API key of this request (``None`` on routes that need none)."""
    return g.get("api_key")


def may_see(created_by: str) -> bool:
    """Whether this request's key may see a job ``created_by`` made (admins see every job)."""
    key = current_key()
    return key is not None and key.may_see(created_by)


def key_scope(api_key: str) -> str:
    """A stable, non-secret name for an API key (idempotency keys are scoped by client)."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


def _token(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _token_ok(expected: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(expected, presented)


def callback_token(secret: str, provider_id: str, job_id: str) -> str:
    """The token in a job's callback URL: HMAC of provider and job id with the server secret.

    It has no expiry on purpose: human captioning may call back after ten days or more.
    """
    return _token(secret, f"callback:{provider_id}:{job_id}")


def check_callback_token(secret: str, provider_id: str, job_id: str, token: str | None) -> bool:
    return _token_ok(callback_token(secret, provider_id, job_id), token)


def media_token(secret: str, job_id: str) -> str:
    """The token in the URL a remote provider fetches a CMS-uploaded file from."""
    return _token(secret, f"media:{job_id}")


def check_media_token(secret: str, job_id: str, token: str | None) -> bool:
    return _token_ok(media_token(secret, job_id), token)


def output_token(secret: str, job_id: str, fmt: str) -> str:
    """The token in the URL a remote provider fetches one output of a finished job from
    (captions sent for human review)."""
    return _token(secret, f"output:{job_id}:{fmt}")


def check_output_token(secret: str, job_id: str, fmt: str, token: str | None) -> bool:
    return _token_ok(output_token(secret, job_id, fmt), token)


def sign_webhook(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Headers for a webhook: ``sha256=HMAC(secret, "<timestamp>." + body)``.

    A receiver recomputes it and rejects old timestamps, which stops replays.
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: f"sha256={digest}"}


def verify_webhook(secret: str, body: bytes, headers, tolerance_s: int = 300) -> bool:
    """What a CMS does with a webhook: check the signature and that it is recent."""
    ts = headers.get(TIMESTAMP_HEADER, "")
    if not ts.isdigit() or abs(time.time() - int(ts)) > tolerance_s:
        return False
    expected = sign_webhook(secret, body, int(ts))[SIGNATURE_HEADER]
    return hmac.compare_digest(expected, headers.get(SIGNATURE_HEADER, ""))
