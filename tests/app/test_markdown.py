"""Tests for app.markdown: untrusted CommonMark pages to titles, text and safe HTML."""

from __future__ import annotations

import html
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from app.markdown import (  # noqa: E402
    Reference,
    classify_target,
    page_title,
    plain_text,
    references,
    render_html,
    resolve,
)

PAGE = "pages/a.md"

# --- an independent audit of rendered HTML -------------------------------------------

SAFE_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "code", "pre",
    "blockquote", "ul", "ol", "li", "hr", "br", "a", "img", "sup", "sub", "kbd",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
SAFE_ATTRS = {"a": {"href", "title", "name"}, "img": {"src", "alt", "title", "width", "height"},
              "ol": {"start"}, "li": {"class"}, "table": {"border", "cellspacing", "cellpadding"},
              "th": {"align", "colspan", "rowspan"}, "td": {"align", "colspan", "rowspan"}}


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.other: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.other.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.other.append("decl")

    def handle_pi(self, data: str) -> None:
        self.other.append("pi")

    def unknown_decl(self, data: str) -> None:
        self.other.append("unknown")


def parse_html(markup: str) -> Collector:
    c = Collector()
    c.feed(markup)
    c.close()
    return c


def assert_safe(markup: str) -> Collector:
    c = parse_html(markup)
    assert not c.other, c.other
    lowered = markup.lower()
    for bad in ("<script", "<style", "<iframe", "<object", "<embed", "<svg", "<math", "<link",
                "<meta", "<base", "<form", "<input", "<frame", "<video", "<audio", "<source"):
        assert bad not in lowered, bad
    for tag, attrs in c.tags:
        assert tag in SAFE_TAGS, tag
        for name, value in attrs.items():
            assert name in SAFE_ATTRS.get(tag, set()), (tag, name)
            assert not name.startswith("on") and name != "style"
            if name == "href":
                assert value.startswith(
                    ("satchel-page:", "satchel-media:", "satchel-pack:", "satchel-external:", "#")
                ), value
            if name == "src":
                assert value.startswith("satchel-media:"), value
                assert ":" not in unquote(value.removeprefix("satchel-media:")), value
            if name in ("href", "src") and not value.startswith("satchel-external:"):
                decoded = unquote(unquote(value)).lower()
                for scheme in ("javascript", "vbscript", "data:", "file:", "http"):
                    assert scheme not in decoded, value
    return c


def links(markup: str) -> list[str]:
    return [attrs["href"] for tag, attrs in parse_html(markup).tags if tag == "a"]


def images(markup: str) -> list[str]:
    return [attrs["src"] for tag, attrs in parse_html(markup).tags if tag == "img"]


def fallback(markdown: str) -> str:
    return f"<pre>{html.escape(markdown)}</pre>\n"


# --- hostile links and images --------------------------------------------------------

JS_LINKS = [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](   javascript:alert(1))",
    "[x](\njavascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](<java\tscript:alert(1)>)",
    "[x](<java script:alert(1)>)",
    "[x](<javascript :alert(1)>)",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](&#X6a;&#X61;&#X76;&#X61;script:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](java&#10;script:alert(1))",
    "[x](&#0;javascript:alert(1))",
    "[x](&#x20;javascript:alert(1))",
    "[x](javascript\\:alert(1))",
    "[x](java%73cript:alert(1))",
    "[x](javascript%3Aalert(1))",
    "[x](%6A%61%76%61script:alert(1))",
    "[x](javascript%253Aalert(1))",
    "[x](javascript：alert(1))",
    "[x](<java\u200bscript:alert(1)>)",
    "[x](<\u202ejavascript:alert(1)>)",
    "[x](\u00a0javascript:alert(1))",
    "[x](javascript:alert(1) \"title\")",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "[r]\n\n[r]: javascript:alert(1)",
    "[r][]\n\n[r]: <javascript:alert(1)> 'title'",
    "[x][r]\n\n[r]:\n  JavaScript:alert(1)",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<file:///etc/passwd>",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](file:///etc/passwd)",
    "[x](//evil.example/x)",
    "[x](\\\\evil\\share)",
    "[x](<\\\\evil\\share>)",
    "[x](/etc/passwd)",
    "[x](C:/Windows/win.ini)",
    "[x](../../../etc/passwd)",
    "[x](%2e%2e/%2e%2e/etc/passwd)",
    "[x](%2F%2Fevil.example/x)",
    "[x](satchel-page:pages/b.md)",
    "[x](satchel-media:media/x.png)",
    "[x](satchel-external:http%3A%2F%2Fevil)",
    "[x](http:evil.example)",
    "[x](http://)",
    "[x](https:\\\\evil.example)",
    "[x](ftp://evil.example/x)",
    "[x](tel:+123)",
    "[x](about:blank)",
    "[x](qrc:/x.png)",
]


