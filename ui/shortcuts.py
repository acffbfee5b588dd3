"""The one registry of Satchel's keyboard shortcuts: it makes the menu actions, the
tooltips, the Help > Keyboard shortcuts sheet and the table in docs/user-guide.md.

Adding a shortcut (other parts of the app, e.g. find in page, open a pack file, sync):
1. Add a `Shortcut` to `SHORTCUTS`: a name, its keys in portable text as QKeySequence
   reads them (the first is the one shown), a label (`N_("...")`), the group it is
   listed under in the sheet, its scope, and the menu it appears in (or None).
   Scopes:
   - "app": caught by the application's event filter (ui/appfilter.py), so it works
     with any dialog open (Lock, the panic keys). Keep this to safety actions.
   - "window": an action of the main window (ui/menubar.py), active wherever the focus
     is in the main window; give it a handler and an "enabled" test in
     `MenuBar._handlers`.
   - "widget": a widget binds it to itself with `bind(widget, name, slot)`; it works
     while the focus is in that widget (Escape in the reader).
   - "info": standard keys, only listed in the sheet.
   - "claim": the keys of a "window" shortcut (named by `claims`) that a widget takes
     over while it has the focus, listed in the sheet under their own label (find in
     page on Ctrl+F). See 2.
2. A widget that wants a "window" key for itself while it has the focus (the reader's
   find in page on Ctrl+F) implements `handle_shortcut(name: str) -> bool`, where
   `name` is the window shortcut's; `dispatch` asks the focused widget and its parents
   first, and the window's handler runs only if none of them returns True. Declare it
   as a "claim" with the same keys. Other keys must stay unique
   (tests/ui/test_keyboard.py).
3. Translate the label in the six catalogs, and update the user guide's table with
   `python -m ui.shortcuts` (a test compares them).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from ui.i18n import N_, tr
from ui.qt import QAction, QApplication, QKeySequence, QShortcut, Qt, QWidget

SAFETY, EVERYWHERE, READING, MOVING = N_("Safety"), N_("Everywhere"), N_("Reading"), N_("Moving around")
GROUPS = (SAFETY, EVERYWHERE, READING, MOVING)
MENUS = {"satchel": N_("&Satchel"), "reading": N_("&Reading"), "help": N_("&Help")}


@dataclass(frozen=True)
class Shortcut:
    name: str
    keys: tuple[str, ...]  # portable text ("Ctrl+L"); empty for menu-only actions
    label: str  # N_ source text
    group: str
    scope: str  # "app", "window", "widget", "info"
    menu: str | None = None
    keys_label: str | None = None  # N_ text shown instead of keys ("Alt + underlined letter")
    claims: str | None = None  # scope "claim": the "window" shortcut whose keys it takes over


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("wipe", ("Ctrl+Shift+Del",), N_("Wipe everything now"), SAFETY, "app", "satchel"),
    Shortcut("lock", ("Ctrl+L",), N_("Lock Satchel"), SAFETY, "app", "satchel"),
    Shortcut("library", ("Alt+Home",), N_("Show the library"), EVERYWHERE, "window", "satchel"),
    Shortcut("search", ("Ctrl+F",), N_("Search the library"), EVERYWHERE, "window", "satchel"),
    Shortcut("results", ("Alt+Left",), N_("Back to the search results"), EVERYWHERE, "window", "satchel"),
    Shortcut("usb", ("Ctrl+I",), N_("USB stick: import, copy, check"), EVERYWHERE, "window", "satchel"),
    Shortcut("sync", ("Ctrl+Shift+T",), N_("Sync over Tor"), EVERYWHERE, "window", "satchel"),
    Shortcut("share", ("Ctrl+Shift+S",), N_("Share packs over Tor"), EVERYWHERE, "window", "satchel"),
    Shortcut("settings", ("Ctrl+,",), N_("Settings"), EVERYWHERE, "window", "satchel"),
    Shortcut("quit", ("Ctrl+Q",), N_("Lock and quit Satchel"), EVERYWHERE, "window", "satchel"),
    Shortcut("help", ("F1",), N_("Keyboard shortcuts"), EVERYWHERE, "window", "help"),
    Shortcut("about", (), N_("About Satchel"), EVERYWHERE, "window", "help"),
    Shortcut("prev_page", ("Ctrl+PgUp",), N_("Previous page"), READING, "window", "reading"),
    Shortcut("next_page", ("Ctrl+PgDown",), N_("Next page"), READING, "window", "reading"),
    Shortcut("bookmark", ("Ctrl+D",), N_("Bookmark this page"), READING, "window", "reading"),
    Shortcut("note", ("Ctrl+N",), N_("Private note on this page"), READING, "window", "reading"),
    Shortcut("done", ("Ctrl+M",), N_("Mark this page as done"), READING, "window", "reading"),
    Shortcut("overview", ("Ctrl+B",), N_("Notes and bookmarks in this pack"), READING, "window", "reading"),
    Shortcut("larger", ("Ctrl++", "Ctrl+="), N_("Larger text"), READING, "window", "reading"),
    Shortcut("smaller", ("Ctrl+-",), N_("Smaller text"), READING, "window", "reading"),
    Shortcut("find", ("Ctrl+F",), N_("Find in this page"), READING, "claim", claims="search"),
    Shortcut("find_next", ("F3",), N_("Next match"), READING, "widget"),
    Shortcut("find_prev", ("Shift+F3",), N_("Previous match"), READING, "widget"),
    Shortcut("back", ("Esc",), N_("Back to the library"), READING, "widget"),
    Shortcut("next_control", ("Tab",), N_("Next control"), MOVING, "info"),
    Shortcut("prev_control", ("Shift+Tab",), N_("Previous control"), MOVING, "info"),
    Shortcut("mnemonic", (), N_("Press a button or open a menu"), MOVING, "info",
             keys_label=N_("Alt + underlined letter")),
    Shortcut("activate", ("Return",), N_("Open the selected item"), MOVING, "info"),
    Shortcut("press", ("Space",), N_("Press the focused button or tick a box"), MOVING, "info"),
)
BY_NAME = {s.name: s for s in SHORTCUTS}


def sequences(name: str) -> list[QKeySequence]:
    return [QKeySequence(k) for k in BY_NAME[name].keys]


def keys_text(name: str, native: bool = True) -> str:
    """The keys of `name` as people read them ("Ctrl+L"; "⌘L" on a Mac when native)."""
    s = BY_NAME[name]
    if s.keys_label:
        return tr(s.keys_label)
    fmt = QKeySequence.SequenceFormat.NativeText if native else QKeySequence.SequenceFormat.PortableText
    return ", ".join(QKeySequence(k).toString(fmt) for k in s.keys)


def _ltr(text: str) -> str:
    return f"\u2066{text}\u2069"  # keys read left to right inside an Arabic sentence


def tip(name: str, text: str | None = None) -> str:
    """A tooltip that names the action and its keys: "Lock Satchel (Ctrl+L)"."""
    action = text if text is not None else tr(BY_NAME[name].label)
    keys = keys_text(name)
    return tr("{action} ({keys})", action=action, keys=_ltr(keys)) if keys else action


def rows() -> list[tuple[str, list[tuple[str, str, bool]]]]:
    """The sheet's content: (group, [(action, keys, keys are key names?)]) in the
    interface language (False: a translated sentence such as "Alt + underlined letter")."""
    out = []
    for group in GROUPS:
        items = [
            (tr(s.label), keys_text(s.name), s.keys_label is None)
            for s in SHORTCUTS
            if s.group == group and keys_text(s.name)
        ]
        out.append((tr(group), items))
    return out


def dispatch(name: str, handler: Callable[[], object]) -> None:
    """Run `name`: first offered to the focused widget and its parents, then `handler`."""
    w = QApplication.focusWidget()
    while w is not None:
        claim = getattr(w, "handle_shortcut", None)
        if callable(claim) and claim(name):
            return
        w = w.parentWidget()
    handler()


def make_action(parent: QWidget, name: str, handler: Callable[[], object]) -> QAction:
    """A main-window action for `name`: its label, keys, tooltip; runs through `dispatch`."""
    s = BY_NAME[name]
    action = QAction(tr(s.label), parent)
    action.setObjectName(f"action-{name}")
    action.setShortcuts(sequences(name))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setToolTip(tip(name))
    action.setStatusTip("")
    action.triggered.connect(lambda _checked=False: dispatch(name, handler))
    parent.addAction(action)
    return action


def bind(widget: QWidget, name: str, slot: Callable[[], object]) -> list[QShortcut]:
    """Keys of a "widget" shortcut, active while the focus is inside `widget`."""
    made = []
    for seq in sequences(name):
        sc = QShortcut(seq, widget)
        sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        sc.activated.connect(slot)
        made.append(sc)
    return made


def markdown() -> str:
    """The user guide's table (English, portable key names)."""
    lines = ["| Keys | Action |", "| --- | --- |"]
    for group in GROUPS:
        lines.append(f"| **{group}** | |")
        for s in SHORTCUTS:
            if s.group != group:
                continue
            keys = s.keys_label or ", ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.PortableText)
                                             for k in s.keys)
            if keys:
                lines.append(f"| {keys} | {s.label} |")
    return "\n".join(lines)


GUIDE_START = "<!-- shortcuts: generated by `python -m ui.shortcuts`; keep in sync -->"
GUIDE_END = "<!-- end of shortcuts -->"

if __name__ == "__main__":
    sys.stdout.write(f"{GUIDE_START}\n{markdown()}\n{GUIDE_END}\n")
