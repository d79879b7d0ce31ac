"""Find provider plugins through the ``caption_gateway.providers`` entry-point group.

Every plugin is validated when it is loaded. A plugin that fails (import error, missing
methods, bad metadata, a duplicate id, a missing optional dependency) is listed as disabled
with the reason and the distribution that supplied it; it never stops the gateway.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import marshmallow
import requests

from providers.base import QUEUES, Provider

ENTRY_POINT_GROUP = "caption_gateway.providers"
HOST_DISTRIBUTION = "caption-gateway"

log = logging.getLogger(__name__)


@dataclass
class ProviderEntry:
    """One discovered plugin: its class when usable, else why it is disabled."""

    id: str
    distribution: str
    cls: type[Provider] | None = None
    disabled_reason: str | None = None
    ignored: list[str] = field(default_factory=list)  # other distributions that claimed this id

    @property
    def enabled(self) -> bool:
        return self.cls is not None

    def describe(self) -> dict[str, Any]:
        if self.cls is None:
            return {"id": self.id, "enabled": False, "distribution": self.distribution, "reason": self.disabled_reason}
        info = {**self.cls.describe(), "enabled": True, "distribution": self.distribution}
        if self.ignored:
            info["reason"] = f"also registered by {', '.join(self.ignored)}: ignored"
        return info


class Registry:
    """The providers a gateway or worker can use, each made with its settings and a session."""

    def __init__(self, entries: Iterable[ProviderEntry], settings: Mapping[str, Mapping[str, Any]] | None = None):
        self.entries: dict[str, ProviderEntry] = {e.id: e for e in entries}
        self.settings = settings or {}
        self._instances: dict[str, Provider] = {}
        for entry in self.entries.values():
            if entry.cls is not None:
                self._set_up(entry)

    def _set_up(self, entry: ProviderEntry) -> None:
        """Make the instance now, so that settings a provider refuses disable it at start-up
        (listed with the reason) instead of failing the first job that uses it."""
        try:
            self.get(entry.id)
        except Exception as exc:  # a plugin's constructor may fail in any way
            entry.cls = None
            entry.disabled_reason = f"cannot be set up with its settings: {type(exc).__name__}: {exc}"
            log.warning("provider %s disabled: %s", entry.id, entry.disabled_reason)

    def enabled(self) -> dict[str, type[Provider]]:
        return {pid: e.cls for pid, e in self.entries.items() if e.cls is not None}

    def get_class(self, provider_id: str) -> type[Provider] | None:
        entry = self.entries.get(provider_id)
        return entry.cls if entry else None

    def get(self, provider_id: str) -> Provider:
        """The provider instance for ``provider_id`` (one per process, reused)."""
        if provider_id not in self._instances:
            cls = self.get_class(provider_id)
            if cls is None:
                raise KeyError(provider_id)
            session = requests.Session()
            session.headers["User-Agent"] = "caption-gateway"
            self._instances[provider_id] = cls(dict(self.settings.get(provider_id) or {}), session)
        return self._instances[provider_id]


def validate_class(provider_id: str, obj: object) -> str | None:
    """Return why ``obj`` is not a usable provider class, or ``None`` when it is."""
    if not (isinstance(obj, type) and issubclass(obj, Provider)):
        return "entry point does not name a subclass of providers.base.Provider"
    required = ["submit"] if obj.synchronous else ["submit", "check", "fetch"]
    missing = [m for m in required if getattr(obj, m) is getattr(Provider, m)]
    if missing:
        return f"missing methods: {', '.join(missing)}"
    if not (isinstance(obj.params_schema, type) and issubclass(obj.params_schema, marshmallow.Schema)):
        return "params_schema must be a marshmallow Schema class"
    if obj.queue not in QUEUES:
        return f"queue must be one of {', '.join(QUEUES)}"
    if obj.input_kind not in ("media", "captions"):
        return "input_kind must be 'media' or 'captions'"
    if not (obj.poll_initial > 0 and obj.poll_factor >= 1 and obj.poll_max_interval > 0 and obj.max_wait > 0):
        return "poll_initial, poll_max_interval and max_wait must be positive, poll_factor at least 1"
    missing_deps = [name for name in obj.requires if importlib.util.find_spec(name) is None]
    if missing_deps:
        hint = f" (install with: {obj.install_hint})" if obj.install_hint else ""
        return f"missing optional dependency: {', '.join(missing_deps)}{hint}"
    return None


def load_entry(ep: EntryPoint) -> ProviderEntry:
    """Load and validate one entry point; failures become a disabled entry."""
    dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist else "unknown"
    entry = ProviderEntry(id=ep.name, distribution=dist)
    try:
        obj = ep.load()
    except Exception as exc:  # a plugin may fail in any way while importing
        entry.disabled_reason = f"cannot import {ep.value}: {type(exc).__name__}: {exc}"
        return entry
    reason = validate_class(ep.name, obj)
    if reason:
        entry.disabled_reason = reason
        return entry
    # A subclass per id, so the registry never mutates a class another id also uses.
    entry.cls = type(obj.__name__, (obj,), {"id": ep.name, "__module__": obj.__module__, "__doc__": obj.__doc__})
    return entry


def _dist_name(ep: EntryPoint) -> str:
    return ep.dist.name if ep.dist else "unknown"


def discover(group: str = ENTRY_POINT_GROUP) -> list[ProviderEntry]:
    """Every plugin of the group, validated.

    An id claimed twice: the gateway's own built-in keeps it (a plugin cannot take over a
    built-in id) and the others are reported; between two plugins, both are disabled, since
    neither can be preferred safely.
    """
    found: dict[str, list[EntryPoint]] = {}
    for ep in entry_points(group=group):
        if ep not in found.setdefault(ep.name, []):
            found[ep.name].append(ep)
    entries = []
    for pid, eps in sorted(found.items()):
        builtin = [ep for ep in eps if _dist_name(ep) == HOST_DISTRIBUTION]
        chosen = builtin[0] if len(builtin) == 1 else eps[0] if len(eps) == 1 else None
        others = sorted(_dist_name(ep) for ep in eps if ep is not chosen)
        if chosen is None:
            dists = ", ".join(sorted(_dist_name(ep) for ep in eps))
            reason = f"provider id registered more than once ({dists})"
            entries.append(ProviderEntry(pid, dists, disabled_reason=reason))
            log.warning("provider %s disabled: %s", pid, reason)
            continue
        entry = load_entry(chosen)
        entry.ignored = others
        if entry.disabled_reason:
            log.warning("provider %s disabled: %s", pid, entry.disabled_reason)
        elif others:
            log.warning("provider %s: also registered by %s, ignored", pid, ", ".join(others))
        entries.append(entry)
    return entries


def load_registry(settings: Mapping[str, Mapping[str, Any]] | None = None) -> Registry:
    return Registry(discover(), settings)