@pytest.mark.parametrize("markdown", JS_LINKS)
def test_forbidden_links_render_as_inert_text(markdown: str) -> None:
    out = render_html(markdown, PAGE)
    assert out != fallback(markdown)
    assert_safe(out)
    assert links(out) == []
    assert "<a" not in out
    text = "".join(parse_html(out).text)
    assert "x" in text or "r" in text or "alert" in text or "msgbox" in text or "passwd" in text


@pytest.mark.parametrize("markdown", JS_LINKS)
def test_every_forbidden_link_is_reported_as_forbidden(markdown: str) -> None:
    for ref in references(markdown):
        assert classify_target(ref.target, page_path=PAGE) == "forbidden", ref


HOSTILE_IMAGES = [
    "![x](http://evil.example/x.png)",
    "![x](https://evil.example/x.png)",
    "![x](HTTP://evil.example/x.png)",
    "![x](//evil.example/x.png)",
    "![x](<http://evil.example/x.png> \"t\")",
    "![x][img]\n\n[img]: http://evil.example/x.png",
    "![x](data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAC"
    "hwGA60e6kgAAAABJRU5ErkJggg==)",
    "![x](data:image/svg+xml,%3Csvg%20onload%3Dalert(1)%3E)",
    "![x](javascript:alert(1))",
    "![x](file:///etc/passwd)",
    "![x](/etc/passwd)",
    "![x](../../x.png)",
    "![x](#frag)",
    "![x](b.md)",
    "![x](mailto:a@b.example)",
    "[![x](http://evil.example/x.png)](b.md)",
    "![![x](http://evil.example/y.png)](http://evil.example/z.png)",
]


@pytest.mark.parametrize("markdown", HOSTILE_IMAGES)
def test_unusable_images_become_their_alt_text(markdown: str) -> None:
    out = render_html(markdown, PAGE)
    assert_safe(out)
    assert "<img" not in out
    assert "[x]" in "".join(parse_html(out).text)


RAW_HTML = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://evil.example/x.js></SCRIPT>",
    '<a href="javascript:alert(1)">click</a>',
    '<iframe src="http://evil.example"></iframe>',
    '<object data="http://evil.example/x.swf"></object>',
    "<embed src=x>",
    "<style>body { background: url(http://evil.example/x) }</style>",
    '<div style="background:url(http://evil.example)" onclick="alert(1)">\n*x*\n</div>',
    "<svg onload=alert(1)>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<!-- comment --> <!DOCTYPE html> <?php echo 1; ?> <![CDATA[x]]>",
    '<link rel="stylesheet" href="http://evil.example/x.css">',
    '<meta http-equiv="refresh" content="0;url=http://evil.example">',
    "<base href=http://evil.example/>",
    "text <b onmouseover=alert(1)>bold</b> more",
    "<p\nonclick=alert(1)>x</p>",
]


def test_html_outside_the_allow_list_is_text_and_markdown_around_inline_tags_still_renders() -> None:
    # An HTML block runs to the next blank line, as in CommonMark: its lines are not
    # Markdown; a refused tag inside a paragraph leaves the Markdown around it alone.
    out = render_html("<div>\n*x*\n</div>\n\nA <span>*y*</span>", PAGE)
    assert_safe(out)
    assert "&lt;div&gt;\n*x*\n&lt;/div&gt;" in out
    assert "&lt;span&gt;<em>y</em>&lt;/span&gt;" in out


