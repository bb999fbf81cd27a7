"""Qt's own words follow the app's language: the Cancel of every dialog, the file
chooser, the names of shortcuts. A Portuguese app shows no English button."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from app import i18n
from app.ui.main_window import MainWindow

LEFT = QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_Left)


def qt_words(qtbot: QtBot) -> tuple[list[str], str, list[str]]:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel |
                           QDialogButtonBox.StandardButton.Open)
    chooser = QFileDialog()
    chooser.setOption(QFileDialog.Option.DontUseNativeDialog)
    qtbot.addWidget(box)
    qtbot.addWidget(chooser)
    return ([b.text().replace("&", "") for b in box.buttons()],
            LEFT.toString(QKeySequence.SequenceFormat.NativeText),
            [x.text().replace("&", "") for x in chooser.findChildren(QLabel)])


def test_qt_speaks_the_apps_language_and_switches_with_it(qtbot: QtBot,
                                                          window: MainWindow) -> None:
    i18n.set_language("pt_BR")
    try:
        buttons, shortcut, labels = qt_words(qtbot)
        assert "Cancelar" in buttons and "Cancel" not in buttons
        assert shortcut == "Ctrl+Esquerda"
        assert "Nome do arquivo:" in labels
        question = QMessageBox(QMessageBox.Icon.Question, "x", "y",
                               QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        qtbot.addWidget(question)
        assert {b.text().replace("&", "") for b in question.buttons()} == {"Sim", "Não"}
    finally:
        i18n.set_language("en")
    buttons, shortcut, labels = qt_words(qtbot)
    assert "Cancel" in buttons and shortcut == "Ctrl+Left" and "File name:" in labels
