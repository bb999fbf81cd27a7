"""What a client receives is in the client's language (theirs, else the
practice's, never the sending computer's), with the practice's real facts; the
e-mail is designed, with a plain-text part that says the same. Sent through a
real SMTP server on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from email.message import Message

import pytest

from app import i18n
from app.models.enums import Channel
from app.services import catalog, clients, config, outbox, scheduling, secrets, settings
from app.services.clock import FrozenClock
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.fakes.relay_server import LINK_SECRET
from tests.fakes.smtp import SmtpServer, settings_for


@pytest.fixture
def smtp(practice: Practice) -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        config.set_values(practice, {
            **settings_for(server), "relay.url": "https://relay.example",
            "reminders.default": "email:1440"})
        secrets.store("relay.link_secret", LINK_SECRET)
        settings.set_value(practice, "language", "")  # the practice chose none: Brazil
        settings.set_value(practice, "name", "Consultório Bem-Estar")
        settings.set_value(practice, "cancel_fee", "100")
        settings.set_value(practice, "address", "Rua das Flores, 120, sala 3 — São Paulo")
        catalog.rename_staff(practice, catalog.list_staff(practice)[0].id, "Dra. Ana Souza")
        yield server


def parts(message: Message) -> dict[str, str]:
    return {p.get_content_type(): p.get_content() for p in message.walk()
            if p.get_content_type() in ("text/plain", "text/html")}


def book(p: Practice, client_id: int, start: str = "2026-11-23T10:00") -> int:
    return scheduling.book(p, BookingRequest(client_id=client_id, start=local(start),
                                             service_id=add_service(p, name="Psicoterapia")))


def test_a_brazilian_practice_writes_portuguese_from_an_english_computer(
        practice: Practice, clock: FrozenClock, smtp: SmtpServer) -> None:
    assert i18n.current_language() == "en"  # this computer speaks English
    maria = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321",
                        email="maria@example.com", consent=[Channel.EMAIL]).id
    book(practice, maria)
    clock.set(local("2026-11-22T10:00"))
    assert outbox.Dispatcher(practice).dispatch_due().sent == 1
    [mail] = smtp.received
    assert mail.message["Subject"] == "Lembrete: sua sessão em 23/11/2026 às 10:00"
    text, html = parts(mail.message)["text/plain"], parts(mail.message)["text/html"]
    for said in (text, html):
        assert "segunda-feira" in said and "Dra. Ana Souza" in said
        assert "Rua das Flores, 120, sala 3 — São Paulo" in said
        assert "menos de 24 h" in said and "R$\xa0100,00" in said
        assert "Professional" not in said and "Reminder" not in said
    assert "https://relay.example/c/" in text
    assert 'lang="pt-BR"' in html and ">Confirmar<" in html
    assert i18n.current_language() == "en" and i18n._("Confirm") == "Confirm"


def test_a_client_who_reads_english_gets_english(
        practice: Practice, clock: FrozenClock, smtp: SmtpServer) -> None:
    john = clients.add(practice, name="John Smith", phone="+55 11 91111-2222",
                       email="john@example.com", consent=[Channel.EMAIL], language="en").id
    a = book(practice, john)
    scheduling.confirm(practice, a)
    outbox.Dispatcher(practice).dispatch_due()
    [mail] = smtp.received
    assert mail.message["Subject"] == "Session confirmed: 11/23/26 at 10:00\u202fAM"
    text = parts(mail.message)["text/plain"]
    assert "Monday, November 23, 2026" in text and "Dra. Ana Souza" in text
    assert "Cancellations with less than 24 h notice are charged R$100.00." in text
    # Changed to Portuguese: the next message follows.
    clients.update(practice, john, language="pt_BR")
    scheduling.cancel(practice, a, reason="Viagem", notify=True)
    outbox.Dispatcher(practice).dispatch_due()
    assert smtp.received[1].message["Subject"] == "Sessão cancelada: 23/11/2026 às 10:00"


def test_a_language_no_one_speaks_is_refused_and_changes_nothing(
        practice: Practice, clock: FrozenClock) -> None:
    from app.services.errors import InvalidInput

    with pytest.raises(InvalidInput, match="Language must be one of"):
        clients.add(practice, name="Ana", phone="+55 11 93333-4444", language="xx")
    assert clients.search(practice, "Ana") == []
    c = clients.add(practice, name="Ana", phone="+55 11 93333-4444")
    with pytest.raises(InvalidInput):
        clients.update(practice, c.id, language="klingon")
    assert clients.get(practice, c.id).language == ""


def test_each_thread_speaks_its_own_language() -> None:
    seen: dict[str, str] = {}
    ready, done = threading.Event(), threading.Event()

    def worker() -> None:
        with i18n.speaking("pt_BR"):
            ready.set()
            done.wait(5)
            seen["worker"] = i18n._("Confirm")

    thread = threading.Thread(target=worker)
    thread.start()
    ready.wait(5)
    seen["window"] = i18n._("Confirm")  # while the worker speaks Portuguese
    done.set()
    thread.join(5)
    assert seen == {"worker": "Confirmar", "window": "Confirm"}


def test_a_strangers_markup_in_names_stays_text(
        practice: Practice, clock: FrozenClock, smtp: SmtpServer) -> None:
    settings.set_value(practice, "name", "<b>Bem</b>-Estar & Cia")
    hostile = clients.add(practice, name='Eve <img src=x onerror="alert(1)">',
                          phone="+55 11 95555-6666", email="eve@example.com",
                          consent=[Channel.EMAIL]).id
    a = book(practice, hostile)
    scheduling.confirm(practice, a)
    outbox.Dispatcher(practice).dispatch_due()
    html = parts(smtp.received[0].message)["text/html"]
    assert "<img" not in html and "<b>Bem" not in html
    assert "&lt;b&gt;Bem&lt;/b&gt;-Estar &amp; Cia" in html


def test_the_practices_own_words_go_to_clients_in_its_language(
        practice: Practice, clock: FrozenClock, smtp: SmtpServer) -> None:
    """A Brazilian practice's own Portuguese words reach Maria; John, who reads
    English, gets the built-in words in English, not Portuguese ones with English
    dates. A reminder's own text has its fields filled."""
    config.set_values(practice, {"template.email.subject": "Até {weekday}, {first_name}!",
                                 "template.email.text": "Oi {first_name}, até {date} às "
                                                        "{time}.",
                                 "template.email.html": "<p>Oi {first_name}!</p>"})
    maria = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321",
                        email="maria@example.com", consent=[Channel.EMAIL]).id
    john = clients.add(practice, name="John Smith", phone="+55 11 91111-2222",
                       email="john@example.com", consent=[Channel.EMAIL], language="en").id
    book(practice, maria)
    book(practice, john, "2026-11-23T11:00")
    lurdes = clients.add(practice, name="Lurdes Lima", phone="+55 11 93333-4444",
                         email="lurdes@example.com", consent=[Channel.EMAIL]).id
    from app.services import reminders

    config.set_value(practice, "reminders.default", "")
    own = book(practice, lurdes, "2026-11-23T14:00")
    reminders.add(practice, own, Channel.EMAIL, 1440, "Lurdes, traga os exames às {time}.")
    clock.set(local("2026-11-22T15:00"))
    assert outbox.Dispatcher(practice).dispatch_due().sent == 3
    got = {m.recipients[0]: m.message for m in smtp.received}
    assert got["maria@example.com"]["Subject"] == "Até segunda-feira, Maria!"
    assert parts(got["maria@example.com"])["text/plain"].startswith(
        "Oi Maria, até 23/11/2026 às 10:00.")
    assert got["john@example.com"]["Subject"] == "Reminder: your session on 11/23/26 at " \
        "11:00\u202fAM"
    assert parts(got["john@example.com"])["text/plain"].startswith(
        "Hello John, this is a reminder of your session (Psicoterapia)")
    assert parts(got["lurdes@example.com"])["text/plain"].startswith(
        "Lurdes, traga os exames às 14:00.")
    assert parts(got["maria@example.com"])["text/html"].strip() == "<p>Oi Maria!</p>"
    # The reminder's own text is the message in both parts, not the practice's HTML.
    assert "Lurdes, traga os exames às 14:00." in parts(got["lurdes@example.com"])["text/html"]
    assert "Psicoterapia" in parts(got["john@example.com"])["text/html"]