def test_output_audit_rejects_anything_outside_the_whitelist() -> None:
    from app.markdown import _audit

    assert _audit('<p><a href="satchel-page:x.md">x</a><img src="satchel-media:a.png" alt="" /></p>')
    for bad in ['<a href="http://x">x</a>', '<img src="http://x/y.png">', '<p style="x">',
                '<p onclick="x">', "<script>", "<!-- x -->", '<ol start="1x">', "<div>"]:
        assert not _audit(bad), bad


def test_render_falls_back_to_escaped_text_if_the_audit_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.markdown as module

    monkeypatch.setattr(module, "_render_tokens", lambda tokens, page, *rest: "<script>alert(1)</script>")
    assert render_html("*hello* <b>", PAGE) == "<pre>*hello* &lt;b&gt;</pre>\n"


@pytest.mark.parametrize("markdown", [
    '<img src="http://evil.example/x.png" alt="map">',
    'text <img src="https://evil.example/x.png" alt="map"> more',
    '<img src="data:image/png;base64,iVBORw0KGgo=" alt="map">',
    '<img src="javascript:alert(1)" alt="map">',
    '<img src="../../outside.png" alt="map">',
])
def test_html_images_from_outside_the_pack_become_their_alt_text(markdown: str) -> None:
    out = render_html(markdown, PAGE)
    assert_safe(out)
    assert images(out) == [] and "[map]" in "".join(parse_html(out).text)


@pytest.mark.parametrize("markdown", RAW_HTML)
def test_raw_html_is_shown_as_text(markdown: str) -> None:
    out = render_html(markdown, PAGE)
    assert_safe(out)
    assert images(out) == [] and links(out) == []
    assert "&lt;" in out  # the tag is visible to the reader, escaped


ATTRIBUTE_INJECTION = [
    '[x](b.md "\\" onmouseover=\\"alert(1)")',
    "[x](b.md 'a\" onclick=\"alert(1)')",
    '![x" onerror="alert(1)](../media/a.png)',
    '![x](../media/a.png "t\\" onerror=\\"alert(1)")',
    "[x](../media/a%22%20onerror%3D%22alert(1).png)",
    '[x](b.md#"><script>alert(1)</script>)',
    '[x](#"onclick=alert(1))',
    "```\" onclick=\"alert(1)\nx\n```",
    "``` <script>\nx\n```",
    "`<script>alert(1)</script>`",
    "[<img src=x onerror=alert(1)>](b.md)",
    "<https://example.org/\"onmouseover=alert(1)>",
    "[x](https://example.org/\"><script>alert(1)</script>)",
    "1. x\n\n00000000000000000000000123456789. y",
]


@pytest.mark.parametrize("markdown", ATTRIBUTE_INJECTION)
def test_attribute_values_cannot_break_out(markdown: str) -> None:
    out = render_html(markdown, PAGE)
    assert out != fallback(markdown)
    assert_safe(out)


# --- links and images that should work -----------------------------------------------


def test_page_links_resolve_against_the_page_folder() -> None:
    out = render_html("[b](b.md) [c](../other/c.md#part-2) [self](./a.md)", PAGE)
    assert_safe(out)
    assert links(out) == [
        "satchel-page:pages/b.md",
        "satchel-page:other/c.md#part-2",
        "satchel-page:pages/a.md",
    ]


def test_media_links_and_images_use_satchel_media() -> None:
    out = render_html(
        "![Map of الحقوق](../media/map.png \"A map\") [guide](../media/guide%20v2.pdf) "
        "![صورة](../media/%D8%B5%D9%88%D8%B1%D8%A9.jpg)",
        PAGE,
    )
    assert_safe(out)
    assert images(out) == [
        "satchel-media:media/map.png",
        "satchel-media:media/%D8%B5%D9%88%D8%B1%D8%A9.jpg",
    ]
    assert links(out) == ["satchel-media:media/guide%20v2.pdf"]
    img = [attrs for tag, attrs in parse_html(out).tags if tag == "img"][0]
    assert img["alt"] == "Map of الحقوق" and img["title"] == "A map"


