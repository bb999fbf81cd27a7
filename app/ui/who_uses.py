"""Who uses this computer, as Qt remembers it for each practice folder: read when
the window opens (MainWindow.start), so kept apart from the set-up assistant,
whose widgets the first paint does not need."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings

if TYPE_CHECKING:
    from app.services.practice import Practice


def user_key(practice: Practice) -> str:
    """Where QSettings keeps who uses this computer, for this practice's folder:
    opening another practice (the demo, a second clinic) must not carry the name."""
    root = str(Path(practice.paths.root).resolve())
    return "users/" + hashlib.sha256(root.encode()).hexdigest()[:16]


def stored_user(practice: Practice) -> str:
    return str(QSettings().value(user_key(practice), "") or "")
