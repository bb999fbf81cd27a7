"""The walls of DESIGN.md: Qt only under app/ui; the domain imports almost nothing."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(folder: Path) -> dict[Path, set[str]]:
    out: dict[Path, set[str]] = {}
    for path in folder.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        out[path] = names
    return out


def top(name: str) -> str:
    return name.split(".")[0]


def test_no_qt_outside_ui() -> None:
    offenders = []
    for folder in ("app/models", "app/services", "relay"):
        if not (ROOT / folder).exists():
            continue
        for path, names in imported_modules(ROOT / folder).items():
            if any(top(n) in ("PySide6", "shiboken6", "PyQt6", "PyQt5") for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_models_import_only_what_design_allows() -> None:
    allowed = {"sqlmodel", "sqlalchemy", "dateutil", "app", "__future__"}
    import sys

    stdlib = set(sys.stdlib_module_names)
    for path, names in imported_modules(ROOT / "app/models").items():
        for name in names:
            assert top(name) in allowed | stdlib, f"{path.name} imports {name}"
            if top(name) == "app":
                assert name.startswith("app.models"), f"{path.name} imports {name}"


def test_services_never_import_the_window() -> None:
    for path, names in imported_modules(ROOT / "app/services").items():
        assert not any(n.startswith("app.ui") or n == "app.cli" for n in names), path.name


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("from PySide6.QtCore import QObject\n")
    names = imported_modules(tmp_path)
    assert "PySide6.QtCore" in names[tmp_path / "bad.py"]


def test_the_relay_never_imports_the_desktop_app() -> None:
    """The relay installs alone on a server (relay/pyproject.toml), where neither
    the app nor Qt is: nothing under relay/ may import them, by name or relative."""
    offenders = []
    for path, names in imported_modules(ROOT / "relay").items():
        bad = sorted(n for n in names if top(n) in ("app", "tests", "PySide6", "shiboken6"))
        if bad:
            offenders.append(f"{path.relative_to(ROOT)}: {', '.join(bad)}")
    assert offenders == []
    for path in (ROOT / "relay").rglob("*.py"):
        relative = [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                    if isinstance(node, ast.ImportFrom) and node.level > 1]
        assert relative == [], f"{path.name} imports from above relay/"


def test_the_relay_loads_without_the_desktop_app() -> None:
    """What the checker above cannot see (an import made by a string, or by a
    dependency): the relay's modules loaded, and every page rendered in both
    languages, in a fresh interpreter, leave no module of the app or Qt loaded."""
    import subprocess
    import sys

    code = (
        "import sys, relay, relay.server, relay.serving, relay.pages as p\n"
        "for lang in ('pt_BR', 'en'):\n"
        "    p.words(lang)\n"
        "print('\\n'.join(m for m in sys.modules if m.split('.')[0] in "
        "('app', 'PySide6', 'shiboken6')))\n")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == []


def test_the_checker_sees_the_app_imported_from_the_relay(tmp_path: Path) -> None:
    (tmp_path / "pages.py").write_text("from app.i18n import _load\nimport app.services\n")
    names = imported_modules(tmp_path)[tmp_path / "pages.py"]
    assert {top(n) for n in names} == {"app"}
