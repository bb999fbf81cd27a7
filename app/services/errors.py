"""Expected failures. Each carries one sentence a person can act on; the command
line maps them to exit status 3, the window to a message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


class PracticeError(Exception):
    """A refusal by a rule: nothing was changed."""


class NotFound(PracticeError):
    pass


class InvalidInput(PracticeError):
    pass


class FieldInvalid(InvalidInput):
    """A refusal about one field of a form: the window marks that field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class IllegalTransition(PracticeError):
    pass


@dataclass(frozen=True)
class ConflictInfo:
    rule: str
    message: str
    appointment_id: int | None = None


class BookingConflict(PracticeError):
    def __init__(self, conflicts: Sequence[ConflictInfo], prefix: str = "") -> None:
        self.conflicts = list(conflicts)
        text = " ".join(c.message for c in self.conflicts)
        super().__init__(f"{prefix}{text}" if prefix else text)


class SchemaTooNew(PracticeError):
    pass


class DatabaseUnavailable(PracticeError):
    pass


class OnNetworkFolder(DatabaseUnavailable):
    """The SQLite practice's data folder is on a network file system, where SQLite's
    locking does not hold: it was not opened (storage.network_folder)."""


class PracticeMoved(DatabaseUnavailable):
    """This computer now opens the practice elsewhere (it was moved to the server,
    connected to another, or back to its file): a window or process still on the
    database it opened first changes nothing there and must reopen."""


class DatabaseDamaged(DatabaseUnavailable):
    """The database in the data folder is damaged or is not ours; it was left as it
    is. A copy from the backups folder can take its place (backups.replace_damaged)."""


class NotAllowed(PracticeError):
    """The person acting may not do this (e.g. reception writing a professional's
    internal notes): nothing was changed."""


class ChangedMeanwhile(PracticeError):
    """A form was saved over a change another computer (or window) made to the row
    since the form was opened: nothing was changed; the form reloads the row.
    `who` is the actor the audit trail names for the newest change (None when it
    names nobody), `at` when it was made (aware, UTC)."""

    def __init__(self, message: str, who: str | None = None,
                 at: datetime | None = None) -> None:
        super().__init__(message)
        self.who = who
        self.at = at