def test_words_saved_before_they_were_checked_never_reach_a_client(
        practice: Practice, clock: FrozenClock, smtp: SmtpServer) -> None:
    from sqlmodel import select

    from app.models.outbox import ConfigEntry, DeliveryAttempt

    with practice.db.write() as s:  # as an older version saved them, unchecked
        s.add(ConfigEntry(key="template.email.text", value="Oi {nome}, até {date}."))
        s.add(ConfigEntry(key="template.email.subject", value="Até {date"))
    maria = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321",
                        email="maria@example.com", consent=[Channel.EMAIL]).id
    book(practice, maria)
    clock.set(local("2026-11-22T10:00"))
    assert outbox.Dispatcher(practice).dispatch_due().sent == 1
    [mail] = smtp.received
    assert mail.message["Subject"] == "Lembrete: sua sessão em 23/11/2026 às 10:00"
    assert parts(mail.message)["text/plain"].startswith("Olá, Maria! Lembrete da sua sessão")
    assert "{" not in parts(mail.message)["text/plain"]
    with practice.db.read() as s:
        [note] = s.exec(select(DeliveryAttempt).where(DeliveryAttempt.outcome == "words"))
    assert "A brace is not closed in “Até {date”" in note.detail
    assert "{nome} is not a field" in note.detail
