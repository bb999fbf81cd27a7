"""A practice added by `practice-relay practice add` and paired by its code sets
up Twilio in Configurações › Integrações › SMS as a person does: Salvar gives the
relay (real, under uvicorn) the account, and the result line says so; a reminder
call is placed with the fake Twilio, the client presses 1, the relay takes it (no
401) and the desktop's poll confirms the session. A relay that refuses the
account is said on the same line, and the save stays done."""

from __future__ import annotations

from pathlib import Path

import requests
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.models.enums import Channel
from app.services import clients, config, queries, relay_client, relay_pairing, scheduling
from app.services import secrets as keyring
from app.services.clock import FrozenClock
from app.services.outbox import Dispatcher
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.ui.integrations.sms_box import SmsBox
from app.ui.main_window import MainWindow
from tests.conftest import add_service, local
from tests.e2e.pairing import new_practice, relay_with_no_practice
from tests.fakes.relay_server import API_KEY, LINK_SECRET, RelayServer
from tests.fakes.twilio import Account, FakeTwilio
from tests.gui.test_sms_setup import sms_box

START = "2027-03-15T10:00"  # the relay checks links against the real time
DUE = local("2027-03-15T08:00")  # voice:120


def type_account(qtbot: QtBot, box: SmsBox, tw: FakeTwilio) -> None:
    """The API address (the fake's), the SID and the token typed; Testar picks the
    account's one SMS number."""
    qtbot.mouseClick(box.advanced, Qt.MouseButton.LeftButton)
    box.api_base.clear()
    qtbot.keyClicks(box.api_base, tw.url)
    qtbot.keyClicks(box.sid, tw.account.sid)
    qtbot.keyClicks(box.secret, tw.account.token)
    qtbot.mouseClick(box.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.found.text().startswith("Twilio account"), timeout=5000)
    assert box.sender.currentData() == "+15005550006"


def test_twilio_saved_in_the_window_lets_a_key_press_on_a_call_confirm(
        qtbot: QtBot, window: MainWindow, practice: Practice, clock: FrozenClock,
        tmp_path: Path) -> None:
    with relay_with_no_practice(tmp_path / "relay") as relay, FakeTwilio() as tw:
        # Paired by the code its administrator printed, as Integrações › Links does.
        relay_pairing.pair(practice, relay.url, new_practice(relay)["code"])
        config.set_value(practice, "reminders.default", "voice:120")
        key = keyring.load("relay.api_key")
        assert key
        box = sms_box(qtbot, window)
        type_account(qtbot, box, tw)
        box.result.clear()
        qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: box.result.text().startswith("Saved."), timeout=5000)
        window.tasks.wait()
        assert box.result.text() == (
            f"Saved. The relay at {relay.url} has the practice's Twilio account "
            f"({tw.account.sid}): clients' key presses on reminder calls and their SMS replies "
            "reach the practice.")
        held = requests.get(f"{relay.url}/api/v1/twilio-account", timeout=5,
                            headers={"Authorization": f"Bearer {key}"}).json()
        assert held == {"account_sid": tw.account.sid}

        client = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321",
                             consent=(Channel.VOICE,)).id
        session = scheduling.book(practice, BookingRequest(
            client_id=client, start=local(START), service_id=add_service(practice)))
        clock.set(DUE)
        Dispatcher(practice).dispatch_due()
        [call] = tw.calls
        # The fake posts each status and the keypad to the relay, signed with the
        # account's token: each answered 200 (a 401 fails the fake's own check).
        heard = tw.answer(call, ["1"])
        assert heard[-1] == "Thank you! Your session is confirmed. See you then!"
        relay_client.Poller(practice).poll_once()
        qtbot.waitUntil(lambda: queries.show(practice, session).status.value == "confirmed",
                        timeout=5000)
        confirm = next(h for h in queries.show(practice, session).history
                       if h.action == "confirm")
        assert confirm.changes.get("via") == "phone"


def test_a_refusal_is_said_after_saved_and_the_save_stays(
        qtbot: QtBot, window: MainWindow, practice: Practice, tmp_path: Path) -> None:
    other = Account(sid="AC" + "b" * 31 + "7", token="e" * 31 + "1")
    with FakeTwilio() as tw, RelayServer(tmp_path / "relay", env={
            "RELAY_TWILIO_ACCOUNT_SID": other.sid,
            "RELAY_TWILIO_AUTH_TOKEN": other.token}) as relay:
        config.set_value(practice, "relay.url", relay.url)
        keyring.store("relay.api_key", API_KEY)
        keyring.store("relay.link_secret", LINK_SECRET)
        box = sms_box(qtbot, window)
        type_account(qtbot, box, tw)
        qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: box.result.text().startswith("Saved."), timeout=5000)
        window.tasks.wait()
        assert box.result.text() == (
            "Saved. ⚠ The relay refused the practice's Twilio account: This practice's "
            "Twilio account is set in the relay's configuration (the relay's environment "
            "(RELAY_TWILIO_ACCOUNT_SID, RELAY_TWILIO_AUTH_TOKEN)): ask the person who runs "
            "the relay to change it there.")
        assert box.result.textFormat() == Qt.TextFormat.PlainText
        # Saved all the same.
        assert config.get(practice, "sms.account_sid") == tw.account.sid
        assert config.get(practice, "sms.from") == "+15005550006"
        assert keyring.load("sms.auth_token") == tw.account.token
        assert tw.account.token not in box.result.text()
