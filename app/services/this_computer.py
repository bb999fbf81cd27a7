"""What belongs to this computer rather than to the practice: which database it
opens (the practice's server, without its password) and who is using it. On a
shared server the practice's settings are everyone's; these stay in the data
folder, in a small JSON file readable by its owner only."""

from __future__ import annotations

import json
import logging
import socket
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from app.services import json_text
from app.services.files import write_whole
from app.services.paths import DataPaths

log = logging.getLogger(__name__)

FILENAME = "this-computer.json"


@dataclass(frozen=True)
class ThisComputer:
    database_url: str = ""  # "" is the SQLite file in the data folder; never a password
    person: str = ""  # who uses this computer: a name of the practice's people
    name: str = ""  # how the others see it ("Recepção"); "" is the host's name

    @property
    def shown_name(self) -> str:
        return self.name or host_name()


def host_name() -> str:
    return socket.gethostname().split(".")[0] or "?"


def read(paths: DataPaths) -> ThisComputer:
    """This computer's settings; the defaults when the file is missing. A damaged
    file is logged and read as the defaults (it names no data of the practice)."""
    path = paths.root / FILENAME
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ThisComputer()
    except (OSError, ValueError) as exc:
        log.warning("%s could not be read (%s); using the defaults", path, type(exc).__name__)
        return ThisComputer()
    if not isinstance(raw, dict):
        return ThisComputer()
    known = {f.name for f in fields(ThisComputer)}
    return ThisComputer(**{k: str(v) for k, v in raw.items() if k in known and
                           isinstance(v, str)})


def save(paths: DataPaths, **changes: str) -> ThisComputer:
    """Change some of this computer's settings (keyword names are ThisComputer's
    fields) and write the file whole. Raises InvalidInput when it cannot be written."""
    paths.ensure()
    updated = replace(read(paths), **changes)
    write_whole(paths.root / FILENAME, (json_text.dumps(asdict(updated)) + "\n").encode())
    return updated
