"""Qt's own words (Cancel, the file chooser's "File name", shortcut names such as
Ctrl+Left) and its locale (dates in date fields) in the app's language: Qt's
translations ship with PySide6 and are loaded beside the app's own whenever the
language changes.

Qt's Portuguese catalogue lags its sources: some labels gained an accelerator
("&Look in:") after they were translated ("Look in:"), and a few words were never
translated. A small translator in front answers those from Qt's own catalogue
without the ampersand, or from the app's catalogue (`QT_GAPS`)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app import i18n
from app.i18n import N_, _

# (Qt's context, Qt's English) -> the app's msgid, for words Qt left untranslated.
QT_GAPS: dict[tuple[str, str], str] = {
    ("QCalendarWidget", "Previous Month"): N_("Previous month"),
    ("QCalendarWidget", "Next Month"): N_("Next month"),
    ("QFileDialog", "Show hidden files"): N_("Show hidden files"),
    ("QFileDialog", "Date Modified"): N_("Date modified"),
    ("QFileDialog", "Directory"): N_("Folder"),
}

_installed: list[QTranslator] = []


class _GapFiller(QTranslator):
    """Asked before Qt's catalogue; answers only what that catalogue misses."""

    def __init__(self, qt: QTranslator, parent: QCoreApplication) -> None:
        super().__init__(parent)
        self.qt = qt

    def isEmpty(self) -> bool:
        return False

    def translate(self, context: str, source: str, disambiguation: str | None = None,
                  n: int = -1) -> str | None:
        # None is Qt's null string: "not mine, ask the next"; "" would be an answer.
        if self.qt.translate(context, source, disambiguation, n):
            return None
        if "&" in source:
            bare = self.qt.translate(context, source.replace("&", ""), disambiguation, n)
            if bare:
                return with_accelerator(bare)
        gap = QT_GAPS.get((context, source))
        return _(gap) if gap else None


def with_accelerator(text: str) -> str:
    """An ampersand before the first letter, so Alt+letter still reaches the field."""
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + "&" + text[i:]
    return text


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
        filler = _GapFiller(translator, app)
        app.installTranslator(filler)  # the last installed is asked first
        _installed.append(filler)


def install() -> None:
    """From now on, Qt follows the app's language (and does now)."""
    i18n.follow_language(follow)
