"""A session the client asked to cancel is refused for confirmation by the
professional, but the client's own confirmation still settles the request."""

from __future__ import annotations

import pytest

from app.services import queries, scheduling
from app.services.errors import IllegalTransition
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_client, add_service, local
from tests.outside import asks_to_cancel, confirms


def test_the_clients_confirmation_withdraws_their_request(practice: Practice) -> None:
    a = scheduling.book(practice, BookingRequest(
        client_id=add_client(practice), start=local("2026-11-23T10:00"),
        service_id=add_service(practice)))
    asks_to_cancel(practice, a, "Viagem")
    assert queries.show(practice, a).cancel_requested
    with pytest.raises(IllegalTransition):
        scheduling.confirm(practice, a)
    confirms(practice, a)  # the client changed their mind
    view = queries.show(practice, a)
    assert view.status.value == "confirmed" and not view.cancel_requested


@pytest.mark.parametrize("kind, via, english, portuguese", [
    ("confirmed", "phone", "The client confirmed by phone, but the session is cancelled; "
     "nothing was changed.", "O cliente confirmou por telefone, mas a sessão está cancelada; "
     "nada foi alterado."),
    ("cancel_requested", "whatsapp", "The client asked to cancel on WhatsApp, but the session "
     "is cancelled; nothing was changed.", "O cliente pediu para cancelar pelo WhatsApp, mas a "
     "sessão está cancelada; nada foi alterado."),
])
def test_an_answer_to_a_session_no_longer_due_is_a_notice_said_whole(
        practice: Practice, kind: str, via: str, english: str, portuguese: str) -> None:
    """Each answer and way is one whole sentence in each language (a past participle
    glued into another sentence read "O cliente confirmada por telefone")."""
    from app import i18n
    from app.models.requests import ClientRequest
    from app.models.tables import Appointment
    from app.services import client_answers

    a = scheduling.book(practice, BookingRequest(
        client_id=add_client(practice), start=local("2026-11-23T10:00"),
        service_id=add_service(practice)))
    scheduling.cancel(practice, a, reason="Viagem")
    with practice.db.write() as s:
        row = s.get(Appointment, a)
        assert row is not None
        assert client_answers.apply(s, practice, row, kind, via=via) == "notice"
    with practice.db.read() as s:
        from sqlmodel import select

        [notice] = s.exec(select(ClientRequest)).all()
    assert notice.reason == english
    with i18n.speaking("pt_BR"):
        assert i18n.from_english(notice.reason) == portuguese
