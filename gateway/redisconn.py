"""The gateway's Redis: one server (``redis.url``) or the master that Redis Sentinel names.

With ``redis.sentinels`` set (``host:port`` of each Sentinel), the API and the workers ask the
Sentinels for the current master of ``redis.sentinel_master`` and follow it through a failover;
``redis.url`` then gives only the database number, the user and the password. While Redis cannot
be reached, a command raises one of :data:`REDIS_DOWN`: the API answers 503, a worker waits.
"""

from __future__ import annotations

from typing import Any

import redis
from redis.connection import parse_url
from redis.sentinel import Sentinel

#: What a command raises while Redis is away (a failover's demoted master included).
REDIS_DOWN: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,
)


def sentinel_addresses(settings: dict[str, Any]) -> list[tuple[str, int]]:
    """``redis.sentinels`` as (host, port) pairs (the port defaults to 26379)."""
    addresses = []
    for entry in settings.get("sentinels") or []:
        host, _, port = str(entry).partition(":")
        addresses.append((host, int(port or 26379)))
    return addresses


def connect(settings: dict[str, Any]) -> redis.Redis:
    """A client of the gateway's Redis (``settings`` is the ``redis`` section of the config)."""
    timeouts = {
        "socket_timeout": settings["socket_timeout_s"],
        "socket_connect_timeout": settings["socket_timeout_s"],
        "health_check_interval": 30,
    }
    sentinels = sentinel_addresses(settings)
    if not sentinels:
        return redis.Redis.from_url(settings["url"], **timeouts)
    target = parse_url(settings["url"])
    credentials = {k: target[k] for k in ("db", "username", "password") if target.get(k) is not None}
    sentinel = Sentinel(sentinels, sentinel_kwargs={"socket_timeout": settings["socket_timeout_s"]}, **timeouts)
    return sentinel.master_for(settings["sentinel_master"], **credentials)
