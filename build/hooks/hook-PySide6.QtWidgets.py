# Satchel's hook for PySide6.QtWidgets: PyInstaller's own, without the Qt plugins and
# translations the app does not use (build/qt_parts.py says which it keeps).
from PyInstaller.utils.hooks.qt import add_qt6_dependencies
from qt_parts import filter_hook

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries, datas = filter_hook(binaries, datas)
