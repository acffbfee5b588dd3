"""The web servers behind the test network's onion services.

- `Nginx`: the real nginx from Debian, run with its own configuration and prefix in a
  temporary folder (never /etc/nginx), one process (`master_process off`), on a loopback
  port. Its access log records, per request, the path, status, body bytes sent and the
  Range asked: what the tests count to prove a resume or an update fetched only what
  was missing.
- `HostileServer`: a Python server on loopback for what nginx will not do: stall after
  some bytes, redirect, answer with errors, lie about sizes, ignore ranges, send no
  Content-Length. Each test works in its own folder (`/<name>/...`) with its own `Rule`,
  so tests never see each other's behaviour.
"""

from __future__ import annotations

import contextlib
import http.server
import re
import socketserver
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tornet import free_port, stop_process

NGINX = "/usr/sbin/nginx"
_LOG_FORMAT = "$uri $status $body_bytes_sent \"$http_range\""


class Nginx:
    def __init__(self, prefix: Path, docroot: Path) -> None:
        self.prefix = prefix
        self.docroot = docroot
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def access_log(self) -> Path:
        return self.prefix / "access.log"

    def start(self) -> None:
        p = self.prefix
        for sub in ("logs", "tmp"):
            (p / sub).mkdir(parents=True, exist_ok=True)
        temps = "\n".join(f"    {kind}_temp_path {p / 'tmp' / kind};"
                          for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        conf = f"""
daemon off;
master_process off;
worker_processes 1;
pid {p / 'nginx.pid'};
error_log {p / 'logs' / 'error.log'} warn;
events {{ worker_connections 256; }}
http {{
{temps}
    log_format counted '{_LOG_FORMAT}';
    access_log {self.access_log} counted;
    types {{ application/json json; }}
    default_type application/octet-stream;
    server_tokens off;
    sendfile on;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.docroot};
        location / {{ autoindex off; }}
    }}
}}
"""
        (p / "nginx.conf").write_text(conf)
        self.proc = subprocess.Popen([NGINX, "-p", str(p), "-c", str(p / "nginx.conf"), "-e",
                                      str(p / "logs" / "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx did not start: " + (p / "logs" / "error.log").read_text()[-500:])
            with contextlib.suppress(OSError), open(p / "nginx.pid") as f:
                if f.read().strip():
                    return
            time.sleep(0.05)
        raise RuntimeError("nginx did not start in time")

    def served(self, path_part: str) -> list[tuple[int, int, str]]:
        """(status, body bytes, range) of every request whose path contains `path_part`."""
        out = []
        try:
            lines = self.access_log.read_text().splitlines()
        except OSError:
            return out
        for line in lines:
            m = re.match(r'^(\S+) (\d{3}) (\d+) "(.*)"$', line)
            if m and path_part in m.group(1):
                out.append((int(m.group(2)), int(m.group(3)), m.group(4)))
        return out

    def stop(self) -> None:
        stop_process(self.proc)


@dataclass
class Rule:
    """How the hostile server answers inside one test's folder."""

    stall_after: int | None = None       # send this many body bytes, then nothing (pack files only)
    redirect: str | None = None          # answer every request with 302 to here
    status: int | None = None            # answer every request with this status
    status_for: str | None = None        # ... only for paths ending with this
    extra_bytes: int = 0                 # send this many bytes beyond Content-Length (pack files only)
    announce_extra: int = 0              # announce a Content-Length this much larger (pack files only)
    no_length: bool = False              # send no Content-Length (and close)
    ignore_range: bool = False           # answer a Range request with the whole file
    chunked: bool = False                # Transfer-Encoding: chunked
    slow: float = 0.0                    # seconds between 16 KiB blocks
    sent: dict[str, int] = field(default_factory=dict)   # body bytes sent per file name
    release: threading.Event = field(default_factory=threading.Event)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HostileServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        return

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        parts = self.path.split("?")[0].strip("/").split("/")
        rule = self.server.rules.get(parts[0], Rule())
        name = parts[-1]
        if rule.redirect is not None:
            self._plain(302, {"Location": rule.redirect})
            return
        if rule.status is not None and (rule.status_for is None or self.path.endswith(rule.status_for)):
            self._plain(rule.status)
            return
        path = self.server.docroot.joinpath(*parts)
        try:
            data = path.read_bytes()
        except OSError:
            self._plain(404)
            return
        start, end = 0, len(data)
        status = 200
        m = re.match(r"^bytes=(\d+)-(\d*)$", self.headers.get("Range", ""))
        if m and not rule.ignore_range:
            start = int(m.group(1))
            end = int(m.group(2)) + 1 if m.group(2) else len(data)
            if start >= len(data):
                self._plain(416)
                return
            end = min(end, len(data))
            status = 206
        body = data[start:end]
        is_pack = name.endswith(".bin")
        announce = rule.announce_extra if is_pack else 0
        extra = rule.extra_bytes if is_pack else 0
        self.send_response(status)
        if rule.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif not rule.no_length:
            self.send_header("Content-Length", str(len(body) + announce))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data) + announce}")
        if rule.no_length:
            self.send_header("Connection", "close")
        self.end_headers()
        payload = body + (b"x" * extra)
        limit = rule.stall_after if (is_pack and rule.stall_after is not None) else None
        sent = 0
        try:
            for i in range(0, len(payload), 16 * 1024):
                block = payload[i:i + 16 * 1024]
                if limit is not None and sent + len(block) > limit:
                    block = block[: max(0, limit - sent)]
                    self.wfile.write(block)
                    sent += len(block)
                    rule.sent[name] = rule.sent.get(name, 0) + len(block)
                    self.wfile.flush()
                    rule.release.wait(120)   # stall until the test lets go (or the server stops)
                    self.close_connection = True
                    return
                self.wfile.write(block)
                sent += len(block)
                rule.sent[name] = rule.sent.get(name, 0) + len(block)
                if rule.slow:
                    self.wfile.flush()
                    time.sleep(rule.slow)
        except OSError:
            self.close_connection = True
            return
        if rule.no_length:
            self.close_connection = True

    def _plain(self, status: int, headers: dict[str, str] | None = None) -> None:
        body = b"nothing here\n"
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class HostileServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, docroot: Path) -> None:
        self.docroot = docroot
        self.rules: dict[str, Rule] = {}
        super().__init__(("127.0.0.1", free_port()), _Handler)
        self.port = self.server_address[1]
        self.thread = threading.Thread(target=self.serve_forever, name="hostile-server", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        for rule in self.rules.values():
            rule.release.set()
        self.shutdown()
        self.server_close()
