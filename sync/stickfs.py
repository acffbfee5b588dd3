"""Writing to a stick so that a pulled stick never leaves a file that looks whole.

Guarantees:
- `write_atomic` writes under a random temporary name (`<16 hex>.tmp`) in the target
  folder, flushes and fsyncs it, and only then renames it to its final name and flushes
  the folder: a file under a final name is always complete. A failure or a cancel
  removes the temporary file when the stick is still there; when it is not, the next
  export removes it.
- `free_bytes` answers before anything is written. FAT32 sticks mounted with fusefat and
  512-byte clusters report zero blocks; their free cluster count is used instead.
- `stick_error` turns an OSError into one sentence a person can act on, telling a
  pulled stick apart from a full, read-only or failing one.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import queue
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from crypto.secure import fsync_dir
from sync.errors import (
    StickFull,
    StickReadOnly,
    StickRemoved,
    StickWriteFailed,
    SyncError,
    TooLargeForStick,
    TransferCancelled,
)
from sync.repository import FAT32_MAX_FILE, temp_file_name

Progress = Callable[[int, int], None]
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
FUSEFAT_CLUSTER = 512


def free_bytes(path: Path) -> int | None:
    """Free bytes on the filesystem holding `path`, or None if it cannot tell."""
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return None
    if usage.total > 0:
        return usage.free
    statvfs = getattr(os, "statvfs", None)
    if statvfs is None:
        return None
    try:
        st = statvfs(path)
    except OSError:
        return None
    # fusefat computes blocks as clusters * (cluster size // 1024), which is 0 for
    # 512-byte clusters; it reports clusters as "files", and those are exact.
    if st.f_blocks == 0 and 0 < st.f_ffree <= st.f_files:
        return int(st.f_ffree * FUSEFAT_CLUSTER)
    return None


def allocation_unit(path: Path) -> int:
    try:
        st = os.statvfs(path)
    except (OSError, AttributeError):
        return 32 * 1024
    if st.f_blocks == 0:
        return FUSEFAT_CLUSTER
    return max(512, min(st.f_bsize or 4096, 1 << 20))


def space_needed(sizes: Iterable[int], unit: int, extra: int = 0) -> int:
    """Bytes the files will take, rounded up to the cluster, plus directory slack."""
    total = sum(-(-s // unit) * unit for s in sizes)
    return total + extra + 4 * unit + 64 * 1024


def is_read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


class Presence:
    """Is the stick still there? Remembers whether `mount` was a mount point at the start,
    so a folder that never was one (a test folder, "Open folder...") is not taken for pulled."""

    def __init__(self, folder: Path, mount: Path | None = None) -> None:
        self.folder = folder
        self.mount = mount
        self.was_mount = mount is not None and os.path.ismount(mount)

    def alive(self) -> bool:
        probe = self.folder if self.folder.exists() else self.folder.parent
        try:
            os.stat(probe)
            with os.scandir(probe) as it:
                next(it, None)
        except OSError:
            return False
        return not (self.was_mount and self.mount is not None and not os.path.ismount(self.mount))


def stick_error(exc: OSError, presence: Presence, done: str) -> SyncError:
    """One sentence for a failed write; `done` says what is already complete."""
    if exc.errno in (errno.ENOTCONN, errno.ENODEV, errno.ESHUTDOWN) or not presence.alive():
        return StickRemoved(f"The stick was removed during the copy: {done}; nothing half-written will be "
                            "taken for a whole file, and the next export finishes the job.")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StickFull(f"The stick became full during the copy: {done}; free some space and export again.")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StickReadOnly("The stick is read-only (write-protected); nothing more was written.")
    if exc.errno == errno.EFBIG:
        return TooLargeForStick("A file is too large for this stick (FAT32 allows at most 4 GiB per file).")
    return StickWriteFailed(f"Satchel could not write to the stick ({exc.strerror or 'input/output error'}): "
                            f"{done}.")


def remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def prefetch(items: Iterable[bytes], depth: int = 4) -> Iterator[bytes]:
    """Produce `items` on a helper thread, `depth` ahead, so reading the vault overlaps
    writing the stick (both release the GIL). Errors reach the consumer; a consumer that
    stops early stops the producer."""
    q: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                _put(("item", item))
                if stop.is_set():
                    return
            _put(("end", None))
        except BaseException as exc:  # handed to the consumer
            _put(("error", exc))

    def _put(item: tuple[str, object]) -> None:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    thread = threading.Thread(target=produce, name="satchel-usb-read", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "end":
                return
            if kind == "error":
                raise value  # type: ignore[misc]
            yield value  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.05)


def write_atomic(folder: Path, final_name: str, chunks: Iterable[bytes], size: int,
                 progress: Callable[[int], None] | None = None,
                 cancel: threading.Event | None = None) -> str:
    """Write `chunks` (exactly `size` bytes) as `folder/final_name`; return their SHA-256."""
    if size > FAT32_MAX_FILE:
        raise TooLargeForStick("A file is too large for a FAT32 stick (at most 4 GiB per file).")
    tmp = folder / temp_file_name()
    fd = os.open(tmp, _WRITE_FLAGS, 0o644)
    digest = hashlib.sha256()
    written = 0
    try:
        try:
            for chunk in chunks:
                if cancel is not None and cancel.is_set():
                    raise TransferCancelled("The copy was cancelled.")
                view = memoryview(chunk)
                while view:
                    n = os.write(fd, view)
                    view = view[n:]
                digest.update(chunk)
                written += len(chunk)
                if progress is not None:
                    progress(len(chunk))
            if written != size:
                raise StickWriteFailed("A pack changed size while it was being copied; nothing was kept of it.")
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, folder / final_name)
    except BaseException:
        remove_quietly(tmp)
        raise
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # stops a prefetching reader now, not when the traceback is freed
    fsync_dir(folder)
    return digest.hexdigest()
