"""Sessões: every session listed with seed 002's columns, filtered, sorted,
counted, acted on (several confirmed at once), exported exactly as listed, and
kept current when something changes elsewhere."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.models.enums import AppointmentStatus
from app.services import scheduling
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.services.session_list import SORTS
from app.ui import file_chooser
from app.ui.dialogs import CancelDialog
from app.ui.main_window import MainWindow
from app.ui.sessions_page import SessionsPage
from tests.conftest import add_client, local
from tests.gui.conftest import status_of


def shown(page: SessionsPage) -> list[tuple[str, ...]]:
    m = page.model
    return [tuple(str(m.data(m.index(r, c))) for c in range(m.columnCount()))
            for r in range(m.rowCount())]


def open_sessions(qtbot: QtBot, w: MainWindow) -> SessionsPage:
    QTest.keySequence(w, "Ctrl+6")  # its own shortcut
    page = w.sessions
    assert w.stack.currentWidget() is page
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=5000)
    return page


@pytest.fixture
def more(practice: Practice, seeded: dict[str, int]) -> dict[str, int]:
    ana = add_client(practice, "Ana Beatriz Lima", "+55 11 91234-5678", None)
    ids = {"ana": ana}
    for key, start in (("a1", "2026-11-24T09:00"), ("a2", "2026-11-25T09:00")):
        ids[key] = scheduling.book(practice, BookingRequest(
            client_id=ana, start=local(start), service_id=seeded["therapy"]))
    return {**seeded, **ids}


def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of five rows, so a few dozen sessions make many pages."""
    from app.services import session_list

    monkeypatch.setattr(session_list, "PAGE", 5)
    monkeypatch.setattr(session_list.page, "__defaults__", (0, 5))


def rui_s_sessions(practice: Practice, seeded: dict[str, int], month: str,
                   days: range, hours: tuple[int, ...]) -> list[int]:
    """A client's sessions on those days of `month` ("2026-12"), at those hours."""
    client = add_client(practice, "Rui Prado", "+55 11 95555-0000", None)
    return [scheduling.book(practice, BookingRequest(
        client_id=client, start=local(f"{month}-{day:02}T{hour:02}:00"),
        service_id=seeded["therapy"]), override=True) for day in days for hour in hours]


def test_the_list_shows_seed_002s_columns_and_counts(
        qtbot: QtBot, window: MainWindow, more: dict[str, int]) -> None:
    page = open_sessions(qtbot, window)
    headers = [page.model.headerData(c, Qt.Orientation.Horizontal)
               for c in range(page.model.columnCount())]
    assert headers == ["Client", "Phone", "Service", "Date and time", "Duration", "Status",
                       "Origin", "Professional"]
    assert shown(page)[0] == ("Maria Silva", "(11) 98765-4321", "Psicoterapia",
                              "11/20/26, 2:00\u202fPM", "50 min", "✓ Confirmed",
                              "Booked by hand", window.staff[0].name)
    assert page.count_label.text() == "4 sessions"
    QTest.keySequence(window, "Ctrl+3")  # the old shortcuts keep their pages
    assert window.stack.currentWidget() is window.clients


def test_every_column_title_fits_in_both_languages(qtbot: QtBot, window: MainWindow,
                                                   more: dict[str, int]) -> None:
    for language in ("en", "pt_BR"):
        window.switch_language(language)
        page = open_sessions(qtbot, window)
        header = page.table.horizontalHeader()
        metrics = header.fontMetrics()
        for section in range(header.count()):
            title = str(page.model.headerData(section, Qt.Orientation.Horizontal))
            # The title, bold, beside the sort arrow's room, within the section.
            assert header.sectionSize(section) >= header.sectionSizeHint(section), title
            assert header.sectionSize(section) > metrics.horizontalAdvance(title), title


