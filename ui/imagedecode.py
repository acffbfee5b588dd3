"""Pictures are decoded in a separate process, so a decoder that crashes or hangs cannot
take the vault down with it.

Guarantees:
- The decoding process is started fresh (fork and exec of `satchel --image-decoder`, or
  of this interpreter running app.cli from source): it inherits no memory of the
  process that holds the vault key, and imports nothing but QtCore and QtGui. It has no
  window, no vault and no network; core dumps are off in it too (app.cli calls
  crypto.secure.harden_process before anything else).
- It is sent the image's bytes and its declared format, one of PNG, JPEG, GIF and WebP
  (content_packs.images, judged from the first bytes and the name), and decodes with that
  format fixed: no guessing from the content, no other plugin (TIFF, SVG, PDF...) is ever
  reached. The QImageReader is destroyed before the buffer it reads from.
- The size the header claims is checked before any pixel is decoded (at most
  MAX_PIXELS), and QImageReader's own allocation limit is set as well.
- Every answer is checked here as if it came from outside (the child may have been
  subverted by a hostile image): the size must be within the caps and the pixel bytes
  exactly as many as it says.
- A decode that takes longer than its time limit, or a child that dies, costs only that
  picture: the child is killed, the caller gets None (a placeholder is shown), and the
  next picture starts a new child.

The protocol, over the child's standard input and output (its standard output is moved
aside first, so that nothing else it prints can reach the pipe):
    request:  b"SIMG" | format (1 byte) | max width (u32) | length (u32) | bytes
    answer:   b"SIMG" | status (1 byte: 0 ok, 1 refused) | width (u32) | height (u32) |
              width * height * 4 bytes of RGBA (only when ok)
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import struct
import subprocess
import sys
import threading
import time
from typing import Any, BinaryIO

log = logging.getLogger(__name__)

MAGIC = b"SIMG"
REQUEST = struct.Struct("<4sBII")
ANSWER = struct.Struct("<4sBII")
FORMATS = ("png", "jpeg", "gif", "webp")
MAX_IMAGE_BYTES = 32 * 1024 * 1024
MAX_PIXELS = 40_000_000          # what the header may claim; a 20000 x 20000 "image bomb" is refused
MAX_OUTPUT_PIXELS = 40_000_000   # what may come back (after scaling down to the page width)
ALLOCATION_LIMIT_MB = 192        # QImageReader's own cap on one decoded image
CHILD_ADDRESS_SPACE = 1536 * 1024 * 1024   # about three times what the largest allowed image needs
IMAGE_TIMEOUT = 5.0              # seconds for one picture, start-up of a new child included
DECODER_FLAG = "--image-decoder"    # app.cli.IMAGE_DECODER_FLAG (ui/ may not import app.cli)
# The folder that holds ui/ and app/: from source, `-m app.cli` then finds the code even
# without an installed package, and no module of ui/ can shadow a standard one.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_OK, _REFUSED = 0, 1


# -- the child ---------------------------------------------------------------------------

def _read_exact(stream: BinaryIO, n: int) -> bytes | None:
    parts, got = [], 0
    while got < n:
        data = stream.read(n - got)
        if not data:
            return None
        parts.append(data)
        got += len(data)
    return b"".join(parts)


def decode_fixed(data: bytes, fmt: str, max_width: int) -> tuple[int, int, bytes] | None:
    """Decode `data` as `fmt` and nothing else: (width, height, RGBA bytes) or None.
    Runs in the child. It imports QtCore and QtGui directly, not through ui/qt.py, which
    would load QtWidgets as well."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt
    from PySide6.QtGui import QImage, QImageReader

    if fmt not in FORMATS:
        return None
    QImageReader.setAllocationLimit(ALLOCATION_LIMIT_MB)
    raw = QByteArray(data)
    buf = QBuffer(raw)
    if not buf.open(QIODevice.OpenModeFlag.ReadOnly):
        return None
    reader = QImageReader(buf, fmt.encode("ascii"))
    try:
        reader.setAutoDetectImageFormat(False)
        reader.setDecideFormatFromContent(False)
        reader.setAutoTransform(True)
        size = reader.size()
        if not size.isValid() or size.width() <= 0 or size.height() <= 0:
            return None
        if size.width() * size.height() > MAX_PIXELS:
            return None
        if size.width() > max_width:
            reader.setScaledSize(size.scaled(QSize(max_width, 10**6), Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()
    finally:
        del reader   # the reader goes before the buffer it reads (Qt's TIFF plugin once used it after)
        buf.close()
    if image.isNull():
        return None
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    w, h = image.width(), image.height()
    if w <= 0 or h <= 0 or w * h > MAX_OUTPUT_PIXELS:
        return None
    stride = image.bytesPerLine()
    bits = bytes(image.constBits())
    if stride == w * 4:
        return w, h, bits[: w * h * 4]
    return w, h, b"".join(bits[y * stride : y * stride + w * 4] for y in range(h))


def child_main() -> int:
    """The decoding process: answer requests until standard input closes."""
    try:   # a decoder bug that allocates without end meets this wall, not the machine's
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (CHILD_ADDRESS_SPACE, CHILD_ADDRESS_SPACE))
    except (ImportError, ValueError, OSError):
        pass
    proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)   # anything printed now goes where standard error goes (the parent discards it)
    proto_in = sys.stdin.buffer
    while True:
        header = _read_exact(proto_in, REQUEST.size)
        if header is None:
            return 0
        magic, code, max_width, length = REQUEST.unpack(header)
        if magic != MAGIC or length > MAX_IMAGE_BYTES or not 1 <= code <= len(FORMATS):
            return 2
        data = _read_exact(proto_in, length)
        if data is None:
            return 0
        result = decode_fixed(data, FORMATS[code - 1], max(1, max_width))
        if result is None:
            proto_out.write(ANSWER.pack(MAGIC, _REFUSED, 0, 0))
        else:
            w, h, pixels = result
            proto_out.write(ANSWER.pack(MAGIC, _OK, w, h))
            proto_out.write(pixels)


