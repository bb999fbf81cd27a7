"""Reminders by phone call end to end: the outbox places the call with the fake
Twilio (checked against Twilio's spec), the fake plays it — status callbacks and
the keypad posted, signed, to the real relay under uvicorn, following the TwiML
the relay answers — and the desktop's poller takes in what came of it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlmodel import col, select

from app import i18n
from app.models.enums import Channel
from app.models.outbox import ConfigEntry, DeliveryAttempt, OutboxMessage
from app.services import (
    clients,
    config,
    history,
    outbox,
    queries,
    relay_client,
    reminders,
    scheduling,
    secrets,
    voice_calls,
)
from app.services.channels import ChannelError
from app.services.clock import FrozenClock
from app.services.outbox import Dispatcher
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from relay.store import Store
from tests.conftest import add_service, local
from tests.fakes import twilio
from tests.fakes.relay_server import API_KEY, LINK_SECRET, RelayServer
from tests.fakes.twilio import Call, FakeTwilio

START = "2027-03-15T10:00"  # a Monday; the relay checks links against the real time
DUE = local("2027-03-15T08:00")  # voice:120


@pytest.fixture
def world(practice: Practice, tmp_path: Path) -> Iterator[tuple[RelayServer, FakeTwilio]]:
    public = relay_client.keys(practice)
    with FakeTwilio() as tw:
        env = {"RELAY_TWILIO_ACCOUNT_SID": tw.account.sid,
               "RELAY_TWILIO_AUTH_TOKEN": tw.account.token}
        with RelayServer(tmp_path / "relay", public_key=public, env=env) as relay:
            config.set_values(practice, {
                "sms.api_base": tw.url, "sms.account_sid": tw.account.sid,
                "sms.from": "+15005550006", "relay.url": relay.url,
                "reminders.default": "voice:120"})
            secrets.store("sms.auth_token", tw.account.token)
            secrets.store("relay.api_key", API_KEY)
            secrets.store("relay.link_secret", LINK_SECRET)
            yield relay, tw


def book(p: Practice, *, language: str = "", consent: tuple[Channel, ...] = (
        Channel.VOICE, Channel.SMS), start: str = START) -> int:
    c = clients.add(p, name="Maria Silva", phone="+55 11 98765-4321",
                    email="maria@example.com", consent=consent, language=language).id
    return scheduling.book(p, BookingRequest(client_id=c, start=local(start),
                                             service_id=add_service(p)))


def the_call(p: Practice, session: int) -> reminders.MessageView:
    [call] = [m for m in reminders.list_for(p, session) if m.channel == "voice"]
    return call


def place(p: Practice, clock: FrozenClock, tw: FakeTwilio, at: object = DUE) -> Call:
    clock.set(at)  # type: ignore[arg-type]
    before = len(tw.calls)
    Dispatcher(p).dispatch_due()
    assert len(tw.calls) == before + 1, "one call placed"
    return tw.calls[-1]


def poll(p: Practice) -> relay_client.PollResult:
    return relay_client.Poller(p).poll_once()


def test_pressing_1_confirms_the_session_by_phone(practice: Practice, clock: FrozenClock,
                                                  world: tuple) -> None:
    relay, tw = world
    session = book(practice)
    call = place(practice, clock, tw)
    assert call.to == "+5511987654321" and call.from_ == "+15005550006"
    words = " ".join(call.said())
    # The practice's name, the day and the time, then the keypad.
    assert "Monday, March 15, at 10:00" in words and "Press 1 to confirm" in words
    action = call.action()
    assert action.startswith(f"{relay.url}/webhooks/voice/")
    assert parse_qs(urlsplit(action).query)["h"]  # the words are signed for the relay
    assert set(call.events) == {"initiated", "ringing", "answered", "completed"}
    assert the_call(practice, session).state == "sent"

    heard = tw.answer(call, ["1"])
    assert heard[-1] == "Thank you! Your session is confirmed. See you then!"
    result = poll(practice)
    assert result.failed == 0
    view = queries.show(practice, session)
    assert view.status.value == "confirmed"
    confirm = next(h for h in view.history if h.action == "confirm")
    assert confirm.changes.get("via") == "phone"
    assert "by phone" in history.sentence(confirm, local(START).tzinfo, "BRL")  # type: ignore[arg-type]
    # The call's own row: sent, and the attempt says the client answered.
    row = the_call(practice, session)
    assert row.state == "sent" and row.provider_message_id == call.sid
    with practice.db.read() as s:
        said = [a.detail for a in s.exec(select(DeliveryAttempt).where(
            DeliveryAttempt.message_id == row.id))]
    assert "The client answered the call." in said
    # The Lembretes tab says it, in the reader's language, not the call's id.
    [listed] = [m for m in reminders.list_for(practice, session) if m.channel == "voice"]
    assert listed.outcome == "The client answered the call."
    with i18n.speaking("pt_BR"):
        [listed] = [m for m in reminders.list_for(practice, session) if m.channel == "voice"]
    assert listed.outcome == "O cliente atendeu a ligação."


def test_pressing_2_is_a_cancellation_request(practice: Practice, clock: FrozenClock,
                                              world: tuple) -> None:
    _relay, tw = world
    session = book(practice)
    heard = tw.answer(place(practice, clock, tw), ["2"])
    assert heard[-1].startswith("We have your request to cancel.")
    poll(practice)
    assert queries.show(practice, session).status.value == "scheduled"  # nothing changed
    [request] = relay_client.pending_requests(practice)
    assert (request.kind, request.appointment_id) == ("cancel", session)
    entry = next(h for h in queries.show(practice, session).history
                 if h.action == "cancel_requested")
    assert entry.changes["via"] == "phone"
    # The Painel says how the client asked; the cancellation keeps it as the reason.
    assert request.via == "phone" and request.as_json()["via"] == "phone"
    relay_client.resolve(practice, request.id, "waive")
    cancelled = queries.show(practice, session)
    assert cancelled.status.value == "cancelled"
    assert cancelled.cancellation_reason == "The client asked to cancel by phone."


def test_another_key_repeats_once_then_thanks_and_hangs_up(
        practice: Practice, clock: FrozenClock, world: tuple) -> None:
    _relay, tw = world
    session = book(practice, language="pt_BR")
    call = place(practice, clock, tw)
    first = call.said()[0]
    assert "segunda-feira, 15 de março, às 10:00" in first
    assert first.endswith("Tecle 1 para confirmar, 2 para cancelar, 3 para ouvir de novo.")
    heard = tw.answer(call, ["3", None])
    # Said, said again (3), nothing pressed the second time: thanks, and the call ends.
    assert heard == [first, first, "Obrigado. Até logo."]
    poll(practice)
    assert queries.show(practice, session).status.value == "scheduled"
    assert relay_client.pending_requests(practice) == []


def test_nothing_pressed_is_the_same_as_another_key(practice: Practice, clock: FrozenClock,
                                                    world: tuple) -> None:
    _relay, tw = world
    book(practice)
    call = place(practice, clock, tw)
    heard = tw.answer(call, [None, "1"])  # silence, then 1 on the repetition
    assert heard[:2] == [call.said()[0]] * 2
    assert heard[-1] == "Thank you! Your session is confirmed. See you then!"


def test_no_answer_is_tried_once_more_then_falls_back_to_sms(
        practice: Practice, clock: FrozenClock, world: tuple) -> None:
    _relay, tw = world
    session = book(practice)
    first = place(practice, clock, tw)
    tw.ring_out(first, "no-answer")
    poll(practice)
    row = the_call(practice, session)
    assert row.state == "pending" and "did not answer" in (row.last_error or "")
    clock.advance(timedelta(minutes=29))
    Dispatcher(practice).dispatch_due()
    assert len(tw.calls) == 1  # the pause is voice.retry_minutes (30)
    second = place(practice, clock, tw, DUE + timedelta(minutes=30))
    assert second.sid != first.sid
    tw.ring_out(second, "busy")
    poll(practice)
    row = the_call(practice, session)
    assert row.state == "failed"
    assert "did not answer two calls" in (row.last_error or "") and "SMS" in (row.last_error
                                                                              or "")
    [sms_row] = [m for m in reminders.list_for(practice, session) if m.channel == "sms"]
    with practice.db.read() as s:
        stored = s.get(OutboxMessage, sms_row.id)
        assert stored is not None and stored.fallback_of == row.id
    Dispatcher(practice).dispatch_due()
    [sms] = tw.sent
    assert sms.to == "+5511987654321" and "Confirm or cancel" in sms.body
    # Replayed statuses (Twilio retrying, an event delivered again) change nothing.
    tw.ring_out(second, "busy")
    tw.ring_out(first, "no-answer")
    poll(practice)
    assert the_call(practice, session).state == "failed"
    assert len([m for m in reminders.list_for(practice, session) if m.channel == "sms"]) == 1
    assert len(tw.calls) == 2


def test_no_other_channel_agreed_is_said_on_the_failed_call(
        practice: Practice, clock: FrozenClock, world: tuple) -> None:
    _relay, tw = world
    session = book(practice, consent=(Channel.VOICE,))
    tw.ring_out(place(practice, clock, tw), "no-answer")
    poll(practice)
    tw.ring_out(place(practice, clock, tw, DUE + timedelta(minutes=30)), "no-answer")
    poll(practice)
    row = the_call(practice, session)
    assert row.state == "failed" and "No other channel can take its place" in (
        row.last_error or "")
    assert [m.channel for m in reminders.list_for(practice, session)] == ["voice"]


def test_a_failed_call_and_a_completed_status_replayed(practice: Practice, clock: FrozenClock,
                                                       world: tuple) -> None:
    _relay, tw = world
    session = book(practice)
    call = place(practice, clock, tw)
    tw.answer(call, ["1"])
    poll(practice)
    tw.hang_up(call)  # Twilio posts `completed` again: the relay had it already
    assert poll(practice).seen == 0
    with practice.db.read() as s:
        answered = s.exec(select(DeliveryAttempt).where(
            DeliveryAttempt.outcome == "answered")).all()
    assert len(answered) == 1
    other = book(practice, start="2027-03-15T11:00")
    failing = place(practice, clock, tw, DUE + timedelta(hours=1))
    tw.ring_out(failing, "failed")
    poll(practice)
    assert the_call(practice, other).state == "failed"
    assert "could not place the call" in (the_call(practice, other).last_error or "")
    assert the_call(practice, session).state == "sent"


def test_an_answering_machine_gets_the_words_without_the_keypad(
        practice: Practice, clock: FrozenClock, world: tuple) -> None:
    _relay, tw = world
    session = book(practice)
    call = place(practice, clock, tw)
    tw.machine(call)
    poll(practice)
    [update] = call.updates
    import xml.etree.ElementTree as ET

    root = ET.fromstring(update)
    assert [e.tag for e in root] == ["Say", "Hangup"]
    words = root[0].text or ""
    assert "Monday, March 15, at 10:00" in words and "Press 1" not in words
    tw.hang_up(call)
    poll(practice)
    row = the_call(practice, session)
    assert row.state == "sent"
    with practice.db.read() as s:
        said = [a.detail for a in s.exec(select(DeliveryAttempt).where(
            DeliveryAttempt.message_id == row.id))]
    assert "An answering machine took the call and was left the reminder." in said
    [listed] = [m for m in reminders.list_for(practice, session) if m.channel == "voice"]
    assert listed.outcome == "An answering machine took the call and was left the reminder."


def test_quiet_hours_move_a_call_or_skip_it(practice: Practice, clock: FrozenClock,
                                            world: tuple) -> None:
    _relay, tw = world
    # Planned: a reminder 14 hours before a 10:00 session would ring at 20:00 the
    # evening before: it moves to 08:00, two hours before the session.
    config.set_value(practice, "reminders.default", "voice:840")
    moved = book(practice)
    assert the_call(practice, moved).due_at == local("2027-03-15T08:00")
    # A 08:10 session: the next allowed moment is too close, so no call is planned.
    config.set_value(practice, "reminders.default", "voice:60")
    skipped = book(practice, start="2027-03-15T08:10")
    row = the_call(practice, skipped)
    assert row.state == "skipped" and "Calls ring only from 8:00" in (row.last_error or "")
    assert "too close to the session" in (row.last_error or "")
    # Sent: a tick catching up at 22:00 does not ring; the call waits for 08:00.
    config.set_value(practice, "reminders.default", "voice:120")
    late = book(practice, start="2027-03-16T11:00")
    clock.set(local("2027-03-15T22:00"))
    with practice.db.write() as s:  # as if it had been due at 09:00 and the app was closed
        stored = s.get(OutboxMessage, the_call(practice, late).id)
        assert stored is not None
        stored.due_at = local("2027-03-15T09:00")
    Dispatcher(practice).dispatch_due()
    assert [c.sid for c in tw.calls] == []  # nothing rang at 22:00 (the others wait too)
    assert the_call(practice, late).due_at == local("2027-03-16T08:00")
    place(practice, clock, tw, local("2027-03-16T08:00"))
    assert tw.calls[-1].to == "+5511987654321"


@pytest.mark.parametrize(("number", "said"), [
    ("+551", "not valid for a call"),
    ("+442079460958", "may not call this country"),
])
def test_twilio_refusals_are_sentences(practice: Practice, clock: FrozenClock, world: tuple,
                                       number: str, said: str) -> None:
    _relay, tw = world
    tw.account.no_calls_to = ("+44",)
    from app.services.channels import voice as voice_channel

    cfg = config.get_all(practice)
    with pytest.raises(ChannelError, match=said) as raised:
        voice_channel.send(cfg, tw.account.token, voice_calls_outgoing(number))
    assert raised.value.retry is False
    with pytest.raises(ChannelError, match="refused the account SID or auth token"):
        voice_channel.send(cfg, "0" * 32, voice_calls_outgoing("+5511987654321"))
    cfg["voice.from"] = "+15005550009"  # not one of the account's numbers
    with pytest.raises(ChannelError, match="not one of the Twilio account's numbers"):
        voice_channel.send(cfg, tw.account.token, voice_calls_outgoing("+5511987654321"))
    tw.refuse_first.append(twilio.error(429, 20429, "Too Many Requests"))
    with pytest.raises(ChannelError) as slowed:
        voice_channel.send(config.get_all(practice), tw.account.token,
                           voice_calls_outgoing("+5511987654321"))
    assert slowed.value.slow_down and slowed.value.retry
    tw.refuse_first.append((500, {"code": 20500, "message": "Internal Server Error"}))
    with pytest.raises(ChannelError) as unknown:
        voice_channel.send(config.get_all(practice), tw.account.token,
                           voice_calls_outgoing("+5511987654321"))
    assert unknown.value.unknown
    assert tw.calls == []


def voice_calls_outgoing(to: str) -> object:
    from app.services.channels import Outgoing

    return Outgoing(to=to, text="Olá", language="pt-BR", voice="Polly.Camila")


def test_a_forged_signature_is_refused_and_nothing_recorded(
        practice: Practice, clock: FrozenClock, world: tuple) -> None:
    relay, tw = world
    session = book(practice)
    call = place(practice, clock, tw)
    action = call.action()
    params = {"CallSid": call.sid, "Digits": "1", "CallStatus": "in-progress"}
    forged = twilio.webhook(tw.account, action, params, token="f" * 32)
    assert forged.status_code == 401
    bare = requests.post(action, data=params, timeout=5)
    assert bare.status_code == 401
    status = twilio.webhook(tw.account, f"{relay.url}/webhooks/voice/status",
                            {"CallSid": call.sid, "CallStatus": "busy"}, token="f" * 32)
    assert status.status_code == 401
    assert poll(practice).seen == 0
    assert queries.show(practice, session).status.value == "scheduled"
    # Words the desktop did not sign are not said: a signed request with altered
    # words gets an apology, and nothing is recorded.
    altered = action.replace("t=", "t=Pague%20agora%20", 1)
    r = twilio.webhook(tw.account, altered, params)
    assert r.status_code == 200 and "no longer valid" in r.text
    bad_token = twilio.webhook(tw.account, f"{relay.url}/webhooks/voice/{'A' * 28}", params)
    assert bad_token.status_code == 200 and "<Hangup" in bad_token.text
    assert poll(practice).seen == 0
    assert Store(relay.settings.database_url).outcome("default", session) is None


def test_test_call_rings_the_practice_and_is_recorded(practice: Practice, world: tuple) -> None:
    _relay, tw = world
    said = voice_calls.test_call(practice, "+55 11 91234-5678")
    # The number as people write it in the practice's country (values.format_phone).
    assert said.startswith("Twilio is calling (11) 91234-5678 now")
    [call] = tw.calls
    assert call.to == "+5511912345678"
    words = " ".join(call.said())
    # It waits for no key, so it does not ask for one: it says what a reminder asks.
    assert "Press 1" not in words
    assert ("In a reminder, the client is then asked to press 1 to confirm, 2 to cancel or "
            "3 to hear it again. This was a test call from Practice Desk.") in words
    assert "<Gather" not in call.twiml and "<Hangup" in call.twiml
    from app.services import channel_checks

    check = channel_checks.latest(practice)["voice"]
    assert check.ok and "(11) 91234-5678" in check.said
    tw.account.no_calls_to = ("+44",)
    with pytest.raises(voice_calls.CallFailed, match="may not call this country"):
        voice_calls.test_call(practice, "+44 20 7946 0958")
    assert not channel_checks.latest(practice)["voice"].ok


def attempts(p: Practice, message_id: int) -> list[DeliveryAttempt]:
    with p.db.read() as s:
        return list(s.exec(select(DeliveryAttempt).where(
            DeliveryAttempt.message_id == message_id).order_by(col(DeliveryAttempt.id))))


def test_a_call_not_answered_once_says_so_once_in_each_language(
        practice: Practice, clock: FrozenClock, world: tuple) -> None:
    _relay, tw = world
    session = book(practice)
    tw.ring_out(place(practice, clock, tw), "no-answer")
    poll(practice)
    row = the_call(practice, session)
    assert row.last_error == "The client did not answer the call; it is tried again at " \
        "8:30\u202fAM."
    with i18n.speaking("pt_BR"):
        said = i18n.from_english(row.last_error) or ""
    assert said.startswith("O cliente não atendeu a ligação; ela será feita de novo às")
    assert "ninguém atendeu" not in said and said.count("atend") == 1
    tw.ring_out(place(practice, clock, tw, DUE + timedelta(minutes=30)), "busy")
    poll(practice)
    assert (the_call(practice, session).last_error or "").startswith(
        "The client did not answer two calls (the line was busy the last time).")


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed"])
def test_a_call_for_a_session_cancelled_or_moved_meanwhile_ends_quietly(
        practice: Practice, clock: FrozenClock, world: tuple, status: str) -> None:
    _relay, tw = world
    cancelled, moved = book(practice), book(practice, start="2027-03-15T11:00")
    first, second = place(practice, clock, tw), place(practice, clock, tw,
                                                      DUE + timedelta(hours=1))
    scheduling.cancel(practice, cancelled, reason="Client travelling")
    [new] = scheduling.reschedule(practice, moved, local("2027-03-16T10:00")).values()
    tw.ring_out(first, status)
    tw.ring_out(second, status)
    poll(practice)
    for session, word in ((cancelled, "cancelled"), (moved, "rescheduled")):
        row = the_call(practice, session)
        assert (row.state, row.last_error) == (
            "cancelled", f"The session was {word} meanwhile: the reminder ends here, nobody "
            "needs to be told.")
        # Neither called again nor replaced by another channel.
        assert [m.channel for m in reminders.list_for(practice, session)] == ["voice"]
    clock.advance(timedelta(hours=1))
    Dispatcher(practice).dispatch_due()
    assert len(tw.calls) == 2  # only the moved session's notice went, no reminder
    assert [m.body.split(",")[0] for m in tw.sent] == ["Hello Maria"] and \
        "has moved" in tw.sent[0].body
    assert [m.state for m in reminders.list_for(practice, new) if m.channel == "voice"] == \
        ["pending"]


def test_no_fallback_is_promised_when_it_would_come_too_late(
        practice: Practice, clock: FrozenClock, world: tuple) -> None:
    _relay, tw = world
    config.set_value(practice, "reminders.default", "voice:20")
    session = book(practice)
    call = place(practice, clock, tw, local("2027-03-15T09:40"))
    tw.ring_out(call, "no-answer")
    clock.set(local("2027-03-15T09:50"))
    poll(practice)
    row = the_call(practice, session)
    assert row.state == "failed" and row.last_error == (
        "The client did not answer the call, and another call would come too close to the "
        "session. No other reminder goes instead: the session starts within 15 minutes.")
    assert [m.channel for m in reminders.list_for(practice, session)] == ["voice"]


def test_the_practices_words_go_to_clients_in_its_language_filled(
        practice: Practice, clock: FrozenClock, world: tuple) -> None:
    _relay, tw = world
    config.set_value(practice, "template.voice.text",
                     "Hi {first_name}, see you {weekday} at {time}.")
    english, portuguese = book(practice), book(practice, language="pt_BR",
                                               start="2027-03-15T11:00")
    own = place(practice, clock, tw)
    assert own.said()[0].startswith("Hi Maria, see you Monday at 10:00 AM. Press 1")
    built_in = place(practice, clock, tw, DUE + timedelta(hours=1))
    assert built_in.said()[0].startswith(
        "Olá, Maria! Aqui é Practice. Lembrete da sua sessão com")
    assert "{" not in built_in.said()[0] and "Tecle 1 para confirmar" in built_in.said()[0]
    assert english != portuguese


def test_a_reminders_own_text_has_its_fields_filled(
        practice: Practice, clock: FrozenClock, world: tuple) -> None:
    _relay, tw = world
    config.set_value(practice, "reminders.default", "")
    session = book(practice)
    reminders.add(practice, session, Channel.VOICE, 120, "Lurdes, bring your tests at {time}.")
    call = place(practice, clock, tw)
    assert call.said()[0] == "Lurdes, bring your tests at 10:00 AM. Press 1 to confirm, " \
        "2 to cancel, 3 to hear this again."


def test_words_stored_before_the_check_never_read_placeholders(
        practice: Practice, clock: FrozenClock, world: tuple) -> None:
    _relay, tw = world
    with practice.db.write() as s:  # as an older version saved it, unchecked
        s.add(ConfigEntry(key="template.voice.text",
                          value="Oi {first_name}, … às {time. Até lá!"))
    session = book(practice)
    call = place(practice, clock, tw)
    assert call.said()[0].startswith("Hello, Maria! This is Practice. A reminder of your "
                                     "session with")
    assert "{" not in call.said()[0]
    row = the_call(practice, session)
    [note] = [a for a in attempts(practice, row.id) if a.outcome == "words"]
    assert note.detail.startswith("The practice's own words for this channel could not be "
                                  "read, so the built-in words went instead. A brace is not "
                                  "closed in")


def test_a_wrong_token_stops_the_calls_and_holds_the_rest(
        practice: Practice, clock: FrozenClock, world: tuple) -> None:
    """Twilio refusing the account is the channel's fault, not each call's: one call
    fails, the others wait (as SMS and WhatsApp do) and go once it works again."""
    from app.services import channel_health, failures

    _relay, tw = world
    config.set_value(practice, "reminders.default", "voice:300")
    service = add_service(practice)
    for n in range(3):
        c = clients.add(practice, name=f"Cliente {n}", phone=f"+55 11 98765-43{n:02d}",
                        consent=[Channel.VOICE]).id
        scheduling.book(practice, BookingRequest(
            client_id=c, start=local(f"2027-03-15T1{4 + n}:00"), service_id=service))
    secrets.store("sms.auth_token", "0" * 32)
    clock.set(local("2027-03-15T11:30"))  # the three calls are due
    report = outbox.Dispatcher(practice).dispatch_due()
    assert (report.failed, report.held, report.sent) == (1, 2, 0)
    [stop] = channel_health.stopped_now(practice).values()
    assert (stop.channel, stop.code) == ("voice", "20003")
    assert tw.calls == []
    [group] = [g for g in failures.blocked_groups(practice) if g.cause == failures.STOPPED]
    assert group.channel == "voice" and group.count == 2


def test_after_a_pause_one_call_per_session_never_two_at_once(
        practice: Practice, clock: FrozenClock, world: tuple) -> None:
    """The computer was off past two call reminders of one session: the one nearest
    the session rings, the older is skipped saying why (any channel: a burst of
    stale reminders helps nobody)."""
    _relay, tw = world
    config.set_value(practice, "reminders.default", "voice:1440,voice:300")
    session = book(practice)  # Monday 15 March 2027, 10:00
    # Both due: the day before, and 05:00 (moved to 08:00, when calls may ring).
    clock.set(local("2027-03-15T08:30"))
    report = outbox.Dispatcher(practice).dispatch_due()
    assert report.sent == 1 and len(tw.calls) == 1
    calls = sorted((m for m in reminders.list_for(practice, session) if m.channel == "voice"),
                   key=lambda m: m.minutes_before or 0)
    assert [(m.minutes_before, m.state) for m in calls] == [(300, "sent"), (1440, "skipped")]
    assert calls[1].last_error == ("A later reminder of this session by the same channel goes "
                                   "instead: both were due when sending began again.")


def test_a_failed_call_sent_again_at_night_says_when_it_will_ring(
        practice: Practice, clock: FrozenClock, world: tuple) -> None:
    _relay, tw = world
    session = book(practice)
    call = place(practice, clock, tw)
    tw.ring_out(call, "failed")
    poll(practice)
    row = the_call(practice, session)
    assert row.state == "failed"
    clock.set(local("2027-03-14T21:30"))  # the evening before: calls do not ring now
    said = outbox.retry_failed(practice, row.id)
    assert said is not None and said.startswith("It will be called at ")
    assert "calls ring only from 8:00\u202fAM to 8:00\u202fPM" in said
    again = the_call(practice, session)
    assert again.state == "pending" and again.due_at == local("2027-03-15T08:00")
