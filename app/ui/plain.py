"""Text from outside the practice shown as the text it is.

Names, reasons, notes, messages, imported cells and what a provider answered come
from people the practice does not control. Qt reads text that looks like markup
as rich text in several places (a QLabel's default AutoText, tooltips, message
boxes): a client's `<b style=...>` would be shown large and red, an `<a href>` a
link. These helpers are the one way the window shows such text:

- `label` / `plain`: a QLabel that shows its text verbatim;
- `escape` (and `rich`, its label): one outside part of rich text the app
  composes itself (its own <b>, <br>, links), line breaks kept;
- `verbatim`: for what has no plain-text switch (tooltips, item models' tooltip
  role, message boxes): rich text that shows the text exactly as it is;
- `button_text`: a button or menu entry's text, an "&" shown rather than turned
  into a keyboard shortcut.

Text painted with QPainter.drawText, item views' display role, QLineEdit,
QPlainTextEdit, combo boxes and the status bar are plain already."""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def plain(widget: QLabel) -> QLabel:
    """`widget`, made to show its text verbatim; returned for chaining."""
    widget.setTextFormat(Qt.TextFormat.PlainText)
    return widget


def label(text: str = "") -> QLabel:
    """A new label whose text is never read as markup, and can wrap however long
    its words are."""
    shown = plain(QLabel())
    shown.setText(breakable(text))
    return shown


_LONG_WORD = re.compile(r"\S{25,}")


def breakable(text: str, every: int = 24) -> str:
    """Text with a zero-width space every `every` characters of a word too long to
    fit: a stranger's 2,000-character word would otherwise widen the window past
    the screen (a label wraps only between words). Display only: never stored."""
    return _LONG_WORD.sub(lambda m: "\u200b".join(
        m.group()[i:i + every] for i in range(0, len(m.group()), every)), text)


def rich(text: str) -> QLabel:
    """A label for rich text the app composes itself, every outside part of it
    passed through `escape`."""
    shown = QLabel()
    shown.setTextFormat(Qt.TextFormat.RichText)
    shown.setText(text)
    return shown


def escape_breakable(text: str) -> str:
    """escape() for a label, whose long words must be able to wrap (breakable)."""
    return escape(breakable(text))


def escape(text: str) -> str:
    """One outside part of rich text the app composes: markup shown as characters,
    line breaks kept as line breaks."""
    return html.escape(text.replace("\r\n", "\n"), quote=False).replace("\n", "<br>")


def verbatim(text: str) -> str:
    """Rich text that shows `text` exactly as it is (spaces and line breaks kept,
    long lines wrapped), for tooltips and message boxes, which guess the format and
    have no plain-text switch. Empty stays empty: no tooltip at all."""
    if not text:
        return ""
    return f"<p style='white-space:pre-wrap'>{html.escape(text, quote=False)}</p>"


def shortened(text: str, most: int = 60) -> str:
    """One line of outside text for a button or a row: at most `most` characters,
    "…" standing for the rest (a tooltip shows it whole)."""
    return text if len(text) <= most else text[:most - 1] + "…"


def button_text(text: str) -> str:
    """Text for a button, check box or menu entry: an "&" in a name is shown, not
    made a keyboard shortcut (Alt+letter would press the button)."""
    return text.replace("&", "&&")


def name_forms(name: str) -> tuple[str, ...]:
    """A client's name from longest to shortest, for a place too narrow for it:
    whole, first name and the last name's initial, first name ("Mariana Costa",
    "Mariana C.", "Mariana") — a person is still recognised before "…" is needed."""
    words = name.split()
    if len(words) < 2:
        return (name,)
    return (name, f"{words[0]} {words[-1][0]}.", words[0])
