"""Enter in a client search acts on what is typed, never on the list an earlier
search left on screen: typed faster than the pause before a search runs, the
search runs at once and its first client is opened (or linked) when it comes. A
list cut at its first clients says so."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.services import clients
from app.services.practice import Practice
from app.ui.client_picker import ClientPickerDialog
from app.ui.clients_page import LISTED, ClientFile
from app.ui.main_window import MainWindow


def test_enter_typed_at_once_opens_the_client_typed(qtbot: QtBot, window: MainWindow,
                                                     seeded: dict[str, int]) -> None:
    w = window
    QTest.keySequence(w, "Ctrl+F")
    qtbot.waitUntil(lambda: [r.name for r in w.clients.model.rows] ==
                    ["João Alves", "Maria Silva"], timeout=3000)
    # Typed and Enter within the pause: the list still shows João first.
    qtbot.keyClicks(w.clients.search, "silva")
    qtbot.keyClick(w.clients.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(w.clients.file, ClientFile) and
                    w.clients.file.client is not None, timeout=3000)
    assert w.clients.file is not None and w.clients.file.title.text() == "Maria Silva"


def test_enter_in_the_link_picker_links_the_client_typed(qtbot: QtBot, window: MainWindow,
                                                         seeded: dict[str, int]) -> None:
    picker = ClientPickerDialog(window)
    qtbot.addWidget(picker)
    picker.show()
    qtbot.waitUntil(lambda: len(picker.matches) == 2, timeout=3000)
    assert picker.matches[0].name == "João Alves"
    qtbot.keyClicks(picker.search, "silva")
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: picker.chosen is not None, timeout=3000)
    assert picker.chosen == seeded["maria"]


def test_a_list_cut_at_its_first_clients_says_so(qtbot: QtBot, window: MainWindow,
                                                 practice: Practice) -> None:
    for i in range(LISTED):
        clients.add(practice, name=f"Cliente {i:03d}", phone=f"+55 11 9{70000000 + i}")
    w = window
    QTest.keySequence(w, "Ctrl+F")
    qtbot.waitUntil(lambda: w.clients.model.rowCount() == LISTED, timeout=5000)
    assert w.clients.count.text() == ("The first 200 clients are shown: type more of a name, "
                                      "phone or e-mail to find the others.")
    qtbot.keyClicks(w.clients.search, "alves")
    qtbot.waitUntil(lambda: w.clients.model.rowCount() == 1, timeout=3000)
    assert w.clients.count.text() == "1 client shown"


def test_ctrl_f_from_a_client_s_file_searches_in_the_list_shown(
        qtbot: QtBot, window: MainWindow, seeded: dict[str, int]) -> None:
    w = window
    QTest.keySequence(w, "Ctrl+F")
    qtbot.keyClicks(w.clients.search, "silva")
    qtbot.keyClick(w.clients.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(w.clients.file, ClientFile) and
                    w.clients.file.isVisible(), timeout=3000)
    w.show_page("agenda")
    QTest.keySequence(w, "Ctrl+F")  # from another page, the file left open behind
    assert w.clients.search.isVisible() and w.clients.search.hasFocus()
    assert w.clients.search.selectedText() == "silva"
    qtbot.keyClicks(w.clients.search, "alves")
    qtbot.waitUntil(lambda: [r.name for r in w.clients.model.rows] == ["João Alves"],
                    timeout=3000)
    assert w.clients.table.isVisible()


def test_each_answer_is_painted_once_its_columns_where_they_stay(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    from PySide6.QtCore import QEvent, QObject

    for i in range(60):
        clients.add(practice, name=f"Cliente {i:03d}", phone=f"+55 11 9{70000000 + i}")
    w = window
    QTest.keySequence(w, "Ctrl+F")
    table = w.clients.table
    qtbot.waitUntil(lambda: w.clients.model.rowCount() > 60, timeout=5000)
    widths = [table.horizontalHeader().sectionSize(c) for c in range(5)]
    paints: list[int] = []

    class Count(QObject):
        def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                paints.append(w.clients.model.rowCount())
            return False

    counter = Count()
    table.viewport().installEventFilter(counter)
    # Paints from the answer on (the list shown before may still be painted once).
    w.clients.model.modelReset.connect(paints.clear)
    # From a long answer (a scroll bar's worth) to one client and back.
    for text, rows in (("alves", 1), ("", 62), ("cliente 059", 1)):
        w.clients.search.setText(text)
        qtbot.waitUntil(lambda r=rows: w.clients.model.rowCount() == r, timeout=3000)
        qtbot.wait(120)
        assert paints == [rows], text  # once, with the answer
        assert [table.horizontalHeader().sectionSize(c) for c in range(5)] == widths, text
    table.viewport().removeEventFilter(counter)
