"""Choosers for the practice's country, currency and time zone that show names in
the app's language ("Brasil", "Real brasileiro (R$)", "Brasil · São Paulo
(UTC−03:00)") and keep the codes the settings store ("BR", "BRL",
"America/Sao_Paulo"). A person types to find an entry; nobody needs to know ISO
codes or the tz database."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers
from babel import Locale
from babel.core import get_global
from babel.dates import get_timezone_location
from babel.numbers import get_currency_name, get_currency_symbol, list_currencies
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

from app import i18n
from app.models.search_text import folded
from app.ui.wheel_guard import ComboBox


@cache
def countries(language: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of the countries whose phone numbers can be read, by name."""
    names = Locale.parse(language).territories
    pairs = {(code, names.get(code, code)) for code in phonenumbers.SUPPORTED_REGIONS}
    return tuple(sorted(pairs, key=lambda pair: _sort_key(pair[1])))


@cache
def currencies(language: str) -> tuple[tuple[str, str], ...]:
    """(code, "Name (symbol)") of the currencies in use today, by name."""
    pairs = []
    for code in list_currencies():
        name = get_currency_name(code, locale=language)
        symbol = get_currency_symbol(code, locale=language)
        pairs.append((code, f"{i18n.first_upper(name)} ({symbol})" if symbol != code
                      else f"{i18n.first_upper(name)} ({code})"))
    return tuple(sorted(pairs, key=lambda pair: _sort_key(pair[1])))


@cache
def zones(language: str, year: int) -> tuple[tuple[str, str], ...]:
    """(tz name, "Country · City (UTC±hh:mm)") of the zones that belong to a country,
    by country and city; the offset is January's, the same all year where there is
    no daylight saving."""
    territories: Mapping[str, str] = get_global("zone_territories")
    names = Locale.parse(language).territories
    pairs = []
    for zone in available_timezones():
        territory = territories.get(zone)
        if not territory or territory == "001" or "/" not in zone:
            continue
        city = get_timezone_location(zone, locale=language, return_city=True)
        pairs.append((zone, f"{names.get(territory, territory)} · {city} "
                            f"({_offset(zone, year)})"))
    return tuple(sorted(pairs, key=lambda pair: _sort_key(pair[1])))


def _offset(zone: str, year: int) -> str:
    delta = datetime(year, 1, 15, 12, tzinfo=ZoneInfo(zone)).utcoffset()
    minutes = int(delta.total_seconds() // 60) if delta else 0
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _sort_key(text: str) -> str:
    return folded(text)  # "Ásia" among the A's, as names are listed


# What typing matches: the name folded (app.models.search_text), as the typed text
# is, so "sao paulo" finds "São Paulo" as "São" does.
_FOUND_BY = Qt.ItemDataRole.UserRole + 1


class _Finder(QCompleter):
    """Matches the typed text folded against the names folded, and puts the name
    itself (never its folded form) in the field."""

    def splitPath(self, path: str) -> list[str]:
        return [folded(path)]

    def pathFromIndex(self, index: Any) -> str:
        return str(index.data(Qt.ItemDataRole.DisplayRole))


class CodeChooser(ComboBox):
    """A list of names over codes; typing any part of a name finds it, with or
    without its accents. A code not in the list (an old setting) is kept and shown
    as is, never replaced silently."""

    def __init__(self, pairs: tuple[tuple[str, str], ...], parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.fill(pairs)
        finder = _Finder(self.model(), self)
        finder.setFilterMode(Qt.MatchFlag.MatchContains)
        finder.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        finder.setCompletionRole(_FOUND_BY)
        finder.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(finder)
        self.lineEdit().editingFinished.connect(self._settle)
        self.setMaxVisibleItems(15)
        self.setMinimumContentsLength(24)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)

    def fill(self, pairs: tuple[tuple[str, str], ...]) -> None:
        """Replace the entries, keeping the chosen code."""
        chosen = self.code() if self.count() else ""
        self.blockSignals(True)
        self.clear()
        for code, name in pairs:
            self.addItem(name, code)
            self.setItemData(self.count() - 1, folded(name), _FOUND_BY)
        self.blockSignals(False)
        self.set_code(chosen)

    def _settle(self) -> None:
        """Typed text that names no entry but is part of exactly one entry's name
        (with or without accents) chooses that entry, shown as it is named."""
        typed = self.currentText()
        if not typed.strip() or self.findText(typed, Qt.MatchFlag.MatchFixedString) >= 0:
            return
        key = folded(typed)
        found = [i for i in range(self.count()) if key in str(self.itemData(i, _FOUND_BY))]
        if len(found) == 1:
            self.setCurrentIndex(found[0])

    def set_code(self, code: str) -> None:
        index = self.findData(code)
        if index < 0 and code:
            self.addItem(code, code)
            index = self.count() - 1
            self.setItemData(index, folded(code), _FOUND_BY)
        self.setCurrentIndex(index)

    def code(self) -> str:
        """The chosen entry's code; text typed that names no entry is given back as
        typed, so the settings refuse it with their own message."""
        index = self.findText(self.currentText(), Qt.MatchFlag.MatchFixedString)
        if index >= 0:
            return str(self.itemData(index))
        return self.currentText().strip()


def country_chooser(parent: QWidget | None = None) -> CodeChooser:
    return CodeChooser(country_names(), parent)


def country_names() -> tuple[tuple[str, str], ...]:
    return countries(i18n.current_language())


def currency_names() -> tuple[tuple[str, str], ...]:
    return currencies(i18n.current_language())


def zone_chooser(year: int, parent: QWidget | None = None) -> CodeChooser:
    return CodeChooser(zone_names(year), parent)


def zone_names(year: int) -> tuple[tuple[str, str], ...]:
    return zones(i18n.current_language(), year)
