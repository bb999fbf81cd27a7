"""A client's answer to a session, however it came (the link's page, a WhatsApp
quick reply, a key pressed on a reminder call): a confirmation is applied in the
client's name; a cancellation only becomes a request for the professional's
decision; an answer for a session that is no longer due is kept as a notice and
changes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.i18n import _, format_datetime
from app.models.enums import ACTIVE_STATUSES, AppointmentStatus
from app.models.instants import utc
from app.models.requests import ClientRequest, RequestKind, RequestState
from app.models.tables import Appointment
from app.services import audit, scheduling
from app.services.practice import Practice
from app.services.settings import practice_zone

CONFIRMED, CANCEL_REQUESTED = "confirmed", "cancel_requested"


def apply(s: Session, p: Practice, a: Appointment, kind: str, reason: str = "",
          via: str = "link", made_for: datetime | None = None) -> str:
    """Inside the caller's unit of work; returns what happened (confirmed,
    request or notice). `via`: "link", "whatsapp" or "phone". `made_for` is the
    start the link was made for: an answer to a session as it no longer is only
    becomes a notice."""
    client = p.acting_as(audit.CLIENT)
    now = p.clock.now()
    if made_for is not None and utc(a.start).replace(second=0, microsecond=0) != \
            utc(made_for).replace(second=0, microsecond=0):
        zone = practice_zone(s)
        s.add(ClientRequest(kind=RequestKind.NOTICE, appointment_id=a.id or 0,
                            reason=_("{answer} for {when}, a time this session no longer has; "
                                     "nothing was changed: tell the client the session's "
                                     "time.").format(
                                answer=answered(kind, via),
                                when=format_datetime(made_for.astimezone(zone))),
                            received_at=now))
        return "notice"
    if kind == CANCEL_REQUESTED and a.status in ACTIVE_STATUSES:
        waiting = next(iter(_waiting_cancellations(s, a)), None)
        if waiting is not None:  # asked again (another tap, another reminder): one request
            if reason and not waiting.reason:
                waiting.reason = reason
            return "already requested"
        s.add(ClientRequest(kind=RequestKind.CANCEL, appointment_id=a.id or 0, reason=reason,
                            received_at=now))
        audit.record(s, at=now, actor=audit.CLIENT, entity="appointment", entity_id=a.id,
                     action="cancel_requested", changes={"reason": reason, "via": via})
        return "request"
    if kind == CONFIRMED and a.status in ACTIVE_STATUSES:
        # The client changed their mind: a cancellation they asked for earlier is
        # settled by this confirmation, not left for the professional.
        for waiting in _waiting_cancellations(s, a):
            waiting.state, waiting.decision = RequestState.RESOLVED, "withdrawn"
            waiting.decided_by, waiting.decided_at = audit.CLIENT, now
    if kind == CONFIRMED and a.status is AppointmentStatus.SCHEDULED:
        scheduling.confirm_in(s, client, a.id or 0, via=via if via == "phone" else None)
        return "confirmed"
    if kind == CONFIRMED and a.status is AppointmentStatus.CONFIRMED:
        return "already confirmed"  # a second tap: nothing to say
    s.add(ClientRequest(kind=RequestKind.NOTICE, appointment_id=a.id or 0,
                        reason=_("{answer}, but the session is {status}; nothing was "
                                 "changed.").format(answer=answered(kind, via),
                                                    status=scheduling.status_word(a.status)),
                        received_at=now))
    return "notice"


def answered(kind: str, via: str) -> str:
    """"The client confirmed by phone": what the client did and how, one whole
    sentence each, so every language says it in its own order."""
    if kind == CONFIRMED:
        return {"link": _("The client confirmed through the link"),
                "phone": _("The client confirmed by phone")}.get(
            via, _("The client confirmed on WhatsApp"))
    return {"link": _("The client asked to cancel through the link"),
            "phone": _("The client asked to cancel by phone")}.get(
        via, _("The client asked to cancel on WhatsApp"))


def _waiting_cancellations(s: Session, a: Appointment) -> list[ClientRequest]:
    """The client's cancellation requests for `a` still waiting for the professional."""
    return list(s.exec(select(ClientRequest).where(
        ClientRequest.appointment_id == a.id, ClientRequest.kind == RequestKind.CANCEL,
        ClientRequest.state == RequestState.PENDING)))
