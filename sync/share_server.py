"""The share's web server: a small HTTP/1.1 server on loopback that serves one
repository (an index, its signature, pack files) out of a `Catalog`, for the onion
service to forward to. Python's standard library only (sockets and threads).

Guarantees:
- It listens on 127.0.0.1 only, on a port the system picks; it never listens elsewhere.
- It serves exactly the names the catalog lists (index.json, index.json.minisig and
  `<16 hex>.bin`); every other path, however spelt (`../`, `%2e`, an absolute form, a
  query), is a 404 or a 400. No request is ever mapped to a file on disk.
- GET and HEAD only. One byte range gets 206 with Content-Range (so downloads resume);
  a range that starts beyond the file gets 416 with `Content-Range: bytes */SIZE`;
  several ranges, or another unit, get the whole file (200), as HTTP allows.
- Bounded: at most `max_connections` at once (when full, the connection that has waited
  longest for a request is closed to make room, and if every one is busy the newcomer is
  closed); a request head of at most 8 KiB and 50 lines, which must arrive within a
  deadline; idle keep-alive connections are closed; a client that stops reading is
  dropped after a send deadline; requests with a body are refused. So a client that
  opens hundreds of connections, stalls, or sends garbage cannot block the others.
- Answers carry no Server or Date header (nothing about the trainer's software or clock)
  and the server keeps no log: only `on_complete(name)` is called when a file's last
  byte was sent (the share counts downloads per pack; no address or time of anyone).
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Protocol

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
SEND_CHUNK = 256 * 1024   # what one send hands to the kernel (tor reads it in cells)
_REQUEST_RE = re.compile(rb"^([A-Z]{1,16}) (\S{1,2048}) HTTP/1\.([01])\Z")
_TOKEN_RE = re.compile(rb"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}\Z")
_RANGE_RE = re.compile(r"^bytes=(?:([0-9]{1,15})-([0-9]{0,15})|-([0-9]{1,15}))\Z")
_SINGLE = ("range", "content-length", "transfer-encoding", "host", "connection")
_REASONS = {200: "OK", 206: "Partial Content", 400: "Bad Request", 404: "Not Found",
            405: "Method Not Allowed", 416: "Range Not Satisfiable", 431: "Request Header Fields Too Large",
            503: "Service Unavailable", 505: "HTTP Version Not Supported"}


M_MMAP_THRESHOLD = -3      # glibc's mallopt parameter (malloc.h)
BIG_BUFFER = 1 << 20


def return_big_buffers() -> None:
    """Keep every buffer of 1 MiB or more in its own mapping, given back to the system
    the moment it is freed (glibc only; elsewhere nothing changes).

    Why: each connection reads the vault's 4 MiB rows of kept bytes. glibc raises its
    mmap threshold to the largest buffer freed so far (up to 32 MiB), after which such
    rows land in per-thread heaps that are rarely given back: five participants at
    once grew `satchel share start` from 51 MB to 158 MB resident, and it stayed there
    (bench/bench_share.py). A fixed threshold stops that, and decrypted pack bytes do
    not linger in the heap after use. It applies to the whole process; the cost is a
    fresh mapping for each large buffer, small beside decrypting 4 MiB."""
    import ctypes
    import platform

    if platform.libc_ver()[0] != "glibc":
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, BIG_BUFFER)


class Served(Protocol):
    """One file the share offers."""

    size: int
    content_type: str

    def open(self) -> BinaryIO:
        """A seekable reader over the file's bytes (raises LookupError if it is gone)."""


class Catalog(Protocol):
    def lookup(self, name: str) -> Served | None: ...


@dataclass(frozen=True)
class Limits:
    max_connections: int = 64
    head_bytes: int = 8 * 1024
    header_lines: int = 50
    head_deadline: float = 20.0     # from accepting a connection to a complete request head
    idle_deadline: float = 15.0     # a keep-alive connection waiting for its next request
    send_deadline: float = 30.0     # one 64 KiB block must leave within this (about 2 kB/s)
    max_requests: int = 1000        # per connection


class _Dropped(Exception):
    """The connection ends (closed by the peer, a deadline, or the server stopping)."""


class _Conn:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.waiting_since: float | None = time.monotonic()   # None while a request is answered
        self.closed = False

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()


