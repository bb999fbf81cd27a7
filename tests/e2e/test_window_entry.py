"""`practice` with no command, as a person starts it (app.launch.main, in a fresh
process): the window opens on the practice's week with Python's collector back on
(off only until its first week is painted), and the database read ahead is the one
judged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.services.practice import open_practice

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import gc, json, sys
said = {}

def look(tries=[0]):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    for window in QApplication.topLevelWidgets():
        if hasattr(window, "built") and window.built("agenda") is not None:
            if not gc.isenabled() and tries[0] < 200:  # on once the week is painted
                tries[0] += 1
                QTimer.singleShot(10, look)
                return
            said["collector_on_once_open"] = gc.isenabled()
            said["title"] = window.windowTitle()
            window.quit()
            return
    from PySide6.QtCore import QTimer
    QTimer.singleShot(10, look)

def watch(event, args):
    if event == "import" and args[0] == "app.ui.main_window" and not said:
        said["collector_on_while_starting"] = gc.isenabled()
        from PySide6.QtCore import QTimer
        QTimer.singleShot(0, look)

sys.addaudithook(watch)
from app.launch import main
said["status"] = main(["--data-dir", sys.argv[1]])
print(json.dumps(said))
"""


def start(folder: Path, tmp: Path) -> dict[str, object]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp),
           "XDG_CONFIG_HOME": str(tmp / "config"), "XDG_DATA_HOME": str(tmp / "data")}
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_window_opens_with_the_collector_back_on(tmp_path: Path) -> None:
    open_practice(tmp_path / "practice", logging_on=False).close()
    said = start(tmp_path / "practice", tmp_path)
    assert said == {"collector_on_while_starting": False, "collector_on_once_open": True,
                    "title": "Practice Desk", "status": 0}


DAMAGED_CHILD = """
import gc, json, sys
said = {}

def look():
    from PySide6.QtWidgets import QApplication, QDialog
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog) and widget.isVisible():
            said["dialog"] = type(widget).__name__
            said["collector_on_in_the_dialog"] = gc.isenabled()
            widget.reject()
            return
    from PySide6.QtCore import QTimer
    QTimer.singleShot(10, look)

def watch(event, args):
    if event == "import" and args[0] == "app.ui.recovery_dialog" and not said:
        from PySide6.QtCore import QTimer
        QTimer.singleShot(0, look)

sys.addaudithook(watch)
from app.launch import main
said["status"] = main([sys.argv[1] and "--data-dir", sys.argv[1]])
print(json.dumps(said))
"""


def test_a_damaged_practice_is_said_in_its_dialog_with_the_collector_back_on(
        tmp_path: Path) -> None:
    folder = tmp_path / "practice"
    open_practice(folder, logging_on=False).close()
    database = folder / "practice.sqlite3"
    with database.open("r+b") as fh:  # SQLite's header kept, every page after it gone
        fh.seek(100)
        fh.write(b"\xff" * (database.stat().st_size - 100))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run([sys.executable, "-c", DAMAGED_CHILD, str(folder)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120, check=True)
    said = json.loads(done.stdout.strip().splitlines()[-1])
    assert said == {"dialog": "RecoveryDialog", "collector_on_in_the_dialog": True,
                    "status": 3}
