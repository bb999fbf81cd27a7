"""Files the practice asks for (exports, a client's data): written whole or not
at all, so neither a reader nor a crash ever meets half a file where the old one was."""

from __future__ import annotations

import contextlib
from pathlib import Path

from app.i18n import _
from app.services.errors import InvalidInput


def write_whole(target: Path, data: bytes) -> None:
    """Write to a temporary name beside the target, then rename it into place."""
    partial = target.with_name(target.name + ".part")
    try:
        partial.write_bytes(data)
        partial.replace(target)
    except OSError as exc:
        with contextlib.suppress(OSError):  # tidying up must not hide why it failed
            partial.unlink(missing_ok=True)
        raise InvalidInput(_("{path} cannot be written: {problem}").format(
            path=target, problem=exc.strerror or exc)) from None
