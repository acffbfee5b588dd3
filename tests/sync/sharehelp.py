"""Helpers of the share tests: a trainer's vault holding packs the trainer signed (and
one from the publisher), and plain-socket HTTP for talking to the share's server
directly on loopback."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from torenv import PASSPHRASE, build

from support import FAST_MS, KeyPair


@dataclass
class Trainer:
    home: Path
    key: KeyPair
    packs: dict[str, Path]       # pack id -> the signed file, as built


def trainer_home(folder: Path, key: KeyPair, ids: dict[str, int], others: dict[str, tuple[KeyPair, int]] | None = None
                 ) -> Trainer:
    """A trainer's vault that trusts its own key and holds a pack for each id (with that
    many bytes of media), plus packs signed by other keys (trusted too)."""
    from app.trust import TrustStore
    from app.vault import Vault
    from content_packs.importer import import_pack

    home = folder / "trainer-home"
    built = folder / "trainer-built"
    packs: dict[str, Path] = {}
    with Vault.create(home, PASSPHRASE, iter_time_ms=FAST_MS) as vault:
        store = TrustStore(vault)
        store.add_manual(key.public, "me")
        for pack_id, media in ids.items():
            packs[pack_id] = build(built, key, pack_id, 1, pages=3, media=media)
            import_pack(vault, packs[pack_id], store=store)
        for pack_id, (other, media) in (others or {}).items():
            store.add_manual(other.public, "publisher")
            packs[pack_id] = build(built, other, pack_id, 1, pages=3, media=media)
            import_pack(vault, packs[pack_id], store=store)
    return Trainer(home, key, packs)


def request(port: int, raw: bytes, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Send one raw request on a new connection; read until the server closes or the
    body is complete: (status, headers, body). Status 0: closed without an answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                return (0, {}, data) if not data else _split(data)
            data += chunk
        status, headers, body = _split(data)
        want = int(headers.get("content-length", "0"))
        if raw.startswith(b"HEAD"):
            return status, headers, body
        while len(body) < want:
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, headers, body


def _split(data: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), headers, body


def get(port: int, path: str, extra: str = "", method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    return request(port, f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n".encode())


def listening_sockets(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket the process `pid` listens on (IPv4 and IPv6),
    read from /proc: the socket inodes the process holds, matched with the kernel's
    tables of listening sockets."""
    import os

    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, v6 in (("tcp", False), ("tcp6", True)):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, state, inode = parts[1], parts[3], parts[9]
            if state != "0A" or inode not in inodes:   # 0A: LISTEN
                continue
            addr_hex, port_hex = local.split(":")
            found.append((_address(addr_hex, v6), int(port_hex, 16)))
    return found


def _address(hex_text: str, v6: bool) -> str:
    import ipaddress

    raw = bytes.fromhex(hex_text)
    if not v6:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return str(ipaddress.IPv6Address(words))
