"""Qt's own words (Cancel, the file chooser's "File name", shortcut names such as
Ctrl+Left) and its locale (dates in date fields) in the app's language: Qt's
translations ship with PySide6 and are loaded beside the app's own whenever the
language changes."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app import i18n

_installed: list[QTranslator] = []


def follow(language: str) -> None:
    """Qt in `language` (a code such as "pt_BR" or "en")."""
    app = QCoreApplication.instance()
    if app is None:
        return  # no toolkit yet: the next change, after it starts, applies
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    QLocale.setDefault(QLocale(language))
    if language.startswith("en"):
        return  # Qt's own words are English
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator(app)
    if translator.load(QLocale(language), "qtbase", "_", folder):
        app.installTranslator(translator)
        _installed.append(translator)


def install() -> None:
    """From now on, Qt follows the app's language (and does now)."""
    i18n.follow_language(follow)
