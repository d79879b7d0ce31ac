"""The long-lived objects of one process (gateway or worker), built once from the config."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import redis
import requests
from rq import Queue

from gateway.config import load_config
from gateway.metrics import Metrics
from gateway.netguard import guarded_adapter
from gateway.redisconn import connect
from gateway.store import JobStore
from providers.base import Provider
from providers.registry import Registry, load_registry
from storage import Storage, make_storage


@dataclass
class Services:
    config: dict[str, Any]
    redis: redis.Redis
    store: JobStore
    registry: Registry
    storage: Storage
    http: requests.Session = field(default_factory=requests.Session)
    webhook_http: requests.Session = field(default_factory=requests.Session)

    _lengths: dict[str, tuple[float, int]] = field(default_factory=dict)

    def queue(self, name: str = "default") -> Queue:
        return Queue(name, connection=self.redis)

    def queue_length(self, name: str) -> int:
        """The queue's length, read at most every ``api.queue_length_cache_s`` (the limit is soft)."""
        read_at, length = self._lengths.get(name, (0.0, 0))
        if time.monotonic() - read_at >= self.config["api"]["queue_length_cache_s"]:
            length = self.queue(name).count
            self._lengths[name] = (time.monotonic(), length)
        return length

    @cached_property
    def metrics(self) -> Metrics:
        return Metrics(self.redis, self.config["redis"]["key_prefix"])

    def provider(self, provider_id: str) -> Provider:
        return self.registry.get(provider_id)

    @property
    def allow_networks(self) -> list[str]:
        return list(self.config["media"]["allow_networks"])


def guarded_session(allow: list[str]) -> requests.Session:
    """A session that connects only to checked addresses (webhooks go to CMS-given URLs)."""
    session = requests.Session()
    adapter = guarded_adapter(allow)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def build_services(config: dict[str, Any]) -> Services:
    connection = connect(config["redis"])
    return Services(
        config=config,
        redis=connection,
        store=JobStore(connection, config["redis"]["key_prefix"]),
        registry=load_registry(config.get("providers") or {}),
        storage=make_storage(config["storage"]),
        webhook_http=guarded_session(config["media"]["allow_networks"]),
    )


_current: Services | None = None


def get_services() -> Services:
    """This process's services; workers build them from the environment on first use."""
    global _current
    if _current is None:
        _current = build_services(load_config())
    return _current


def set_services(services: Services | None) -> None:
    global _current
    _current = services
