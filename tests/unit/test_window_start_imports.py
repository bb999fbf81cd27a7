"""PySide6, once imported, reads the source of every module imported after it
(shibokensupport.feature): the window's start imports our services and models
before Qt (app/ui/__init__.py), so what it imports after Qt is the window's own
code only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_what_the_window_s_start_imports_after_qt_is_its_own_code() -> None:
    code = (
        "import json, sys\n"
        "import app.ui.app, app.ui.main_window, app.ui.agenda.page, app.ui.errors\n"
        "import app.ui.who_uses\n"
        "names = list(sys.modules)\n"
        "print(json.dumps(names[names.index('PySide6'):]))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True, env={"QT_QPA_PLATFORM": "offscreen",
                                                      "PATH": "/usr/bin:/bin"})
    after = json.loads(done.stdout)
    ours_not_ui = [n for n in after if n.startswith("app.") and not n.startswith("app.ui")]
    assert ours_not_ui == []
    assert "app.ui.main_window" in after  # the check saw the window's modules
