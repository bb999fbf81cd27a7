"""Ficha do Cliente › Privacidade: the client's data exported to a file and erased
after a warning, the sessions kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.services import clients
from app.services.practice import Practice
from app.ui import file_chooser
from app.ui.main_window import MainWindow


def test_export_and_erase_from_the_client_file(qtbot: QtBot, window: MainWindow,
                                               practice: Practice, seeded: dict[str, int],
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    file = window.clients.open_client(seeded["maria"])
    qtbot.waitUntil(lambda: file.client is not None, timeout=5000)
    target = tmp_path / "maria.json"
    monkeypatch.setattr(file_chooser, "save_path",
                        lambda *a, **k: (str(target), ""))
    file.privacy_button.menu().actions()[0].trigger()
    qtbot.waitUntil(target.exists, timeout=5000)
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["client"]["name"] == "Maria Silva" and len(data["sessions"]) == 2

    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: answers.pop(0)))
    file.privacy_button.menu().actions()[1].trigger()
    window.tasks.wait()
    assert clients.get(practice, seeded["maria"]).name == "Maria Silva"  # cancelled: unchanged
    file.privacy_button.menu().actions()[1].trigger()
    qtbot.waitUntil(lambda: clients.get(practice, seeded["maria"]).phone is None, timeout=5000)
    qtbot.waitUntil(lambda: file.title.text().startswith(f"#{seeded['maria']}"), timeout=5000)
    assert clients.stats(practice, seeded["maria"]).sessions == 2
