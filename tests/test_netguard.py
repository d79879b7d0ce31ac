"""The SSRF guard against a table of hostile URLs and a real local HTTP server that redirects."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests
from werkzeug.wrappers import Request, Response

from gateway.netguard import GuardedAdapter, UnsafeURL, check_url, safe_session_get
from tests.support.services import LiveServer

LOOPBACK = ["127.0.0.0/8"]

REFUSED = [
    "file:///etc/passwd",
    "ftp://media.example.com/a.mp4",
    "gopher://media.example.com/",
    "http://127.0.0.1/",
    "http://localhost/",
    "http://[::1]/",
    "http://0.0.0.0/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data",
    "http://[fd00:ec2::254]/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.1/",
    "http://0177.0.0.1/",
    "http://[::ffff:127.0.0.1]/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://[fe80::1%25eth0]/",
    "http://[2002:7f00:1::]/",
    "http://user:pass@media.example.com/a.mp4",
    "http://media.example.com@127.0.0.1/",
    "http:///a.mp4",
    "//media.example.com/a.mp4",
    "http://media.example.com\\@127.0.0.1/",
    "http://media.example.com:99999/",
]


def stub_resolver(table: dict[str, list[str]]):
    """A getaddrinfo stand-in answering from ``table``; other names go to the system resolver
    (``localhost`` from the hosts file) except ``*.example.com``, which fail like DNS does."""

    def resolve(host: str, port: int, *args: object) -> list[tuple]:
        if host not in table and not host.endswith(".example.com"):
            return socket.getaddrinfo(host, port, *args)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in table[host]
        ]

    return resolve


PUBLIC = stub_resolver({"media.example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]})


@pytest.mark.parametrize("url", REFUSED)
def test_hostile_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURL) as info:
        check_url(url, resolver=PUBLIC)
    assert "cannot resolve" not in str(info.value)


def test_public_host_is_allowed() -> None:
    check_url("https://media.example.com/video.mp4", resolver=PUBLIC)
    check_url("http://media.example.com:8080/video.mp4?x=1", resolver=PUBLIC)
    check_url("http://93.184.216.34/video.mp4")


def test_any_private_address_refuses_the_host() -> None:
    mixed = stub_resolver({"cdn.example.com": ["93.184.216.34", "10.1.2.3"]})
    with pytest.raises(UnsafeURL, match="10.1.2.3 is private"):
        check_url("https://cdn.example.com/a.mp4", resolver=mixed)


def test_refusal_messages_say_why() -> None:
    with pytest.raises(UnsafeURL, match="only http and https"):
        check_url("file:///etc/passwd")
    with pytest.raises(UnsafeURL, match="169.254.169.254 is a cloud metadata address"):
        check_url("http://169.254.169.254/latest/meta-data")
    with pytest.raises(UnsafeURL, match="127.0.0.1 is loopback"):
        check_url("http://2130706433/")
    with pytest.raises(UnsafeURL, match="shared"):
        check_url("http://100.64.0.1/")


def test_unresolvable_host() -> None:
    with pytest.raises(UnsafeURL, match="cannot resolve host 'nowhere.example.com'"):
        check_url("http://nowhere.example.com/", resolver=PUBLIC)


def test_allow_list_admits_networks() -> None:
    check_url("http://127.0.0.1:8000/a.mp4", allow=LOOPBACK)
    check_url("http://localhost/a.mp4", allow=LOOPBACK)
    check_url("http://[::ffff:127.0.0.1]/", allow=LOOPBACK)
    check_url("http://10.0.0.7/", allow=["10.0.0.0/24"])
    with pytest.raises(UnsafeURL):
        check_url("http://10.0.1.7/", allow=["10.0.0.0/24"])
    with pytest.raises(ValueError, match="invalid network"):
        check_url("http://127.0.0.1/", allow=["not-a-network"])


# --- a real HTTP server -------------------------------------------------------------------


@Request.application
def _app(request: Request) -> Response:
    path = request.path
    if path == "/to-metadata":
        return Response(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data"})
    if path.startswith("/hop/"):
        left = int(path.rsplit("/", 1)[1])
        target = "/done" if left == 0 else f"/hop/{left - 1}"
        return Response(status=301, headers={"Location": target})
    if path == "/host":
        return Response(request.host)
    if path == "/agent":
        return Response(request.headers.get("User-Agent", ""))
    return Response("ok")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    live = LiveServer(_app)
    yield live.url
    live.stop()


def test_redirect_to_metadata_is_refused(server: str) -> None:
    with pytest.raises(UnsafeURL, match="cloud metadata"):
        safe_session_get(requests.Session(), f"{server}/to-metadata", allow=LOOPBACK)


def test_relative_redirects_are_followed_and_checked(server: str) -> None:
    with safe_session_get(requests.Session(), f"{server}/hop/3", allow=LOOPBACK) as response:
        assert response.status_code == 200
        assert response.url == f"{server}/done"
        assert response.text == "ok"


def test_too_many_redirects(server: str) -> None:
    with pytest.raises(UnsafeURL, match="too many redirects"):
        safe_session_get(requests.Session(), f"{server}/hop/6", allow=LOOPBACK, max_redirects=5)
    with pytest.raises(UnsafeURL, match="too many redirects"):
        safe_session_get(requests.Session(), f"{server}/hop/1", allow=LOOPBACK, max_redirects=0)


def test_loopback_server_refused_without_allow_list(server: str) -> None:
    with pytest.raises(UnsafeURL, match="loopback"):
        safe_session_get(requests.Session(), f"{server}/")


def test_adapter_checks_the_address_it_connects_to(server: str) -> None:
    """Without check_url in front, the adapter alone still refuses a name resolving to loopback."""
    port = server.rsplit(":", 1)[1]
    session = requests.Session()
    session.mount("http://", GuardedAdapter())
    with pytest.raises(UnsafeURL, match="loopback"):
        session.get(f"http://localhost:{port}/host", timeout=5)

    allowed = requests.Session()
    allowed.mount("http://", GuardedAdapter(LOOPBACK))
    response = allowed.get(f"http://localhost:{port}/host", timeout=5)
    assert response.text == f"localhost:{port}"  # the Host header keeps the name


def test_safe_get_connects_through_the_guard_and_leaves_the_session_alone(server: str) -> None:
    session = requests.Session()
    session.headers["User-Agent"] = "caption-gateway-test"
    before = dict(session.adapters)
    with safe_session_get(session, f"{server}/agent", allow=LOOPBACK) as response:
        assert isinstance(response.connection, GuardedAdapter)
        assert response.text == "caption-gateway-test"  # the session's headers are used
    assert session.adapters == before
