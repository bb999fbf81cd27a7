"""Every drop-down and number field the window makes is one of wheel_guard's, so
a wheel passing over it scrolls the page unless the person clicked or tabbed into
it: none is made from Qt's own class, nor subclasses it directly."""

from __future__ import annotations

import ast
from pathlib import Path

import app.ui

QT_FIELDS = {"QComboBox", "QSpinBox", "QDoubleSpinBox", "QDateEdit", "QTimeEdit",
             "QDateTimeEdit", "QAbstractSpinBox"}
UI = Path(app.ui.__file__).parent


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def unguarded(source: str, where: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _name(node.func) in QT_FIELDS:
            found.append(f"{where}:{node.lineno} makes a {_name(node.func)}")
        if isinstance(node, ast.ClassDef):
            found += [f"{where}:{node.lineno} {node.name} subclasses {_name(b)}"
                      for b in node.bases if _name(b) in QT_FIELDS]
    return found


def test_the_window_makes_only_guarded_fields() -> None:
    found = []
    for path in sorted(UI.rglob("*.py")):
        if path.name == "wheel_guard.py":
            continue
        found += unguarded(path.read_text(encoding="utf-8"), str(path.relative_to(UI)))
    assert found == []


def test_the_check_sees_what_it_looks_for() -> None:
    assert unguarded("from PySide6 import QtWidgets\nx = QtWidgets.QSpinBox()\n", "f") == [
        "f:2 makes a QSpinBox"]
    assert unguarded("class T(QComboBox):\n    pass\n", "f") == ["f:1 T subclasses QComboBox"]
    assert unguarded("x = ComboBox()\ny: QComboBox = x\n", "f") == []