# -- the parent --------------------------------------------------------------------------

def decoder_command() -> list[str]:
    """How to start the child: the frozen app runs itself with the hidden flag; from
    source, this interpreter runs the command line with it."""
    if getattr(sys, "frozen", False):
        return [sys.executable, DECODER_FLAG]
    return [sys.executable, "-m", "app.cli", DECODER_FLAG]


class DecoderGone(Exception):
    """The child died, hung or answered nonsense."""


class ImageDecoder:
    """One long-lived child, used by one caller at a time; restarted after any failure."""

    def __init__(self, command: list[str] | None = None) -> None:
        self.command = command or decoder_command()
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self.started = 0   # how many children were started (tests watch restarts)

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def _start(self) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(  # noqa: S603 - our own executable, fixed arguments
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            close_fds=True, cwd=_ROOT,
        )
        assert proc.stdin is not None and proc.stdout is not None
        os.set_blocking(proc.stdin.fileno(), False)
        os.set_blocking(proc.stdout.fileno(), False)
        self.started += 1
        return proc

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()

    def close(self) -> None:
        with self._lock:
            self._kill()

    def stop(self) -> None:
        """Kill the child now, without waiting for a decode under way (which then returns
        None, and the next picture starts a new child). Safe to call from the GUI thread."""
        proc = self._proc
        if proc is not None:
            with contextlib.suppress(OSError):
                proc.kill()

    def decode(self, data: bytes, fmt: str, max_width: int, timeout: float = IMAGE_TIMEOUT) -> Any:
        """A QImage of `data` decoded as `fmt`, or None (refused, too slow, or the child died)."""
        from ui.qt import QImage

        if fmt not in FORMATS or not data or len(data) > MAX_IMAGE_BYTES:
            return None
        with self._lock:
            try:
                if self._proc is None or self._proc.poll() is not None:
                    self._kill()
                    self._proc = self._start()
                w, h, pixels = self._exchange(self._proc, data, fmt, max_width, time.monotonic() + timeout)
            except DecoderGone as exc:
                log.info("the image decoder was restarted (%s)", exc)
                self._kill()
                return None
            except OSError as exc:
                log.info("the image decoder could not be used (%s)", type(exc).__name__)
                self._kill()
                return None
        if w == 0:
            return None
        image = QImage(pixels, w, h, w * 4, QImage.Format.Format_RGBA8888)
        return image.copy()   # own the pixels (the bytes object is not kept)

    def _exchange(self, proc: subprocess.Popen[bytes], data: bytes, fmt: str, max_width: int,
                  deadline: float) -> tuple[int, int, bytes]:
        assert proc.stdin is not None and proc.stdout is not None
        out_fd, in_fd = proc.stdin.fileno(), proc.stdout.fileno()
        request = memoryview(REQUEST.pack(MAGIC, FORMATS.index(fmt) + 1, max(1, max_width), len(data)) + data)
        sent = 0
        answer = bytearray()
        need = ANSWER.size
        header: tuple[bytes, int, int, int] | None = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DecoderGone("timeout")
            writers = [out_fd] if sent < len(request) else []
            readable, writable, _ = select.select([in_fd], writers, [], remaining)
            if writable:
                try:
                    sent += os.write(out_fd, request[sent : sent + (1 << 16)])
                except BlockingIOError:
                    pass
                except BrokenPipeError:
                    raise DecoderGone("the decoder ended") from None
            if readable:
                try:
                    chunk = os.read(in_fd, min(1 << 20, need - len(answer)))
                except BlockingIOError:
                    continue
                if not chunk:
                    raise DecoderGone("the decoder ended")
                answer += chunk
                if header is None and len(answer) >= ANSWER.size:
                    header = ANSWER.unpack(bytes(answer[: ANSWER.size]))
                    magic, status, w, h = header
                    if magic != MAGIC or status not in (_OK, _REFUSED):
                        raise DecoderGone("a garbled answer")
                    if status == _REFUSED:
                        if w or h or len(answer) != ANSWER.size:
                            raise DecoderGone("a garbled answer")
                        return 0, 0, b""
                    if not (0 < w <= max(1, max_width) and h > 0 and w * h <= MAX_OUTPUT_PIXELS):
                        raise DecoderGone("an answer beyond the caps")
                    need = ANSWER.size + w * h * 4
                if header is not None and len(answer) == need:
                    if sent < len(request):   # answered before reading all we sent: out of step
                        raise DecoderGone("out of step")
                    return header[2], header[3], bytes(answer[ANSWER.size :])


_shared: ImageDecoder | None = None
_shared_lock = threading.Lock()


def shared_decoder() -> ImageDecoder:
    """The app's one decoder (started on the first picture)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ImageDecoder()
            import atexit

            atexit.register(_shared.close)
        return _shared


def stop_shared_decoder() -> None:
    """End the child at once (on lock and wipe: no picture of the library stays in its
    memory); never waits for a decode under way."""
    decoder = _shared
    if decoder is not None:
        decoder.stop()
