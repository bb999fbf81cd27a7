"""The app's own sentences kept with the data (why a reminder was skipped, why a
session was cancelled) are kept in English and said in the reader's language: a
practice that changes language, or a worker whose system speaks another, never
leaves the other language on screen. A person's own words are left as written."""

from __future__ import annotations

from sqlmodel import select

from app import i18n
from app.models.enums import Channel
from app.models.outbox import OutboxMessage
from app.models.tables import Appointment
from app.services import clients, relay_client, reminders, scheduling
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.outside import asks_to_cancel


def test_round_trip_through_the_catalogue() -> None:
    with i18n.speaking("pt_BR"):
        kept = i18n.to_english("Removido por Dra. Ana.")
        assert kept == "Removed by Dra. Ana."
        assert i18n.from_english(kept) == "Removido por Dra. Ana."
        assert i18n.to_english("Cliente com febre") == "Cliente com febre"  # a person's words
        assert i18n.from_english("{weird} text") == "{weird} text"
    assert i18n.from_english("Removed by Dra. Ana.") == "Removed by Dra. Ana."  # in English


def test_a_skipped_reminders_reason_follows_the_readers_language(practice: Practice) -> None:
    client = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321").id
    session = scheduling.book(practice, BookingRequest(
        client_id=client, start=local("2026-11-23T10:00"), service_id=add_service(practice)))
    i18n.set_language("pt_BR")
    try:
        added = reminders.add(practice, session, Channel.WHATSAPP, 24 * 60)
        assert added.state == "skipped" and added.last_error is not None
        assert "não autorizou" in added.last_error  # said in the writer's language
    finally:
        i18n.set_language("en")
    with practice.db.read() as s:  # kept in English
        kept = s.exec(select(OutboxMessage).where(OutboxMessage.id == added.id)).one()
    assert kept.last_error is not None and "has not agreed" in kept.last_error
    [shown] = [m for m in reminders.list_for(practice, session) if m.id == added.id]
    assert shown.last_error == kept.last_error  # an English reader reads English
    with i18n.speaking("pt_BR"):
        [shown] = [m for m in reminders.list_for(practice, session) if m.id == added.id]
        assert shown.last_error == added.last_error


def test_a_cancellation_from_the_link_without_words_reads_in_each_language(
        practice: Practice) -> None:
    client = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321").id
    session = scheduling.book(practice, BookingRequest(
        client_id=client, start=local("2026-11-25T10:00"), service_id=add_service(practice)))
    asks_to_cancel(practice, session, "")
    [request] = relay_client.pending_requests(practice)
    with i18n.speaking("pt_BR"):
        relay_client.resolve(practice, request.id, "waive")
    with practice.db.read() as s:
        row = s.get(Appointment, session)
        assert row is not None
        assert row.cancellation_reason == "The client asked to cancel through the link."
    from app.services import queries

    assert queries.show(practice, session).cancellation_reason == \
        "The client asked to cancel through the link."
    with i18n.speaking("pt_BR"):
        assert queries.show(practice, session).cancellation_reason == \
            "O cliente pediu o cancelamento pelo link."


def test_sentences_said_together_are_kept_and_said_one_by_one() -> None:
    with i18n.speaking("pt_BR"):
        said = ("Os avisos vão por e-mail ou SMS. Maria Silva não tem e-mail. "
                "Maria Silva não autorizou mensagens por SMS.")
        kept = i18n.to_english(said)
        assert kept == ("Notices go by e-mail or SMS. Maria Silva has no e-mail address. "
                        "Maria Silva has not agreed to messages by SMS.")
        assert i18n.from_english(kept) == said
        own = "Estou com febre. Não vou conseguir ir."
        assert i18n.to_english(own) == own
