"""High contrast and focus: WCAG 2.x contrast measured on the real palette and on the
pixels of real widgets, in every state (normal, hover, focus, disabled, checked and
unchecked, links, selected rows, toggles on and off); a focus ring that stands out;
headings that grow with the text size."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pixels import at, changed, grab, ground_and_ink, histogram, text_contrast

from ui import contrast, theme
from ui.contrast import TEXT_MIN, UI_MIN, ratio
from ui.qt import (
    QApplication,
    QCheckBox,
    QColor,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPalette,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QRect,
    Qt,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from ui.widgets import heading, label

R = QPalette.ColorRole


def test_wcag_formula() -> None:
    black, white = QColor("#000000"), QColor("#ffffff")
    assert ratio(black, white) == pytest.approx(21.0)
    assert ratio(white, white) == pytest.approx(1.0)
    assert ratio(QColor("#767676"), white) == pytest.approx(4.54, abs=0.01)  # the classic AA grey
    assert ratio(QColor("#777777"), white) < TEXT_MIN
    assert contrast.luminance(QColor("#ff0000")) == pytest.approx(0.2126)


def test_high_contrast_palette_passes_aa_in_every_state() -> None:
    assert contrast.palette_failures(theme.high_contrast_palette()) == []
    # Before: links were dark blue on black, and borders derived from black were black.
    broken = theme.high_contrast_palette()
    broken.setColor(R.Link, QColor(0, 0, 255))
    assert any("links" in f for f in contrast.palette_failures(broken))


@pytest.fixture
def panel(qtbot: Any) -> Iterator[dict[str, Any]]:
    theme.apply(100, True)
    root = QWidget()
    qtbot.addWidget(root)
    col = QVBoxLayout(root)
    w: dict[str, Any] = {"root": root}
    w["label"] = label("Body text of a label")
    w["button"] = QPushButton("Button")
    w["disabled"] = QPushButton("Disabled")
    w["disabled"].setEnabled(False)
    w["toggle"] = QPushButton("Bookmark")
    w["toggle"].setCheckable(True)
    w["check"] = QCheckBox("A check box")
    w["radio"] = QRadioButton("A radio button")
    w["field"] = QLineEdit("typed text")
    w["placeholder"] = QLineEdit()
    w["placeholder"].setPlaceholderText("Placeholder text")
    w["combo"] = QComboBox()
    w["combo"].addItems(["First choice", "Second"])
    w["tree"] = QTreeWidget()
    w["tree"].setHeaderHidden(True)
    for i in range(4):
        QTreeWidgetItem(w["tree"], [f"Row number {i}"])
    w["meter"] = QProgressBar()
    w["meter"].setRange(0, 5)
    w["meter"].setValue(2)
    w["meter"].setTextVisible(False)
    row = QHBoxLayout()
    for k in ("button", "disabled", "toggle"):
        row.addWidget(w[k])
    col.addWidget(w["label"])
    col.addLayout(row)
    for k in ("check", "radio", "field", "placeholder", "combo", "tree", "meter"):
        col.addWidget(w[k])
    root.resize(520, 520)
    root.show()
    root.activateWindow()
    qtbot.waitUntil(root.isActiveWindow)
    QApplication.processEvents()
    yield w


def inner(widget: QWidget, margin: int = 5) -> QRect:
    return widget.rect().adjusted(margin, margin, -margin, -margin)


def test_text_and_controls_measured_on_screen(panel: dict[str, Any], qtbot: Any) -> None:
    window = QApplication.palette().color(R.Window)
    results: list[tuple[str, float, float]] = []

    def measure(what: str, value: float, minimum: float) -> None:
        results.append((what, value, minimum))

    measure("label text", text_contrast(panel["label"]), TEXT_MIN)
    for key in ("button", "disabled"):
        b = panel[key]
        measure(f"{key} text", text_contrast(b, inner(b)), TEXT_MIN)
        measure(f"{key} border", ratio(at(grab(b), 0, b.height() // 2), window), UI_MIN)
    b = panel["button"]
    b.setAttribute(Qt.WidgetAttribute.WA_UnderMouse, True)  # hover
    measure("hovered button text", text_contrast(b, inner(b)), TEXT_MIN)
    measure("hovered button border", ratio(at(grab(b), 1, b.height() // 2), window), UI_MIN)
    b.setAttribute(Qt.WidgetAttribute.WA_UnderMouse, False)

    t = panel["toggle"]
    off = grab(t)
    t.setChecked(True)
    on = grab(t)
    measure("toggle on vs off", ratio(at(on, 4, 4), at(off, 4, 4)), UI_MIN)
    measure("toggle on text", text_contrast(t, inner(t)), TEXT_MIN)

    for key in ("check", "radio"):
        box = panel[key]
        h = box.height()
        square = QRect(0, 0, h + 4, h)
        ground, ink = ground_and_ink(grab(box), square)
        measure(f"unchecked {key} outline", ratio(ground, ink), UI_MIN)
        before = grab(box)
        box.setChecked(True)
        after = grab(box)
        mark = [p for p in changed(before, after) if square.contains(*p)]
        assert mark, f"checking the {key} changed nothing"
        measure(f"{key} mark", max(ratio(at(after, *p), at(before, *p)) for p in mark), UI_MIN)
        measure(f"{key} label", text_contrast(box, box.rect().adjusted(h + 6, 0, 0, 0)), TEXT_MIN)

    for key in ("field", "placeholder", "combo"):
        f = panel[key]
        image = grab(f)
        measure(f"{key} border", ratio(at(image, 0, f.height() // 2), window), UI_MIN)
        measure(f"{key} text", text_contrast(f, inner(f, 6)), TEXT_MIN)

    tree = panel["tree"]
    tree.setCurrentItem(tree.topLevelItem(1))
    rect = tree.visualItemRect(tree.topLevelItem(1))
    ground, ink = ground_and_ink(grab(tree.viewport()), rect)
    measure("selected row", ratio(ground, ink), TEXT_MIN)
    assert ground.rgb() == QApplication.palette().color(R.Highlight).rgb()

    meter = panel["meter"]
    ground, ink = ground_and_ink(grab(meter), inner(meter, 3))
    measure("meter chunk", ratio(ground, ink), UI_MIN)

    failures = [f"{what}: {value:.2f} < {minimum}" for what, value, minimum in results if value < minimum]
    assert not failures, failures
    assert t.sizeHint().width() > QPushButton("Bookmark").sizeHint().width()  # room for the ✓


@pytest.mark.parametrize("key", ["button", "toggle", "check", "field", "combo", "tree"])
@pytest.mark.parametrize("high_contrast", [True, False])
def test_focus_ring_is_thick_and_stands_out(panel: dict[str, Any], qtbot: Any, key: str, high_contrast: bool) -> None:
    theme.apply(100, high_contrast)
    QApplication.processEvents()
    w = panel[key]
    if key == "toggle":
        w.setChecked(True)  # on a filled button too
    panel["label"].setFocus()
    QApplication.processEvents()
    before = grab(w)
    w.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(w.hasFocus)
    QApplication.processEvents()
    after = grab(w)
    diff = changed(before, after)
    perimeter = 2 * (w.width() + w.height())
    assert len(diff) >= perimeter * 1.6, f"focus changed {len(diff)} pixels, a 2 px ring needs {perimeter * 2}"
    ring = histogram(after, None)
    pal = QApplication.palette()
    focus = contrast.focus_colour(pal)
    assert ring[focus.rgb() & 0xFFFFFF] >= perimeter, "the ring is not drawn in the focus colour"
    for role in (R.Window, R.Base, R.Button):
        assert ratio(focus, pal.color(role)) >= UI_MIN, role
    if key == "toggle":
        inner_line = at(after, 2, after.height() // 2)
        assert ratio(inner_line, focus) >= UI_MIN


def test_links_recoloured_when_the_theme_changes(qtbot: Any) -> None:
    browser = QTextBrowser()
    qtbot.addWidget(browser)
    browser.setHtml(
        '<h2><a name="part"></a>Part</h2><h3 id="more">More</h3>'
        '<p>Read <a href="satchel-page:x">this linked page of the guide</a> now.</p>'
    )
    browser.resize(500, 120)
    browser.show()
    theme.apply(100, True)  # after the page was laid out: before, links stayed dark blue
    QApplication.processEvents()
    link = QApplication.palette().color(R.Link)
    assert ratio(link, QApplication.palette().color(R.Base)) >= TEXT_MIN
    counts = histogram(grab(browser.viewport()))
    assert counts[link.rgb() & 0xFFFFFF] >= 20, "the link is not drawn in the palette's link colour"
    assert counts[QColor(0, 0, 255).rgb() & 0xFFFFFF] == 0
    # A heading's anchor name is not a link: it keeps the text colour.
    block = browser.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if not fmt.anchorHref():
                assert fmt.foreground().color() != link, it.fragment().text()
            it += 1
        block = block.next()


@pytest.mark.parametrize("scale", [100, 150, 200])
def test_headings_grow_with_the_text_size(unlocked: Any, qtbot: Any, scale: int) -> None:
    theme.apply(scale, False)
    QApplication.processEvents()
    body = QApplication.font().pointSizeF()
    lib = unlocked.view.library
    headings = [h for h in lib.findChildren(type(heading("x"))) if h.isVisible()]
    assert headings
    for h in headings:
        assert h.font().pointSizeF() >= body * 1.2, (h.text(), h.font().pointSizeF(), body)
    made_now = heading("New", level=1)
    assert made_now.font().pointSizeF() == pytest.approx(body * 1.6)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_panels_keep_all_four_borders(unlocked: Any, qtbot: Any, lang: str) -> None:
    """Right to left, the library's panels lost their right border."""
    from uihelp import wait_idle

    from ui import i18n

    w = unlocked
    if lang != "en":
        i18n.set_language(lang)
        w._retranslate()
        w._show_session()
        wait_idle(qtbot, w)
    lib = w.view.library
    QApplication.processEvents()
    window = QApplication.palette().color(R.Window)
    for panel in (lib.tree, lib.marks):
        image = grab(panel)
        width, height = image.width(), image.height()
        edges = {
            "left": at(image, 0, height // 2),
            "right": at(image, width - 1, height // 2),
            "top": at(image, width // 2, 0),
            "bottom": at(image, width // 2, height - 1),
        }
        for side, c in edges.items():
            assert ratio(c, window) >= UI_MIN, (panel.accessibleName(), side, c.name())
