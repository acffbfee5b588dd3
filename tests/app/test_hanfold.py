"""The Traditional -> Simplified fold table: exactly what the pinned OpenCC gives, one
character for one, idempotent, and used by the index and queries alike."""

from __future__ import annotations

import unicodedata

from app import hanfold
from app.textindex import _fold, _normalize, index_text, match_query


def test_the_shipped_table_is_what_opencc_gives_today() -> None:
    expected = hanfold.generate()  # needs the pinned opencc package
    shipped = {chr(cp): s for cp, s in hanfold.table().items()}
    assert shipped == expected, "regenerate: python -m app.hanfold > app/hanfold_table.py"
    assert len(shipped) > 4000


def test_the_table_folds_one_character_to_one_and_only_once() -> None:
    table = hanfold.table()
    for cp, target in table.items():
        assert len(target) == 1 and target != chr(cp)
        assert ord(target) not in table, (chr(cp), target)  # idempotent
        assert unicodedata.normalize("NFKC", chr(cp)) == chr(cp)
    assert table[ord("碼")] == "码" and table[ord("權")] == "权" and table[ord("薴")] == "苎"


def test_the_bmp_translate_table_agrees_with_the_dict() -> None:
    text = "".join(chr(cp) for cp in range(0x3400, 0xA000))
    assert text.translate(hanfold.bmp_table()) == text.translate(hanfold.table())


def test_folding_applies_to_index_and_queries() -> None:
    assert _normalize("密碼權利") == "密码权利"
    assert index_text("密碼") == index_text("密码") == "密码 码"
    assert match_query("密碼") == match_query("密码")
    assert _fold("國家") == "国家"
    # Characters beyond the BMP, and BMP characters folding to them, take the general path.
    assert _fold("\U00020000碼") == "\U00020000码"


def test_the_quick_han_test_covers_every_folding_character() -> None:
    from app.textindex import _HAN_RE

    assert all(_HAN_RE.match(chr(cp)) for cp in hanfold.table() if cp < 0x10000)
