"""Why a client's notice will not go is said in the reader's language: the reason is
kept in English (kept_text) and must come back in Portuguese, whole, on the status
line of a confirmation and of several confirmations."""

from __future__ import annotations

from app import i18n
from app.models.outbox import MessageKind
from app.services import clients, reminders, scheduling
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local


def test_a_confirmations_reason_is_said_in_portuguese(practice: Practice) -> None:
    client = clients.add(practice, name="Maria da Conceição", phone="+55 11 98765-4321",
                         email="maria@example.com").id  # no consent to e-mail
    service = add_service(practice)
    ids = [scheduling.book(practice, BookingRequest(
        client_id=client, start=local(f"2026-11-2{d}T10:00"), service_id=service))
        for d in (4, 5)]
    with i18n.speaking("pt_BR"):
        said = scheduling.confirm(practice, ids[0])
        assert said.startswith("Sessão confirmada.")
        assert "Maria da Conceição não autorizou mensagens por e-mail" in said, said
        assert "has not agreed" not in said
        scheduling.confirm_many(practice, ids[1:])
        [(_channel, _held, reason)] = reminders.notice_issues(
            practice, ids[1:], MessageKind.CONFIRMATION)
        assert "não autorizou" in reason and "has not agreed" not in reason