def test_external_links_are_wrapped_for_display_only() -> None:
    url = "https://example.org/a b?q=1&r=\"x\"#frag"
    md = f"[site](<{url}>) <https://example.org/path?x=1> <someone@example.org> [m](mailto:a@b.example)"
    out = render_html(md, PAGE)
    assert_safe(out)
    hrefs = links(out)
    assert hrefs == [
        "satchel-external:https%3A%2F%2Fexample.org%2Fpath%3Fx%3D1",
        "satchel-external:mailto%3Asomeone%40example.org",
        "satchel-external:mailto%3Aa%40b.example",
    ]  # a URL with a space is not a valid external target: the first link is inert
    for href in hrefs:
        assert set(href.removeprefix("satchel-external:")) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789%-._~"
        )
    assert unquote(hrefs[0].removeprefix("satchel-external:")) == "https://example.org/path?x=1"
    assert "site" in "".join(parse_html(out).text)


def test_anchor_links_are_kept() -> None:
    out = render_html("[top](#top) [arabic](#المادة-1)", PAGE)
    assert links(out) == ["#top", "#%D8%A7%D9%84%D9%85%D8%A7%D8%AF%D8%A9-1"]


def test_escaping_link_is_inert_but_keeps_its_text() -> None:
    out = render_html("See [the secret](../../secret.md) now.", PAGE)
    assert links(out) == []
    assert "".join(parse_html(out).text).strip() == "See the secret now."


# --- broken markdown -----------------------------------------------------------------

BROKEN = [
    "```\nunclosed fence\n# not a heading",
    "~~~~\n~~~\n",
    "*unclosed **emphasis _here",
    "[unclosed link](",
    "[" * 20000,
    "]" * 20000,
    "(" * 20000,
    ">" * 20000 + " deep quote",
    "*" * 20000,
    "_" * 20000 + "x",
    "`" * 20001,
    "<" * 20000,
    "![" * 10000 + "x" + "](a.png)" * 10000,
    "[a](" * 10000,
    "\n".join("  " * i + "- item" for i in range(1000)),
    "\n".join("> " * i + "1. x" for i in range(500)),
    "\n".join("    " * i + "* x" for i in range(500)),
    "[x]: " + "a" * 100000,
    "# " + "#" * 5000,
    "\x00\x01\x02\x7f \ufffe \ud800 \U0010ffff",
    "&#xFFFFFFFF; &#0; &#xD800; &nosuchentity; &amp",
    "\r\n\r\r\n\t\t-\t\t*\t\t",
    "a  \nb\\\nc",
    "1. " * 3000,
    "- " * 3000 + "x",
]


@pytest.mark.parametrize("markdown", BROKEN, ids=range(len(BROKEN)))
def test_broken_markdown_never_raises(markdown: str) -> None:
    out = render_html(markdown, PAGE)
    assert_safe(out)
    assert isinstance(plain_text(markdown), str)
    page_title(markdown)
    references(markdown)


def test_unclosed_fence_runs_to_the_end_as_code() -> None:
    out = render_html("text\n\n```python\ncode\n# not a heading", PAGE)
    assert "<h1>" not in out
    assert "<pre><code>code\n# not a heading" in out
    assert "python" not in out  # the info string never becomes an attribute


# --- titles and plain text -----------------------------------------------------------

ARABIC_PAGE = """\
# الإعلان العالمي لحقوق الإنسان

## المادة ١

يولد جميع الناس **أحراراً** ومتساوين في [الكرامة](b.md) والحقوق.
وهم قد وهبوا العقل والوجدان.

![شعار](../media/logo.png)

- الحرية
- المساواة
"""

CHINESE_PAGE = """\
世界人权宣言
==========

第一条
------

人人生而*自由*，在尊严和权利上一律平等。见[第二条](article-02.md)。

```
代码 <b>
```
"""


def test_titles_of_arabic_and_chinese_pages() -> None:
    assert page_title(ARABIC_PAGE) == "الإعلان العالمي لحقوق الإنسان"
    assert page_title(CHINESE_PAGE) == "世界人权宣言"


def test_title_is_plain_text_of_the_first_heading() -> None:
    assert page_title("Intro text\n\n### Article *3* `code` [link](x.md) ![img](a.png)\n\n# Later") == (
        "Article 3 code link img"
    )
    assert page_title("no heading at all") is None
    assert page_title("") is None
    assert page_title("#\n\n## 真正的标题") == "真正的标题"
    assert page_title("# a\u0000b\tc\u001bd") == "a\ufffdb c d"
    # Tags are markup (never part of a title); entities stay text.
    assert page_title("# <script>x</script> &amp; &lt;b&gt;") == "x & <b>"


