"""What a reminder call says and when it may ring, without a network: the TwiML
(built by xml.etree, the practice's words escaped), the relay's signed keypad
address, the spoken date and the hours calls ring in."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from app import i18n
from app.services import messages, quiet_hours, voice_calls
from relay import spoken

SECRET = b"q7Lx2VfT9cRk0sPzW4mNbH8jYd3uGe6A1oKiXw5Cl"
TOKEN = "AQAAAAFoY2FkABCDEFGHIJKLMNOP"[:28]
SP = ZoneInfo("America/Sao_Paulo")
CFG = {"voice.quiet_start": "08:00", "voice.quiet_end": "20:00"}


def facts(practice: str = "Clínica Aurora") -> messages.SessionFacts:
    start = datetime(2027, 7, 13, 10, 0, tzinfo=SP)
    return messages.SessionFacts(appointment_id=7, name="Maria Silva", first_name="Maria",
                                 service="Psicoterapia", professional="Dra. Ana",
                                 practice=practice, start=start,
                                 end=start + timedelta(minutes=50), link="https://x/c/y")


def test_the_practices_words_are_text_in_the_twiml_never_markup() -> None:
    hostile = 'Clínica <Hangup/> & "Cia" </Say><Dial>+1900</Dial>'
    words = spoken.Spoken(f"Aqui é {hostile}.", "pt-BR", "Polly.Camila")
    document = spoken.keypad(words, spoken.action_url("https://relay.example", SECRET,
                                                      TOKEN, words))
    root = ET.fromstring(document)
    assert [e.tag for e in root] == ["Gather", "Redirect"]
    [say] = root.iter("Say")
    assert say.text == f"Aqui é {hostile}." and list(say) == []
    assert root.find("Dial") is None and root.find("Hangup") is None
    gather = root[0]
    assert (gather.attrib["numDigits"], gather.attrib["method"]) == ("1", "POST")
    assert root[1].text == gather.attrib["action"]


def test_the_keypad_address_carries_signed_words() -> None:
    words = spoken.Spoken("Olá, Maria! Tecle 1 para confirmar.", "pt-BR", "Polly.Camila")
    url = spoken.action_url("https://relay.example/", SECRET, TOKEN, words)
    parts = urlsplit(url)
    assert parts.path == f"/webhooks/voice/{TOKEN}"
    query = dict(parse_qsl(parts.query))
    assert spoken.read_query([b"another" * 6, SECRET], TOKEN, query) == words
    assert spoken.read_query([b"another" * 6], TOKEN, query) is None  # another practice's
    assert spoken.read_query([SECRET], "B" * 28, query) is None  # another session's
    for name, value in (("t", "Pague agora."), ("l", "en-US"), ("v", "Polly.Joanna")):
        assert spoken.read_query([SECRET], TOKEN, {**query, name: value}) is None
    assert spoken.read_query([SECRET], TOKEN, {**query, "r": "2"}) == spoken.Spoken(
        words.text, words.language, words.voice, round=2)


def test_the_spoken_date_and_the_default_words_in_each_language() -> None:
    with i18n.speaking("pt_BR"):
        text = voice_calls.spoken_text(voice_calls.default_text("pt_BR"), facts())
    assert text == ("Olá, Maria! Aqui é Clínica Aurora. Lembrete da sua sessão com Dra. Ana: "
                    "terça-feira, 13 de julho, às 10:00. Tecle 1 para confirmar, 2 para "
                    "cancelar, 3 para ouvir de novo.")
    with i18n.speaking("en"):
        text = voice_calls.spoken_text("{first_name}: {date} {time} {link}{unknown}", facts(),
                                       keypad=False)
    # No link on a call; an unknown field stays as typed.
    assert text.startswith("Maria: July 13 10:00") and text.endswith("AM {unknown}")
    assert spoken.language_of("en") == "en-US" and spoken.language_of("pt_BR") == "pt-BR"
    assert spoken.language_of("") == "pt-BR"


def test_calls_ring_only_inside_the_hours() -> None:
    w = quiet_hours.window(CFG, "America/Sao_Paulo")
    at = datetime(2027, 3, 15, 10, 0, tzinfo=SP)
    assert quiet_hours.next_allowed(at.astimezone(UTC), w) == at.astimezone(UTC)
    late = datetime(2027, 3, 15, 22, 0, tzinfo=SP).astimezone(UTC)
    assert quiet_hours.next_allowed(late, w) == datetime(2027, 3, 16, 8, 0, tzinfo=SP)
    early = datetime(2027, 3, 15, 6, 30, tzinfo=SP).astimezone(UTC)
    assert quiet_hours.next_allowed(early, w) == datetime(2027, 3, 15, 8, 0, tzinfo=SP)
    cutoff = timedelta(minutes=15)
    session = datetime(2027, 3, 15, 9, 0, tzinfo=SP)
    assert quiet_hours.place(early, session, w, cutoff) == (
        datetime(2027, 3, 15, 8, 0, tzinfo=SP), None)
    tight = datetime(2027, 3, 15, 8, 10, tzinfo=SP)
    due, why_not = quiet_hours.place(early, tight, w, cutoff)
    assert due == early and why_not and "too close to the session" in why_not


def test_the_hours_are_never_wider_than_8_to_20() -> None:
    w = quiet_hours.window({"voice.quiet_start": "06:00", "voice.quiet_end": "23:30"},
                           "America/Sao_Paulo")
    assert (w.start.hour, w.end.hour) == (8, 20)
    narrow = quiet_hours.window({"voice.quiet_start": "09:30", "voice.quiet_end": "18:00"},
                                "America/Sao_Paulo")
    evening = datetime(2027, 3, 15, 18, 0, tzinfo=SP).astimezone(UTC)
    assert quiet_hours.next_allowed(evening, narrow) == datetime(2027, 3, 16, 9, 30, tzinfo=SP)
