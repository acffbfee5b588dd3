"""Small file and memory helpers that Satchel's safety rests on.

Guarantees:
- `atomic_write` never leaves a half-written file under the final name: the bytes go to
  a temporary file in the same folder (mode 0600 from the start), are flushed to disk,
  then renamed over the target, and the folder entry is flushed too. The old file's
  blocks are freed, not overwritten: never use it for key material (crypto.keystore
  overwrites the key file in place instead).
- `destroy_file` overwrites a file's bytes in place with random data, flushes them,
  unlinks the file and flushes the folder. It takes the file's lock first (waiting a few
  milliseconds at most), so a key-file update in progress either finishes before or
  finds the file gone. It never raises for a missing file.
- `wipe` zeroes a writable buffer; `wipe_bytes` zeroes the storage of an immutable
  `bytes` object that this code created and nobody else holds (the only way to clear
  what a library returns as `bytes`). `random_buffer` fills a bytearray without an
  intermediate `bytes` copy.
- `harden_process` stops the process from writing core dumps and, on Linux, marks it
  not dumpable (PR_SET_DUMPABLE 0): other processes of the same user cannot attach a
  debugger or read /proc/PID/mem, and a crash leaves no core file.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import sys
import time
from pathlib import Path

TEMP_PREFIX = ".tmp-"
LOCK_WAIT_S = 0.05  # a key-file update holds the lock for two 4 KiB writes and flushes
PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (renames, unlinks) to disk where the platform allows it."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def datasync(fd: int) -> None:
    """Flush a file's data to the disk itself (F_FULLFSYNC on macOS, whose fsync does not)."""
    if sys.platform == "darwin" and fcntl is not None and hasattr(fcntl, "F_FULLFSYNC"):
        try:
            fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
            return
        except OSError:
            pass
    if hasattr(os, "fdatasync"):
        os.fdatasync(fd)
    else:  # pragma: no cover - Windows
        os.fsync(fd)


def pwrite_all(fd: int, data: bytes | bytearray | memoryview, offset: int) -> None:
    """Write all of `data` at `offset` without moving any shared file position."""
    view = memoryview(data)
    while view:
        if hasattr(os, "pwrite"):
            written = os.pwrite(fd, view, offset)
        else:  # pragma: no cover - Windows
            os.lseek(fd, offset, os.SEEK_SET)
            written = os.write(fd, view)
        view, offset = view[written:], offset + written


def lock_file(fd: int, wait_s: float | None) -> bool:
    """Take the exclusive lock on an open file: wait forever (None) or at most `wait_s`.
    Returns False if it could not be had in time (or the platform has no such locks)."""
    if fcntl is None:  # pragma: no cover - Windows
        return False
    if wait_s is None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # a file system without locks: carry on unlocked
            return False
        return True
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.001)
        except OSError:
            return False


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new bytes."""
    folder = path.parent
    tmp = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        pwrite_all(fd, data, 0)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(folder)


def overwrite_in_place(fd: int, size: int) -> None:
    """Overwrite the first `size` bytes of an open file with random bytes and flush them."""
    offset = 0
    while offset < size:
        chunk = min(size - offset, 1 << 16)
        pwrite_all(fd, os.urandom(chunk), offset)
        offset += chunk
    datasync(fd)


def destroy_file(path: Path, lock_wait_s: float = LOCK_WAIT_S) -> bool:
    """Overwrite `path` in place with random bytes, flush, unlink, flush the folder.

    Returns True if a file was there. Errors while overwriting do not stop the unlink.
    """
    try:
        fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return False
    except OSError:
        fd = -1
    if fd >= 0:
        try:
            # A key-file writer holds this lock for a few milliseconds; one that hangs
            # (stopped, say) does not hold up the wipe: it finds the file gone afterwards.
            lock_file(fd, lock_wait_s)
            overwrite_in_place(fd, os.fstat(fd).st_size)
        except OSError:
            pass
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:
        # A folder of the same name or a permission problem: leave it to the caller's report.
        if fd >= 0:
            os.close(fd)
        return False
    if fd >= 0:
        os.close(fd)  # only now: the lock lasts until the name is gone
    fsync_dir(path.parent)
    return True


# -- memory ------------------------------------------------------------------------------

_BYTES_HEADER = sys.getsizeof(b"") - 1  # where a bytes object's storage starts (CPython)


def wipe(buf: bytearray | memoryview) -> None:
    """Zero a writable buffer in place."""
    view = memoryview(buf).cast("B")
    if view.nbytes:
        ctypes.memset((ctypes.c_char * view.nbytes).from_buffer(view), 0, view.nbytes)


def wipe_bytes(data: bytes) -> None:
    """Zero the storage of an immutable `bytes` object in place.

    Only for a `bytes` object that this code received fresh from a library (a derived
    key, a decrypted plaintext) and that nothing else refers to; CPython keeps the
    storage inline after a fixed header, which is what this relies on. One-byte and empty
    `bytes` are shared by the interpreter and left alone.
    """
    if type(data) is not bytes or len(data) < 2 or sys.implementation.name != "cpython":
        return
    ctypes.memset(id(data) + _BYTES_HEADER, 0, len(data))


def random_buffer(size: int) -> bytearray:
    """`size` random bytes in a bytearray that the caller can wipe (read straight into
    it from the system's random source, with no `bytes` copy on the way)."""
    buf = bytearray(size)
    try:
        with open("/dev/urandom", "rb", buffering=0) as f:
            view = memoryview(buf)
            while view:
                got = f.readinto(view)
                if not got:
                    raise OSError("the system's random source returned nothing")
                view = view[got:]
        return buf
    except OSError:  # pragma: no cover - platforms without /dev/urandom
        tmp = os.urandom(size)
        buf[:] = tmp
        wipe_bytes(tmp)
        return buf


# -- the process ---------------------------------------------------------------------------


def harden_process() -> None:
    """Disable core dumps and, on Linux, debugger access for this process (best effort)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def is_dumpable() -> bool | None:
    """Whether this process may be dumped or debugged (Linux; None elsewhere)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0))
    except (OSError, AttributeError):
        return None
