"""Languages: every interface string translated in every language, placeholders checked,
Qt's own dialogs translated, right-to-left layout where the language needs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ui import i18n
from ui.i18n_check import problems, source_strings
from ui.qt import QApplication, Qt

LANGS = [lang for lang in i18n.LANGUAGES if lang != "en"]


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_is_complete_and_placeholders_match(lang: str) -> None:
    missing, bad = problems(lang)
    assert not missing, f"{lang} lacks {len(missing)} strings, e.g. {missing[:3]}"
    assert not bad, f"{lang} has translations with other placeholders: {bad[:3]}"


def test_the_extractor_sees_the_interface_strings() -> None:
    strings = source_strings()
    assert "Wipe" in strings and "Courses" in strings  # tr() and N_()
    assert len(strings) > 100


@pytest.mark.parametrize("lang", LANGS)
def test_qt_dialogs_are_translated(lang: str) -> None:
    i18n.set_language(lang)
    assert i18n.qt_translator_loaded()
    # A string from Qt's own catalog (QDialogButtonBox's Close button).
    from ui.qt import QDialogButtonBox

    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    assert box.button(QDialogButtonBox.StandardButton.Close).text().replace("&", "") != "Close"


@pytest.mark.parametrize(
    "lang,rtl",
    [
        ("ar", True),
        ("fa", True),
        ("ur", True),
        ("he", True),
        ("ug", True),
        ("ru", False),
        ("zh_CN", False),
        ("es", False),
        ("fr", False),
    ],
)
def test_right_to_left_languages(lang: str, rtl: bool) -> None:
    assert i18n.is_rtl(lang) is rtl
    if lang in i18n.LANGUAGES:
        i18n.set_language(lang)
        expected = Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight
        assert QApplication.layoutDirection() == expected


def test_translation_with_other_placeholders_is_rejected(tmp_path: Path) -> None:
    kept, rejected = i18n.validate(
        {
            "Pages found: {count}": "Найдено страниц: {count}",
            "Strength: {level}.": "Сила: {уровень}.",
            "Question {number}": "Вопрос {number} {extra}",
            "Satchel": "",
            "Wipe": "Стереть {",
        }
    )
    assert kept == {"Pages found: {count}": "Найдено страниц: {count}"}
    assert sorted(rejected) == sorted(["Strength: {level}.", "Question {number}", "Satchel", "Wipe"])


def test_tr_fills_placeholders_and_never_raises() -> None:
    i18n.set_language("ru")
    assert "3" in i18n.tr("Pages found: {count}", count=3)
    assert i18n.tr("Not in any catalog {x}", x="<b>") == "Not in any catalog <b>"
    assert i18n.tr("Pages found: {count}") == i18n.tr("Pages found: {count}")  # no values: unformatted


def test_catalog_files_are_plain_json_objects() -> None:
    for lang in LANGS:
        data = json.loads((i18n.resource_dir() / f"{lang}.json").read_text(encoding="utf-8"))
        assert isinstance(data, dict) and all(isinstance(v, str) for v in data.values())