@dataclass
class _Request:
    method: str
    target: str
    minor: int
    headers: dict[str, str]


def parse_range(value: str | None, size: int) -> tuple[int, int] | bool | None:
    """(start, end) with end exclusive for one satisfiable range; None to send the whole
    file (no Range, another unit, several ranges, bad syntax); False if unsatisfiable."""
    if value is None:
        return None
    m = _RANGE_RE.match(value.strip())
    if not m:
        return None
    if m.group(3) is not None:
        suffix = int(m.group(3))
        if suffix == 0 or size == 0:
            return False
        return max(0, size - suffix), size
    start = int(m.group(1))
    if m.group(2):
        last = int(m.group(2))
        if last < start:
            return None   # syntactically invalid: ignored, as RFC 9110 allows
        end = min(last + 1, size)
    else:
        end = size
    if start >= size:
        return False
    return start, end


class ShareServer:
    """Serve `catalog` on 127.0.0.1 until `stop()`."""

    def __init__(self, catalog: Catalog, on_complete: Callable[[str], None] | None = None,
                 limits: Limits | None = None) -> None:
        self.catalog = catalog
        self.on_complete = on_complete
        self.limits = limits or Limits()
        self._listener: socket.socket | None = None
        self._conns: set[_Conn] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.port = 0
        self.sent = 0      # body bytes sent in all (for tests and benchmarks; no one's address or time)

    # -- life ----------------------------------------------------------------------

    def start(self) -> int:
        return_big_buffers()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind(("127.0.0.1", 0))
            listener.listen(128)
            listener.settimeout(0.25)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self.port = int(listener.getsockname()[1])
        self._thread = threading.Thread(target=self._accept_loop, name="satchel-share-accept", daemon=True)
        self._thread.start()
        return self.port

    def stop(self, wait: bool = True) -> None:
        """Stop at once: the listening socket and every connection are closed (with
        `wait`, also wait up to a quarter second for the accepting thread to end)."""
        self._stopping.set()
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                listener.close()
        with self._lock:
            conns = list(self._conns)
            self._conns.clear()
        for conn in conns:
            conn.close()
        thread = self._thread
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(2)

    @property
    def running(self) -> bool:
        return self._listener is not None and not self._stopping.is_set()

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._conns)

    # -- accepting -------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            listener = self._listener
            if listener is None:
                return
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stopping.is_set():
                    return
                time.sleep(0.05)   # out of file descriptors: let connections end first
                continue
            # Every write is a full chunk or a whole answer head, so Nagle's algorithm only
            # holds back each chunk's short tail until tor acknowledges the previous one.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = self._admit(sock)
            if conn is not None:
                threading.Thread(target=self._serve, args=(conn,), name="satchel-share-conn", daemon=True).start()

    def _admit(self, sock: socket.socket) -> _Conn | None:
        with self._lock:
            if self._stopping.is_set():
                sock.close()
                return None
            if len(self._conns) >= self.limits.max_connections:
                waiting = [c for c in self._conns if c.waiting_since is not None]
                if not waiting:
                    sock.close()    # every connection is busy sending: the newcomer tries again later
                    return None
                victim = min(waiting, key=lambda c: c.waiting_since or 0.0)
                self._conns.discard(victim)
                victim.close()
            conn = _Conn(sock)
            self._conns.add(conn)
            return conn

    # -- one connection ------------------------------------------------------------

    def _serve(self, conn: _Conn) -> None:
        buffer = bytearray()
        try:
            conn.sock.settimeout(0.25)
            for n in range(self.limits.max_requests):
                conn.waiting_since = time.monotonic()
                wait = self.limits.head_deadline if n == 0 else self.limits.idle_deadline
                request = self._read_request(conn, buffer, time.monotonic() + wait)
                conn.waiting_since = None
                if request is None or not self._answer(conn, request):
                    return
        except _Dropped:
            pass
        except Exception as exc:   # never let one connection take the server down
            log.info("a share connection ended with %s", type(exc).__name__)
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def _recv(self, conn: _Conn, deadline: float) -> bytes:
        while True:
            if self._stopping.is_set() or conn.closed:
                raise _Dropped()
            try:
                data = conn.sock.recv(CHUNK)
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise _Dropped() from None
                continue
            except OSError:
                raise _Dropped() from None
            if not data:
                raise _Dropped()
            return data

    def _read_request(self, conn: _Conn, buffer: bytearray, deadline: float) -> _Request | None:
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(buffer[:end])
                del buffer[: end + 4]
                break
            if len(buffer) > self.limits.head_bytes:
                self._send_status(conn, 431)
                return None
            buffer += self._recv(conn, deadline)
        if len(head) > self.limits.head_bytes:
            self._send_status(conn, 431)
            return None
        request, status = self._parse(head)
        if request is None:
            self._send_status(conn, status)
            return None
        return request

    def _parse(self, head: bytes) -> tuple[_Request | None, int]:
        lines = head.split(b"\r\n")
        m = _REQUEST_RE.match(lines[0])
        if not m:
            return None, 505 if lines[0].startswith(b"GET ") and b" HTTP/" in lines[0] else 400
        if len(lines) - 1 > self.limits.header_lines:
            return None, 431
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep or not _TOKEN_RE.match(name) or any(b < 0x20 and b != 0x09 for b in value) or b"\x7f" in value:
                return None, 400
            key = name.decode("ascii").lower()
            if key in headers and key in _SINGLE:
                return None, 400
            headers[key] = value.strip(b" \t").decode("latin-1")
        if "transfer-encoding" in headers or headers.get("content-length", "0") != "0":
            return None, 400   # a GET never carries a body; one here could desynchronise the connection
        method = m.group(1).decode("ascii")
        if method not in ("GET", "HEAD"):
            return None, 405
        return _Request(method, m.group(2).decode("latin-1"), int(m.group(3)), headers), 200

    # -- answers ----------------------------------------------------------------------

    def _send(self, conn: _Conn, data: bytes) -> None:
        if self._stopping.is_set() or conn.closed:
            raise _Dropped()
        try:
            conn.sock.settimeout(self.limits.send_deadline)
            conn.sock.sendall(data)
            conn.sock.settimeout(0.25)
        except OSError:
            raise _Dropped() from None

    def _head(self, status: int, headers: list[tuple[str, str]], keep: bool) -> bytes:
        lines = [f"HTTP/1.1 {status} {_REASONS[status]}", *(f"{k}: {v}" for k, v in headers),
                 "Cache-Control: no-store", f"Connection: {'keep-alive' if keep else 'close'}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")

    def _send_status(self, conn: _Conn, status: int, keep: bool = False,
                     extra: list[tuple[str, str]] | None = None) -> None:
        headers = [*(extra or []), ("Content-Length", "0")]
        if status == 405:
            headers.append(("Allow", "GET, HEAD"))
        with contextlib.suppress(_Dropped):
            self._send(conn, self._head(status, headers, keep))

    def _answer(self, conn: _Conn, request: _Request) -> bool:
        """Answer one request; True if the connection stays open for the next one."""
        keep = request.minor == 1 and "close" not in request.headers.get("connection", "").lower()
        target = request.target
        name = target[1:] if target.startswith("/") else ""
        if not target.startswith("/"):
            self._send_status(conn, 400)
            return False
        served = self.catalog.lookup(name) if name else None
        if served is None:
            self._send_status(conn, 404, keep)
            return keep
        size = served.size
        wanted = parse_range(request.headers.get("range"), size)
        if wanted is False:
            self._send_status(conn, 416, keep, [("Content-Range", f"bytes */{size}")])
            return keep
        start, end = wanted if isinstance(wanted, tuple) else (0, size)
        headers = [("Content-Type", served.content_type), ("Accept-Ranges", "bytes"),
                   ("Content-Length", str(end - start))]
        if isinstance(wanted, tuple):
            headers.append(("Content-Range", f"bytes {start}-{end - 1}/{size}"))
        try:
            reader = served.open()
        except LookupError:
            self._send_status(conn, 404, keep)
            return keep
        with reader:
            self._send(conn, self._head(206 if isinstance(wanted, tuple) else 200, headers, keep))
            if request.method == "HEAD":
                return keep
            reader.seek(start)
            left = end - start
            while left > 0:
                data = reader.read(min(SEND_CHUNK, left))
                if not data:
                    raise _Dropped()   # the file went away mid-answer: the client resumes later
                self._send(conn, data)
                self.sent += len(data)
                left -= len(data)
        if end == size and self.on_complete is not None:
            self.on_complete(name)
        return keep
