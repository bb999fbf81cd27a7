"""Files the practice asks for (exports, a client's data): written whole or not
at all, so neither a reader nor a crash ever meets half a file where the old one was.

Everything the app writes holds health data, so it is readable by its owner only
(LGPD art. 46, the security of personal data; on a shared reception computer other
accounts must not read the agenda): files 0600 and folders 0700 on POSIX, whatever
the umask. On Windows the user's profile folder already keeps others out."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from app.i18n import _
from app.services.errors import InvalidInput

PRIVATE_FILE, PRIVATE_FOLDER = 0o600, 0o700


def private_file(path: Path) -> None:
    """Make `path` (created empty if missing) readable and writable by its owner only."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)


def private_folder(path: Path) -> bool:
    """Create `path` (and its parents) for its owner only; an existing folder others
    could enter is tightened. True when it was."""
    path.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    if os.name != "posix":
        return False
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        path.chmod(PRIVATE_FOLDER)
        return True
    return False


def write_whole(target: Path, data: bytes) -> None:
    """Write to a temporary name beside the target (its owner's only, 0600), then
    rename it into place."""
    partial = target.with_name(target.name + ".part")
    try:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()  # a leftover could carry looser permissions
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        partial.replace(target)
    except OSError as exc:
        with contextlib.suppress(OSError):  # tidying up must not hide why it failed
            partial.unlink(missing_ok=True)
        raise InvalidInput(_("{path} cannot be written: {problem}").format(
            path=target, problem=exc.strerror or exc)) from None
