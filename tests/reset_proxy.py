"""A loopback TCP proxy that resets chosen HTTP/1.1 requests after the upstream has answered them.

Chromium re-sends a request of any method, a POST included, when a *reused* keep-alive connection is
reset before the first byte of the answer (``ShouldResendRequest`` in
net/http/http_network_transaction.cc). If the server stored the POST before the reset, the form is
filed twice. `ResetProxy` makes that race happen on purpose: for a seeded share of the requests that
match a predicate (by default a form POST) and arrive on a connection that already carried a request,
it forwards the request, reads the upstream's whole answer (so the server has done its work), then
resets the client connection (``SO_LINGER`` 0, then close) without sending one byte of that answer.
Everything else is relayed as it came: Content-Length and chunked answers, keep-alive connections.

It knows nothing of the portal, only HTTP/1.1 framing. A request body must have a Content-Length;
a chunked request body is answered ``501`` and the connection closed. Upgrades (``101``) are not
relayed, and ``Expect: 100-continue`` is not honoured (the body is awaited first; Chromium never sends it).

    with ResetProxy.for_url(portal_url, reset_share=0.25, seed=7) as proxy:
        page.goto(proxy.url + "/form")
        ...
        assert proxy.stats.resets == ...
"""

from __future__ import annotations

import contextlib
import io
import random
import select
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal, Self
from urllib.parse import urlsplit

ResetWhen = Literal["reused", "first", "any"]
"""Which requests may be reset: on a reused connection (the resend race), on a connection's first use, or either."""

MAX_LINE = 64 * 1024
MAX_HEADERS = 200
BLOCK = 64 * 1024
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
NO_BODY_STATUSES = frozenset({204, 304})


class FramingError(Exception):
    """The peer sent something this proxy does not frame: a chunked request body, a malformed head."""


class UnsupportedBodyError(FramingError):
    """A request body framed by Transfer-Encoding (chunked): answered 501."""


class UpstreamClosedError(Exception):
    """The upstream closed its connection before a whole answer arrived."""


@dataclass(frozen=True)
class Request:
    """One parsed client request: the head as it arrived, bytes for bytes, and its body."""

    method: str
    target: str
    version: str
    headers: tuple[tuple[str, str], ...]
    raw_head: bytes
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    @property
    def wants_close(self) -> bool:
        """Whether the client asked to close the connection after this request."""
        return not _keeps_alive(self.version, self.header("connection"))


@dataclass(frozen=True)
class Exchange:
    """One request the proxy saw: where it came, what it was, and whether its connection was reset."""

    connection: int  # the client connection's number, from 1 in order of acceptance
    index: int  # the request's place on that connection, from 0; >= 1 means the connection was reused
    method: str
    target: str
    status: int | None  # the upstream's status, also for a reset request; None if the upstream gave none
    reset: bool


@dataclass
class ProxyStats:
    """What the proxy counted; `ResetProxy.stats` hands out a copy."""

    connections: int = 0  # client connections accepted (connection attempts)
    requests: int = 0  # requests parsed on them
    resets: int = 0  # client connections reset after the upstream answered
    eligible: int = 0  # requests that matched the predicate and `reset_when`, so a draw was made
    rejected: int = 0  # requests answered 501 (chunked body) or 400 (malformed head)
    upstream_errors: int = 0  # requests whose upstream answer broke off; the client connection was closed
    exchanges: list[Exchange] = field(default_factory=list)


def is_form_post(request: Request) -> bool:
    """The default predicate: a POST whose body is a form (multipart or urlencoded)."""
    content_type = (request.header("content-type") or "").split(";", 1)[0].strip().lower()
    return request.method == "POST" and content_type in FORM_TYPES


def _keeps_alive(version: str, connection: str | None) -> bool:
    tokens = {token.strip().lower() for token in (connection or "").split(",")}
    if version == "HTTP/1.1":
        return "close" not in tokens
    return "keep-alive" in tokens


