"""A small, strict HTTP/1.1 client for onion repositories, over Tor's SOCKS port only.

Guarantees (DESIGN.md: no connection except through Tor; every network reply hostile):
- The only socket it opens goes to the SOCKS port it is given, on loopback. The onion
  name is handed to Tor as a name (SOCKS5 with remote resolution): nothing is ever
  looked up outside Tor.
- Each client gets its own SOCKS user name and password, so Tor (IsolateSOCKSAuth, the
  default for Tor Browser's port and Satchel's own tor) gives each repository its own
  circuit: two repositories cannot be linked by the circuit they share.
- Deadlines on everything: the SOCKS handshake (which includes reaching the onion
  service), the reply's headers, a stall (no byte at all), and a minimum throughput
  averaged over a window; Cancel is noticed within half a second.
- Caps on everything: status line and headers (count and bytes); a body is read up to
  its Content-Length and never past the size the caller allows (the index's statement
  for a pack, a fixed cap for the index); Content-Length is required and must agree with
  what was asked; a 206's Content-Range must match the range asked and the file size.
- No redirects (a 3xx is an error), no chunked or compressed bodies, no cookies, no
  caching. Persistent connections are reused only after a body was read to its end.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sync.errors import (
    HttpStatusError,
    RangeIgnored,
    Redirected,
    RepositoryUnreachable,
    SocksUnreachable,
    Stalled,
    TooLarge,
    TransferCancelled,
    TransferFailed,
)
from sync.onion import RepoUrl

CHUNK = 1 << 16
MAX_STATUS_LINE = 1024
MAX_HEADER_BYTES = 32 * 1024
MAX_HEADERS = 100
POLL = 0.5   # how often a blocked read looks at Cancel
RECEIVE_BUFFER = 256 * 1024
_TOKEN_RE = re.compile(rb"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_STATUS_RE = re.compile(rb"^HTTP/1\.([01]) ([0-9]{3})(?: [\x20-\x7e\t]*)?$")
_CONTENT_RANGE_RE = re.compile(r"^bytes ([0-9]{1,15})-([0-9]{1,15})/([0-9]{1,15})\Z")

# Tor's answers to a SOCKS CONNECT (its extended codes need `ExtendedErrors` on the port).
_UNREACHABLE = ("The repository's onion service did not answer; it may be offline. "
                "Try again later.")
_SOCKS_SENTENCES = {
    0xF0: "The repository's onion service could not be found on the Tor network; it may be "
          "offline, or its address may be wrong.",
    0xF1: "The repository's onion service could not be found on the Tor network; it may be "
          "offline, or its address may be wrong.",
    0xF2: _UNREACHABLE, 0xF3: _UNREACHABLE, 0xF7: _UNREACHABLE, 0x04: _UNREACHABLE, 0x06: _UNREACHABLE,
    0xF4: "The repository needs a key to be reached, and Satchel does not have it.",
    0xF5: "The repository needs a key to be reached, and the one Satchel has is not accepted.",
    0xF6: "Tor refused the repository's address as invalid.",
    0x05: "The repository's onion service refused the connection.",
}


@dataclass(frozen=True)
class SocksEndpoint:
    """Where Tor's SOCKS port listens (always a loopback address)."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Deadlines:
    connect: float = 120.0     # SOCKS handshake, including finding and reaching the onion service
    reply: float = 60.0        # from sending a request to the end of the reply's headers
    stall: float = 30.0        # not a single byte for this long
    min_rate: int = 2048       # bytes per second, averaged over rate_window
    rate_window: float = 60.0


@dataclass
class Traffic:
    """What crossed the connection (above SOCKS), for progress and for the benchmarks."""

    requests: int = 0
    connections: int = 0
    sent: int = 0
    header_bytes: int = 0
    body_bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def received(self) -> int:
        return self.header_bytes + self.body_bytes

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)


