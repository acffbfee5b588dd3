"""The HTML allow-list: what a trainer may write, what the reader makes of anything else.

Property tests: whatever the fragment, `check` and the converters return or raise
HtmlError, and every conversion passes the renderer's own audit (no tag or attribute
outside the whitelist, no address but satchel-media: images)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import htmlallow
from app.markdown import _audit, render_html


def _media(src: str) -> str | None:
    return "satchel-media:media/" + src.rsplit("/", 1)[-1] if src.startswith("../media/") else None


def test_allowed_tags_convert() -> None:
    out = htmlallow.convert_block('<table>\n<tr><th>A</th><td colspan="2">b<br>c</td></tr>\n</table>\n', _media)
    assert out == '<table border="1" cellspacing="0" cellpadding="4"><tr><th>A</th><td colspan="2">b<br />c</td></tr></table>'
    tag = htmlallow.convert_inline('<img src="../media/a.png" alt="A map" width="300">', _media)
    assert tag.markup == '<img src="satchel-media:media/a.png" alt="A map" width="300" />' and not tag.opens
    assert htmlallow.convert_inline("<sup>", _media).opens == ("sup",)
    assert htmlallow.convert_inline("</sup>", _media).closes == ("sup",)


def test_everything_else_is_text_or_alt_text() -> None:
    for frag in ('<img src="https://t.example/p.png" alt="pixel">', '<img src="../media/a.png" onerror="x()">',
                 "<script>alert(1)</script>", '<a href="javascript:alert(1)">x</a>'):
        out = htmlallow.convert_block(frag, _media)
        assert "<img" not in out and "<a" not in out and "<script" not in out
        assert _audit(out)


def test_check_reports_each_problem_once_with_its_line() -> None:
    problems, images = htmlallow.check('<div>\n<img src="../media/a.png" alt="x" onclick="y()">\n</div>', True)
    assert [(p.line, p.message.split(" (")[0].split(";")[0]) for p in problems] == [
        (0, "the tag <div> is not allowed in pages"),
        (1, "the attribute 'onclick' on <img> is an event handler, and pages never run scripts"),
        (2, "the tag <div> is not allowed in pages"),
    ]
    assert [(i.line, i.src, i.alt) for i in images] == [(1, "../media/a.png", "x")]


def test_inline_tags_balance_across_a_paragraph() -> None:
    out = render_html("H<sub>2</sub>O and x<sup>2 with no end, *em <kbd>k</kbd>*\n", "pages/a.md")
    assert out == "<p>H<sub>2</sub>O and x<sup>2 with no end, <em>em <kbd>k</kbd></em></sup></p>\n"
    assert _audit(out)


_HTML_BITS = st.sampled_from([
    "<", ">", "/", "=", '"', "'", " ", "\n", "br", "img", "sup", "sub", "kbd", "table", "tr", "td", "th",
    "thead", "tbody", "script", "iframe", "a", "b", "div", "src", "alt", "href", "onclick", "style", "colspan",
    "rowspan", "width", "../media/a.png", "https://x.example/p.png", "javascript:alert(1)", "<!--", "-->",
    "<!DOCTYPE", "<![CDATA[", "<?", "&amp;", "&#0;", "&lt;", "x", "2", "99", "100", "\u202e", "\x00", "ا",
])


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_HTML_BITS, max_size=80), st.booleans())
def test_converters_only_raise_the_typed_error_and_always_pass_the_audit(parts: list[str], block: bool) -> None:
    fragment = "".join(parts)
    try:
        htmlallow.check(fragment, block)
        out = (htmlallow.convert_block(fragment, _media) if block
               else htmlallow.convert_inline(fragment, _media).markup)
    except htmlallow.HtmlError:
        return
    assert _audit(out), out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_HTML_BITS | st.sampled_from(["- [ ] ", "- [x] ", "| a | b |\n|---|---|\n", "# ", "*", "\n\n"]),
                max_size=80))
def test_pages_with_any_html_render_to_audited_markup(parts: list[str]) -> None:
    out = render_html("".join(parts), "pages/a.md")
    assert _audit(out), out
    assert not out.startswith("<pre>") or "".join(parts).strip() == ""
