"""The Qt binding must not leak references: some PySide6 releases decrement
None's reference count on every call of a void method, which brings a long
session down ("deallocating None")."""

from __future__ import annotations

import sys

from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot


def test_void_calls_keep_none_alive(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    font = QFont()
    before = sys.getrefcount(None)
    for _ in range(200):
        font.setPointSize(9)
        label.setText("x")
        QColor("red").setAlpha(3)
    assert sys.getrefcount(None) - before > -50