def _socks_error(exc: BaseException, socks: SocksEndpoint) -> Exception:
    from python_socks import ProxyConnectionError, ProxyError, ProxyTimeoutError

    if isinstance(exc, ProxyConnectionError):
        return SocksUnreachable(f"Nothing answers at the Tor port {socks}; is Tor running?")
    if isinstance(exc, ProxyTimeoutError | TimeoutError):
        return RepositoryUnreachable("The repository did not answer in time over Tor; it may be offline.")
    if isinstance(exc, ProxyError):
        code = getattr(exc, "error_code", None)
        if not isinstance(code, int):
            # python-socks reports codes outside RFC 1928 (Tor's extended ones) only in its text.
            m = re.search(r"0X([0-9A-F]{2})", str(exc).upper())
            code = int(m.group(1), 16) if m else None
        sentence = _SOCKS_SENTENCES.get(code) if code is not None else None
        if sentence is not None:
            return RepositoryUnreachable(sentence)
        if "authentication" in str(exc).lower() or "malformed" in str(exc).lower():
            return SocksUnreachable(f"The program at {socks} does not behave like Tor's SOCKS port.")
        return RepositoryUnreachable("Tor could not reach the repository.")
    if isinstance(exc, OSError):
        return RepositoryUnreachable("The connection to the repository over Tor failed.")
    return RepositoryUnreachable("Tor could not reach the repository.")


class _Connection:
    """One TCP connection to the SOCKS port, carrying one onion connection."""

    def __init__(self, sock: socket.socket, deadlines: Deadlines, cancel: threading.Event | None,
                 traffic: Traffic) -> None:
        self.sock = sock
        self.sock.settimeout(POLL)
        # A small receive buffer: bytes Tor has fetched wait in Tor (whose flow control then
        # stops the sender), not in a large kernel buffer a kill would throw away.
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        self.deadlines = deadlines
        self.cancel = cancel
        self.traffic = traffic
        self.buffer = bytearray()
        self.usable = True
        self._window_start = time.monotonic()
        self._window_bytes = 0

    def close(self) -> None:
        self.usable = False
        with contextlib.suppress(OSError):
            self.sock.close()

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            self.close()
            raise TransferCancelled("The download was cancelled; what arrived is kept for next time.")

    def send(self, data: bytes) -> None:
        self._check_cancel()
        try:
            self.sock.settimeout(self.deadlines.reply)
            self.sock.sendall(data)
            self.sock.settimeout(POLL)
        except OSError:
            self.close()
            raise RepositoryUnreachable("The connection to the repository was lost.") from None
        self.traffic.add(sent=len(data))

    def _recv(self, limit: int, deadline: float | None) -> bytes:
        """Some bytes (at most `limit`): the deadline, the stall timer, the throughput
        floor and Cancel all apply; an empty result never happens (closed = error)."""
        idle_since = time.monotonic()
        while True:
            self._check_cancel()
            try:
                data = self.sock.recv(limit)
            except TimeoutError:
                now = time.monotonic()
                if deadline is not None and now > deadline:
                    self.close()
                    raise Stalled("The repository took too long to answer; try again later.") from None
                if now - idle_since > self.deadlines.stall:
                    self.close()
                    raise Stalled("The transfer stalled; what arrived is kept, and the next sync "
                                  "continues from there.") from None
                continue
            except OSError:
                self.close()
                raise RepositoryUnreachable("The connection to the repository was lost.") from None
            if not data:
                self.close()
                raise RepositoryUnreachable("The repository closed the connection before the "
                                            "transfer was complete.")
            self._account(len(data))
            return data

    def _account(self, n: int) -> None:
        now = time.monotonic()
        self._window_bytes += n
        span = now - self._window_start
        if span >= self.deadlines.rate_window:
            if self._window_bytes < self.deadlines.min_rate * span:
                self.close()
                raise Stalled("The transfer became too slow; what arrived is kept, and the next "
                              "sync continues from there.")
            self._window_start, self._window_bytes = now, 0

    def read_head(self) -> bytes:
        """The status line and headers, up to the blank line (capped, with a deadline)."""
        deadline = time.monotonic() + self.deadlines.reply
        self._window_start, self._window_bytes = time.monotonic(), 0
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(self.buffer[:end])
                del self.buffer[: end + 4]
                self.traffic.add(header_bytes=end + 4)
                return head
            if len(self.buffer) > MAX_HEADER_BYTES:
                self.close()
                raise TransferFailed("The repository's answer has headers larger than Satchel accepts.")
            self.buffer += self._recv(CHUNK, deadline)

    def read_body(self, n: int) -> bytes:
        """At most `n` bytes of the body (what is buffered first)."""
        if self.buffer:
            data = bytes(self.buffer[:n])
            del self.buffer[: len(data)]
        else:
            data = self._recv(min(n, CHUNK * 4), None)
        self.traffic.add(body_bytes=len(data))
        return data


