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

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def plain(widget: QLabel) -> QLabel:
    """`widget`, made to show its text verbatim; returned for chaining."""
    widget.setTextFormat(Qt.TextFormat.PlainText)
    return widget


def label(text: str = "") -> QLabel:
    """A new label whose text is never read as markup."""
    shown = plain(QLabel())
    shown.setText(text)
    return shown


def rich(text: str) -> QLabel:
    """A label for rich text the app composes itself, every outside part of it
    passed through `escape`."""
    shown = QLabel()
    shown.setTextFormat(Qt.TextFormat.RichText)
    shown.setText(text)
    return shown


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


def button_text(text: str) -> str:
    """Text for a button, check box or menu entry: an "&" in a name is shown, not
    made a keyboard shortcut (Alt+letter would press the button)."""
    return text.replace("&", "&&")
