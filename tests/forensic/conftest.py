"""The forensic tests' helpers live beside them (disk_image.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import os  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
