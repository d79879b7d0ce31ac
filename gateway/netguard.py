"""The SSRF guard: the gateway fetches only public http(s) addresses on a user's behalf.

A URL is refused when its scheme is not http/https, it has no host, it carries credentials
(``user:pass@``), or its host resolves to ANY address that is loopback, private, link-local,
multicast, reserved, unspecified, shared (100.64.0.0/10), not globally routable, or a cloud
metadata address — unless that address lies in one of the ``allow`` networks (CIDR strings,
for private deployments and tests). Legacy IPv4 spellings (``2130706433``, ``0x7f.1``,
``0177.0.0.1``) are read the way ``getaddrinfo`` reads them, and IPv6 forms that embed an IPv4
address (``::ffff:127.0.0.1``, 6to4, NAT64, Teredo) are judged by that IPv4 address too.

Checking a name and then connecting to it leaves a gap (DNS rebinding: the name resolves to a
public address for the check and to a private one for the connection). :class:`GuardedAdapter`
closes it: its connections resolve the host once, check every address, and connect the socket
to a checked address, while the Host header, TLS SNI and certificate check keep the name.
:func:`safe_session_get` sends every hop through it. Requests sent through an
outbound proxy connect to the proxy, not to the checked address, so there the connect-time check
does not apply (``check_url`` still does) and the proxy must enforce the destination policy.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.cookies import extract_cookies_to_jar
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.connection import create_connection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[..., list[tuple[Any, ...]]]

SCHEMES = ("http", "https")
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
SHARED_NETWORK = ipaddress.ip_network("100.64.0.0/10")
NAT64_NETWORK = ipaddress.ip_network("64:ff9b::/96")
# Numeric hosts that inet_aton accepts: 1 to 4 parts, each decimal, octal (leading 0) or hex.
_LEGACY_IPV4 = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$", re.IGNORECASE)
_SENSITIVE_HEADERS = ("authorization", "cookie", "proxy-authorization")


class UnsafeURL(ValueError):
    """The URL may not be fetched; the message says why and is safe to show to the client."""


def parse_allow(allow: Iterable[str | Network]) -> tuple[Network, ...]:
    """The allow-list as networks; a bad entry is a configuration error (``ValueError``)."""
    networks = []
    for entry in allow:
        try:
            networks.append(entry if isinstance(entry, Network) else ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"invalid network in the URL allow-list: {entry!r}") from None
    return tuple(networks)


def check_url(url: str, allow: Sequence[str] = (), resolver: Resolver = socket.getaddrinfo) -> None:
    """Raise :class:`UnsafeURL` unless ``url`` is http(s) and every address of its host is public."""
    host, port = _split(url)
    networks = parse_allow(allow)
    for address in resolve(host, port, resolver):
        _judge(address, networks)


def _split(url: str) -> tuple[str, int]:
    if not isinstance(url, str) or any(ord(c) <= 0x20 or c in "\\\x7f" for c in url):
        raise UnsafeURL("URL contains whitespace, control characters or backslashes")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise UnsafeURL(f"only http and https URLs are allowed, not {scheme or 'a relative URL'!r}")
    if "@" in parts.netloc:
        raise UnsafeURL("URLs with credentials (user@host) are not allowed")
    if not parts.hostname:
        raise UnsafeURL("URL has no host")
    try:
        port = parts.port
    except ValueError:
        raise UnsafeURL("URL has an invalid port") from None
    return parts.hostname, port or (443 if scheme == "https" else 80)


def resolve(host: str, port: int, resolver: Resolver = socket.getaddrinfo) -> list[IPAddress]:
    """Every address ``host`` stands for; numeric hosts are read without asking the resolver."""
    literal = _literal_address(host)
    if literal is not None:
        return [literal]
    try:
        infos = resolver(host, port, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeURL(f"cannot resolve host {host!r}") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise UnsafeURL(f"cannot resolve host {host!r}")
    return addresses


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _LEGACY_IPV4.match(host.rstrip(".")):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
        except OSError:
            raise UnsafeURL(f"invalid IP address {host!r}") from None
    return None


def _judge(address: IPAddress, allow: tuple[Network, ...]) -> None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in allow if network.version == address.version):
        return
    reason = blocked_reason(address)
    if reason:
        raise UnsafeURL(f"address {address} is {reason} and may not be fetched")


def blocked_reason(address: IPAddress) -> str | None:
    """Why ``address`` may not be fetched (``"loopback"``, ``"private"``...), or ``None``."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("shared (100.64.0.0/10)", address in SHARED_NETWORK),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("not globally routable", not address.is_global),
    )
    for reason, hit in checks:
        if hit:
            return reason
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        inner = blocked_reason(embedded)
        return f"an IPv6 form of {embedded} ({inner})" if inner else None
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64_NETWORK:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def checked_address(host: str, port: int, allow: Sequence[str | Network] = ()) -> str:
    """Resolve ``host`` once, refuse it if any address is unsafe, and return one to connect to."""
    networks = parse_allow(allow)
    addresses = resolve(host, port)
    for address in addresses:
        _judge(address, networks)
    return str(addresses[0])


