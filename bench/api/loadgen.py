"""A small HTTP/1.1 load generator: keep-alive connections driven by one epoll loop.

Built for a 2-core machine where the client competes with the server for CPU: it sends
prebuilt request bytes and reads just the status line and ``Content-Length``, so it spends a
few tens of microseconds of CPU per request (``RunResult.client_cpu_s`` records how much).

Two modes:

- **closed loop** (``rate=None``): each of ``concurrency`` connections sends its next request as
  soon as the previous answer is in: the maximum throughput at that concurrency. Latency is
  send-to-answer.
- **open loop** (``rate=R``): requests are due at a fixed pace of R per second, whatever the
  server does. A due request waits for a free connection when all are busy, and its latency is
  counted from when it was due (not when it was sent), so a slow server cannot hide its queueing
  (no coordinated omission).

Only requests started in the measuring window (after ``warmup``) count. Any answer outside 2xx,
and any connection the server closes under a request, counts as an error.
"""

from __future__ import annotations

import re
import selectors
import socket
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

RequestFactory = Callable[[int], bytes]

_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_CONNECTION_CLOSE = re.compile(rb"\r\nconnection:[ \t]*close", re.IGNORECASE)
_CONNECTION_ERROR = 599  # the status recorded when the connection broke under a request


@dataclass
class RunResult:
    """What one run measured (only the requests inside the measuring window)."""

    duration_s: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    client_cpu_s: float = 0.0
    rate: float | None = None
    completed: int = 0  # every answer, warm-up and drain included (CPU per request uses it)

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    @property
    def throughput(self) -> float:
        return self.count / self.duration_s

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1]


def get_request(path: str, host: str, headers: dict[str, str] | None = None) -> bytes:
    """The bytes of a GET request."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post_json_request(path: str, host: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    """The bytes of a POST request with a JSON body."""
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Conn:
    __slots__ = ("sock", "buf", "due", "busy")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.due = 0.0
        self.busy = False


def connect(host: str, port: int) -> socket.socket:
    """A blocking TCP connection with Nagle off."""
    sock = socket.create_connection((host, port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def exchange(sock: socket.socket, request: bytes) -> tuple[int, bytes]:
    """Send one request on a keep-alive connection and read the answer: (status, body)."""
    sock.sendall(request)
    buf = b""
    while (head_end := buf.find(b"\r\n\r\n")) < 0:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        buf += chunk
    match = _CONTENT_LENGTH.search(buf, 0, head_end)
    if match is None:
        raise ConnectionError("answer without Content-Length")
    end = head_end + 4 + int(match.group(1))
    while len(buf) < end:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        buf += chunk
    return int(buf[9:12]), buf[head_end + 4 : end]


def run_load(
    host: str,
    port: int,
    make_request: RequestFactory,
    *,
    concurrency: int,
    duration: float,
    warmup: float = 0.5,
    rate: float | None = None,
    drain_timeout: float = 10.0,
    sockets: list[socket.socket] | None = None,
) -> RunResult:
    """Drive ``make_request(n)`` (n counts up from 0) against host:port; see the module doc.

    ``sockets`` are open connections to use (``concurrency`` new ones when not given); they are
    closed at the end either way. A connection the server closes is replaced by a new one.
    """
    sel = selectors.DefaultSelector()
    conns = [_Conn(sock) for sock in sockets] if sockets else [_Conn(connect(host, port)) for _ in range(concurrency)]
    for conn in conns:
        sel.register(conn.sock, selectors.EVENT_READ, conn)
    free: deque[_Conn] = deque(conns)
    backlog: deque[float] = deque()
    result = RunResult(duration_s=duration, rate=rate)
    seq = 0
    cpu0 = time.process_time()
    start = time.perf_counter()
    window_start = start + warmup
    window_end = window_start + duration
    interval = 1.0 / rate if rate else 0.0
    next_due = start

    def send(conn: _Conn, due: float) -> None:
        nonlocal seq
        conn.due = due
        conn.busy = True
        conn.sock.sendall(make_request(seq))
        seq += 1

    def record(due: float, done: float, status: int) -> None:
        result.completed += 1
        if due < window_start:
            return
        if rate is None and (due >= window_end or done > window_end):
            return
        if rate is not None and due >= window_end:
            return
        result.latencies_ms.append((done - due) * 1000.0)
        result.statuses[status] += 1

    def reconnect(conn: _Conn) -> None:
        sel.unregister(conn.sock)
        conn.sock.close()
        conn.sock = connect(host, port)
        conn.buf = b""
        conn.busy = False
        sel.register(conn.sock, selectors.EVENT_READ, conn)

    in_flight = 0
    while True:
        now = time.perf_counter()
        sending = now < window_end
        if sending:
            if rate is None:
                while free:
                    send(free.popleft(), now)
                    in_flight += 1
            else:
                while next_due <= now and next_due < window_end:
                    backlog.append(next_due)
                    next_due += interval
                while backlog and free:
                    send(free.popleft(), backlog.popleft())
                    in_flight += 1
        elif in_flight == 0 or now > window_end + drain_timeout:
            break
        if rate is not None and sending and free and not backlog:
            timeout: float | None = max(0.0, next_due - now)
        elif sending:
            timeout = max(0.0, window_end - now) if not free or rate is None else 0.0
        else:
            timeout = max(0.0, window_end + drain_timeout - now)
        for key, _events in sel.select(timeout):
            conn: _Conn = key.data
            data = conn.sock.recv(262144)
            if not data:
                if conn.busy:
                    record(conn.due, time.perf_counter(), _CONNECTION_ERROR)
                    in_flight -= 1
                reconnect(conn)
                free.append(conn)
                continue
            conn.buf += data
            head_end = conn.buf.find(b"\r\n\r\n")
            if head_end < 0:
                continue
            match = _CONTENT_LENGTH.search(conn.buf, 0, head_end)
            length = int(match.group(1)) if match else 0
            if len(conn.buf) < head_end + 4 + length:
                continue
            done = time.perf_counter()
            status = int(conn.buf[9:12]) if match else _CONNECTION_ERROR
            closing = _CONNECTION_CLOSE.search(conn.buf, 0, head_end) is not None or match is None
            record(conn.due, done, status)
            in_flight -= 1
            conn.busy = False
            conn.buf = b""
            if closing:
                reconnect(conn)
            free.append(conn)
    for conn in conns:
        sel.unregister(conn.sock)
        conn.sock.close()
    sel.close()
    result.client_cpu_s = time.process_time() - cpu0
    return result
