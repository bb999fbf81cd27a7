"""Where the practice's files live: --data-dir, else $PRACTICE_HOME, else the
platform's user data folder. The database, logs and backups sit side by side."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "PracticeDesk"
DB_FILENAME = "practice.sqlite3"


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / DB_FILENAME

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    def ensure(self) -> DataPaths:
        self.private_folders()
        return self

    def private_folders(self) -> list[Path]:
        """Create the folders for their owner only; returns those that already
        existed open to others and were tightened."""
        # Imported here: where the database is, is read at the window's very start,
        # before the libraries (db_survey), and files brings the translations.
        from app.services.files import private_folder

        return [f for f in (self.root, self.logs, self.backups) if private_folder(f)]


def resolve(data_dir: str | os.PathLike[str] | None = None) -> DataPaths:
    if data_dir:
        return DataPaths(Path(data_dir).expanduser().resolve())
    env = os.environ.get("PRACTICE_HOME")
    if env:
        return DataPaths(Path(env).expanduser().resolve())
    return DataPaths(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))
