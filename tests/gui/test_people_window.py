"""A clinic's computers say who uses them: the receptionist chooses herself in
File › Who is using this computer…, the status bar says who and the role, and a
session's window says its internal notes are the professional's instead of
showing them (or an empty field); completing a session there does not offer them.
The professional, choosing herself, reads them again."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QComboBox, QInputDialog, QLabel
from pytestqt.qtbot import QtBot

from app.services import catalog, config, queries, scheduling
from app.services.practice import Practice
from app.ui.dialogs import CompleteDialog
from app.ui.main_window import MainWindow
from tests.conftest import local
from tests.gui.conftest import status_of
from tests.gui.test_panel import open_panel, panel_action

NOTES = "Relata melhora do sono; retomar o tema da mudança."


def choose(qtbot: QtBot, w: MainWindow, who: str) -> list[str]:
    """File › Who is using this computer…, then `who` chosen in the list offered."""
    offered: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QInputDialog)
        combo = dialog.findChild(QComboBox)
        offered.extend(combo.itemText(i) for i in range(combo.count()))
        assert not combo.isEditable()  # a person of the practice, not any text
        combo.setCurrentIndex(offered.index(who))
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    [action] = [a for a in w.actions() if a.text() == "Who is using this computer…"]
    QTimer.singleShot(300, answer)
    action.trigger()
    qtbot.waitUntil(lambda: w.user_label.text() == f"Using: {who}", timeout=5000)
    return offered


def test_reception_sees_the_session_not_the_professionals_notes(
        qtbot: QtBot, window: MainWindow, practice: Practice,
        seeded: dict[str, int]) -> None:
    w = window
    staff = catalog.list_staff(practice)[0]
    catalog.rename_staff(practice, staff.id, "Ana Lima")
    config.set_value(practice, "team.reception", "Carla")
    practice.clock.set(local("2026-11-20T15:00"))  # type: ignore[attr-defined]
    scheduling.complete(practice, seeded["today"], internal_notes=NOTES)

    offered = choose(qtbot, w, "Carla — reception")
    assert offered == ["Ana Lima — professional", "Carla — reception"]
    assert w.practice.actor == "Carla"

    panel = open_panel(qtbot, w, seeded["today"])
    assert panel.fields["internal"].text() == "Visible only to the professional"
    assert NOTES not in " ".join(panel.history.item(i).text()
                                 for i in range(panel.history.count()))
    panel.close()

    # Completing Monday's session here: the price, and no notes field to fill.
    practice.clock.set(local("2026-11-23T12:00"))  # type: ignore[attr-defined]
    panel = open_panel(qtbot, w, seeded["monday"])
    qtbot.mouseClick(panel.buttons[panel_action("COMPLETE")], Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert isinstance(dialog, CompleteDialog)
    assert dialog.notes is None
    assert "Internal notes" not in [label.text() for label in dialog.findChildren(QLabel)]
    qtbot.keyClicks(dialog.price, "180,00")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, seeded["monday"]) == "completed", timeout=3000)
    done = queries.show(practice, seeded["monday"])
    assert done.actual_price_cents == 18000 and done.history[-1].actor == "Carla"
    assert "internal_notes" not in done.history[-1].changes  # nothing written over
    qtbot.waitUntil(lambda: panel.fields["internal"].text() ==
                    "Visible only to the professional", timeout=3000)
    panel.close()

    # The professional, at the same computer, reads her notes.
    choose(qtbot, w, "Ana Lima — professional")
    assert w.practice.person is not None and w.practice.person.staff_id == staff.id
    panel = open_panel(qtbot, w, seeded["today"])
    assert panel.fields["internal"].text() == NOTES


def test_a_shared_practices_computer_that_has_not_said_reads_no_notes(
        qtbot: QtBot, window: MainWindow, practice: Practice,
        seeded: dict[str, int]) -> None:
    """Opened in a practice of several people, the window asks who is here; left
    unanswered, it is nobody's: the notes stay the professional's."""
    w = window
    catalog.rename_staff(practice, catalog.list_staff(practice)[0].id, "Ana Lima")
    config.set_value(practice, "team.reception", "Carla")
    practice.clock.set(local("2026-11-20T15:00"))  # type: ignore[attr-defined]
    scheduling.complete(practice, seeded["today"], internal_notes=NOTES)
    asked: list[str] = []

    def dismiss() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QInputDialog)
        asked.append(dialog.windowTitle())
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    QTimer.singleShot(300, dismiss)
    w.start()
    qtbot.waitUntil(lambda: asked == ["Who is using this computer"], timeout=5000)
    assert w.user_label.text() == "Who is using this computer? (File menu)"
    panel = open_panel(qtbot, w, seeded["today"])
    assert panel.fields["internal"].text() == "Visible only to the professional"
