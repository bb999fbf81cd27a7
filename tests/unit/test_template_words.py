"""The practice's own words for reminders: a template or a reminder's own text
that cannot be filled (a brace not closed, a stray "}", a field it cannot fill) is
refused where it is saved, with a sentence naming the brace or the field and the
fields it may use, and nothing is saved; which words a message says (the
reminder's own text, the practice's template, the built-in words) and the
language rule."""

from __future__ import annotations

import re

import pytest

from app import i18n
from app.models.enums import Channel
from app.models.outbox import ConfigEntry
from app.services import config, messages
from app.services.errors import InvalidInput
from app.services.practice import Practice

TYPO = "Oi {first_name}, sua sessão é {weekday} às {time. Até lá!"
TEMPLATE_KEYS = ("template.email.subject", "template.email.text", "template.email.html",
                 "template.sms.text", "template.voice.text", "template.push.text")


def test_a_brace_not_closed_is_named_with_the_fields_it_may_use() -> None:
    problem = messages.template_problem(TYPO, messages.CHANNEL_FIELDS[Channel.VOICE])
    assert problem is not None
    assert problem.startswith("A brace is not closed in “…{weekday} às {time. Até lá!”")
    assert "{first_name}, {name}, {date}, {time}" in problem and "{day}" not in problem
    # A brace opened and another opened before it closes: the first is not closed.
    assert "not closed in “Oi {first_name, {time}”" in (messages.template_problem(
        "Oi {first_name, {time}", messages.CHANNEL_FIELDS[Channel.SMS]) or "")


def test_a_stray_closing_brace_and_an_unknown_field() -> None:
    fields = messages.CHANNEL_FIELDS[Channel.SMS]
    stray = messages.template_problem("Até {date} às {time}} !", fields) or ""
    assert stray.startswith("A “}” closes nothing in “…{date} às {time}} !”")
    assert messages.template_problem("Oi {nome}, até {date}.", fields) == (
        "{nome} is not a field these words can fill. Fields you may use: {first_name}, "
        "{name}, {date}, {time}, {weekday}, {professional}, {practice}, {service}, "
        "{address}, {policy}, {link}.")
    for wrong in ("{time:%H}", "{time!r}", "{0}", "{}", "{first_name.upper}"):
        assert messages.template_problem(f"Às {wrong}.", fields), wrong
    assert "without spaces" in (messages.template_problem("Oi { first_name }", fields) or "")


def test_each_channel_fills_its_own_fields() -> None:
    # {day} ("today", "tomorrow") is a phone notification's; a call reads no link.
    assert messages.template_problem("{day} at {time}",
                                     messages.CHANNEL_FIELDS[Channel.PUSH]) is None
    assert "{day} is not a field" in (messages.template_problem(
        "{day} at {time}", messages.CHANNEL_FIELDS[Channel.EMAIL]) or "")
    assert "{link} is not a field" in (messages.template_problem(
        "Confirme em {link}", messages.CHANNEL_FIELDS[Channel.VOICE]) or "")
    # A brace itself is written doubled, as CSS in an e-mail's own HTML is.
    assert messages.template_problem("<style>p{{margin:0}}</style>{{ok}} {first_name}",
                                     messages.CHANNEL_FIELDS[Channel.EMAIL]) is None


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_saving_a_template_that_cannot_be_filled_is_refused_and_saves_nothing(
        practice: Practice, key: str) -> None:
    before = config.get_all(practice)
    for wrong, named in ((TYPO, "A brace is not closed"), ("Oi {nome}!", "{nome} is not"),
                         ("Até {date}} às {time}", "A “}” closes nothing")):
        with pytest.raises(InvalidInput,
                           match=re.escape("Fields you may use: {first_name}")) as refused:
            # In one unit of work with a good value: neither is saved.
            config.set_values(practice, {"reminders.default": "sms:60", key: wrong})
        assert named in str(refused.value)
        assert config.get_all(practice) == before
    with practice.db.read() as s:
        assert s.get(ConfigEntry, key) is None
    good = "{first_name}, {day}" if key == "template.push.text" else "{first_name}, {time}"
    assert config.set_value(practice, key, good) == good


