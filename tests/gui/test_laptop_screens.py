"""At the sizes of most Brazilian laptops (1366×768, 1280×800), in Portuguese and
English, on the demo practice: no text on a main page is cut — no label, button
or list shorter than what it says, no column narrower than its title, every week
of the mini-calendar whole."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QHeaderView, QLabel, QWidget
from pytestqt.qtbot import QtBot

from app import i18n
from app.services import demo
from app.services import settings as practice_settings
from app.services.practice import Practice
from app.ui.main_window import PAGES, MainWindow
from tests.conftest import local


def cut(root: QWidget) -> list[tuple[str, str, int, int]]:
    """Visible widgets whose text needs more room than they have."""
    found = []
    for label in root.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        if label.wordWrap():
            need, have = label.heightForWidth(label.width()), label.height()
        else:
            need, have = label.sizeHint().width(), label.width()
        if need > have + 1:
            found.append(("label", label.text()[:50], need, have))
    for button in root.findChildren(QAbstractButton):
        if button.isVisible() and button.text() and \
                button.sizeHint().width() > button.width() + 1:
            found.append(("button", button.text()[:50], button.sizeHint().width(),
                          button.width()))
    for combo in root.findChildren(QComboBox):
        if combo.isVisible() and combo.sizeHint().width() > combo.width() + 1:
            found.append(("list", combo.currentText()[:50], combo.sizeHint().width(),
                          combo.width()))
    for header in root.findChildren(QHeaderView):
        if not header.isVisible() or header.orientation() != Qt.Orientation.Horizontal:
            continue
        model = header.model()
        for section in range(header.count()):
            title = model.headerData(section, Qt.Orientation.Horizontal) if model else None
            # A column's title, bold, with its padding and sort arrow.
            if not header.isSectionHidden(section) and title and \
                    header.sectionSizeHint(section) > header.sectionSize(section) + 1:
                found.append(("column", str(title)[:50], header.sectionSizeHint(section),
                              header.sectionSize(section)))
    return found


def settle(qtbot: QtBot, w: MainWindow) -> None:
    for _round in range(6):
        qtbot.wait(30)
        w.tasks.wait(200)


def test_nothing_is_cut_on_a_laptops_screen(qtbot: QtBot, practice: Practice) -> None:
    demo.fill(practice, today=local("2026-11-20T12:00").date())
    try:
        for language in ("pt_BR", "en"):
            i18n.set_language(language)
            QSettings().setValue("agenda/view", "week")
            w = MainWindow(practice, practice_settings.get(practice).zone)
            qtbot.addWidget(w)
            for width, height in ((1366, 768), (1280, 800)):
                w.resize(width, height)
                w.show()
                for name in PAGES:
                    w.show_page(name)
                    settle(qtbot, w)
                    page = w.stack.currentWidget()
                    tabs = [page]
                    if name == "settings":
                        tabs = []
                        for i in range(w.settings_page.tabs.count()):
                            w.settings_page.tabs.setCurrentIndex(i)
                            settle(qtbot, w)
                            tabs.append(w.settings_page.tabs.currentWidget())
                            assert cut(tabs[-1]) == [], (language, width, name, i)
                        continue
                    assert cut(page) == [], (language, width, name)
                    if name == "sessions":  # every column in view, the last one too
                        table = w.sessions.table
                        assert table.horizontalHeader().length() <= \
                            table.viewport().width() + 1, (language, width, "Sessões")
                    if name == "conecta":  # the list beside the open card: no sideways scroll
                        w.conecta.list_button.click()
                        settle(qtbot, w)
                        table = w.conecta.table
                        assert table.horizontalHeader().length() <= \
                            table.viewport().width() + 1, (language, width, "Conecta's list")
                        w.conecta.board_button.click()
                    if name == "agenda":
                        mini = w.agenda.mini
                        first = mini.shown_month()
                        last = mini.day_rect(first + timedelta(days=41 - first.weekday()))
                        assert last is not None and last.bottom() <= mini.height(), \
                            (language, width, "the mini-calendar's last week")
            w.close()
    finally:
        i18n.set_language("en")


def test_a_name_too_long_for_its_place_is_shortened_in_steps() -> None:
    from app.ui.plain import name_forms

    assert name_forms("Mariana Costa Albuquerque") == (
        "Mariana Costa Albuquerque", "Mariana A.", "Mariana")
    assert name_forms("Cher") == ("Cher",)


def test_the_window_opens_inside_the_screens_free_area(qtbot: QtBot,
                                                        practice: Practice) -> None:
    from app.services import settings

    w = MainWindow(practice, settings.get(practice).zone)
    qtbot.addWidget(w)
    free = w.screen().availableGeometry().size()
    size = w.first_size()
    assert size.height() <= max(free.height() - 40, w.minimumHeight())
    assert size.width() <= max(free.width(), w.minimumWidth())
    assert size.width() <= 1280 and size.height() <= 800
