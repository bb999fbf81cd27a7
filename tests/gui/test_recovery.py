"""A damaged or foreign database at start-up: the window says what was found,
lists the copies in the backups folder and puts the chosen one in place, keeping
the damaged file aside."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from app.services import backups, clients
from app.services.errors import DatabaseDamaged
from app.services.paths import DataPaths
from app.services.practice import Practice, open_practice
from app.ui.recovery_dialog import RecoveryDialog
from tests.conftest import add_client
from tests.unit.test_restore import tampered


def damaged(practice: Practice) -> tuple[DataPaths, str]:
    add_client(practice)
    backups.backup(practice, practice.paths.backups)
    root = tampered(practice, "CREATE TRIGGER forget AFTER INSERT ON appointment "
                              "BEGIN DELETE FROM audit_event; END;")
    with pytest.raises(DatabaseDamaged) as refused:
        open_practice(root, logging_on=False)
    return DataPaths(root), str(refused.value)


def test_the_window_offers_the_copies_and_restores_one(qtbot: QtBot, practice: Practice) -> None:
    paths, problem = damaged(practice)
    dialog = RecoveryDialog(paths, problem)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "trigger forget" in problem and dialog.table.rowCount() == 1
    assert dialog.table.item(0, 1).text() == "Made by hand"
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=5000)
    assert dialog.kept_at.name.startswith("damaged-")
    reopened = open_practice(paths.root, logging_on=False)
    assert [c.name for c in clients.search(reopened)] == ["Maria Silva"]
    assert [k.kind for k in backups.copies(reopened)].count(backups.CopyKind.DAMAGED) == 1
    reopened.close()


def test_a_copy_that_does_not_prove_itself_is_refused_in_words(qtbot: QtBot, practice: Practice,
                                                               tmp_path: Path) -> None:
    paths, problem = damaged(practice)
    for copy in paths.backups.glob("*.sqlite3"):
        copy.write_bytes(b"<b>not</b> a database")
    dialog = RecoveryDialog(paths, problem)
    qtbot.addWidget(dialog)
    dialog.show()
    before = paths.database.read_bytes()
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "is not a Practice Desk database" in dialog.status.text(),
                    timeout=5000)
    assert dialog.isVisible() and paths.database.read_bytes() == before
    qtbot.mouseClick(dialog.findChildren(type(dialog.restore_button))[-1],
                     Qt.MouseButton.LeftButton)  # Quit
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_a_copy_s_time_reads_in_the_practice_s_zone_as_in_the_settings(
        qtbot: QtBot, practice: Practice, monkeypatch: pytest.MonkeyPatch) -> None:
    """The computer's clock says UTC; the practice keeps São Paulo's time: the copy
    made at 05:16 UTC is listed at 02:16, as the settings' backups list shows it."""
    import time as system_time
    from zoneinfo import ZoneInfo

    from app.ui.backups_tab import when_label

    monkeypatch.setenv("TZ", "UTC")
    system_time.tzset()
    try:
        paths, problem = damaged(practice)
        dialog = RecoveryDialog(paths, problem)
        qtbot.addWidget(dialog)
        copy = dialog.copies[0]
        assert dialog.table.item(0, 0).text() == when_label(
            copy.taken.astimezone(ZoneInfo("America/Sao_Paulo")))
        assert dialog.table.item(0, 0).text() != when_label(copy.taken.astimezone())
    finally:
        monkeypatch.undo()
        system_time.tzset()