def test_filters_sort_and_search_narrow_the_list(
        qtbot: QtBot, window: MainWindow, more: dict[str, int]) -> None:
    page = open_sessions(qtbot, window)
    page.status.setCurrentIndex(page.status.findData("confirmed"))
    qtbot.waitUntil(lambda: page.count_label.text() == "1 session", timeout=3000)
    assert [r[0] for r in shown(page)] == ["Maria Silva"]
    page.status.setCurrentIndex(0)
    qtbot.keyClicks(page.search, "91234")  # by phone
    qtbot.waitUntil(lambda: page.count_label.text() == "2 sessions", timeout=3000)
    assert {r[0] for r in shown(page)} == {"Ana Beatriz Lima"}
    page.search.clear()
    qtbot.keyClicks(page.search, "nobody here")
    qtbot.waitUntil(lambda: page.empty.isVisible(), timeout=3000)
    assert page.empty.text() == "No session matches these filters."
    assert not page.export_button.isEnabled()
    page.search.clear()
    qtbot.waitUntil(lambda: page.model.rowCount() == 4, timeout=3000)
    header = page.table.horizontalHeader()
    client = SORTS.index("client")
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=_section_centre(header, client))
    qtbot.waitUntil(lambda: shown(page)[0][0] == "Ana Beatriz Lima", timeout=3000)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=_section_centre(header, client))
    qtbot.waitUntil(lambda: shown(page)[0][0] == "Maria Silva", timeout=3000)
    page.period.setCurrentIndex(page.period.findData("custom"))
    assert page.start.isVisible() and page.end.isVisible()


def _section_centre(header, section):  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QPoint

    return QPoint(header.sectionViewportPosition(section) + header.sectionSize(section) // 2,
                  header.height() // 2)


def test_many_confirmed_at_once_say_what_will_not_go_in_a_line_and_list_why(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    # Twelve clients who gave an e-mail but never agreed to e-mail: each reason
    # names its client, so the bar says how many, and a box lists each reason
    # (names are plain text there, whatever they hold).
    names = [f"Cliente {i} <b>Souza</b>" for i in range(12)]
    for i, name in enumerate(names):
        client = add_client(practice, name, f"+55 11 9{4000_0000 + i}", f"c{i}@example.com")
        scheduling.book(practice, BookingRequest(
            client_id=client, start=local(f"2026-11-26T{8 + i:02}:00"),
            service_id=seeded["therapy"]), override=True)
    page = open_sessions(qtbot, window)
    qtbot.waitUntil(lambda: page.model.rowCount() >= 12, timeout=3000)
    page.table.setFocus()
    QTest.keySequence(page.table, "Ctrl+A")
    qtbot.waitUntil(lambda: page.confirm_button.isEnabled(), timeout=3000)
    qtbot.mouseClick(page.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(page, "notice_box", None) is not None, timeout=5000)
    said = window.statusBar().currentMessage()
    # The seeded practice has one more, Maria Silva's, who has not agreed either.
    assert said == "13 sessions confirmed. 13 confirmation e-mails will not be sent."
    assert window.fits_status(said)
    box = page.notice_box
    assert box.isVisible() and box.text() == said
    assert box.textFormat() == Qt.TextFormat.PlainText
    listed = box.detailedText().splitlines()
    assert len(listed) == 13 and {
        f"1 confirmation e-mail will not be sent: {n} has not agreed to messages by e-mail."
        for n in [*names, "Maria Silva"]} == set(listed)
    box.accept()


def test_several_confirmed_at_once_and_a_change_elsewhere_shows(
        qtbot: QtBot, window: MainWindow, practice: Practice, more: dict[str, int]) -> None:
    page = open_sessions(qtbot, window)
    table = page.table
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualRect(page.model.index(1, 0)).center())
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.ShiftModifier,
                     pos=table.visualRect(page.model.index(3, 0)).center())
    assert page.confirm_button.text() == "Confirm 3 sessions"
    assert not page.open_button.isEnabled() and page.open_button.toolTip()
    assert not page.action_buttons[_action("CANCEL")].isEnabled()
    qtbot.mouseClick(page.confirm_button, Qt.MouseButton.LeftButton)
    for key in ("monday", "a1", "a2"):
        qtbot.waitUntil(lambda k=key: status_of(practice, more[k]) == "confirmed", timeout=3000)
    qtbot.waitUntil(lambda: all(r[5] == "✓ Confirmed" for r in shown(page)), timeout=3000)
    # Neither client agreed to e-mail: the status line says the e-mails will not go.
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == (
        "3 sessions confirmed. 2 confirmation e-mails will not be sent: Ana Beatriz Lima has "
        "no e-mail address. 1 confirmation e-mail will not be sent: Maria Silva has not "
        "agreed to messages by e-mail."), timeout=3000)  # most first; no address: not
    # "has not agreed"
    assert not page.confirm_button.isEnabled()
    assert page.confirm_button.toolTip() == ("None of the selected sessions is waiting for "
                                             "confirmation.")
    # Cancelled from the command line's side of things: the list follows at once.
    scheduling.cancel(practice, more["a2"], reason="Viagem")
    qtbot.waitUntil(lambda: shown(page)[3][5] == "Cancelled", timeout=3000)


