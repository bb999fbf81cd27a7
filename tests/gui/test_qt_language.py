"""Qt's own words follow the app's language: the Cancel of every dialog, the file
chooser, the names of shortcuts. A Portuguese app shows no English button."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListView,
    QMessageBox,
    QTreeView,
)
from pytestqt.qtbot import QtBot

from app import i18n
from app.ui import file_chooser
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
        assert labels == ["Procurar em:", "Nome do arquivo:", "Arquivos do tipo:"]
        question = QMessageBox(QMessageBox.Icon.Question, "x", "y",
                               QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        qtbot.addWidget(question)
        assert {b.text().replace("&", "") for b in question.buttons()} == {"Sim", "Não"}
    finally:
        i18n.set_language("en")
    buttons, shortcut, labels = qt_words(qtbot)
    assert "Cancel" in buttons and shortcut == "Ctrl+Left"
    assert labels == ["Look in:", "File name:", "Files of type:"]


def test_the_file_chooser_cuts_no_column_at_a_laptops_width(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    folder = tmp_path / "planilhas"
    folder.mkdir()
    (folder / "sessoes-2026-11-30.csv").write_text("a\n", encoding="utf-8")
    seen: dict[str, object] = {}

    def look() -> None:
        chooser = QApplication.activeModalWidget()
        assert isinstance(chooser, QFileDialog)
        QTimer.singleShot(6000, chooser.reject)  # a failed look does not hang the run
        details = chooser.findChild(QTreeView, "treeView")
        chooser.setViewMode(QFileDialog.ViewMode.Detail)
        qtbot.waitUntil(lambda: details.model().rowCount(details.rootIndex()) == 1)
        header = details.header()
        seen["cut"] = [
            header.model().headerData(c, Qt.Orientation.Horizontal)
            for c in range(header.count())
            if header.sectionSize(c) < max(header.sectionSizeHint(c),
                                           details.sizeHintForColumn(c))]
        places = chooser.findChild(QListView, "sidebar")
        seen["places cut"] = places.viewport().width() < places.sizeHintForColumn(0)
        seen["width"] = chooser.width()
        chooser.reject()

    i18n.set_language("pt_BR")
    try:
        QTimer.singleShot(300, look)
        assert file_chooser.open_path(window, "Importar", str(folder), "CSV (*.csv)") == ""
    finally:
        i18n.set_language("en")
    assert seen == {"cut": [], "places cut": False, "width": file_chooser.SIZE[0]}
