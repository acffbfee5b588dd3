"""The Qt binding itself: PySide6 6.12.0 on Python 3.11 released a reference to None on
every QTreeWidgetItem.setData/addChild, so the app crashed ("deallocating None") after a
few thousand outline rows. This guards the pinned version against that regression."""

from __future__ import annotations

import gc
import sys
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem


def test_common_item_calls_keep_none_alive(qapp: Any) -> None:
    tree = QTreeWidget()
    top = QTreeWidgetItem(["top"])
    tree.addTopLevelItem(top)
    calls = 2000
    gc.collect()
    before = sys.getrefcount(None)
    for _ in range(calls):
        item = QTreeWidgetItem(["row"])
        item.setData(0, Qt.ItemDataRole.UserRole, "pages/a.md")
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        top.addChild(item)
    # Other threads move None's count a little; the bug took two references per row.
    assert sys.getrefcount(None) - before > -calls // 4
