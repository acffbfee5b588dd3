"""`satchel pack check` and the checks `pack build` shares with it: every problem of a
source folder in one run, each with its file, line and what to do; bad input of every
kind the issue lists; warnings that do not stop a build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import KeyPair, assert_one_sentence, make_keypair, write_source

from content_packs.build import build_pack
from content_packs.errors import SourceError
from content_packs.limits import Limits
from content_packs.problems import SourceProblems, shown
from content_packs.source import check_source, load_source

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def problems_of(src: Path, limits: Limits | None = None) -> list[str]:
    return [str(p) for p in check_source(src, limits or Limits()).problems]


def errors_of(src: Path) -> list[str]:
    return [str(p) for p in check_source(src).errors]


def one_page(tmp_path: Path, page: str, media: dict[str, bytes] | None = None, **kw: object) -> Path:
    return write_source(tmp_path / "src", pages={"pages/a.md": page}, media=media, **kw)  # type: ignore[arg-type]


# -- every problem in one run -------------------------------------------------------------

def test_every_problem_is_reported_in_one_run_with_file_and_line(tmp_path: Path) -> None:
    src = write_source(tmp_path / "src", pages={
        "pages/a.md": "# A\n\n[x](javascript:alert(1))\n\n![p](../media/missing.png)\n",
        "pages/b.md": "No heading.\n",
        "pages/c.md": "# C\n\n<script>alert(1)</script>\n",
    }, chapters=[("One", ["pages/a.md", "pages/b.md", "pages/c.md", "pages/ghost.md"])])
    found = errors_of(src)
    assert any(p.startswith("pages/a.md line 3: the link 'javascript:alert(1)' is not allowed") for p in found)
    assert any(p.startswith("pages/a.md line 5:") and "missing.png' does not exist" in p for p in found)
    assert any(p.startswith("pages/b.md: the page needs a heading") for p in found)
    assert any(p.startswith("pages/c.md line 3: the tag <script> is not allowed") for p in found)
    assert any(p.startswith("pack.toml:") and "pages/ghost.md' does not exist" in p for p in found)
    assert len(found) == 5, found
    with pytest.raises(SourceProblems) as err:
        load_source(src)
    assert len([p for p in err.value.problems if not p.warning]) == 5


def test_pack_toml_problems_are_all_reported(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "pack.toml").write_text(
        '[pack]\nid = "Bad Id"\nversion = 0\ntitle = ""\nlanguage = "english!"\nkind = "novel"\nauthor = "me"\n'
        '[[chapters]]\ntitle = "One"\npages = ["notes/a.txt"]\n')
    found = errors_of(src)
    for needle in ("'id' must be lower-case", "'version' must be a whole number", "'title' must have 1 to",
                   "'language' must be a BCP 47", "'kind' must be", "unknown field 'author'", "must be a .md file"):
        assert any(needle in p for p in found), (needle, found)


def test_a_folder_that_does_not_exist_is_one_sentence(cli, tmp_path: Path) -> None:
    r = cli("pack", "check", str(tmp_path / "nowhere"))
    assert r.code == 1 and r.out == ""
    assert_one_sentence(r.err)
    assert "is not a folder" in r.err


def test_cli_check_lists_errors_and_warnings_and_exits_by_errors(cli, tmp_path: Path) -> None:
    src = one_page(tmp_path, "# A\n\n![](../media/m.png)\n\n<iframe src=\"https://x.example\"></iframe>\n",
                   {"media/m.png": PNG})
    r = cli("pack", "check", str(src))
    assert r.code == 1
    lines = r.out.strip().splitlines()
    assert lines[0].startswith("pages/a.md line 5: error: the tag <iframe> is not allowed")
    assert lines[1].startswith("pages/a.md line 3: warning: the picture '../media/m.png' has no description")
    assert "1 error, 1 warning" in r.err
    (src / "pages" / "a.md").write_text("# A\n\n![](../media/m.png)\n")
    r = cli("pack", "check", str(src))
    assert r.code == 0, r.err
    assert "warning" in r.out and "would build" in r.out
    r = cli("pack", "check", str(src), "--json")
    doc = json.loads(r.out)
    assert doc["ok"] is True and doc["problems"][0]["severity"] == "warning" and doc["problems"][0]["line"] == 3


def test_build_checks_before_asking_for_the_passphrase(cli, tmp_path: Path) -> None:
    """A folder with problems is refused before the key is read: no passphrase is asked
    for (stdin is empty, which would otherwise fail with 'input ended') and no key is
    decrypted; every problem is listed."""
    r = cli("keys", "generate", "--out", str(tmp_path / "me"), stdin="secret words\n")
    assert r.code == 0
    src = write_source(tmp_path / "src", pages={"pages/a.md": "no title\n", "pages/b.md": "# B\n\n<b>x</b>\n"})
    r = cli("pack", "build", str(src), "--key", str(tmp_path / "me.key"), "--out", str(tmp_path / "p.satchel"))
    assert r.code == 1 and not (tmp_path / "p.satchel").exists()
    assert "pages/a.md: error: the page needs a heading" in r.err
    assert "pages/b.md line 3: error: the tag <b> is not allowed" in r.err
    assert "input ended" not in r.err and "passphrase" not in r.err.lower()
    assert r.err.strip().splitlines()[-1].startswith("The pack was not built: 2 errors")
    # Even a key file that does not exist is never reached.
    r = cli("pack", "build", str(src), "--key", str(tmp_path / "none.key"), "--out", str(tmp_path / "p.satchel"))
    assert "There is no secret key" not in r.err and "The pack was not built" in r.err


def test_warnings_do_not_stop_a_build(tmp_path: Path, trainer: KeyPair) -> None:
    src = one_page(tmp_path, "---\nindex: 4\n---\n# A\n\n![screenshot](../media/m.png)\n", {"media/m.png": PNG})
    report = check_source(src)
    assert report.ok and len(report.warnings) == 2
    build_pack(src, trainer.secret, tmp_path / "p.satchel")


# -- front matter ---------------------------------------------------------------------------

@pytest.mark.parametrize(("page", "needle", "line"), [
    ("---\n" + "a: " + "[" * 40 + "]" * 40 + "\n---\n# A\n", "nested more than", 2),
    ("---\nbase: &b {x: 1}\nother: *b\n---\n# A\n", "anchors and aliases", 2),
    ("---\nlol: &a [x, x]\n---\n# A\n", "anchors and aliases", 2),
    ("---\n" + "x: " + "y" * 5_000_000 + "\n---\n# A\n", "larger than 64 KiB", 1),
    ("---\n- one\n- two\n---\n# A\n", "must be 'field: value' lines", 2),
    ("---\njust a sentence\n---\n# A\n", "must be 'field: value' lines", 2),
    ("---\ntitle: no end\n# A\n", "no closing '---' line", 1),
    ("---\ntitle: [unclosed\n---\n# A\n", "not valid YAML", 3),
    ("---\nx: !!python/object/apply:os.system [ls]\n---\n# A\n", "YAML tags", 2),
    ("---\ntitle: a\ntitle: b\n---\n# A\n", "given twice", 3),
])
def test_front_matter_bombs_and_mistakes_are_refused_with_the_line(
        tmp_path: Path, page: str, needle: str, line: int) -> None:
    found = errors_of(one_page(tmp_path, page))
    assert any(p.startswith(f"pages/a.md line {line}: ") and needle in p for p in found), found


def test_front_matter_title_unknown_fields_and_types(tmp_path: Path, trainer: KeyPair) -> None:
    page = ("---\nindex: 4\ntitle: Location tracking\nauthor: Training team\nduration: 30\nlevel: beginner\n"
            "licence: CC-BY-4.0\ntags: [phones, travel]\nlayout: lesson\nauthor_note: {a: 1}\n---\n\nNo heading.\n")
    src = one_page(tmp_path, page)
    report = check_source(src)
    assert report.ok, report.problems
    warnings = [str(p) for p in report.warnings]
    assert any("line 2" in w and "'index' is not one Satchel shows" in w for w in warnings)
    assert any("line 9" in w and "'layout'" in w for w in warnings)
    assert any("line 10" in w and "'author_note'" in w for w in warnings)
    pack = tmp_path / "p.satchel"
    build_pack(src, trainer.secret, pack)


# -- HTML ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("page", "needle", "line"), [
    ('# A\n\nText <img src="../media/m.png" alt="map" onerror="alert(1)"> end\n', "'onerror' on <img> is an event", 3),
    ("# A\n\n<p onclick=\"x()\">hi</p>\n", "the tag <p> is not allowed", 3),
    ("# A\n\nfine\n\n<script>alert(1)</script>\n", "<script> is not allowed: nothing in a pack may run", 5),
    ('# A\n\n<iframe src="https://evil.example"></iframe>\n', "<iframe> is not allowed", 3),
    ('# A\n\n<img src="https://tracker.example/p.png" alt="pixel">\n', "remote images are never loaded", 3),
    ('# A\n\nsee <a href="javascript:alert(1)">this</a>\n', 'the link <a href="javascript:..."> is not allowed', 3),
    ("# A\n\n- [ ] <b>Check</b> the lock\n- [ ] <span style=\"color:red\">x</span>\n", "the tag <b> is not allowed", 3),
    ("# A\n\n- [ ] <b>Check</b> the lock\n- [ ] <span style=\"color:red\">x</span>\n", "the tag <span>", 4),
    ("# A\n\n<table><tr><td>x</td></tr><table><tr><td>y</td></tr></table></table>\n", "a table inside a table", 3),
    ("# A\n\ntext <td>x</td>\n", "on a line of its own", 3),
    ('# A\n\n<img alt="no source">\n', "needs a src", 3),
])
def test_html_outside_the_allow_list_is_refused_with_the_line(
        tmp_path: Path, page: str, needle: str, line: int) -> None:
    found = errors_of(one_page(tmp_path, page, {"media/m.png": PNG}))
    assert any(p.startswith(f"pages/a.md line {line}: ") and needle in p for p in found), found


def test_allowed_html_passes_and_its_images_are_packed(tmp_path: Path, trainer: KeyPair) -> None:
    page = ('# A\n\nLine one<br>line two<br/>\nH<sub>2</sub>O x<sup>2</sup> <kbd>Ctrl</kbd>\n\n'
            '<img src="../media/html.png" alt="A map of the old town" width="300">\n\n'
            "<table>\n<tr><th>Tool</th><th>Use</th></tr>\n<tr><td>VeraCrypt</td><td colspan=\"1\">disks</td></tr>\n"
            "</table>\n\n<!-- a note for translators -->\n")
    src = one_page(tmp_path, page, {"media/html.png": PNG, "media/unused.png": PNG})
    report = check_source(src)
    assert report.ok, report.problems
    assert [str(w) for w in report.warnings] == [
        "pages/a.md line 13: an HTML comment is never shown, but it travels in the pack file, which anyone holding "
        "it can read; remove notes not meant for readers."]
    assert report.source is not None and set(report.source.files) == {"pages/a.md", "media/html.png"}


# -- links, limits, text hygiene ------------------------------------------------------------

def test_messages_that_used_to_mislead(tmp_path: Path) -> None:
    long_target = "https://example.org/" + "a" * 57 + "%E2%80%89"
    page = ("# A\n\n[x](https://example.org/report%E2%80%89)\n\n[write us](someone@example.org)\n\n"
            f"[y]({long_target})\n")
    found = errors_of(one_page(tmp_path, page))
    assert any("line 3" in p and "invisible character at its end (U+2009, thin space)" in p for p in found), found
    assert any("line 5" in p and "looks like an e-mail address; write it as mailto:someone@example.org" in p
               for p in found), found
    cut = next(p for p in found if "line 7" in p)
    assert "a…" in cut and "%E2" not in cut
    assert shown("x" * 78 + "%E2%80%89") == "x" * 78 + "…"


def test_image_limit_per_page_is_checked_at_build(tmp_path: Path) -> None:
    media = {f"media/s{i:03d}.png": PNG + bytes([i % 256, i // 256]) for i in range(12)}
    page = "# Steps\n\n" + "\n\n".join(f"![Step {i}](../media/s{i:03d}.png)" for i in range(12))
    src = one_page(tmp_path, page, media)
    assert check_source(src, Limits(page_images=12)).ok
    found = [str(p) for p in check_source(src, Limits(page_images=11)).errors]
    assert found == ["pages/a.md: the page shows 12 pictures; Satchel shows at most 11 on one page: split it into "
                     "several pages."]
    assert Limits().page_images >= 200


def test_the_path_length_rule_names_the_path(tmp_path: Path) -> None:
    name = "a" * 210 + ".png"
    found = errors_of(one_page(tmp_path, f"# A\n\n![a long name](../media/{name})\n", {f"media/{name}": PNG}))
    assert any(f"media/{name}" in p and "220 characters, more than the 200 allowed" in p for p in found), found


@pytest.mark.parametrize(("where", "toml_title", "chapter", "page"), [
    ("pack title", "Guide \u202egnp.exe", "One", "# A\n"),
    ("chapter", "Guide", "One \u2067x\u2069", "# A\n"),
    ("page heading", "Guide", "One", "# Safe \u202dtitle\n"),
    ("front matter", "Guide", "One", "---\ntitle: \"x\u2066y\"\n---\nbody\n"),
])
def test_bidi_controls_in_titles_are_refused(tmp_path: Path, where: str, toml_title: str, chapter: str,
                                             page: str) -> None:
    src = write_source(tmp_path / "src", title=toml_title, pages={"pages/a.md": page},
                       chapters=[(chapter, ["pages/a.md"])])
    found = errors_of(src)
    assert any("invisible direction control" in p for p in found), (where, found)


@pytest.mark.parametrize(("alt", "warned"), [
    ("", True), ("image", True), ("Screenshot", True), ("screenshot 3", True), ("IMG_2041.png", True),
    ("m", True), ("A locked laptop screen with the passphrase prompt", False), ("صورة الشاشة المقفلة", False),
])
def test_missing_or_placeholder_alt_text_is_a_warning(tmp_path: Path, alt: str, warned: bool) -> None:
    report = check_source(one_page(tmp_path, f"# A\n\n![{alt}](../media/m.png)\n", {"media/m.png": PNG}))
    assert report.ok
    assert bool(report.warnings) == warned, report.warnings


def test_pack_metadata_fields(tmp_path: Path, trainer: KeyPair) -> None:
    import zipfile

    src = write_source(tmp_path / "src")
    toml = (src / "pack.toml").read_text().replace(
        'kind = "guide"\n', 'kind = "guide"\nlicence = "CC-BY-SA-4.0"\nattribution = "Adapted from Example Org"\n'
        'translation = "reviewed"\ntranslated_from = "en"\n')
    (src / "pack.toml").write_text(toml)
    build_pack(src, trainer.secret, tmp_path / "p.satchel")
    with zipfile.ZipFile(tmp_path / "p.satchel") as z:
        doc = json.loads(z.read("manifest.json"))
    assert (doc["licence"], doc["attribution"], doc["translation"], doc["translated_from"]) == (
        "CC-BY-SA-4.0", "Adapted from Example Org", "reviewed", "en")
    (src / "pack.toml").write_text(toml.replace('"reviewed"', '"done"').replace('"en"\n', '"not a tag!"\n', 1))
    found = errors_of(src)
    assert any("'translation' must be one of" in p for p in found)


def test_a_plain_pack_keeps_the_manifest_fields_older_satchels_read(tmp_path: Path, trainer: KeyPair) -> None:
    import zipfile

    build_pack(write_source(tmp_path / "src"), trainer.secret, tmp_path / "p.satchel")
    with zipfile.ZipFile(tmp_path / "p.satchel") as z:
        doc = json.loads(z.read("manifest.json"))
    assert set(doc) == {"format", "id", "version", "title", "language", "kind", "signer", "chapters", "files"}


# -- pack new -------------------------------------------------------------------------------

def test_pack_new_writes_a_folder_that_passes_check_and_builds(cli, tmp_path: Path, trainer: KeyPair) -> None:
    folder = tmp_path / "my-guide"
    r = cli("pack", "new", str(folder), "--language", "fr", "--title", "Mon guide")
    assert r.code == 0, r.err
    assert (folder / "pack.toml").read_text().startswith("# pack.toml")
    report = check_source(folder)
    assert report.ok and not report.problems, report.problems
    assert report.source is not None and report.source.id == "org.example.my-guide"
    assert report.source.language == "fr" and report.source.title == "Mon guide"
    r = cli("pack", "check", str(folder))
    assert r.code == 0 and "would build" in r.out
    build_pack(folder, trainer.secret, tmp_path / "p.satchel")
    # Never over anything.
    r = cli("pack", "new", str(folder))
    assert r.code == 1
    assert_one_sentence(r.err)


def test_pack_new_refuses_a_bad_id(cli, tmp_path: Path) -> None:
    r = cli("pack", "new", str(tmp_path / "x"), "--id", "Not An Id")
    assert r.code == 1 and not (tmp_path / "x").exists()
    assert_one_sentence(r.err)


def test_missing_folder_raises_at_once(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as err:
        check_source(tmp_path / "none")
    assert str(err.value) == f"'{tmp_path / 'none'}' is not a folder."


def test_other_keys_are_never_needed(tmp_path: Path) -> None:
    make_keypair(tmp_path / "k", "unused")  # the check needs no key at all
    assert check_source(write_source(tmp_path / "src")).ok


# -- the starter library ----------------------------------------------------------------------

def test_every_starter_folder_passes_check_without_warnings() -> None:
    from content_packs.starter import starter_sources

    for folder in starter_sources():
        report = check_source(folder)
        assert report.ok and not report.problems, (folder, report.problems)


def test_the_un_system_planning_checklist_is_tickable() -> None:
    from app.markdown import checklist_items, render_html
    from content_packs.starter import DEFAULT_DIR

    page = DEFAULT_DIR / "un-system" / "en" / "pages" / "31-planning-checklist.md"
    text = page.read_text(encoding="utf-8")
    items = checklist_items(text)
    assert len(items) >= 20 and len({i.key for i in items}) == len(items)
    assert render_html(text, "pages/31-planning-checklist.md").count('<li class="unchecked">') == len(items)