def test_plain_text_of_arabic_page() -> None:
    text = plain_text(ARABIC_PAGE)
    assert "يولد جميع الناس أحراراً ومتساوين في الكرامة والحقوق." in text
    assert "الإعلان العالمي لحقوق الإنسان" in text
    assert "شعار" in text and "الحرية" in text and "المساواة" in text
    for markup in ("**", "](", "b.md", "logo.png", "#", "- "):
        assert markup not in text


def test_plain_text_of_chinese_page() -> None:
    text = plain_text(CHINESE_PAGE)
    assert "人人生而自由，在尊严和权利上一律平等。见第二条。" in text
    assert "代码 <b>" in text
    for markup in ("*", "==", "--", "article-02", "```"):
        assert markup not in text


def test_plain_text_decodes_entities_and_drops_urls() -> None:
    text = plain_text("Caf&eacute; &amp; [link text](https://example.org/secret-url) <https://x.example>")
    assert text == "Café & link text https://x.example"


# --- references ----------------------------------------------------------------------


def test_references_lists_every_target_with_its_line() -> None:
    md = (
        "# Title [t](a.md)\n"
        "\n"
        "Text [one](b.md) and\n"
        "![pic](../media/p.png) on line four\n"
        "and [ref][r] <https://example.org> <me@example.org>\n"
        "[![inner](../media/i.png)](c.md#x)\n"
        "\n"
        "[r]: javascript:alert(1)\n"
    )
    assert references(md) == [
        Reference("link", "a.md", 1),
        Reference("link", "b.md", 3),
        Reference("image", "../media/p.png", 4, "pic"),
        Reference("link", "javascript:alert(1)", 5),
        Reference("link", "https://example.org", 5),
        Reference("link", "mailto:me@example.org", 5),
        Reference("link", "c.md#x", 6),
        Reference("image", "../media/i.png", 6, "inner"),
    ]


def test_references_keep_targets_as_written() -> None:
    refs = references("[a](../media/x%20y.pdf) [b](&#106;avascript:x) [c](<a b.md>) [d](e\\_f.md)")
    assert [r.target for r in refs] == ["../media/x%20y.pdf", "javascript:x", "a b.md", "e_f.md"]


# --- classify_target and resolve -----------------------------------------------------


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("b.md", "page"),
        ("b.MD", "page"),
        ("./b.md#sec", "page"),
        ("../other/c.md", "page"),
        ("sub/dir/d.md#المادة", "page"),
        ("../media/x.png", "media"),
        ("../media/x%20y.pdf", "media"),
        ("media/a:b.png", "media"),
        ("../media/صورة.jpg", "media"),
        ("https://example.org/x?y=1#z", "external"),
        ("HTTP://EXAMPLE.ORG", "external"),
        ("http://user@example.org/", "external"),
        ("mailto:someone@example.org", "external"),
        ("#top", "anchor"),
        ("#", "anchor"),
        ("", "forbidden"),
        (" b.md", "forbidden"),
        ("b.md ", "forbidden"),
        ("javascript:alert(1)", "forbidden"),
        ("JavaScript:alert(1)", "forbidden"),
        ("java%73cript:alert(1)", "forbidden"),
        ("javascript%3Aalert(1)", "forbidden"),
        ("javascript%253Aalert(1)", "forbidden"),
        ("java\tscript:alert(1)", "forbidden"),
        ("java\nscript:alert(1)", "forbidden"),
        ("java\u200bscript:alert(1)", "forbidden"),
        ("javascript\uff1aalert(1)", "forbidden"),
        ("\u202egnp.exe", "forbidden"),
        ("vbscript:x", "forbidden"),
        ("data:image/png;base64,AAAA", "forbidden"),
        ("file:///etc/passwd", "forbidden"),
        ("//evil.example/x.png", "forbidden"),
        ("/etc/passwd", "forbidden"),
        ("\\\\evil\\share", "forbidden"),
        ("..\\..\\x.png", "forbidden"),
        ("media%5Cx.png", "forbidden"),
        ("C:/x.png", "forbidden"),
        ("c:x.png", "forbidden"),
        ("ftp://example.org/x", "forbidden"),
        ("http:example.org", "forbidden"),
        ("https://", "forbidden"),
        ("https://exa mple.org", "forbidden"),
        ("mailto:", "forbidden"),
        ("satchel-page:pages/b.md", "forbidden"),
        ("b.md?x=1", "forbidden"),
        ("?x=1", "forbidden"),
        ("media//x.png", "forbidden"),
        ("media/", "forbidden"),
        (".", "forbidden"),
        ("..", "forbidden"),
        ("x%ZZ.png", "media"),
        ("x%FF.png", "forbidden"),
        ("x%00.png", "forbidden"),
        ("#a\u0000b", "forbidden"),
        ("a" * 3000 + ".png", "forbidden"),
    ],
)
def test_classify_target(target: str, kind: str) -> None:
    assert classify_target(target) == kind


