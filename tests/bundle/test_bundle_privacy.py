"""The bundle writes nothing outside the chosen home (issue 9, point 3), like Satchel
from source (tests/content_packs/test_no_leaks.py runs its command-line flow against the
bundle too; tests/ui/test_privacy.py covers the desktop flow from source). Here the
bundled app, in an account whose HOME, temporary and XDG folders start empty, imports a
pack with marked text, searches it, opens its window on that vault and runs its
self-test: afterwards the only files anywhere are the vault's own, and neither they nor
anything the app printed hold a marker in the clear."""

from __future__ import annotations

from pathlib import Path

from bundlehelp import Place, run
from support import KeyPair, make_keypair, write_source

MARKERS = ["bundlemarkerword", "Bundle title marker", "org.bundleleak.unique", "秘密会议"]


def test_the_bundle_leaves_only_the_vault(bundle_dir: Path, place: Place, tmp_path: Path) -> None:
    trainer: KeyPair = make_keypair(tmp_path / "keys", "trainer")
    src = write_source(tmp_path / "src", pack_id=MARKERS[2], title=MARKERS[1], pages={
        "pages/a.md": f"# {MARKERS[1]}\n\nThe word {MARKERS[0]} and {MARKERS[3]}.\n"})
    pack = tmp_path / "p.satchel"
    vault = place.root / "data" / "Satchel"
    env = place.env(SATCHEL_HOME=str(vault), QT_QPA_PLATFORM="offscreen")
    exe, cwd = str(bundle_dir / "satchel"), place.root / "cwd"
    outputs = []
    for args, stdin in [
        (["pack", "build", str(src), "--key", str(trainer.key_path), "--out", str(pack)], ""),
        (["init", "--iter-time", "5"], "pw\n"),
        (["trust", "add", str(trainer.pub_path), "--yes"], "pw\n"),
        (["import", str(pack)], "pw\n"),
        (["search", MARKERS[0], "--json"], "pw\n"),
        (["search", MARKERS[3], "--json"], "pw\n"),
        (["--self-test"], ""),
    ]:
        result = run([exe, *args], env, cwd, stdin=stdin)
        assert result.code == 0, (args, result.err)
        outputs.append(result.out + result.err)
    assert MARKERS[2] in outputs[4]  # the search really found the page
    window = run([exe], dict(env, SATCHEL_REPORT_FIRST_PAINT="1"), cwd, timeout=120)
    assert window.code == 0 and "first paint" in window.err, window.err
    files = place.files()
    assert set(files) <= {"data/Satchel/key", "data/Satchel/data", "data/Satchel/data-wal", "data/Satchel/data-shm",
                          "data/Satchel/.satchel-home"}  # the empty mark of Satchel's own folder
    assert "data/Satchel/key" in files
    for f in files:
        raw = (place.root / f).read_bytes()
        for m in MARKERS:
            assert m.encode() not in raw and m.encode("utf-16-le") not in raw, (f, m)
    for m in MARKERS:  # the self-test and the window print nothing from the vault
        assert all(m not in text for text in [outputs[6], window.err]), m