def _read_line(stream: io.BufferedReader) -> bytes:
    line = stream.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise FramingError("line too long")
    return line


def _read_head(stream: io.BufferedReader) -> tuple[bytes, list[bytes]] | None:
    """The raw head up to its blank line and its lines without CRLF; None on EOF before a first byte."""
    first = _read_line(stream)
    while first in (b"\r\n", b"\n"):  # RFC 9112 2.2: ignore empty lines before a request line
        first = _read_line(stream)
    if not first:
        return None
    raw = [first]
    while True:
        line = _read_line(stream)
        if not line:
            raise UpstreamClosedError("EOF inside a message head")
        raw.append(line)
        if line in (b"\r\n", b"\n"):
            break
        if len(raw) > MAX_HEADERS:
            raise FramingError("too many header lines")
    return b"".join(raw), [line.rstrip(b"\r\n") for line in raw[:-1]]


def _parse_headers(lines: list[bytes]) -> tuple[tuple[str, str], ...]:
    headers = []
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            raise FramingError("obsolete header line folding")
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep or not name or name != name.strip():
            raise FramingError(f"malformed header line {line!r}")
        headers.append((name, value.strip()))
    return tuple(headers)


def _header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    return next((value for key, value in headers if key.lower() == name), None)


def _read_exactly(stream: io.BufferedReader, size: int, sink: Callable[[bytes], None]) -> None:
    left = size
    while left:
        block = stream.read(min(left, BLOCK))
        if not block:
            raise UpstreamClosedError(f"EOF with {left} of {size} body bytes to come")
        sink(block)
        left -= len(block)


def _content_length(value: str) -> int:
    if not value.isdigit():
        raise FramingError(f"bad Content-Length {value!r}")
    return int(value)


def read_request(stream: io.BufferedReader) -> Request | None:
    """The next request on a client connection, or None if the client closed it between requests."""
    head = _read_head(stream)
    if head is None:
        return None
    raw_head, lines = head
    parts = lines[0].decode("latin-1").split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise FramingError(f"malformed request line {lines[0]!r}")
    method, target, version = parts
    headers = _parse_headers(lines[1:])
    if _header(headers, "transfer-encoding") is not None:
        raise UnsupportedBodyError("a Transfer-Encoding request body (chunked) is not supported by ResetProxy")
    body = bytearray()
    length = _header(headers, "content-length")
    if length is not None:
        _read_exactly(stream, _content_length(length), body.extend)
    return Request(method, target, version, headers, raw_head, bytes(body))


def relay_response(stream: io.BufferedReader, method: str, sink: Callable[[bytes], None]) -> tuple[int, bool]:
    """Read one whole answer from `stream`, handing its bytes to `sink` as they come; (status, keep-alive).

    Interim 1xx answers are handed on too, and the final answer after them is read.
    """
    while True:
        head = _read_head(stream)
        if head is None:
            raise UpstreamClosedError("EOF before an answer")
        raw_head, lines = head
        parts = lines[0].decode("latin-1").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise FramingError(f"malformed status line {lines[0]!r}")
        version, status = parts[0], int(parts[1])
        headers = _parse_headers(lines[1:])
        sink(raw_head)
        if status == 101:
            raise FramingError("101 Switching Protocols is not relayed by ResetProxy")
        if 100 <= status < 200:
            continue
        keep_alive = _keeps_alive(version, _header(headers, "connection"))
        if method == "HEAD" or status in NO_BODY_STATUSES:
            return status, keep_alive
        if "chunked" in (_header(headers, "transfer-encoding") or "").lower():
            _relay_chunks(stream, sink)
            return status, keep_alive
        length = _header(headers, "content-length")
        if length is not None:
            _read_exactly(stream, _content_length(length), sink)
            return status, keep_alive
        while block := stream.read1(BLOCK):
            sink(block)  # no framing: the body ends when the upstream closes
        return status, False