class _GuardedConnectionMixin:
    """Connect the socket to a checked address; ``host`` (Host header, SNI) stays the name."""

    guard_allow: tuple[Network, ...] = ()

    def _new_conn(self) -> socket.socket:
        target = checked_address(self._dns_host, self.port, self.guard_allow)  # type: ignore[attr-defined]
        try:
            return create_connection(
                (target, self.port),  # type: ignore[attr-defined]
                self.timeout,  # type: ignore[attr-defined]
                source_address=self.source_address,  # type: ignore[attr-defined]
                socket_options=self.socket_options,  # type: ignore[attr-defined]
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"Connection to {target} timed out") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc


class GuardedAdapter(HTTPAdapter):
    """A requests transport adapter whose connections only reach addresses ``check_url`` admits."""

    def __init__(self, allow: Iterable[str | Network] = (), **kwargs: Any) -> None:
        self.allow = parse_allow(allow)
        networks = {"guard_allow": self.allow}
        http = type("GuardedHTTPConnection", (_GuardedConnectionMixin, HTTPConnection), networks)
        https = type("GuardedHTTPSConnection", (_GuardedConnectionMixin, HTTPSConnection), networks)
        self._pool_classes = {
            "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes


_ADAPTERS: dict[tuple[Network, ...], GuardedAdapter] = {}
_ADAPTERS_LOCK = threading.Lock()


def guarded_adapter(allow: Iterable[str | Network] = ()) -> GuardedAdapter:
    """The shared :class:`GuardedAdapter` of an allow-list (its connection pools are reused)."""
    networks = parse_allow(allow)
    with _ADAPTERS_LOCK:
        if networks not in _ADAPTERS:
            _ADAPTERS[networks] = GuardedAdapter(networks)
        return _ADAPTERS[networks]


def safe_session_get(
    session: requests.Session,
    url: str,
    allow: Sequence[str] = (),
    max_redirects: int = 5,
    timeout: float | tuple[float, float] = (5, 30),
    **kw: Any,
) -> requests.Response:
    """GET ``url`` as a stream, following redirects by hand and checking every hop.

    Each hop goes through :func:`check_url` (scheme, credentials, addresses), then is sent
    through a :class:`GuardedAdapter`, so the address actually connected to is one that was
    checked. ``session`` lends its headers, auth, cookies and TLS settings and collects the
    cookies set; its own adapters are neither used nor changed, so other calls made with it
    (provider APIs on a private network) are unaffected. ``kw`` takes ``headers``, ``params``,
    ``auth``, ``cookies``, ``verify``, ``cert`` and ``proxies``. Credentials are dropped when a
    redirect leaves the first host. More than ``max_redirects`` redirects raise
    :class:`UnsafeURL`. The caller closes the response.
    """
    adapter = guarded_adapter(allow)
    origin = urlsplit(url).hostname
    current = url
    for _hop in range(max_redirects + 1):
        check_url(current, allow)
        response = _send(
            session, adapter, current, cross_host=urlsplit(current).hostname != origin, timeout=timeout, **kw
        )
        location = session.get_redirect_target(response)
        if location is None:
            return response
        response.close()
        current = urljoin(current, location)
    raise UnsafeURL(f"too many redirects (more than {max_redirects})")


def _send(
    session: requests.Session,
    adapter: GuardedAdapter,
    url: str,
    *,
    cross_host: bool,
    timeout: float | tuple[float, float],
    headers: Mapping[str, str] | None = None,
    params: Any = None,
    auth: Any = None,
    cookies: Any = None,
    verify: bool | str | None = None,
    cert: Any = None,
    proxies: Mapping[str, str] | None = None,
) -> requests.Response:
    """One GET through ``adapter`` with the session's settings merged in, as ``Session.send`` does."""
    request = requests.Request("GET", url, headers=dict(headers or {}), params=params, auth=auth, cookies=cookies)
    prepared = session.prepare_request(request)
    if cross_host:
        for name in _SENSITIVE_HEADERS:
            prepared.headers.pop(name, None)
    settings = session.merge_environment_settings(prepared.url, dict(proxies or {}), True, verify, cert)
    response = adapter.send(prepared, timeout=timeout, **settings)
    extract_cookies_to_jar(session.cookies, prepared, response.raw)
    return response
