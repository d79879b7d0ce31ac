"""Named API keys with scopes.

A key has a name (recorded on the jobs it creates), scopes and an optional rate limit:

``submit``  create, cancel and delete jobs
``read``    read jobs, listings, downloads and providers
``admin``   everything, and every key's jobs (the others see only the jobs they created)

Keys come from two places, and only their SHA-256 digests are kept in memory:

- ``GATEWAY_API_KEYS``, comma-separated. A plain key (today's setup) is an admin key named
  ``key-<first 8 hex digits of its digest>``; ``name:scope+scope:key`` names it and gives it scopes.
- the keys file ``api.keys_file`` (YAML), a list of keys::

      - name: cms
        scopes: [submit, read]
        sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
        rate_limit: 120/minute          # optional; default api.rate_limit
      - name: ops
        scopes: [admin]
        key: a-key-written-in-clear      # hashed at load; prefer sha256

  Make a digest with ``printf %s "$KEY" | sha256sum``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

SCOPES = ("submit", "read", "admin")
ALL_SCOPES = frozenset(SCOPES)
HEX_DIGITS = frozenset("0123456789abcdef")


class KeyConfigError(ValueError):
    """A key setting is unusable; ``problems`` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    name: str
    scopes: frozenset[str]
    sha256: str
    rate_limit: str | None = None  # None: the default limit

    @property
    def admin(self) -> bool:
        return "admin" in self.scopes

    def allows(self, scope: str) -> bool:
        return self.admin or scope in self.scopes

    def may_see(self, created_by: str) -> bool:
        return self.admin or created_by == self.name


class KeyRing:
    """The configured keys, looked up by the digest of the presented key."""

    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self.by_digest = {k.sha256: k for k in keys}

    def __len__(self) -> int:
        return len(self.by_digest)

    def lookup(self, presented: str | None) -> ApiKey | None:
        # a dict lookup on a SHA-256 digest leaks nothing useful about the key through timing
        return self.by_digest.get(digest(presented)) if presented else None


def load_keys(env_keys: Iterable[str], keys_file: str = "") -> KeyRing:
    """The keys of ``GATEWAY_API_KEYS`` entries and of the keys file; raises ``KeyConfigError``."""
    problems: list[str] = []
    keys = [_env_key(entry, problems) for entry in env_keys]
    if keys_file:
        keys += _file_keys(keys_file, problems)
    found = [k for k in keys if k is not None]
    names = [k.name for k in found]
    problems += [f"API key name {n!r} is used twice" for n in sorted({n for n in names if names.count(n) > 1})]
    if len({k.sha256 for k in found}) != len(found):
        problems.append("the same API key is configured twice")
    if problems:
        raise KeyConfigError(problems)
    return KeyRing(found)


def _env_key(entry: str, problems: list[str]) -> ApiKey | None:
    parts = entry.split(":")
    if len(parts) == 3 and parts[0] and parts[2] and set(parts[1].split("+")) <= ALL_SCOPES:
        name, scopes, key = parts
        return ApiKey(name=name, scopes=frozenset(scopes.split("+")), sha256=digest(key))
    if not entry:
        problems.append("GATEWAY_API_KEYS has an empty key")
        return None
    hashed = digest(entry)
    return ApiKey(name=f"key-{hashed[:8]}", scopes=ALL_SCOPES, sha256=hashed)


def _file_keys(path: str, problems: list[str]) -> list[ApiKey | None]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or []
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"api.keys_file: cannot read it ({type(exc).__name__})")
        return []
    if isinstance(data, Mapping):
        data = data.get("keys") or []
    if not isinstance(data, list):
        problems.append("api.keys_file: expected a list of keys")
        return []
    return [_file_key(i, entry, problems) for i, entry in enumerate(data, 1)]


def _file_key(position: int, entry: Any, problems: list[str]) -> ApiKey | None:
    where = f"api.keys_file, key {position}"
    if not isinstance(entry, Mapping):
        problems.append(f"{where}: expected name, scopes and sha256 (or key)")
        return None
    unknown = set(entry) - {"name", "scopes", "sha256", "key", "rate_limit"}
    name, scopes = entry.get("name"), entry.get("scopes")
    hashed = str(entry.get("sha256") or "").lower() or (digest(str(entry["key"])) if entry.get("key") else "")
    mistakes = [f"unknown field {u!r}" for u in sorted(unknown)]
    if not isinstance(name, str) or not name or ":" in name:
        mistakes.append("name must be a non-empty text without ':'")
    if not isinstance(scopes, list) or not scopes or not set(scopes) <= ALL_SCOPES:
        mistakes.append(f"scopes must be a list of {', '.join(SCOPES)}")
    if len(hashed) != 64 or not set(hashed) <= HEX_DIGITS:
        mistakes.append("sha256 must be the 64 hex digits of the key's SHA-256 (or give key)")
    rate_limit = entry.get("rate_limit")
    if rate_limit is not None and not valid_limit(rate_limit):
        mistakes.append(f"rate_limit {rate_limit!r} is not a limit such as 100/minute")
    if mistakes:
        problems.extend(f"{where}: {m}" for m in mistakes)
        return None
    return ApiKey(name=name, scopes=frozenset(scopes), sha256=hashed, rate_limit=rate_limit)


def valid_limit(text: Any) -> bool:
    from limits import parse_many

    if not isinstance(text, str):
        return False
    if text == "":
        return True
    try:
        return bool(parse_many(text))
    except ValueError:
        return False
