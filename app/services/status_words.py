"""A session's status and origin in words, as every list, panel and message says
them (the seeds' words: Agendado, Confirmado, ...). A module of its own, light to
import: the agenda's first week is painted with these labels, and importing all
of scheduling (the channels' notices, the web client) took a tenth of a second
before it."""

from __future__ import annotations

from app.i18n import _
from app.models.enums import AppointmentSource, AppointmentStatus


def status_word(status: AppointmentStatus) -> str:
    return {
        AppointmentStatus.SCHEDULED: _("scheduled"), AppointmentStatus.CONFIRMED: _("confirmed"),
        AppointmentStatus.COMPLETED: _("completed"), AppointmentStatus.CANCELLED: _("cancelled"),
        AppointmentStatus.RESCHEDULED: _("rescheduled"), AppointmentStatus.NO_SHOW: _("a no-show"),
    }[status]


def status_label(status: AppointmentStatus) -> str:
    """The status as a label on screen (the seeds' words: Agendado, Confirmado, ...)."""
    return {
        AppointmentStatus.SCHEDULED: _("Scheduled"), AppointmentStatus.CONFIRMED: _("Confirmed"),
        AppointmentStatus.COMPLETED: _("Completed"), AppointmentStatus.CANCELLED: _("Cancelled"),
        AppointmentStatus.RESCHEDULED: _("Rescheduled"), AppointmentStatus.NO_SHOW: _("No-show"),
    }[status]


def status_text(status: AppointmentStatus, cancel_requested: bool) -> str:
    """The status label, and the client's cancellation request while it waits
    ("Confirmed · cancellation requested"): wherever a session is listed."""
    label = status_label(status)
    if cancel_requested:
        return _("{status} · cancellation requested").format(status=label)
    return label


def source_label(source: str) -> str:
    """How a session came to be, as the panel shows it ("Originado por")."""
    return {
        AppointmentSource.MANUAL.value: _("Booked by hand"),
        AppointmentSource.IMPORT.value: _("Imported"),
        AppointmentSource.CALENDAR_SYNC.value: _("Calendar sync"),
        AppointmentSource.CLIENT_LINK.value: _("Client link"),
        AppointmentSource.RECURRENCE.value: _("Recurring series"),
    }.get(source, source)