@pytest.mark.parametrize(
    ("page", "target", "kind"),
    [
        ("pages/a.md", "../media/x.png", "media"),
        ("pages/a.md", "../../media/x.png", "forbidden"),
        ("pages/a.md", "%2e%2e/%2e%2e/x.png", "forbidden"),
        ("index.md", "../x.md", "forbidden"),
        ("index.md", "pages/../x.md", "page"),
        ("pages/deep/a.md", "../../x.md#y", "page"),
        ("pages/deep/a.md", "../../../x.md#y", "forbidden"),
    ],
)
def test_classify_target_checks_escapes_against_the_page(page: str, target: str, kind: str) -> None:
    assert classify_target(target, page_path=page) == kind


@pytest.mark.parametrize(
    ("page", "target", "expected"),
    [
        ("pages/a.md", "../media/x.png", "media/x.png"),
        ("pages/a.md", "b.md", "pages/b.md"),
        ("pages/a.md", "./b.md#sec", "pages/b.md"),
        ("pages/a.md", "sub/./c.md", "pages/sub/c.md"),
        ("pages/a.md", "sub/../c.md", "pages/c.md"),
        ("pages/a.md", "../media/x%20y.pdf", "media/x y.pdf"),
        ("pages/a.md", "../media/%D8%B5.png", "media/ص.png"),
        ("index.md", "media/x.png", "media/x.png"),
        ("a/b/c/d.md", "../../../e.md", "e.md"),
        ("pages/a.md", "../../x.png", None),
        ("pages/a.md", "../media/../../x.png", None),
        ("pages/a.md", "%2e%2e/%2e%2e/x.png", None),
        ("pages/a.md", "..%2F..%2Fx.png", None),
        ("pages/a.md", "%252e%252e/x.png", None),
        ("index.md", "..", None),
        ("index.md", "../index.md", None),
        ("pages/a.md", "..", None),
        ("pages/a.md", "/etc/passwd", None),
        ("pages/a.md", "//host/x", None),
        ("pages/a.md", "..\\x.png", None),
        ("pages/a.md", "https://example.org/x.png", None),
        ("pages/a.md", "javascript:x", None),
        ("pages/a.md", "javascript%3Aalert(1)", None),
        ("pages/a.md", "javascript\uff1aalert(1)", None),
        ("pages/a.md", "c:x.png", None),
        ("pages/a.md", "#frag", None),
        ("pages/a.md", "", None),
        ("pages/a.md", "x.png?y", None),
        ("pages/a.md", "media//x.png", None),
        ("pages/a.md", "x%00.png", None),
        ("/abs/a.md", "b.md", None),
        ("../a.md", "b.md", None),
        ("pages/../../a.md", "b.md", None),
        ("pages\\a.md", "b.md", None),
    ],
)
def test_resolve(page: str, target: str, expected: str | None) -> None:
    assert resolve(page, target) == expected


# --- rendering of ordinary pages -----------------------------------------------------


def test_ordinary_page_renders_expected_structure() -> None:
    out = render_html(ARABIC_PAGE, "pages/article-01.md")
    assert_safe(out)
    assert '<h1><a name="الإعلان-العالمي-لحقوق-الإنسان"></a>الإعلان العالمي لحقوق الإنسان</h1>' in out
    assert "<strong>أحراراً</strong>" in out
    assert '<a href="satchel-page:pages/b.md">الكرامة</a>' in out
    assert '<img src="satchel-media:media/logo.png" alt="شعار" />' in out
    assert "<ul>\n<li>الحرية</li>" in out


