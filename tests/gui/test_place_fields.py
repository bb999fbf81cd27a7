"""Country, currency and time zone are found by typing any part of their name,
with or without its accents ("sao paulo" finds "São Paulo"), and the code kept is
the chosen entry's."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app import i18n
from app.ui.place_fields import country_chooser, zone_chooser


def type_text(widget: QWidget, text: str) -> None:
    """Keys as a keyboard sends them, accented letters included (QTest types ASCII
    only)."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier,
                                                     ch))


def choose_first(qtbot: QtBot, chooser, typed: str) -> None:  # type: ignore[no-untyped-def]
    chooser.lineEdit().selectAll()
    type_text(chooser.lineEdit(), typed)
    popup = chooser.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=3000)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)


def test_a_zone_is_found_without_its_accents(qtbot: QtBot) -> None:
    with i18n.speaking("pt_BR"):
        for typed in ("sao paulo", "São Paulo", "SAO PAU"):
            chooser = zone_chooser(2026)
            qtbot.addWidget(chooser)
            chooser.show()
            choose_first(qtbot, chooser, typed)
            assert chooser.code() == "America/Sao_Paulo", typed
            assert chooser.currentText() == "Brasil · São Paulo (UTC−03:00)"


def test_a_country_is_found_without_its_accents(qtbot: QtBot) -> None:
    with i18n.speaking("pt_BR"):
        chooser = country_chooser()
        qtbot.addWidget(chooser)
        chooser.show()
        choose_first(qtbot, chooser, "mexico")
        assert (chooser.code(), chooser.currentText()) == ("MX", "México")


def test_a_name_typed_in_part_chooses_the_one_entry_it_names(qtbot: QtBot) -> None:
    """"manaus", typed and left (Tab, Enter, a click elsewhere), is Manaus's zone,
    written as the list names it; text that names several entries is left as typed
    for the settings to refuse."""
    with i18n.speaking("pt_BR"):
        chooser = zone_chooser(2026)
        qtbot.addWidget(chooser)
        chooser.show()
        chooser.lineEdit().selectAll()
        type_text(chooser.lineEdit(), "manaus")
        chooser.lineEdit().editingFinished.emit()
        assert (chooser.code(), chooser.currentText()) == (
            "America/Manaus", "Brasil · Manaus (UTC−04:00)")
        chooser.lineEdit().selectAll()
        type_text(chooser.lineEdit(), "brasil")
        chooser.lineEdit().editingFinished.emit()
        assert chooser.currentText() == "brasil"


def test_what_a_found_entry_puts_in_the_field_is_its_name(qtbot: QtBot) -> None:
    """The completer puts pathFromIndex() in the field as an entry is highlighted or
    chosen: the name, never the folded text entries are found by (which a person
    saw in the field, and the settings refused)."""
    with i18n.speaking("pt_BR"):
        chooser = zone_chooser(2026)
        qtbot.addWidget(chooser)
        finder = chooser.completer()
        at = chooser.findData("America/Sao_Paulo")
        assert finder.pathFromIndex(chooser.model().index(at, 0)) == \
            "Brasil · São Paulo (UTC−03:00)"
        assert finder.splitPath("São PAULO") == ["sao paulo"]
