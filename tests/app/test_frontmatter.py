"""YAML front matter: found without parsing, parsed safely, bounded, refused with a line.

Property tests: whatever text a page starts with, `parse` returns or raises
FrontMatterError, never anything else, and never keeps a field outside the documented set."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import frontmatter as fm


def test_fields_are_kept_as_plain_text_and_the_body_follows() -> None:
    meta, body, offset = fm.parse("---\ntitle: Location\nindex: 4\nauthor: Team\nduration: 30\n"
                                  "licence: CC-BY-4.0\ntags: [phones, travel]\nlevel: 2\n---\n# H\n\nbody\n")
    assert meta is not None
    assert meta.fields == {"title": "Location", "author": "Team", "duration": "30", "licence": "CC-BY-4.0",
                           "tags": ("phones", "travel"), "level": "2"}
    assert meta.unknown == (("index", 3),)
    assert body == "# H\n\nbody\n" and offset == 9


def test_a_page_without_front_matter_is_left_alone() -> None:
    for text in ("# Title\n\n---\n\nafter a rule\n", "", "text\n---\n", " ---\nx: 1\n---\n"):
        assert fm.parse(text) == (None, text, 0)


def test_closing_dots_crlf_bom_and_empty_blocks() -> None:
    meta, body, _ = fm.parse("\ufeff---\r\ntitle: x\r\n...\r\nbody")
    assert meta is not None and meta.text("title") == "x" and body == "body"
    meta, body, _ = fm.parse("---\n---\nbody")
    assert meta is not None and meta.fields == {} and body == "body"


def test_license_spelling_and_wrong_types_are_problems_not_failures() -> None:
    meta, _, _ = fm.parse("---\nlicense: MIT\nauthor: {name: x}\ntags: [a, [b]]\n---\n")
    assert meta is not None and meta.fields == {"licence": "MIT"}
    assert [line for _, line in meta.problems] == [3, 4]


@pytest.mark.parametrize(("text", "needle"), [
    ("---\n" + "a: " + "[" * 10_000 + "]" * 10_000 + "\n---\n", "nested more than"),
    ("---\na: &x [1, 2]\nb: *x\n---\n", "anchors and aliases"),
    ("---\na: &a [x]\nb: &b [*a, *a]\nc: &c [*b, *b]\n---\n", "anchors and aliases"),
    ("---\n" + "k: " + "v" * (10 * 1024 * 1024) + "\n---\n", "larger than 64 KiB"),
    ("---\n" + "".join(f"k{i}: [{', '.join('x' * 1 for _ in range(40))}]\n" for i in range(100)) + "---\n",
     "more than 1000 values"),
    ("---\n[1, 2]\n---\n", "'field: value' lines"),
    ("---\nplain\n---\n", "'field: value' lines"),
    ("---\ntitle: x\n", "no closing"),
    ("---\n? [complex, key]\n: v\n---\n", "field name"),
    ("---\nt: !!binary aGVsbG8=\n---\n", "YAML tags"),
    ("---\nt: !custom x\n---\n", "YAML tags"),
    ("---\ntitle: 2020-13-45\n---\n", "not valid YAML"),
    ("---\ntitle: \"unclosed\n---\n", "not valid YAML"),
])
def test_bombs_and_malformed_front_matter_raise_the_typed_error(text: str, needle: str) -> None:
    start = time.process_time()
    with pytest.raises(fm.FrontMatterError) as err:
        fm.parse(text)
    assert needle in str(err.value)
    assert err.value.line is not None
    assert time.process_time() - start < 30  # generous: a bomb would take forever or run out of memory


def test_control_characters_in_values_become_spaces() -> None:
    meta, _, _ = fm.parse('---\ntitle: "a\\x00b\\tc\\x1bd"\n---\n')
    assert meta is not None and meta.text("title") == "a b c d"


def test_strip_and_title_never_raise() -> None:
    assert fm.strip("---\nno end") == ("---\nno end", 0)
    assert fm.strip("---\na: 1\n---\nbody") == ("body", 3)
    assert fm.title("---\na: &x 1\n---\n") is None
    assert fm.title("---\ntitle: Hello\n---\n") == "Hello"


_YAML_BITS = st.sampled_from([
    "title", "tags", ":", " ", "\n", "- ", "[", "]", "{", "}", "&a", "*a", "!!str", "!x", "'", '"', "#",
    "---", "...", "? ", "|", ">", "\t", "\\", "%YAML 1.1", "<<", "~", "null", "2020-01-01", "1e999", "\u202e",
    "\x00", "\ufeff", "é", "مرحبا", "0x1F", ".nan", "&", "*", ",",
])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_YAML_BITS, max_size=60), st.booleans())
def test_parse_only_ever_raises_the_typed_error(parts: list[str], closed: bool) -> None:
    text = "---\n" + "".join(parts) + ("\n---\n# T\n" if closed else "")
    try:
        meta, body, offset = fm.parse(text)
    except fm.FrontMatterError:
        return
    if meta is not None:
        assert set(meta.fields) <= set(fm.FIELDS)
        assert all(isinstance(v, (str, tuple)) for v in meta.fields.values())
        assert text.endswith(body) and offset >= 1


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_parse_of_any_text_only_ever_raises_the_typed_error(body: str) -> None:
    for text in (body, "---\n" + body, "---\n" + body + "\n---\n"):
        try:
            fm.parse(text)
        except fm.FrontMatterError:
            pass


def test_the_pure_python_loader_refuses_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where PyYAML has no libyaml, the same composer runs on PyYAML's own parser."""
    import yaml

    monkeypatch.setattr(fm, "_Loader", fm.loader_class(yaml.SafeLoader))
    assert fm.parse("---\ntitle: x\ntags: [a, b]\n---\nbody")[0] == fm.FrontMatter({"title": "x", "tags": ("a", "b")})
    for text, needle in (("---\na: &x 1\nb: *x\n---\n", "anchors"), ("---\n" + "a: " + "[" * 50 + "\n---\n", "nested"),
                         ("---\nt: !!binary aGk=\n---\n", "tags"), ("---\n- a\n---\n", "'field: value'")):
        with pytest.raises(fm.FrontMatterError) as err:
            fm.parse(text)
        assert needle in str(err.value)