def test_a_selection_reaching_rows_not_read_acts_on_all_of_them(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl+A on a list read only near the view selects every session: the rows not
    read are read before any button acts, and Confirm confirms every scheduled one
    of the listing, not only those scrolled past."""
    from app.services import session_list

    small_pages(monkeypatch)
    rui_s_sessions(practice, seeded, "2026-12", range(1, 31), (8, 9, 10))
    page = open_sessions(qtbot, window)
    qtbot.waitUntil(lambda: page.count_label.text() == "92 sessions", timeout=3000)
    window.tasks.wait()
    assert len(page.model.rows) < 92  # the rows far below are not read
    scheduled = [v.id for v in session_list.every(practice, page.listing)
                 if v.status is AppointmentStatus.SCHEDULED]
    assert len(scheduled) > 60
    table = page.table
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualRect(page.model.index(0, 0)).center())
    QTest.keyClick(table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert page.selection_label.text() == "92 selected"
    qtbot.waitUntil(lambda: page.confirm_button.text() == f"Confirm {len(scheduled)} sessions",
                    timeout=3000)
    assert page.confirm_button.isEnabled() and len(page.model.rows) == 92
    qtbot.mouseClick(page.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: all(status_of(practice, i) == "confirmed" for i in scheduled),
                    timeout=5000)


def _action(name: str):  # type: ignore[no-untyped-def]
    from app.models.transitions import Action

    return Action[name]


def test_double_click_opens_and_actions_reach_the_panel(
        qtbot: QtBot, window: MainWindow, practice: Practice, more: dict[str, int]) -> None:
    page = open_sessions(qtbot, window)
    table = page.table
    where = table.visualRect(page.model.index(1, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=where)
    button = page.action_buttons[_action("CANCEL")]
    assert button.isEnabled() and button.text() == "Cancel session"
    complete = page.action_buttons[_action("COMPLETE")]
    assert not complete.isEnabled() and "begun" in complete.toolTip()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    panel = window.panels[more["monday"]]
    qtbot.waitUntil(lambda: isinstance(panel.dialog, CancelDialog), timeout=3000)
    panel.dialog.reject()
    panel.close()
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.waitUntil(lambda: window.panels[more["monday"]].isVisible(), timeout=3000)
    window.panels[more["monday"]].close()


def test_export_writes_exactly_what_is_listed(
        qtbot: QtBot, window: MainWindow, more: dict[str, int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    page = open_sessions(qtbot, window)
    qtbot.keyClicks(page.search, "Ana Beatriz")
    qtbot.waitUntil(lambda: page.count_label.text() == "2 sessions", timeout=3000)
    target = tmp_path / "lista"
    monkeypatch.setattr(file_chooser, "save_path",
                        lambda *a, **k: (str(target), "CSV (*.csv)"))
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    written = tmp_path / "lista.csv"
    qtbot.waitUntil(written.exists, timeout=5000)
    window.tasks.wait()
    rows = list(csv.reader(written.read_text(encoding="utf-8-sig").splitlines()))
    assert [r[0] for r in rows[1:]] == [str(more["a1"]), str(more["a2"])]
    assert written.stat().st_mode & 0o077 == 0


def test_pages_arrive_as_the_list_scrolls(qtbot: QtBot, window: MainWindow,
                                          practice: Practice, seeded: dict[str, int],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    small_pages(monkeypatch)
    rui_s_sessions(practice, seeded, "2026-12", range(1, 31), (8, 9))
    answers: list[tuple[int, int]] = []  # (rows, rows read) as each answer came
    model = window.sessions.model
    model.modelReset.connect(lambda: answers.append((model.rowCount(), len(model.loaded()))))
    page = open_sessions(qtbot, window)
    qtbot.waitUntil(lambda: page.count_label.text() == "62 sessions", timeout=3000)
    # A row for each (the scroll bar the whole list's), of which a screen's read:
    # the rest is read as the view reaches it, not with the answer.
    assert 10 <= page._screen_rows() < 62
    assert answers[-1] == (62, page._screen_rows())
    for _round in range(6):
        page.table.scrollToBottom()
        qtbot.wait(50)
        window.tasks.wait()
    qtbot.waitUntil(lambda: len(page.model.loaded()) == 62, timeout=5000)
    rows = [v for _r, v in page.model.loaded()]
    assert len({v.id for v in rows}) == 62
    assert [v.start for v in rows] == sorted(v.start for v in rows)
    assert all(v.status in (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED)
               for v in rows)


def test_a_screen_is_read_first_and_the_rows_below_once_it_is_painted(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The answer to a filter holds the rows the view shows, painted at once and
    whole; the two screens below are read after that paint, joining them without
    a gap or a row twice, in the listing's order."""
    from PySide6.QtCore import QEvent, QObject

    from app.services import session_list

    small_pages(monkeypatch)
    rui_s_sessions(practice, seeded, "2026-12", range(1, 31), (8, 9, 10))
    page = open_sessions(qtbot, window)
    qtbot.waitUntil(lambda: page.count_label.text() == "92 sessions", timeout=3000)
    window.tasks.wait()
    qtbot.wait(50)
    # At a new answer's first paint: rows read, all those in view read, any asked for.
    firsts: list[tuple[int, bool, bool]] = []

    class First(QObject):
        def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not firsts:
                table = page.table
                top, bottom = table.rowAt(0), table.rowAt(table.viewport().height() - 1)
                firsts.append((len(page.model.rows),
                               all(r in page.model.rows for r in range(top, bottom + 1)),
                               bool(page.model._asked)))
            return False

    watcher = First()
    page.table.viewport().installEventFilter(watcher)
    page.model.modelReset.connect(firsts.clear)
    try:
        page.status.setCurrentIndex(page.status.findData("scheduled"))
        qtbot.waitUntil(lambda: bool(firsts), timeout=3000)
    finally:
        page.table.viewport().removeEventFilter(watcher)
    screen = page._screen_rows()
    assert firsts == [(screen, True, False)]  # nothing read ahead yet: painted first
    table = page.table
    bottom = table.rowAt(table.viewport().height() - 1)
    below = min(bottom + 2 * (bottom + 1), page.model.rowCount() - 1)
    qtbot.waitUntil(lambda: all(r in page.model.rows for r in range(below + 1)), timeout=3000)
    window.tasks.wait()
    read = [v.id for _r, v in page.model.loaded()]
    expected = [v.id for v in session_list.page(practice, page.listing, 0, len(read))]
    assert read == expected and len(set(read)) == len(read) > screen


def test_the_next_rows_are_read_before_the_view_reaches_them(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    small_pages(monkeypatch)
    rui_s_sessions(practice, seeded, "2026-12", range(1, 13), (8, 9, 10, 11, 14, 15))
    page = open_sessions(qtbot, window)
    qtbot.waitUntil(lambda: page.count_label.text() == "74 sessions", timeout=3000)
    table = page.table
    table.setFocus()
    table.selectRow(0)
    def read_ahead() -> bool:
        top, bottom = table.rowAt(0), table.rowAt(table.viewport().height() - 1)
        assert bottom > top >= 0
        # Every row from the top of the view to two screens below its last is read.
        last = min(bottom + 2 * (bottom - top + 1), 73)
        return all(r in page.model.rows for r in range(top, last + 1))

    for _step in range(4):  # Page Down, as a person reads down the list
        QTest.keyClick(table, Qt.Key.Key_PageDown)
        qtbot.waitUntil(read_ahead, timeout=3000)
    assert table.rowAt(0) > 0


def test_ctrl_end_goes_to_the_last_session_and_the_bar_measures_the_whole_list(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    small_pages(monkeypatch)
    rui_s_sessions(practice, seeded, "2026-12", range(1, 21),
                   (8, 9, 10, 11, 14, 15, 16, 17))
    page = open_sessions(qtbot, window)
    qtbot.waitUntil(lambda: page.count_label.text() == "162 sessions", timeout=3000)
    table, bar = page.table, page.table.verticalScrollBar()
    assert page.model.rowCount() == 162 and bar.maximum() > 0
    table.setFocus()
    table.selectRow(0)
    QTest.keyClick(table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert bar.value() == bar.maximum()
    qtbot.waitUntil(lambda: 161 in page.model.rows, timeout=3000)
    window.tasks.wait()
    # Rows never near the view were not read: a jump reads where it lands.
    assert 75 not in page.model.rows and len(page.model.loaded()) < 162
    assert page.model.data(page.model.index(161, 3)) == "12/20/26, 5:00\u202fPM"  # the last
    assert table.rowAt(table.viewport().height() - 1) in (161, -1)
    # The row arrived at is the one selected (the buttons act on what is seen),
    # as a spreadsheet or a mail list does; Ctrl+Shift still extends.
    def selected() -> list[int]:
        return sorted(i.row() for i in table.selectionModel().selectedRows())

    assert selected() == [161]
    QTest.keyClick(table, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert len(selected()) == 1 and selected()[0] < 161
    QTest.keyClick(table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert bar.value() == 0 and 0 in page.model.rows
    assert selected() == [0]
    QTest.keyClick(table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert selected() == list(range(162)), page.confirm_button.text()
    # Every one waits for confirmation but the seeded practice's confirmed one.
    qtbot.waitUntil(lambda: page.confirm_button.text() == "Confirm 161 sessions", timeout=3000)


def test_a_selection_stays_whole_when_the_list_is_read_again(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Ctrl+A, Confirm: the list is read again (the sessions changed) and what was
    # selected stays selected, rows not read yet included, not only the first page.
    small_pages(monkeypatch)
    ids = rui_s_sessions(practice, seeded, "2026-12", range(1, 21),
                         (8, 9, 10, 11, 14, 15, 16, 17))
    page = open_sessions(qtbot, window)
    qtbot.waitUntil(lambda: page.count_label.text() == "162 sessions", timeout=3000)
    table = page.table
    table.setFocus()
    QTest.keySequence(table, "Ctrl+A")
    qtbot.waitUntil(lambda: page.confirm_button.text() == "Confirm 161 sessions", timeout=3000)
    qtbot.mouseClick(page.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, ids[-1]) == "confirmed", timeout=5000)
    qtbot.waitUntil(lambda: shown(page)[1][5] == "✓ Confirmed", timeout=3000)
    window.tasks.wait()
    assert page.selection_label.text() == "162 selected"
    assert len(table.selectionModel().selectedRows()) == 162
    # Part of the list, reaching rows below the screen: read again after a change
    # made elsewhere, the same sessions are selected as their rows come.
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualRect(page.model.index(0, 0)).center())
    for _step in range(2):
        QTest.keyClick(table, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ShiftModifier)
        window.tasks.wait()
    qtbot.waitUntil(lambda: len(page.selected_views()) ==  # every selected row read
                    len(table.selectionModel().selectedRows()), timeout=3000)
    before = sorted(v.id for v in page.selected_views())
    assert 20 < len(before) < 162
    scheduling.cancel(practice, ids[-1], reason="Viagem")  # elsewhere: the list reads again
    qtbot.waitUntil(lambda: shown(page)[-1][5] == "Cancelled", timeout=3000)
    window.tasks.wait()
    qtbot.waitUntil(lambda: sorted(v.id for v in page.selected_views()) == before,
                    timeout=3000)
    # A person's own choice then is theirs alone: nothing chosen before comes back.
    row = table.rowAt(10)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualRect(page.model.index(row, 0)).center())
    window.tasks.wait()
    assert [i.row() for i in table.selectionModel().selectedRows()] == [row]


def test_a_list_asked_again_stays_where_it_was_and_another_starts_at_the_top(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    ids = rui_s_sessions(practice, seeded, "2027-01", range(1, 31),
                         (8, 9, 10, 11, 14, 15, 16, 17))
    page = open_sessions(qtbot, window)
    qtbot.waitUntil(lambda: page.count_label.text() == "242 sessions", timeout=3000)
    table, bar = page.table, page.table.verticalScrollBar()
    for _step in range(12):  # well past the first hundred rows read
        QTest.keyClick(table, Qt.Key.Key_PageDown)
        window.tasks.wait()
        qtbot.wait(10)
    qtbot.waitUntil(lambda: table.rowAt(0) in page.model.rows, timeout=3000)
    top = table.rowAt(0)
    assert top > 150
    first_seen = page.model.rows[top].id
    selected = page.model.rows[top + 2].id
    table.selectRow(top + 2)
    window.tasks.wait()
    qtbot.wait(10)
    top, first_seen = table.rowAt(0), page.model.rows[table.rowAt(0)].id

    # Something changes elsewhere (a client confirms): the same rows stay in view,
    # the selection too.
    scheduling.confirm(practice, ids[-1])
    generation = page.model.generation
    qtbot.waitUntil(lambda: page.model.generation > generation, timeout=5000)
    assert page.model.rows[table.rowAt(0)].id == first_seen
    assert page.selected_ids() == [selected]

    # Another question (a status) starts at its first row.
    page.status.setCurrentIndex(page.status.findData("scheduled"))
    qtbot.waitUntil(lambda: page.model.generation > generation + 1, timeout=5000)
    assert bar.value() == 0 and table.rowAt(0) == 0
    assert page.model.rows[0].start == min(v.start for _r, v in page.model.loaded())


def test_a_confirmation_from_another_process_shows_within_a_second_or_two(
        qtbot: QtBot, window: MainWindow, practice: Practice, more: dict[str, int],
        data_dir: Path) -> None:
    """`practice confirm` run beside the open window: the list follows without a click."""
    import os
    import subprocess
    import sys

    page = open_sessions(qtbot, window)
    qtbot.waitUntil(lambda: window.watcher is not None and window.watcher.following,
                    timeout=3000)  # its first look, taken off the GUI thread
    row = next(r for r, v in page.model.loaded() if v.id == more["a1"])
    assert shown(page)[row][5] == "Scheduled"
    result = subprocess.run(
        [sys.executable, "-m", "app", "confirm", str(more["a1"]), "--data-dir", str(data_dir)],
        env={**os.environ, "PRACTICE_NOW": "2026-11-20T12:00:00Z", "LANGUAGE": "en"},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    qtbot.waitUntil(lambda: any(v.id == more["a1"] and v.status is AppointmentStatus.CONFIRMED
                                for _r, v in page.model.loaded()), timeout=4000)


def test_the_window_gathers_the_index_statistics_once_painted(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    import sqlite3

    assert practice.db.path is not None

    def gathered() -> bool:
        window.tasks.wait()
        db = sqlite3.connect(practice.db.path)  # type: ignore[arg-type]
        try:
            return db.execute("SELECT count(*) FROM sqlite_master "
                              "WHERE name = 'sqlite_stat1'").fetchone()[0] == 1 and \
                db.execute("SELECT stat FROM sqlite_stat1 WHERE idx = "
                           "'ix_appointment_start'").fetchone() == ("2 1",)
        finally:
            db.close()

    qtbot.waitUntil(gathered, timeout=5000)


def test_a_new_listing_is_painted_once(qtbot: QtBot, window: MainWindow, practice: Practice,
                                       seeded: dict[str, int]) -> None:
    from PySide6.QtCore import QEvent, QObject

    rui_s_sessions(practice, seeded, "2026-12", range(1, 16), (8, 9, 10))
    page = open_sessions(qtbot, window)
    qtbot.waitUntil(lambda: page.count_label.text() == "47 sessions", timeout=3000)
    window.tasks.wait()
    qtbot.wait(50)
    paints: list[int] = []

    class Count(QObject):
        def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                paints.append(page.model.rowCount())
            return False

    counter = Count()
    page.table.viewport().installEventFilter(counter)
    page.model.modelReset.connect(paints.clear)  # paints from the new listing on
    # From a listing that needs the scroll bar to one that does not, and back.
    for status, rows in (("confirmed", 1), (None, 47)):
        page.status.setCurrentIndex(page.status.findData(status))
        qtbot.waitUntil(lambda r=rows: page.model.rowCount() == r, timeout=3000)
        window.tasks.wait()
        qtbot.wait(120)
        assert paints == [rows], status
    page.table.viewport().removeEventFilter(counter)


def test_a_count_is_kept_until_the_data_changes(
        qtbot: QtBot, window: MainWindow, practice: Practice, more: dict[str, int]) -> None:
    """Another order of the same filters (or the same filters again) holds as many
    sessions: the count is not asked again; a change anywhere, here or from the
    command line, counts again."""
    from sqlalchemy import event

    page = open_sessions(qtbot, window)
    qtbot.waitUntil(lambda: page.count_label.text() == "4 sessions", timeout=3000)
    counted: list[str] = []

    def record(_c, _cur, statement, _params, _ctx, _many):  # type: ignore[no-untyped-def]
        if "count(*)" in statement:
            counted.append(statement)

    event.listen(practice.db.engine, "before_cursor_execute", record)
    try:
        header = page.table.horizontalHeader()
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                         pos=_section_centre(header, SORTS.index("client")))
        qtbot.waitUntil(lambda: shown(page)[0][0] == "Ana Beatriz Lima", timeout=3000)
        window.tasks.wait()
        assert counted == [] and page.count_label.text() == "4 sessions"
        page.status.setCurrentIndex(page.status.findData("confirmed"))
        qtbot.waitUntil(lambda: page.count_label.text() == "1 session", timeout=3000)
        page.status.setCurrentIndex(0)
        qtbot.waitUntil(lambda: page.count_label.text() == "4 sessions", timeout=3000)
        window.tasks.wait()
        assert len(counted) == 1  # the confirmed ones; all four were known
        scheduling.book(practice, BookingRequest(
            client_id=more["ana"], start=local("2026-11-26T09:00"),
            service_id=more["therapy"]))
        qtbot.waitUntil(lambda: page.count_label.text() == "5 sessions", timeout=3000)
        assert len(counted) == 2
        assert [r[0] for r in shown(page)].count("Ana Beatriz Lima") == 3
    finally:
        event.remove(practice.db.engine, "before_cursor_execute", record)
