"""Kill tests at scale: `satchel import`, `passwd`, `duress set` and `usb export` (to a
real FAT32 stick), each killed with SIGKILL at SATCHEL_KILLS (default 100) random
moments. After every kill the vault opens with exactly one working passphrase and holds
either the old or the new state, whole: a pack present completely or not at all, the
key file settled, the database intact; the stick holds only whole, verifying packs.

The commands run in children forked from one process that imported Satchel once
(forkserver.py), so that the kills land in the commands' work rather than in Python's
start-up. Each moment is drawn uniformly over the command's own duration, measured by
an unkilled run first, plus a fifth.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import FAST_MS, ROOT, KeyPair, make_keypair, write_source

from app import keyfile
from app.errors import WrongPassphrase
from app.home import Home
from app.trust import GivenKey, TrustStore
from app.vault import Vault
from content_packs.build import build_pack
from content_packs.importer import import_pack
from content_packs.verify import verify_pack_file
from crypto.keyslots import ROLE_DURESS
from crypto.keystore import interpret

KILLS = int(os.environ.get("SATCHEL_KILLS", "100"))
NOTE = "the learner's note survives every kill"


class Forker:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("forkserver.py"))],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=str(ROOT))

    def _ask(self, req: dict[str, object] | None) -> dict[str, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if req is not None:
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the fork server died"
        return json.loads(line)

    def run(self, argv: list[str], home: Path, stdin: str, kill_after: float | None = None) -> tuple[int, float]:
        """Run one command; kill it after `kill_after` seconds. (exit status, seconds)"""
        start = time.monotonic()
        pid = self._ask({"argv": argv, "home": str(home), "stdin": stdin})["pid"]
        if kill_after is not None:
            time.sleep(kill_after)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        status = self._ask(None)["status"]
        return status, time.monotonic() - start

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def forker() -> Iterator[Forker]:
    f = Forker()
    yield f
    f.close()


def measured(forker: Forker, argv: list[str], home: Path, stdin: str) -> float:
    status, seconds = forker.run(argv, home, stdin)
    assert status == 0, (argv, status)
    return seconds


def moments(seed: int, duration: float) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(0, duration * 1.2) for _ in range(KILLS)]


def opens(home: Path, passphrase: str, look: Callable[[Vault], None] | None = None) -> bool:
    """Unlock (which settles what a kill left), check the content, lock."""
    try:
        with Vault.unlock(home, passphrase) as v:
            assert v.get_setting("note") == NOTE
            assert v.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert v.conn.execute("SELECT count(*) FROM filler").fetchone()[0] == 40
            if look is not None:
                look(v)
    except WrongPassphrase:
        return False
    state = interpret((home / "key").read_bytes())
    assert state.settled and not state.record.rekeying
    assert not [p for p in home.iterdir() if p.name.startswith(".tmp-")]
    return True


def new_home(home: Path, passphrase: str) -> None:
    with Vault.create(home, passphrase, iter_time_ms=FAST_MS) as v:
        v.set_setting("note", NOTE)
        with v.transaction() as conn:  # some pages, so that re-encrypting them takes a while
            conn.execute("CREATE TABLE filler (x)")
            for _ in range(40):
                conn.execute("INSERT INTO filler VALUES (randomblob(50000))")


def test_passwd_killed_at_random_moments(forker: Forker, tmp_path: Path) -> None:
    home = tmp_path / "home"
    new_home(home, "pass-a")
    duration = measured(forker, ["passwd"], home, "pass-a\npass-b\n")
    current, seen = "pass-b", Counter()
    rng = random.Random(5)
    for i, delay in enumerate(moments(1, duration)):
        new = f"pass-{i}"
        status, _ = forker.run(["passwd"], home, f"{current}\n{new}\n", kill_after=delay)
        order = [current, new]
        rng.shuffle(order)  # the first unlock settles the change, whichever passphrase it gets
        works = [p for p in order if opens(home, p)]
        assert len(works) == 1, (i, delay, status, works)
        assert not opens(home, ({current, new} - set(works)).pop())  # and it stays settled
        seen["new" if works[0] == new else "old"] += 1
        current = works[0]
    assert seen["old"] and seen["new"], seen  # kills landed before and after the change


def test_duress_set_killed_at_random_moments(forker: Forker, tmp_path: Path) -> None:
    home = tmp_path / "home"
    new_home(home, "vault pass")
    duration = measured(forker, ["duress", "set"], home, "vault pass\nduress-first\n")
    previous, seen = "duress-first", Counter()
    for i, delay in enumerate(moments(2, duration)):
        duress = f"duress-{i}"
        status, _ = forker.run(["duress", "set"], home, f"vault pass\n{duress}\n", kill_after=delay)
        assert opens(home, "vault pass"), (i, delay, status)
        record = keyfile.read(Home(home)).record
        roles = {}
        for p in (previous, duress):
            hit = record.open_slot(record.derive(p))
            roles[p] = hit.role if hit is not None else None
        # The duress passphrase opens a duress slot or nothing, never the library; the new
        # one replaced the old one in its slot, or the old one is still there.
        assert set(roles.values()) <= {ROLE_DURESS, None}, roles
        assert list(roles.values()).count(ROLE_DURESS) == 1, (i, delay, status, roles)
        seen["new" if roles[duress] == ROLE_DURESS else "old"] += 1
        previous = duress if roles[duress] == ROLE_DURESS else previous
    assert seen["old"] and seen["new"], seen


def pack_rows(vault: Vault, pack_id: str) -> dict[str, int]:
    tables = ["packs WHERE id = ?", "pack_chunks WHERE pack_id = ?", "pages WHERE pack_id = ?",
              "chapters WHERE pack_id = ?", "media WHERE pack_id = ?", "version_floors WHERE subject = ?"]
    return {t.split()[0]: vault.conn.execute(f"SELECT count(*) FROM {t}", (pack_id,)).fetchone()[0] for t in tables}


def big_pack(folder: Path, key: KeyPair, pack_id: str, pages: int, media: int) -> Path:
    rng = random.Random(pack_id)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(3000)]
    src = write_source(folder / f"src-{pack_id}", pack_id=pack_id,
                       pages={f"pages/p{i:04d}.md": f"# Page {i}\n\n" + " ".join(rng.choice(words) for _ in range(300))
                              for i in range(pages)},
                       media={"media/clip.mp4": os.urandom(media)})
    out = folder / f"{pack_id}.satchel"
    build_pack(src, key.secret, out)
    return out


def test_import_killed_at_random_moments(forker: Forker, tmp_path: Path) -> None:
    key = make_keypair(tmp_path / "keys", "trainer")
    pack = big_pack(tmp_path, key, "org.example.big", pages=300, media=2 << 20)
    template = tmp_path / "template"
    new_home(template, "pw")
    with Vault.unlock(template, "pw") as v:
        TrustStore(v).add_manual(key.public)
    home = tmp_path / "home"
    shutil.copytree(template, home)
    duration = measured(forker, ["import", str(pack)], home, "pw\n")
    with Vault.unlock(home, "pw") as v:
        whole = pack_rows(v, "org.example.big")
    assert whole["packs"] == 1 and whole["pages"] == 300 and whole["pack_chunks"] >= 1, whole
    seen = Counter()
    for i, delay in enumerate(moments(3, duration)):
        shutil.rmtree(home)
        shutil.copytree(template, home)
        status, _ = forker.run(["import", str(pack)], home, "pw\n", kill_after=delay)
        found: list[dict[str, int]] = []
        assert opens(home, "pw", lambda v: found.append(pack_rows(v, "org.example.big")))
        rows = found[0]
        assert rows == whole or not any(rows.values()), (i, delay, status, rows)
        seen["new" if rows == whole else "old"] += 1
    assert seen["old"] and seen["new"], seen


def test_usb_export_killed_at_random_moments(forker: Forker, tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "sync"))
    from usb_support import FatStick, need_tools

    from sync import repository as R

    need_tools()
    key = make_keypair(tmp_path / "keys", "trainer")
    home = tmp_path / "home"
    new_home(home, "pw")
    with Vault.unlock(home, "pw") as v:
        TrustStore(v).add_manual(key.public)
        for n in range(3):
            import_pack(v, big_pack(tmp_path, key, f"org.example.p{n}", pages=20, media=600_000))
    blank = tmp_path / "blank.img"
    subprocess.run(["truncate", "-s", "32M", str(blank)], check=True)
    subprocess.run(["mkfs.vfat", "-F", "32", str(blank)], check=True, capture_output=True)

    def fresh_stick() -> FatStick:
        image = tmp_path / "stick.img"
        shutil.copyfile(blank, image)
        return FatStick(image, tmp_path / "stick").mount()

    stick = fresh_stick()
    try:
        duration = measured(forker, ["usb", "export", str(stick.path)], home, "pw\n")
    finally:
        stick.unmount()
    seen = Counter()
    for i, delay in enumerate(moments(4, duration)):
        stick = fresh_stick()
        try:
            status, _ = forker.run(["usb", "export", str(stick.path)], home, "pw\n", kill_after=delay)
            folder = stick.path / "DATA"
            whole = 0
            for p in sorted(folder.iterdir()) if folder.exists() else []:
                if R.is_pack_name(p.name):
                    verify_pack_file(p, GivenKey(key.public))  # never a truncated pack under a pack's name
                    whole += 1
                elif p.name == R.INDEX_NAME:
                    json.loads(p.read_text(encoding="utf-8"))  # never half an index
                else:
                    assert p.name == R.INDEX_SIG_NAME or R.TEMP_NAME_RE.match(p.name), (i, p.name)
            seen[whole] += 1
        finally:
            stick.unmount()
        assert opens(home, "pw"), (i, delay, status)
    assert seen[0] and seen[3], seen  # kills landed before the first pack and after the last