class Response:
    """One reply: status, the body's length, and the body, read exactly to its end."""

    def __init__(self, conn: _Connection, status: int, length: int, total: int | None,
                 keep_alive: bool) -> None:
        self._conn = conn
        self.status = status
        self.length = length          # body bytes to come
        self.total = total            # the whole file's size, when the reply says it
        self._left = length
        self._keep_alive = keep_alive

    def chunks(self, size: int = CHUNK * 4) -> Iterator[bytes]:
        while self._left > 0:
            data = self._conn.read_body(min(size, self._left))
            self._left -= len(data)
            yield data
        # Bytes beyond the announced length are never read as the next reply's start.
        if not self._keep_alive or self._conn.buffer:
            self._conn.close()

    def read_all(self) -> bytes:
        return b"".join(self.chunks())

    @property
    def complete(self) -> bool:
        return self._left == 0

    def close(self) -> None:
        if self._left:
            self._conn.close()   # a body left unread makes the connection useless

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parse_head(head: bytes) -> tuple[int, bool, dict[str, str]]:
    lines = head.split(b"\r\n")
    if len(lines[0]) > MAX_STATUS_LINE:
        raise TransferFailed("The repository's answer is not valid HTTP.")
    m = _STATUS_RE.match(lines[0])
    if not m:
        raise TransferFailed("The repository's answer is not valid HTTP.")
    minor, status = int(m.group(1)), int(m.group(2))
    if len(lines) - 1 > MAX_HEADERS:
        raise TransferFailed("The repository's answer has more headers than Satchel accepts.")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not _TOKEN_RE.match(name) or any(b < 0x20 and b != 0x09 for b in value) or b"\x7f" in value:
            raise TransferFailed("The repository's answer has a malformed header.")
        key = name.decode("ascii").lower()
        text = value.strip(b" \t").decode("latin-1")
        if key in headers and key in ("content-length", "content-range", "transfer-encoding", "location") \
                and headers[key] != text:
            raise TransferFailed("The repository's answer repeats a header with different values.")
        headers[key] = text
    keep_alive = minor == 1 and "close" not in headers.get("connection", "").lower()
    return status, keep_alive, headers


