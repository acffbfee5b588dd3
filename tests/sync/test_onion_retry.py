"""An onion service that did not answer once (Tor's SOCKS reply 0xF2: introduction
failed, as when a trainer's share stopped and started again and Tor still holds the old
descriptor) gets one more try; one that never answers gets one sentence.

Tor cannot be made to give that answer on cue, so a SOCKS peer on loopback speaks Tor's
side of the handshake byte for byte (RFC 1928 and 1929, Tor's extended reply codes)."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest
from test_onion_url import GOOD

import sync.http as http
from sync.errors import RepositoryUnreachable
from sync.http import OnionClient, SocksEndpoint
from sync.onion import parse_repo_url

BODY = b"index bytes"


def _read(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        more = conn.recv(n - len(data))
        if not more:
            raise ConnectionError
        data += more
    return data


class TorLikePeer:
    """Answers the first `refusals` CONNECTs with 0xF2, then connects and serves BODY."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.connects = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                try:
                    self._one(conn)
                except (ConnectionError, OSError, ValueError):
                    pass  # the client hung up after a refusal: what Tor sees too

    def _one(self, conn: socket.socket) -> None:
        _ver, n = _read(conn, 2)
        _read(conn, n)
        conn.sendall(b"\x05\x02")                        # username/password (isolation)
        _ver, ulen = _read(conn, 2)
        _read(conn, ulen)
        (plen,) = _read(conn, 1)
        _read(conn, plen)
        conn.sendall(b"\x01\x00")
        _ver, _cmd, _rsv, atyp = _read(conn, 4)
        assert atyp == 3                                  # a name, resolved by "Tor"
        (hlen,) = _read(conn, 1)
        _read(conn, hlen + 2)
        self.connects += 1
        if self.connects <= self.refusals:
            conn.sendall(b"\x05\xf2\x00\x01" + bytes(6))
            return
        conn.sendall(b"\x05\x00\x00\x01" + bytes(6))
        head = b""
        while b"\r\n\r\n" not in head:
            head += conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(BODY) + BODY)

    def close(self) -> None:
        self.server.close()


@pytest.fixture(autouse=True)
def short_pause(monkeypatch: Any) -> None:
    monkeypatch.setattr(http, "RETRY_PAUSE", 0.05, raising=False)


def test_an_onion_service_that_did_not_answer_once_is_tried_again() -> None:
    peer = TorLikePeer(refusals=1)
    try:
        with OnionClient(SocksEndpoint("127.0.0.1", peer.port), parse_repo_url(f"http://{GOOD}/")) as client:
            reply = client.fetch("index.json", cap=1000)
            assert b"".join(reply.chunks()) == BODY
        assert peer.connects == 2
    finally:
        peer.close()


def test_one_that_never_answers_is_one_sentence_after_two_tries() -> None:
    peer = TorLikePeer(refusals=99)
    try:
        with OnionClient(SocksEndpoint("127.0.0.1", peer.port), parse_repo_url(f"http://{GOOD}/")) as client, \
                pytest.raises(RepositoryUnreachable, match="did not answer; it may be offline"):
            client.fetch("index.json", cap=1000)
        assert peer.connects == 2
    finally:
        peer.close()
