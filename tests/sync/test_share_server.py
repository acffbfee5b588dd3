"""The share's web server on loopback, spoken to with raw sockets: what it serves (the
vault's kept signed bytes, byte for byte, with ranges), what it refuses (other paths,
methods, bodies, garbage), and that no client can block the others (hundreds of
connections, a slow head, a client that stops reading). The same server behind a real
onion service is tested in test_share_tor.py."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sharehelp import Trainer, get, listening_sockets, request, trainer_home
from torenv import PASSPHRASE

from app.vault import Vault
from support import make_keypair
from sync.publish import signed_index
from sync.share_server import Limits, ShareServer, parse_range
from sync.share_store import VaultCatalog
from sync.usb_export import vault_packs

def settled(done: list[str], expected: list[str]) -> bool:
    """The server counts a download just after its last byte left: wait for it."""
    deadline = time.monotonic() + 5
    while done != expected and time.monotonic() < deadline:
        time.sleep(0.02)
    return done == expected


SMALL = Limits(max_connections=16, head_deadline=1.5, idle_deadline=1.0, send_deadline=1.5)


@pytest.fixture(scope="module")
def trainer(tmp_path_factory: pytest.TempPathFactory) -> Trainer:
    folder = tmp_path_factory.mktemp("share-server")
    return trainer_home(folder, make_keypair(folder / "keys", "trainer"),
                        {"org.example.big": 3_000_000, "org.example.small": 0})


class Running:
    def __init__(self, vault: Vault, server: ShareServer, catalog: VaultCatalog, done: list[str]) -> None:
        self.vault, self.server, self.catalog, self.done = vault, server, catalog, done

    @property
    def port(self) -> int:
        return self.server.port

    def name(self, pack_id: str) -> str:
        return next(p.file for p in self.catalog.by_file.values() if p.id == pack_id)


@pytest.fixture
def served(trainer: Trainer, tmp_path: Path) -> Iterator[Running]:
    import shutil

    home = tmp_path / "home"
    shutil.copytree(trainer.home, home)
    vault = Vault.unlock(home, PASSPHRASE)
    packs = vault_packs(vault, list(trainer.packs))
    _, index, sig = signed_index([p.entry() for p in packs], trainer.key.secret, None, 1, 2_000_000_000, 1_000)
    catalog = VaultCatalog(vault, packs, index, sig)
    done: list[str] = []
    server = ShareServer(catalog, done.append, SMALL)
    server.start()
    yield Running(vault, server, catalog, done)
    server.stop()
    catalog.close()
    vault.close()


def test_it_serves_the_signed_packs_byte_for_byte_and_the_index(served: Running, trainer: Trainer) -> None:
    status, headers, body = get(served.port, "/index.json")
    assert status == 200 and body == served.catalog.files["index.json"].data
    assert headers["content-type"] == "application/json"
    assert "server" not in headers and "date" not in headers          # nothing about the trainer's software or clock
    big = trainer.packs["org.example.big"].read_bytes()
    name = served.name("org.example.big")
    assert name == hashlib.sha256(big).hexdigest()[:16] + ".bin"
    status, headers, body = get(served.port, "/" + name)
    assert status == 200 and body == big and headers["accept-ranges"] == "bytes"
    assert headers["content-length"] == str(len(big))
    assert settled(served.done, ["index.json", name])                          # counted once each, when complete


def test_ranges_resume_a_download(served: Running, trainer: Trainer) -> None:
    big = trainer.packs["org.example.big"].read_bytes()
    name = "/" + served.name("org.example.big")
    status, headers, body = get(served.port, name, "Range: bytes=1000000-\r\n")
    assert status == 206 and body == big[1_000_000:]
    assert headers["content-range"] == f"bytes 1000000-{len(big) - 1}/{len(big)}"
    assert settled(served.done, [name[1:]])                            # the last byte went out: one whole download
    status, headers, body = get(served.port, name, "Range: bytes=10-19\r\n")
    assert status == 206 and body == big[10:20] and headers["content-range"] == f"bytes 10-19/{len(big)}"
    status, _, body = get(served.port, name, "Range: bytes=-100\r\n")
    assert status == 206 and body == big[-100:]
    status, _, body = get(served.port, name, f"Range: bytes=5-{len(big) + 500}\r\n")
    assert status == 206 and body == big[5:]                            # an end past the file is cut to it
    assert settled(served.done, [name[1:]] * 3)


def test_a_range_beyond_the_file_is_416_and_odd_ranges_get_the_whole_file(served: Running, trainer: Trainer) -> None:
    big = trainer.packs["org.example.big"].read_bytes()
    name = "/" + served.name("org.example.big")
    status, headers, body = get(served.port, name, f"Range: bytes={len(big)}-\r\n")
    assert status == 416 and headers["content-range"] == f"bytes */{len(big)}" and body == b""
    status, _, body = get(served.port, name, "Range: bytes=0-1,5-6\r\n")
    assert status == 200 and body == big
    status, _, body = get(served.port, name, "Range: lines=1-2\r\n")
    assert status == 200 and len(body) == len(big)
    assert parse_range("bytes=-0", 10) is False and parse_range("bytes=9-3", 10) is None


@pytest.mark.parametrize("path", ["/", "/../index.json", "/..%2findex.json", "/%2e%2e/etc/passwd", "/index.json?x=1",
                                  "/DATA/index.json", "/0123456789abcdef.bin", "//index.json", "/index.json/",
                                  "/etc/passwd", "/data", "/key"])
def test_only_the_repository_files_exist(served: Running, path: str) -> None:
    status, _, body = get(served.port, path)
    assert (status, body) == (404, b"")


def test_an_upper_case_pack_name_is_not_served(served: Running) -> None:
    assert get(served.port, "/" + served.name("org.example.small").upper())[0] == 404


@pytest.mark.parametrize("raw, status", [
    (b"GET http://x.onion/index.json HTTP/1.1\r\nHost: x\r\n\r\n", 400),        # absolute form
    (b"GET index.json HTTP/1.1\r\n\r\n", 400),
    (b"POST /index.json HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405),
    (b"DELETE /index.json HTTP/1.1\r\n\r\n", 405),
    (b"GET /index.json HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 400),        # a GET with a body
    (b"GET /index.json HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    (b"GET /index.json HTTP/2.0\r\n\r\n", 505),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),               # TLS where HTTP belongs
    (b"GET /index.json HTTP/1.1\r\nRange: bytes=0-1\r\nRange: bytes=2-3\r\n\r\n", 400),
    (b"GET /index.json HTTP/1.1\r\nBad Header\r\n\r\n", 400),
    (b"GET /index.json HTTP/1.1\r\nX: a\x00b\r\n\r\n", 400),
    (b"GET /index.json HTTP/1.1\r\n" + b"X-A: b\r\n" * 60 + b"\r\n", 431),
    (b"GET /index.json HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n", 431),
])
def test_malformed_requests_get_an_error_and_the_server_goes_on(served: Running, raw: bytes, status: int) -> None:
    assert request(served.port, raw)[0] == status
    assert get(served.port, "/index.json")[0] == 200


def test_head_sends_no_body(served: Running) -> None:
    status, headers, body = get(served.port, "/index.json", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0
    assert served.done == []


def test_keep_alive_serves_several_requests_on_one_connection(served: Running) -> None:
    index = served.catalog.files["index.json"].data
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as s:
        s.sendall(b"GET /index.json HTTP/1.1\r\nHost: x\r\n\r\nGET /index.json.minisig HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        deadline = time.monotonic() + 10
        while data.count(b"HTTP/1.1 200") < 2 or not data.endswith(served.catalog.files["index.json.minisig"].data):
            assert time.monotonic() < deadline
            data += s.recv(65536)
    assert index in data


def test_hundreds_of_idle_connections_do_not_block_a_download(served: Running, trainer: Trainer) -> None:
    """200 connections that send nothing: when full, the longest-waiting is dropped to
    make room, so a real request still gets through at once."""
    hogs = []
    for _ in range(200):
        s = socket.create_connection(("127.0.0.1", served.port), timeout=10)
        hogs.append(s)
    try:
        time.sleep(0.2)
        assert served.server.connections <= SMALL.max_connections
        status, _, body = get(served.port, "/" + served.name("org.example.big"))
        assert status == 200 and body == trainer.packs["org.example.big"].read_bytes()
    finally:
        for s in hogs:
            s.close()


def test_a_slow_head_is_dropped_after_its_deadline(served: Running) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as s:
        s.sendall(b"GET /index.json HTTP/1.1\r\n")          # and never the rest
        started = time.monotonic()
        assert get(served.port, "/index.json")[0] == 200     # meanwhile, others are served
        assert s.recv(100) == b""                            # closed by the server
        assert time.monotonic() - started < SMALL.head_deadline + 2


def test_a_client_that_stops_reading_is_dropped_and_others_go_on(served: Running) -> None:
    s = socket.create_connection(("127.0.0.1", served.port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        s.sendall(f"GET /{served.name('org.example.big')} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(0.3)
        assert get(served.port, "/index.json")[0] == 200
        deadline = time.monotonic() + SMALL.send_deadline + 5
        while served.server.connections > 0:                 # the stalled one is dropped after the send deadline
            assert time.monotonic() < deadline, "a client that stopped reading was never dropped"
            time.sleep(0.1)
    finally:
        s.close()
    assert settled(served.done, ["index.json"])                # the abandoned download was not counted


def test_it_listens_on_loopback_only_and_stops_at_once(served: Running) -> None:
    listening = listening_sockets(os.getpid())
    assert ("127.0.0.1", served.port) in listening
    assert all(addr == "127.0.0.1" for addr, _ in listening)
    busy = socket.create_connection(("127.0.0.1", served.port), timeout=10)
    served.server.stop()
    try:
        assert busy.recv(10) == b""      # closed (or reset, if it was still waiting to be accepted)
    except ConnectionResetError:
        pass
    # Only the server's own socket went (this process may hold others, such as the
    # session's test servers of the private Tor network).
    assert set(listening_sockets(os.getpid())) == set(listening) - {("127.0.0.1", served.port)}
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", served.port), timeout=2)
    busy.close()


def test_a_lock_closes_the_read_connection_and_the_next_answer_fails_cleanly(served: Running) -> None:
    name = "/" + served.name("org.example.big")
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(get(served.port, name)[0])) for _ in range(3)]
    served.vault.lock_now()
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert all(code in (0, 404) for code in results)             # nothing was served from a locked vault
    assert get(served.port, "/index.json")[0] == 200            # the server itself did not crash
