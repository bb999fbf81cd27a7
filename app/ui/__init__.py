"""The window. The only package that imports Qt.

PySide6, once imported, reads the source of every module imported after it to see
whether it uses Qt (shibokensupport.feature, PYSIDE-2029): what the window's start
reads besides Qt is imported here, before any Qt module, where that costs nothing
(tests/unit/test_window_start_imports.py keeps the list whole)."""

import html  # noqa: F401

from app.services import people, queries, status_words  # noqa: F401
