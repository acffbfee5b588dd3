"""Every script readable on a bare machine (issue 9, point 4).

The rendering tests run tests/ui/font_probe.py in a fresh process whose fontconfig
configuration names no font folder at all (the system's fonts hidden), so only the fonts
Satchel ships can draw: each UDHR language and each UAX #31 recommended script is laid
out through the reader's own renderer and app font, and any glyph drawn as .notdef
(index 0) counts as a box. Han, Hangul and Kana come from the system's CJK font; without
one the reader and the Chinese interface say so in words.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support import ROOT

PROBE = Path(__file__).with_name("font_probe.py")
CJK_DIR = Path("/usr/share/fonts/opentype/noto")  # fonts-noto-cjk (a test package)
CJK_LANGUAGES = {"cmn_hans", "cmn_hant", "jpn", "kor"}
FONTS = ROOT / "dist" / "fonts"


def fontconfig(tmp: Path, *dirs: Path) -> Path:
    """A fontconfig configuration that sees only `dirs` (none: every system font hidden)."""
    conf = tmp / "fonts.conf"
    listed = "".join(f"<dir>{d}</dir>" for d in dirs)
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
                    f"<fontconfig>{listed}</fontconfig>\n")
    return conf


def probe(tmp: Path, *args: str, dirs: tuple[Path, ...] = (), font_dir: Path | None = None) -> tuple[Any, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FONTCONFIG_FILE=str(fontconfig(tmp, *dirs)),
               XDG_CACHE_HOME=str(tmp / "cache"), HOME=str(tmp))
    env.pop("SATCHEL_TEST_FONT_DIR", None)
    if font_dir is not None:
        env["SATCHEL_TEST_FONT_DIR"] = str(font_dir)
    proc = subprocess.run([sys.executable, str(PROBE), *args], capture_output=True, text=True, env=env,
                          cwd=str(tmp), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout), proc.stderr


@pytest.fixture(scope="module")
def hidden(tmp_path_factory: pytest.TempPathFactory) -> Any:
    assert FONTS.is_dir(), "dist/fonts is missing: run `make fonts` (make test does)"
    return probe(tmp_path_factory.mktemp("fonts-hidden"), "corpus")[0]


def test_the_shipped_list_is_what_the_app_loads() -> None:
    from ui import fonts

    sys.path.insert(0, str(ROOT / "build"))
    try:
        import fonts as build_fonts  # build/fonts.py
    finally:
        sys.path.remove(str(ROOT / "build"))
    assert [name for _digest, name in build_fonts.font_list()] == fonts.font_files()
    assert sorted(p.name for p in FONTS.glob("*.ttf")) == sorted(fonts.font_files())
    # regular and bold of one face per script: no more
    assert len(fonts.font_files()) == 2 * len(fonts.STEMS)


def test_every_corpus_language_renders_with_system_fonts_hidden(hidden: Any) -> None:
    from corpus import languages

    keys = [lang.key for lang in languages()]
    assert len(keys) >= 30
    for key in keys:
        found = hidden[f"udhr:{key}"]
        if key in CJK_LANGUAGES:
            # no CJK font ships: the check must see the boxes, and the reader name the script
            assert found["missing"] > 0 and found["lacking"], (key, found)
        else:
            assert found == {**found, "missing": 0, "lacking": []}, (key, found)
    assert "Noto Naskh Arabic" in hidden["udhr:urd"]["fonts"]  # every Urdu letter, none from elsewhere
    assert hidden["udhr:jpn"]["lacking"] == ["Japanese"]
    assert hidden["udhr:kor"]["lacking"] == ["Korean"]


def test_every_recommended_script_renders_with_system_fonts_hidden(hidden: Any) -> None:
    from ui import fonts

    shipped = [s for s in fonts.SCRIPTS if s.stem]
    names = {s.name for s in shipped}
    uax31 = {"Arabic", "Armenian", "Bengali", "Cyrillic", "Devanagari", "Ethiopic", "Georgian", "Greek",
             "Gujarati", "Gurmukhi", "Hebrew", "Kannada", "Khmer", "Lao", "Latin", "Malayalam", "Myanmar",
             "Oriya", "Sinhala", "Tamil", "Telugu", "Thaana", "Thai", "Tibetan"}
    assert names == uax31
    for script in shipped:
        found = hidden[f"script:{script.name}"]
        assert found["missing"] == 0 and found["lacking"] == [], (script.name, found)
    # Thaana draws with the shipped face (its copy gained the GSUB entry Qt asks for)
    assert hidden["script:Thaana"]["fonts"] == ["Noto Sans Thaana"]
    for name in ("Chinese", "Japanese", "Korean", "Bopomofo"):
        assert hidden[f"script:{name}"]["lacking"] == [name]


def test_shipped_faces_come_before_a_system_font_that_lacks_letters(tmp_path: Path) -> None:
    """The issue's case: with only DejaVu installed, Urdu lost two letters and Arabic was
    shaped with DejaVu. The shipped faces come first, so no script mixes in DejaVu."""
    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    if not any(dejavu.glob("DejaVuSans*.ttf")):
        pytest.skip("fonts-dejavu-core is not installed")
    found, _err = probe(tmp_path, "corpus", dirs=(dejavu,))
    for key, result in found.items():
        if key.startswith(("udhr:", "script:")) and not result["lacking"]:
            assert result["missing"] == 0, (key, result)
            assert not any(f.startswith("DejaVu") for f in result["fonts"]), (key, result)
    assert found["udhr:urd"]["fonts"] == ["Noto Naskh Arabic", "Noto Sans"]


def test_cjk_comes_from_the_system_font_when_one_is_installed(tmp_path: Path) -> None:
    if not any(CJK_DIR.glob("NotoSansCJK*")):
        pytest.skip("fonts-noto-cjk is not installed (build/sysdeps.sh test installs it)")
    found, _err = probe(tmp_path, "corpus", dirs=(CJK_DIR,))
    for key in CJK_LANGUAGES:
        assert found[f"udhr:{key}"]["missing"] == 0 and found[f"udhr:{key}"]["lacking"] == [], key


def test_the_reader_says_in_words_which_script_needs_a_font(tmp_path: Path, home_path: Path) -> None:
    found, _err = probe(tmp_path, "reader", str(home_path), "org.test.zh", "pages/zh.md")
    assert found["shown"]
    assert found["notice"] == "Chinese text needs a font that is not installed: install fonts-noto-cjk."
    shutil.rmtree(tmp_path / "cache", ignore_errors=True)
    if any(CJK_DIR.glob("NotoSansCJK*")):
        found, _err = probe(tmp_path, "reader", str(home_path), "org.test.zh", "pages/zh.md", dirs=(CJK_DIR,))
        assert not found["shown"] and found["notice"] == ""


def test_the_chinese_interface_without_a_cjk_font_says_so_in_english(tmp_path: Path) -> None:
    found, _err = probe(tmp_path, "window", "zh_CN")
    assert found["shown"]
    assert found["notice"] == "Chinese text needs a font that is not installed: install fonts-noto-cjk."
    # the language list names Chinese in words one can read, and the others in their own script
    assert "中文（简体） (Chinese (Simplified): needs fonts-noto-cjk)" in found["languages"]
    assert {"English", "العربية", "فارسی", "Русский", "Español", "Français"} <= set(found["languages"])
    found, _err = probe(tmp_path, "window", "ar")
    assert not found["shown"] and found["notice"] == ""
    if any(CJK_DIR.glob("NotoSansCJK*")):
        found, _err = probe(tmp_path, "window", "zh_CN", dirs=(CJK_DIR,))
        assert not found["shown"] and "中文（简体）" in found["languages"]


def test_a_damaged_install_still_starts_and_names_the_scripts_without_a_font(
        tmp_path: Path, home_path: Path) -> None:
    damaged = tmp_path / "fonts"
    shutil.copytree(FONTS, damaged)
    for name in ("NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf", "NotoSansEthiopic-Regular.ttf",
                 "NotoSansEthiopic-Bold.ttf"):
        (damaged / name).unlink()
    (damaged / "NotoSansKhmer-Regular.ttf").write_bytes(b"not a font")  # its bold face still draws Khmer
    found, err = probe(tmp_path, "reader", str(home_path), "org.test.ar", "pages/first.md", font_dir=damaged)
    assert found["shown"]
    assert found["notice"] == ("Arabic text cannot be shown: Satchel's font files are damaged. Reinstall Satchel.")
    assert err.splitlines() == ["Satchel: 5 of its font files are missing or damaged; scripts without a font: "
                                "Arabic, Ethiopic."], err


def test_scripts_are_found_by_their_letters_not_by_shared_signs() -> None:
    from ui import fonts

    assert [s.name for s in fonts.scripts_in("Hello, 123 — «مرحبا» 中文 한국어")] == [
        "Latin", "Arabic", "Chinese", "Korean"]
    assert fonts.scripts_in("123 !? — …") == []
    assert [s.name for s in fonts.scripts_in("ދިވެހި")] == ["Thaana"]


def test_the_notice_is_translated_and_names_the_cause() -> None:
    from ui import fonts, i18n

    chinese, arabic = fonts.BY_NAME["Chinese"], fonts.BY_NAME["Arabic"]
    both = fonts.notice([chinese, arabic])
    assert "install fonts-noto-cjk" in both and "Reinstall Satchel" in both
    i18n.set_language("fr")
    try:
        french = fonts.notice([chinese])
        assert "chinois" in french and "fonts-noto-cjk" in french and french != fonts.notice([chinese], english=True)
        assert fonts.notice([chinese], english=True).startswith("Chinese text needs a font")
    finally:
        i18n.set_language("en")


def test_the_font_copy_stops_on_a_changed_debian_font(tmp_path: Path) -> None:
    from ui import fonts

    source = tmp_path / "noto"
    source.mkdir()
    for name in fonts.font_files():
        os.symlink(Path("/usr/share/fonts/truetype/noto") / name, source / name)
    (source / "NotoSansLao-Bold.ttf").unlink()
    (source / "NotoSansLao-Bold.ttf").write_bytes(b"a different font")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(ROOT / "build" / "fonts.py"), str(out)], capture_output=True,
                          text=True, env=dict(os.environ, SATCHEL_FONT_SOURCE=str(source)))
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "NotoSansLao-Bold.ttf" in proc.stderr
    assert "update build/fonts.sha256" in proc.stderr
    assert not out.exists()


def test_the_thaana_copy_is_a_valid_font_with_a_gsub_entry() -> None:
    import struct

    sys.path.insert(0, str(ROOT / "build"))
    try:
        import fonts as build_fonts
    finally:
        sys.path.remove(str(ROOT / "build"))
    data = (FONTS / "NotoSansThaana-Regular.ttf").read_bytes()
    assert build_fonts._checksum(data) == 0xB1B0AFBA  # whole-font checksum, as the format requires
    count = struct.unpack(">H", data[4:6])[0]
    tags = [data[12 + 16 * i: 16 + 16 * i] for i in range(count)]
    assert b"GSUB" in tags and b"DSIG" not in tags and tags == sorted(tags)
    original = Path("/usr/share/fonts/truetype/noto/NotoSansThaana-Regular.ttf").read_bytes()
    assert build_fonts.shipped_bytes("NotoSansThaana-Regular.ttf", original) == data  # the same every build
    assert build_fonts.shipped_bytes("NotoSans-Regular.ttf", b"x") == b"x"  # no other font is touched
