"""Small file helpers that Satchel's safety rests on.

Guarantees:
- `atomic_write` never leaves a half-written file under the final name: the bytes go to
  a temporary file in the same folder (mode 0600 from the start), are flushed to disk,
  then renamed over the target, and the folder entry is flushed too.
- `destroy_file` overwrites a file's bytes in place with random data, flushes them,
  unlinks the file and flushes the folder. It never raises for a missing file.
- `harden_process` stops the process from writing core dumps, so secrets in memory do
  not end up in a crash file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

TEMP_PREFIX = ".tmp-"


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


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new bytes."""
    folder = path.parent
    tmp = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
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


def destroy_file(path: Path) -> bool:
    """Overwrite `path` with random bytes, flush, unlink, flush the folder.

    Returns True if a file was there. Errors while overwriting do not stop the unlink.
    """
    try:
        size = path.stat().st_size
    except OSError:
        return False
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        fd = -1
    if fd >= 0:
        try:
            remaining = size
            while remaining > 0:
                chunk = min(remaining, 1 << 16)
                os.write(fd, secrets.token_bytes(chunk))
                remaining -= chunk
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:
        # A folder of the same name or a permission problem: leave it to the caller's report.
        return False
    fsync_dir(path.parent)
    return True


def harden_process() -> None:
    """Disable core dumps for this process (best effort, POSIX only)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
