"""Which parts of Qt the bundle keeps: read by build/hooks/ (PyInstaller hooks) and by
build/satchel.spec. Satchel's interface uses QtCore, QtGui and QtWidgets, and QtDBus for
the session-lock signals; everything else Qt ships (QtNetwork, QML, SVG, OpenGL
integrations, GTK's theme, printing) stays out, so it can neither run nor weigh."""

from __future__ import annotations

import os

# Qt's Python modules the app imports (ui/qt.py, ui/platform_lock.py).
MODULES = ("QtCore", "QtGui", "QtWidgets", "QtDBus")

# Plugins, by type: the platforms Satchel runs on (X11, Wayland, offscreen for the
# self-test), input methods (typing Arabic or Chinese through IBus), the desktop portal
# theme, and the image formats packs may carry (PNG is built into QtGui).
PLUGINS: dict[str, set[str]] = {
    "platforms": {"libqxcb.so", "libqwayland.so", "libqoffscreen.so", "qwindows.dll", "libqcocoa.dylib"},
    "platforminputcontexts": {"libcomposeplatforminputcontextplugin.so", "libibusplatforminputcontextplugin.so"},
    "platformthemes": {"libqxdgdesktopportal.so"},
    "imageformats": {"libqjpeg.so", "libqgif.so", "libqwebp.so", "qjpeg.dll", "qgif.dll", "qwebp.dll",
                     "libqjpeg.dylib", "libqgif.dylib", "libqwebp.dylib"},
    "wayland-shell-integration": {"libxdg-shell.so"},
    "wayland-decoration-client": {"libbradient.so"},
    "styles": {"qwindowsvistastyle.dll", "libqmacstyle.dylib"},
}

# Qt's own dialogs in the interface languages (ui/i18n.py loads qtbase_<lang>).
TRANSLATIONS = {f"qtbase_{lang}.qm" for lang in ("ar", "es", "fa", "fr", "ru", "zh_CN")}


def keep_plugin(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    if "plugins" not in parts:
        return True
    i = parts.index("plugins")
    kind = parts[i + 1] if len(parts) > i + 2 else ""
    return os.path.basename(path) in PLUGINS.get(kind, set())


def keep_translation(path: str) -> bool:
    if not path.endswith(".qm"):
        return True
    return os.path.basename(path) in TRANSLATIONS


def filter_hook(binaries: list[tuple[str, str]], datas: list[tuple[str, str]]) -> tuple[list, list]:
    """A Qt hook's (src, dest) lists without the plugins and translations Satchel drops."""
    return ([b for b in binaries if keep_plugin(b[0])], [d for d in datas if keep_translation(d[0])])