def test_chinese_page_renders_and_escapes_code() -> None:
    out = render_html(CHINESE_PAGE, "pages/article-01.md")
    assert_safe(out)
    assert '<h1><a name="世界人权宣言"></a>世界人权宣言</h1>' in out and '<h2><a name="第一条"></a>第一条</h2>' in out
    assert "<em>自由</em>" in out
    assert '<a href="satchel-page:pages/article-02.md">第二条</a>' in out
    assert "<pre><code>代码 &lt;b&gt;\n</code></pre>" in out


def test_ordered_list_start_is_a_number() -> None:
    out = render_html("7. seven\n8. eight", PAGE)
    assert '<ol start="7">' in out


def test_headings_carry_anchors_for_section_links() -> None:
    from app.markdown import heading_anchor, render_html

    html = render_html("# Start\n\n## Before you travel\n\n## Before you travel\n\n## الحرية للجميع\n",
                       "pages/a.md")
    assert '<h2><a name="before-you-travel"></a>Before you travel</h2>' in html
    assert '<a name="before-you-travel-1"></a>' in html
    assert f'<a name="{heading_anchor("الحرية للجميع")}"></a>' in html
    # A hostile heading cannot smuggle markup through its anchor.
    html = render_html('# x" onclick="alert(1)\n', "pages/a.md")
    assert 'onclick="' not in html and "&quot; onclick=&quot;" in html


# --- index_fields: the importer's fast path must index what the full parse indexes -----

from app.markdown import index_fields, title_and_text  # noqa: E402
from app.textindex import index_text  # noqa: E402

STARTER_PAGES = sorted((_ROOT / "content_packs" / "default").glob("**/pages/*.md"))

INDEX_SAMPLES = {
    "inline link with a title": (
        '# Links\n\nSee [the guide](https://example.org/guide "The hidden title") now.\n'
    ),
    "inline link with a single-quoted title": "Read [this page](other.md 'quoted secret') now.\n",
    "inline link with a parenthesised title": "Read [this page](other.md (paren secret)) now.\n",
    "link target with parentheses": "[wiki](https://en.wikipedia.org/wiki/Foo_(bar)) done\n",
    "link target in angle brackets": "[spaced](<my page.md>) done\n",
    "image": "# Pictures\n\n![a diagram of keys](../media/x.png)\n\nAfter the image.\n",
    "image with a title": '![alt words](../media/x.png "image title here")\n',
    "image inside a link": "[![badge alt](../media/x.png)](https://example.org/target) and text\n",
    "reference definition": "Text here.\n\n[x]: http://example.org/hidden \"hidden title\"\n",
    "shortcut and collapsed references": (
        "# Refs\n\nSee [x] and [x][].\n\n[x]: http://example.org/hidden 'hidden title'\n"
        "[other]: <http://example.org/also hidden>\n"
    ),
    "emphasis inside an Arabic word": (
        "# الحرية\n\nو**بقيت** الكلمة و*حرية* و__العدل__ كما هي.\n"
    ),
    "code spans next to words": "Run `satchel`import and foo`bar`baz and `a b` here.\n",
    "ordered list": "1. first item\n2. second item\n10) tenth item\n\n> 3. quoted item\n",
    "fenced code with an info string": (
        "```python\nprint('hello world')\n```\n\n~~~ text\nsome tilde code\n~~~\n"
    ),
    "entities": "Caf&eacute; &amp; friends &lt;tag&gt; &#233;t&#x00E9; &nbsp;x\n",
    "plain heading": "## A plain heading\n\nBody text.\n",
    "plain heading after blank lines": "\n\n# Title here\n\nbody\n",
    "heading with closing hashes": "# Title #\n\nbody\n",
    "heading with emphasis": "# Using *Satchel*\n\nBody.\n",
    "heading that is a link": "# [Guide](x.md)\n\nBody.\n",
    "heading with an entity": "# Caf&eacute; guide\n\nBody.\n",
    "setext heading": "Title line\n==========\n\nbody\n",
    "empty first heading": "#\n\n## Real title\n",
    "bullets and emphasis": "- item *one*\n- item `two`\n* ***three*** and __four__ and _five_\n",
    "autolink": "Visit <https://example.org/path> now.\n",
    "hard break": "line one\\\nline two\n",
    "strikethrough and table-like text": "~~gone~~ text\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    "html block": "<div>\nhtml words\n</div>\n",
    "Arabic page": ARABIC_PAGE,
    "Chinese page": CHINESE_PAGE,
}