class OnionClient:
    """GET files of one repository over Tor, on one persistent connection at a time."""

    def __init__(self, socks: SocksEndpoint, url: RepoUrl, deadlines: Deadlines | None = None,
                 cancel: threading.Event | None = None, traffic: Traffic | None = None,
                 isolation: str | None = None) -> None:
        self.socks = socks
        self.url = url
        self.deadlines = deadlines or Deadlines()
        self.cancel = cancel
        self.traffic = traffic or Traffic()
        # Tor puts streams with different SOCKS credentials on different circuits.
        self._credentials = (isolation or secrets.token_hex(8), secrets.token_hex(8))
        self._conn: _Connection | None = None

    def _connect(self) -> _Connection:
        from python_socks import ProxyType
        from python_socks.sync import Proxy

        proxy = Proxy(ProxyType.SOCKS5, self.socks.host, self.socks.port, *self._credentials, rdns=True)
        result: dict[str, Any] = {}
        done = threading.Event()

        def attempt() -> None:
            try:
                result["sock"] = proxy.connect(self.url.host, self.url.port, timeout=self.deadlines.connect)
            except BaseException as exc:  # handed to the waiting thread
                result["error"] = exc
            done.set()
            if result.get("abandoned") and "sock" in result:
                result["sock"].close()

        # The handshake waits for Tor to reach the onion service, which can take a
        # minute; it runs on its own thread so that Cancel does not have to wait for it.
        threading.Thread(target=attempt, name="satchel-socks", daemon=True).start()
        while not done.wait(POLL):
            if self.cancel is not None and self.cancel.is_set():
                result["abandoned"] = True
                if done.is_set() and "sock" in result:
                    result["sock"].close()
                raise TransferCancelled("The download was cancelled; what arrived is kept for next time.")
        if "error" in result:
            raise _socks_error(result["error"], self.socks) from None
        self.traffic.add(connections=1)
        return _Connection(result["sock"], self.deadlines, self.cancel, self.traffic)

    def fetch(self, name: str, *, start: int = 0, end: int | None = None, size: int | None = None,
              cap: int | None = None) -> Response:
        """GET `name` (a file in the repository's folder), or its bytes [start, end).

        `size`: the whole file's size as the signed index states it (the body must agree);
        `cap`: the most bytes accepted when no size is known (the index itself)."""
        path = self.url.file_path(name)
        ranged = start > 0 or end is not None
        if ranged:
            end = end if end is not None else size
            if end is None or not 0 <= start < end or (size is not None and end > size):
                raise ValueError("a range inside the file's size")
        port = "" if self.url.port == 80 else f":{self.url.port}"
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.url.host}{port}", "Accept-Encoding: identity",
                 "Connection: keep-alive"]
        if ranged:
            lines.append(f"Range: bytes={start}-{end - 1}")   # type: ignore[operator]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
        conn = self._conn if self._conn is not None and self._conn.usable else None
        if conn is None:
            conn = self._conn = self._connect()
        try:
            conn.send(request)
            self.traffic.add(requests=1)
            status, keep_alive, headers = _parse_head(conn.read_head())
            return self._check(conn, status, keep_alive, headers, ranged, start, end, size, cap)
        except TransferFailed:
            conn.close()
            raise

    def _check(self, conn: _Connection, status: int, keep_alive: bool, headers: dict[str, str], ranged: bool,
               start: int, end: int | None, size: int | None, cap: int | None) -> Response:
        if 300 <= status < 400:
            raise Redirected("The repository answered with a redirect, which Satchel never follows.")
        if status == 404:
            raise HttpStatusError("The repository does not have a file its index lists (HTTP 404).", status)
        if status not in (200, 206):
            raise HttpStatusError(f"The repository answered with an error (HTTP {status}).", status)
        if "transfer-encoding" in headers or headers.get("content-encoding", "identity").lower() != "identity":
            raise TransferFailed("The repository answered in an encoding Satchel does not accept.")
        text = headers.get("content-length")
        if text is None or not text.isdigit() or len(text) > 15:
            raise TransferFailed("The repository's answer does not say how long it is.")
        length = int(text)
        if status == 200:
            if ranged and start > 0:
                raise RangeIgnored("The repository does not resume downloads; the file is fetched again.")
            if size is not None and length != size:
                if length > size:
                    raise TooLarge("The repository announced a file larger than its index states; "
                                   "it was not downloaded.")
                raise TransferFailed("The repository sent a file of another size than its index states.")
            if cap is not None and length > cap:
                raise TooLarge("The repository's file is larger than Satchel accepts; it was not downloaded.")
            if ranged and end is not None and length != end:   # asked [0, end) of a longer file
                raise RangeIgnored("The repository ignored a range request.")
            return Response(conn, status, length, length, keep_alive)
        if not ranged:
            raise TransferFailed("The repository sent part of a file Satchel asked for whole.")
        m = _CONTENT_RANGE_RE.match(headers.get("content-range", ""))
        if not m:
            raise TransferFailed("The repository's partial answer does not say which bytes it holds.")
        first, last, total = int(m.group(1)), int(m.group(2)), int(m.group(3))
        assert end is not None
        if first != start or last != end - 1 or length != end - start or (size is not None and total != size):
            if size is not None and total > size:
                raise TooLarge("The repository holds a file larger than its index states; it was not downloaded.")
            raise TransferFailed("The repository sent other bytes than Satchel asked for.")
        return Response(conn, status, length, total, keep_alive)

    def get_small(self, name: str, cap: int) -> bytes:
        """A whole small file (the index, its signature), at most `cap` bytes."""
        with self.fetch(name, cap=cap) as response:
            return response.read_all()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> OnionClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
