"""Clients' e-mail replies reach Conecta: the practice writes over SMTP (a real
server on loopback), the client answers into the practice's mailbox (an IMAP
server on loopback), and the next pass puts the answer in the right card, once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from app.models.conecta import AttendanceStatus, Direction
from app.services import attendances, config, conversations, mail_inbound, secrets
from app.services.clock import FrozenClock
from app.services.practice import Practice
from tests.conftest import add_client
from tests.fakes.imap import ImapServer
from tests.fakes.smtp import SmtpServer

PRACTICE = "agenda@bemestar.example"


@pytest.fixture
def mail(practice: Practice) -> Iterator[tuple[SmtpServer, ImapServer]]:
    with SmtpServer() as smtp, ImapServer() as imap:
        config.set_values(practice, {
            "smtp.host": "127.0.0.1", "smtp.port": str(smtp.port), "smtp.security": "none",
            "smtp.from": PRACTICE, "imap.host": "127.0.0.1", "imap.port": str(imap.port),
            "imap.security": "none", "imap.user": imap.box.user})
        secrets.store("imap.password", imap.box.password)
        yield smtp, imap


def reply(frm: str, body: str, clock: FrozenClock, *, to: str = PRACTICE,
          answering: str | None = None, references: str | None = None,
          subject: str = "Re: Recibo de novembro", msg_id: str = "<r1@example.com>") -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = frm, to, subject
    m["Date"] = format_datetime(clock.now() - timedelta(minutes=5))
    m["Message-ID"] = msg_id
    if answering:
        m["In-Reply-To"] = answering
    if references:
        m["References"] = references
    m.set_content(body)
    return bytes(m)


def test_replies_land_in_their_card_once(practice: Practice, clock: FrozenClock,
                                         mail: tuple[SmtpServer, ImapServer]) -> None:
    smtp, imap = mail
    imap.box.deliver(reply("Old <old@example.com>", "history", clock, msg_id="<old@x>"))
    assert mail_inbound.fetch(practice).as_json() == {"taken": 0, "left": 0}  # where it stands
    maria = add_client(practice)  # maria@example.com
    a = attendances.start(practice, medium="email", name="Maria Silva",
                          email="maria@example.com")
    conversations.deliver(practice, conversations.send_text(
        practice, a, "Segue o recibo.", subject="Recibo de novembro"))
    [sent] = smtp.received
    ours = sent.message["Message-ID"]
    attendances.update(practice, a, status="finished")
    clock.advance(timedelta(hours=1))

    # The client answers our message (quoting it), someone else writes, and a
    # client with no open attendance writes a new message.
    imap.box.deliver(reply("Maria Silva <Maria@Example.com>",
                           "Obrigada! Recebi.\n\nOn Fri, Nov 20, 2026 Agenda wrote:\n> Segue",
                           clock, answering=ours, references=ours))
    imap.box.deliver(reply("Loja <ofertas@loja.example>", "Promoção!", clock,
                           msg_id="<spam@loja>"))
    joao = add_client(practice, "João Alves", "+55 21 99876-5432", "joao@example.com")
    imap.box.deliver(reply("João <joao@example.com>", "Posso mudar meu horário?", clock,
                           subject="Horário", msg_id="<j1@example.com>"))
    report = mail_inbound.fetch(practice)
    assert report.as_json() == {"taken": 2, "left": 1}
    entries = conversations.detail(practice, a).entries
    assert [(e.direction, e.body) for e in entries] == [
        (Direction.OUTBOUND, "Segue o recibo."), (Direction.INBOUND, "Obrigada! Recebi.")]
    card = attendances.card(practice, a)
    assert (card.status, card.unread, card.client_id) == (AttendanceStatus.PENDING, 1, maria)
    [new] = [c for c in attendances.cards(practice) if c.id != a]
    assert (new.name, new.email, new.status, new.client_id, new.originator) == (
        "João Alves", "joao@example.com", AttendanceStatus.PENDING, joao, PRACTICE)
    assert sorted(imap.box.seen()) == [2, 4]  # the shop's mail is left unread
    # The next pass takes nothing twice; our own reply is threaded after the client's.
    assert mail_inbound.fetch(practice).as_json() == {"taken": 0, "left": 0}
    conversations.deliver(practice, conversations.send_text(practice, a, "De nada!"))
    assert smtp.received[-1].message["In-Reply-To"] == "<r1@example.com>"
    assert smtp.received[-1].message["References"].split() == [ours, "<r1@example.com>"]


def test_a_wrong_password_is_a_sentence_and_changes_nothing(
        practice: Practice, mail: tuple[SmtpServer, ImapServer]) -> None:
    _smtp, imap = mail
    secrets.store("imap.password", "wrong")
    with pytest.raises(mail_inbound.MailUnavailable, match="refused the user or the password"):
        mail_inbound.fetch(practice)
    assert imap.box.refused_logins == 1
    config.set_value(practice, "imap.port", "1")  # nothing listens there
    with pytest.raises(mail_inbound.MailUnavailable, match="Cannot reach the mail server"):
        mail_inbound.fetch(practice)
    config.set_value(practice, "imap.host", "")
    with pytest.raises(mail_inbound.MailNotConfigured):
        mail_inbound.fetch(practice)


def test_the_command_and_the_worker_read_the_mailbox(practice: Practice, clock: FrozenClock,
                                                     mail: tuple[SmtpServer, ImapServer]
                                                     ) -> None:
    from app.services.worker import Worker
    from tests.e2e.test_cli_reminders import run

    _smtp, imap = mail
    add_client(practice)
    mail_inbound.fetch(practice)  # the first pass notes where the mailbox stands
    imap.box.deliver(reply("maria@example.com", "Oi, pode me ligar?", clock,
                           subject="Ligação", msg_id="<m1@example.com>"))
    result = run(practice.paths.root, "conecta", "fetch-mail", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"taken": 1, "left": 0}
    [card] = attendances.cards(practice)
    assert (card.name, card.preview, card.unread) == ("Maria Silva", "Oi, pode me ligar?", 1)
    imap.box.deliver(reply("maria@example.com", "Esqueci: depois das 18h.", clock,
                           msg_id="<m2@example.com>"))
    assert Worker(practice).read_mail() == 1
    assert attendances.card(practice, card.id).unread == 2
    secrets.store("imap.password", "wrong")
    assert Worker(practice).read_mail() == 0  # said in the log, tried again next minute
    bad = run(practice.paths.root, "conecta", "fetch-mail")
    assert bad.returncode == 3 and "refused the user or the password" in bad.stderr
