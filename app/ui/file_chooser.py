"""The file chooser for opening and saving: Qt's dialog, sized so that at a laptop's
width no column (the modified date, the places on the left) is cut. The window's
pages ask here instead of calling QFileDialog's static functions."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QHeaderView, QListView, QTreeView, QWidget

SIZE = (900, 520)  # fits 1280×800 and 1366×768 with the window's edges


def open_path(parent: QWidget | None, title: str, folder: str, filters: str) -> str:
    """The chosen existing file's path, or "" when the person cancelled.
    filters: Qt's form, "Spreadsheets (*.csv *.xlsx);;All files (*)"."""
    dialog = _dialog(parent, title, folder, filters)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    return _chosen(dialog)


def save_path(parent: QWidget | None, title: str, suggested: str,
              filters: str) -> tuple[str, str]:
    """(the path to write, the filter chosen), or ("", "") when the person cancelled;
    Qt asks before replacing a file that exists."""
    dialog = _dialog(parent, title, suggested, filters)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    path = _chosen(dialog)
    return (path, dialog.selectedNameFilter()) if path else ("", "")


def _dialog(parent: QWidget | None, title: str, where: str, filters: str) -> QFileDialog:
    dialog = QFileDialog(parent, title, where, filters)
    dialog.resize(*SIZE)
    _fit_columns(dialog)  # Qt's own dialog only: a desktop's native one has no widgets here
    return dialog


def _fit_columns(dialog: QFileDialog) -> None:
    details = dialog.findChild(QTreeView, "treeView")
    if details is not None:
        header = details.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, header.count()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    places = dialog.findChild(QListView, "sidebar")
    if places is not None:
        places.setMinimumWidth(150)


def _chosen(dialog: QFileDialog) -> str:
    if dialog.exec() != QFileDialog.DialogCode.Accepted:
        return ""
    files = dialog.selectedFiles()
    return files[0] if files else ""