def _relay_chunks(stream: io.BufferedReader, sink: Callable[[bytes], None]) -> None:
    while True:
        size_line = _read_line(stream)
        if not size_line:
            raise UpstreamClosedError("EOF inside a chunked body")
        sink(size_line)
        size_text = size_line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise FramingError(f"bad chunk size line {size_line!r}") from None
        if size == 0:
            break
        _read_exactly(stream, size + 2, sink)  # the data and its CRLF
    while True:  # trailers, up to the blank line
        line = _read_line(stream)
        if not line:
            raise UpstreamClosedError("EOF inside chunked trailers")
        sink(line)
        if line in (b"\r\n", b"\n"):
            return


def reset_socket(sock: socket.socket) -> None:
    """Close `sock` with an RST rather than a FIN: SO_LINGER on, with a linger time of 0."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _closed_by_peer(sock: socket.socket) -> bool:
    """Whether an idle connection was closed (or broken) by its peer while it waited for a request."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class _Upstream:
    """The proxy's one upstream connection for one client connection, opened when a request needs it."""

    def __init__(self, address: tuple[str, int], timeout: float) -> None:
        self.address = address
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.stream: io.BufferedReader | None = None

    def connect(self) -> tuple[socket.socket, io.BufferedReader]:
        if self.sock is not None and self.stream is not None and not _closed_by_peer(self.sock):
            return self.sock, self.stream
        self.close()
        sock = socket.create_connection(self.address, timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.stream = sock, sock.makefile("rb")
        return sock, self.stream

    def close(self) -> None:
        if self.stream is not None:
            with contextlib.suppress(OSError):
                self.stream.close()
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
            self.sock.close()
        self.sock, self.stream = None, None


class ResetProxy:
    """A threaded HTTP/1.1 proxy on 127.0.0.1 that resets a seeded share of reused-connection form POSTs.

    `reset_share` is the chance, drawn from `random.Random(seed)`, that an eligible request is reset;
    eligible means `predicate(request)` and a place on its connection that `reset_when` allows:
    "reused" (the default: a connection that already carried a request, the race Chromium re-sends on),
    "first" (only a connection's first request, which Chromium does not re-send), or "any".
    """

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        reset_share: float = 0.0,
        seed: int = 0,
        reset_when: ResetWhen = "reused",
        predicate: Callable[[Request], bool] = is_form_post,
        timeout: float = 30.0,
    ) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._share = _checked_share(reset_share)
        self._when: ResetWhen = reset_when
        self._predicate = predicate
        self._timeout = timeout
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._stats = ProxyStats()
        self._stopping = threading.Event()
        self._clients: set[socket.socket] = set()
        self._upstreams: set[_Upstream] = set()
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)  # how often the accept loop looks at _stopping
        self.port: int = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, name=f"reset-proxy-{self.port}", daemon=True)
        self._acceptor.start()

    @classmethod
    def for_url(
        cls,
        upstream_url: str,
        *,
        reset_share: float = 0.0,
        seed: int = 0,
        reset_when: ResetWhen = "reused",
        predicate: Callable[[Request], bool] = is_form_post,
        timeout: float = 30.0,
    ) -> Self:
        """A proxy in front of `upstream_url` (http://host:port); the options are those of the constructor."""
        parts = urlsplit(upstream_url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"ResetProxy relays plain http only, not {upstream_url!r}")
        return cls(
            parts.hostname,
            parts.port or 80,
            reset_share=reset_share,
            seed=seed,
            reset_when=reset_when,
            predicate=predicate,
            timeout=timeout,
        )

    @property
    def url(self) -> str:
        """Where clients connect: http://127.0.0.1:<port>, no trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def stats(self) -> ProxyStats:
        """A copy of the counts so far."""
        with self._lock:
            stats = self._stats
            return ProxyStats(
                stats.connections,
                stats.requests,
                stats.resets,
                stats.eligible,
                stats.rejected,
                stats.upstream_errors,
                list(stats.exchanges),
            )

    @property
    def reset_share(self) -> float:
        return self._share

    def set_reset_share(self, share: float) -> None:
        """Change the share of eligible requests that are reset, from the next request on."""
        with self._lock:
            self._share = _checked_share(share)

    def set_reset_when(self, when: ResetWhen) -> None:
        """Change which place on a connection makes a request eligible, from the next request on."""
        with self._lock:
            self._when = when

    def close(self) -> None:
        """Stop accepting, break every open connection, and wait (bounded) for the threads."""
        self._stopping.set()
        self._acceptor.join(timeout=5)
        self._listener.close()
        with self._lock:
            sockets = list(self._clients) + [up.sock for up in self._upstreams if up.sock is not None]
            threads = list(self._threads)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked on it
        for thread in threads:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._stats.connections += 1
                number = self._stats.connections
                self._clients.add(client)
                thread = threading.Thread(
                    target=self._serve, args=(client, number), name=f"reset-proxy-{self.port}-{number}", daemon=True
                )
                self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(thread)
            thread.start()

    def _serve(self, client: socket.socket, number: int) -> None:
        upstream = _Upstream(self._upstream, self._timeout)
        with self._lock:
            self._upstreams.add(upstream)
        client.settimeout(self._timeout)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        stream = client.makefile("rb")
        try:
            with contextlib.suppress(OSError, UpstreamClosedError):
                self._serve_requests(client, stream, upstream, number)
        finally:
            upstream.close()
            with contextlib.suppress(OSError):
                stream.close()
            client.close()  # a no-op after reset_socket
            with self._lock:
                self._clients.discard(client)
                self._upstreams.discard(upstream)

    def _serve_requests(
        self, client: socket.socket, stream: io.BufferedReader, upstream: _Upstream, number: int
    ) -> None:
        index = 0
        while not self._stopping.is_set():
            try:
                request = read_request(stream)
            except FramingError as error:
                self._reject(client, error)
                return
            if request is None:
                return
            reset = self._draw(request, index)
            sock, upstream_stream = upstream.connect()
            sock.sendall(request.raw_head + request.body)
            sink: Callable[[bytes], None] = (lambda _block: None) if reset else client.sendall
            try:
                status, keep_alive = relay_response(upstream_stream, request.method, sink)
            except (FramingError, UpstreamClosedError, OSError):
                self._record(Exchange(number, index, request.method, request.target, None, reset), broke=True)
                reset_socket(client)
                return
            self._record(Exchange(number, index, request.method, request.target, status, reset))
            if reset:
                reset_socket(client)
                return
            if not keep_alive:
                upstream.close()
            if request.wants_close or not keep_alive:
                with contextlib.suppress(OSError):
                    client.shutdown(socket.SHUT_WR)
                return
            index += 1

    def _draw(self, request: Request, index: int) -> bool:
        with self._lock:
            self._stats.requests += 1
            place_ok = self._when == "any" or (self._when == "reused") == (index > 0)
            if not (place_ok and self._predicate(request)):
                return False
            self._stats.eligible += 1
            return self._random.random() < self._share

    def _record(self, exchange: Exchange, *, broke: bool = False) -> None:
        with self._lock:
            self._stats.exchanges.append(exchange)
            if broke:
                self._stats.upstream_errors += 1
            elif exchange.reset:
                self._stats.resets += 1

    def _reject(self, client: socket.socket, error: FramingError) -> None:
        with self._lock:
            self._stats.requests += 1
            self._stats.rejected += 1
        status = "501 Not Implemented" if isinstance(error, UnsupportedBodyError) else "400 Bad Request"
        body = f"ResetProxy: {error}\n".encode()
        head = (
            f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):
            client.sendall(head.encode("latin-1") + body)
            client.shutdown(socket.SHUT_WR)


def _checked_share(share: float) -> float:
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"reset_share must be within [0, 1], not {share}")
    return share