def test_the_refusal_names_the_words_in_the_readers_language(practice: Practice) -> None:
    with i18n.speaking("pt_BR"), pytest.raises(InvalidInput) as refused:
        config.set_value(practice, "template.voice.text", TYPO)
    said = str(refused.value)
    assert said.startswith("Fala da ligação de lembrete: Uma chave não foi fechada em "
                           "“…{weekday} às {time. Até lá!”")
    assert said.endswith("Campos que você pode usar: {first_name}, {name}, {date}, {time}, "
                         "{weekday}, {professional}, {practice}, {service}, {address}, "
                         "{policy}.")


def test_which_words_a_message_says() -> None:
    built_in = "Hello {first_name}"
    chosen = messages.choose_words(Channel.SMS, built_in, own="Oi {first_name}",
                                   custom="Lurdes, traga os exames às {time}.")
    assert chosen == messages.Words("Lurdes, traga os exames às {time}.")
    assert messages.choose_words(Channel.SMS, built_in, own="Oi {first_name}") == \
        messages.Words("Oi {first_name}")
    assert messages.choose_words(Channel.SMS, built_in) == messages.Words(built_in)
    # Words stored before they were checked never reach a client as placeholders.
    stale = messages.choose_words(Channel.VOICE, built_in, own=TYPO)
    assert stale.template == built_in
    assert stale.note.startswith("The practice's own words for this channel could not be "
                                 "read, so the built-in words went instead. A brace is not "
                                 "closed")
    odd = messages.choose_words(Channel.SMS, built_in, own="Oi {first_name}",
                                custom="Traga os exames às {hora}.")
    assert odd.template == "Oi {first_name}"
    assert odd.note.startswith("The reminder's own text could not be read") and \
        "{hora} is not a field" in odd.note


def test_the_practices_words_go_to_clients_in_its_language() -> None:
    assert messages.own_words_for("pt_BR", "pt_BR")
    assert messages.own_words_for("pt_PT", "pt_BR")  # the same language
    assert not messages.own_words_for("en", "pt_BR")
    assert not messages.own_words_for("pt_BR", "en")
    assert messages.same_language("en-US", "en")


def test_a_reminders_own_text_is_checked_as_a_template() -> None:
    assert messages.check_own_text("  Lurdes, traga os exames às {time}. ", Channel.VOICE) \
        == "Lurdes, traga os exames às {time}."
    assert messages.check_own_text("  ", Channel.SMS) is None
    with pytest.raises(InvalidInput) as refused:
        messages.check_own_text("Lurdes, traga os exames às {time.", Channel.VOICE)
    assert str(refused.value).startswith("The reminder's own text: A brace is not closed in")
    with pytest.raises(InvalidInput, match=re.escape("{day} is not a field")):
        messages.check_own_text("Até {day}", Channel.SMS)


def test_adding_a_reminder_with_an_own_text_that_cannot_be_filled_is_refused(
        practice: Practice) -> None:
    from app.services import clients, reminders, scheduling
    from app.services.scheduling import BookingRequest
    from tests.conftest import add_service, local

    c = clients.add(practice, name="Lurdes Lima", phone="+55 11 98765-4321",
                    consent=[Channel.SMS]).id
    session = scheduling.book(practice, BookingRequest(
        client_id=c, start=local("2027-03-15T10:00"), service_id=add_service(practice)))
    before = reminders.list_for(practice, session)
    with pytest.raises(InvalidInput, match="The reminder's own text: A brace is not closed"):
        reminders.add(practice, session, Channel.SMS, 60, "Lurdes, traga os exames às {time.")
    assert reminders.list_for(practice, session) == before
