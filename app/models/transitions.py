"""Which status changes are allowed. One table, read by the services, the window
(to disable illegal actions) and the tests."""

from __future__ import annotations

from enum import StrEnum

from app.models.enums import AppointmentStatus as S


class Action(StrEnum):
    CONFIRM = "confirm"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"
    COMPLETE = "complete"
    NO_SHOW = "no_show"


_ALLOWED: dict[Action, frozenset[S]] = {
    Action.CONFIRM: frozenset({S.SCHEDULED}),
    Action.CANCEL: frozenset({S.SCHEDULED, S.CONFIRMED}),
    Action.RESCHEDULE: frozenset({S.SCHEDULED, S.CONFIRMED}),
    Action.COMPLETE: frozenset({S.SCHEDULED, S.CONFIRMED}),
    Action.NO_SHOW: frozenset({S.SCHEDULED, S.CONFIRMED}),
}

RESULT: dict[Action, S] = {
    Action.CONFIRM: S.CONFIRMED,
    Action.CANCEL: S.CANCELLED,
    Action.RESCHEDULE: S.RESCHEDULED,
    Action.COMPLETE: S.COMPLETED,
    Action.NO_SHOW: S.NO_SHOW,
}

# Actions that only make sense once the session has begun.
NEEDS_STARTED: frozenset[Action] = frozenset({Action.COMPLETE, Action.NO_SHOW})


def is_allowed(action: Action, status: S) -> bool:
    return status in _ALLOWED[action]


def allowed_actions(status: S) -> list[Action]:
    return [a for a in Action if status in _ALLOWED[a]]
