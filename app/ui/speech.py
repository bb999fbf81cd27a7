"""Saying a text aloud with Qt's text-to-speech, where this computer has it
(the QtTextToSpeech module and an engine, e.g. speech-dispatcher on Linux); where
it has not, say() answers False and the caller shows the words instead."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QLocale, QObject

log = logging.getLogger(__name__)


class Speech:
    def __init__(self, parent: QObject) -> None:
        self.parent = parent
        self.engine: Any = None
        self.tried = False

    def _ready(self) -> Any:
        if not self.tried:
            self.tried = True
            try:
                from PySide6.QtTextToSpeech import QTextToSpeech
            except ImportError:  # the PySide6 wheels without Qt's add-ons
                return None
            if QTextToSpeech.availableEngines():
                self.engine = QTextToSpeech(self.parent)
        return self.engine

    def say(self, text: str, language: str) -> bool:
        """Starts saying `text` in `language` ("pt_BR", "en"); False when this
        computer cannot speak."""
        engine = self._ready()
        if engine is None:
            return False
        wanted = QLocale("pt_BR" if language.startswith("pt") else "en_US")
        if any(loc.name() == wanted.name() for loc in engine.availableLocales()):
            engine.setLocale(wanted)
        engine.say(text)
        return True