def assert_same_index(markdown: str) -> None:
    full_title, full_text = title_and_text(markdown)
    fast_title, fast_text = index_fields(markdown)
    assert fast_title == full_title
    assert sorted(index_text(fast_text).split()) == sorted(index_text(full_text).split())


@pytest.mark.parametrize("page", STARTER_PAGES,
                         ids=lambda p: str(p.relative_to(_ROOT / "content_packs" / "default")))
def test_index_fields_matches_the_full_parse_on_every_starter_page(page: Path) -> None:
    assert_same_index(page.read_text(encoding="utf-8"))


def test_there_are_starter_pages_to_compare() -> None:
    assert len(STARTER_PAGES) >= 10


@pytest.mark.parametrize("name", list(INDEX_SAMPLES))
def test_index_fields_matches_the_full_parse_on_crafted_samples(name: str) -> None:
    assert_same_index(INDEX_SAMPLES[name])


def test_index_fields_drops_what_a_reader_never_sees() -> None:
    _, text = index_fields(INDEX_SAMPLES["inline link with a title"] + INDEX_SAMPLES["reference definition"]
                           + INDEX_SAMPLES["fenced code with an info string"])
    tokens = set(index_text(text).split())
    assert {"see", "guide", "now", "text", "print", "hello", "world"} <= tokens
    assert not tokens & {"https", "hidden", "example", "python", "org"}
    _, text = index_fields(INDEX_SAMPLES["emphasis inside an Arabic word"])
    assert "وبقيت" in text and "*" not in text


@pytest.mark.parametrize(("markdown", "title"), [
    ("# Using *Satchel*\n\nBody.\n", "Using Satchel"),
    ("# [Guide](x.md)\n\nBody.\n", "Guide"),
    ("# Caf&eacute; guide\n", "Café guide"),
    ("# `code` title\n", "code title"),
    ("# Title #\n", "Title"),
    ("#\n\n## Real title\n", "Real title"),
    ("  # Indented   plain title  \n\nBody\n", "Indented plain title"),
])
def test_index_fields_title_falls_back_to_the_full_parse_for_markup(markdown: str, title: str) -> None:
    assert index_fields(markdown)[0] == title == title_and_text(markdown)[0]


@pytest.mark.parametrize("markdown", [
    "Just a paragraph.\n\nAnother one.\n",
    "",
    "\n\n",
    "    # indented code, not a heading\n",
    "```\n# in a fence\n```\n",
    "#hashtag is not a heading\n",
])
def test_title_less_page_has_no_title_from_either(markdown: str) -> None:
    assert title_and_text(markdown)[0] is None
    assert index_fields(markdown)[0] is None
    assert_same_index(markdown)


# Syntax outside code where a careless fast path would index other words than the full
# parse does.
INDEX_EDGE_CASES = {
    "full reference link": "See [the site][label].\n\n[label]: http://example.org/hidden\n",
    "full reference link, label defined in other case": "See [it][The  Label].\n\n[the label]: /x\n",
    "undefined reference label is text": "See [the site][nowhere] and ]: here.\n",
    "escaped brackets": "Not a \\[link\\](target) here.\n",
    "number at the start of a continuation line": "The year was\n1984. A good year.\n",
    "one may interrupt a paragraph": "Steps:\n1. first\n2. second\n3) third\n",
    "list after a blank line": "Intro.\n\n7. seventh\n8. eighth\n",
    "list items in a quote": "> 1. quoted\n> 2. items\n",
}


@pytest.mark.parametrize("name", list(INDEX_EDGE_CASES))
def test_index_fields_matches_the_full_parse_on_other_syntax_outside_code(name: str) -> None:
    assert_same_index(INDEX_EDGE_CASES[name])
