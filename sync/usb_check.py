"""Checking a stick: every pack and the index against their signatures.

Guarantees:
- Every pack file is read completely: its whole-file SHA-256, its signature, its member
  list and every member's hash (content_packs.verify). Versions are not judged against a
  library: an older pack is not damage.
- The index is judged (sync.repository.read_index) and compared with what is really
  there: a listed file that is absent is MISSING; a listed file whose size, hash, id or
  version differ is STALE; a pack file the index does not list is UNLISTED.
- `CheckReport.intact` is True only when every pack verifies with a trusted key, the
  index is present, valid and matches the files exactly, and no temporary file of an
  interrupted copy is left: exactly when `satchel usb check` exits 0.
- Nothing is written, to the stick or to the vault.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from app.trust import Grant, TrustPolicy
from content_packs.errors import PackRejected, UntrustedSigner
from content_packs.verify import open_pack
from crypto.minisign import PublicKey
from sync.errors import StickRemoved, TransferCancelled
from sync.repository import IndexReport, RepoSource, pack_names, read_index

Progress = Callable[[int, int], None]

OK, DAMAGED, UNTRUSTED, MISSING, STALE, UNLISTED = "ok", "damaged", "untrusted", "missing", "stale", "unlisted"
PROBLEMS = {DAMAGED, UNTRUSTED, MISSING, STALE, UNLISTED}


class GivenKeys:
    """TrustPolicy for `usb check --trust KEY.pub ...`: those keys, any id, no floors."""

    def __init__(self, keys: list[PublicKey]) -> None:
        self.keys = {k.key_id_hex: k for k in keys}

    def grant_for(self, key_id_hex: str) -> Grant | None:
        key = self.keys.get(key_id_hex)
        return Grant(key, "", "given", None) if key else None

    def check(self, pack_id: str, version: int, grant: Grant) -> None:
        return None


@dataclass(frozen=True)
class CheckItem:
    file: str
    status: str
    pack_id: str | None = None
    version: int | None = None
    sentence: str = ""


@dataclass
class CheckReport:
    index: IndexReport
    items: list[CheckItem] = field(default_factory=list)
    leftovers: int = 0

    @property
    def problems(self) -> list[CheckItem]:
        return [i for i in self.items if i.status in PROBLEMS]

    @property
    def intact(self) -> bool:
        return not self.index.failed and not self.problems and self.leftovers == 0


def _check_file(source: RepoSource, name: str, policy: TrustPolicy,
                cancel: threading.Event | None) -> tuple[CheckItem, str | None, int]:
    digest, size = hashlib.sha256(), 0
    try:
        with source.open(name) as f:
            while data := f.read(1 << 20):
                if cancel is not None and cancel.is_set():
                    raise TransferCancelled("The check was cancelled.")
                digest.update(data)
                size += len(data)
            f.seek(0)
            with open_pack(f, policy) as pack:
                pack.verify_all()
                m = pack.manifest
    except UntrustedSigner as exc:
        return CheckItem(name, UNTRUSTED, sentence=str(exc)), digest.hexdigest(), size
    except (PackRejected, OSError) as exc:
        if not source.alive():
            raise StickRemoved("The stick was removed during the check.") from None
        sentence = str(exc) if isinstance(exc, PackRejected) else "Satchel cannot read this file."
        return CheckItem(name, DAMAGED, sentence=sentence), None, size
    return CheckItem(name, OK, m.id, m.version, "Intact."), digest.hexdigest(), size


def check_stick(source: RepoSource, policy: TrustPolicy, progress: Progress | None = None,
                cancel: threading.Event | None = None) -> CheckReport:
    names = source.names()
    index = read_index(source, policy, names)
    report = CheckReport(index, leftovers=len(getattr(source, "leftovers", [])))
    packs = pack_names(source, names)
    sizes = {}
    for n in packs:
        try:
            sizes[n] = source.size(n)
        except OSError:
            sizes[n] = 0
    total, done = sum(sizes.values()), 0
    listed = {e.file: e for e in index.index.packs} if index.index is not None else {}
    for name in packs:
        item, sha, size = _check_file(source, name, policy, cancel)
        done += sizes[name]
        if progress is not None:
            progress(done, total)
        entry = listed.pop(name.lower(), None)
        if index.index is not None and entry is None:
            item = CheckItem(name, UNLISTED if item.status == OK else item.status, item.pack_id, item.version,
                             "The index does not list this pack." if item.status == OK else item.sentence)
        elif entry is not None and item.status == OK and (
                entry.sha256 != sha or entry.size != size or entry.id != item.pack_id
                or entry.version != item.version):
            item = CheckItem(name, STALE, item.pack_id, item.version,
                             "The index describes this file differently (it is out of date or was altered).")
        report.items.append(item)
    for file, entry in sorted(listed.items()):
        report.items.append(CheckItem(file, MISSING, entry.id, entry.version,
                                      "The index lists this pack, but its file is not on the stick."))
    return report
