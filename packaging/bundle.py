"""What every platform's bundle holds, shared by the three PyInstaller recipes
(linux.spec, windows.spec, macos.spec) so they cannot drift apart.

The app finds its data beside its code (``app/../resources``,
``app/services/migrations``), and a one-folder bundle keeps that layout under
its ``_internal`` folder, so the same paths work frozen and from source."""

from __future__ import annotations

import re
from pathlib import Path

from PyInstaller.utils.hooks import collect_submodules, copy_metadata

ROOT = Path(__file__).resolve().parent.parent
NAME = "practice-desk"  # the bundle's folder
ENTRY = str(ROOT / "packaging" / "entry.py")
ICONS = ROOT / "resources" / "icons"
# Read, not imported: a recipe runs with only packaging/ on the path.
VERSION = re.search(r'__version__ = "([^"]+)"',
                    (ROOT / "app" / "__init__.py").read_text()).group(1)  # type: ignore[union-attr]


def datas() -> list[tuple[str, str]]:
    migrations = ROOT / "app" / "services" / "migrations"
    return [
        # gettext catalogs and the window icon, read from files at run time
        (str(ROOT / "resources" / "locale"), "resources/locale"),
        (str(ICONS / "practice-desk.svg"), "resources/icons"),
        # Alembic loads env.py and the revisions as source files, not as imports
        (str(migrations / "env.py"), "app/services/migrations"),
        *((str(f), "app/services/migrations/versions")
          for f in sorted((migrations / "versions").glob("*.py"))),
        # the shape of this version's schema, which the start-up check compares with
        (str(ROOT / "app" / "services" / "schema_head.json"), "app/services"),
        # keyring finds its backends through its package metadata's entry points
        *copy_metadata("keyring"),
    ]


def hiddenimports() -> list[str]:
    return [
        *collect_submodules("keyring.backends"),
        # imported by the migration scripts, which PyInstaller never reads
        "alembic.op", "alembic.context", "sqlalchemy.sql.sqltypes",
    ]


def trimmed(toc: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Babel's data for the two languages the app speaks (and the root they
    inherit from) instead of all 1,000 locales: 31 MB less to ship."""
    def wanted(dest: str) -> bool:
        parts = Path(dest).parts
        if parts[:2] != ("babel", "locale-data"):
            return True
        locale = Path(dest).stem
        return locale == "root" or locale.split("_")[0] in ("en", "pt")
    return [entry for entry in toc if wanted(entry[0])]


# The desktop app needs neither the relay's server side nor the test tools.
EXCLUDES = ["tkinter", "pytest", "IPython", "matplotlib", "numpy", "PIL",
            "psycopg", "schemathesis", "selenium", "hypothesis"]
