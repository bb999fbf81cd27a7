"""Configurações › Integrações › reminder calls and phone notifications, driven as
a person does against the fake Twilio and the real relay: the numbers that can
call are read and one chosen, a voice picked, *Ligar para mim* rings the
practice's phone; *Ativar* gives the relay the practice's notification key and
*Testar* finds it there; the overview says each is set up."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox
from pytestqt.qtbot import QtBot

from app.services import config, relay_client, secrets
from app.services.practice import Practice
from app.ui.integrations.tab import IntegrationsTab
from app.ui.main_window import PAGES, MainWindow
from tests.fakes.relay_server import API_KEY, LINK_SECRET, RelayServer
from tests.fakes.twilio import Account, FakeTwilio, Phone


@pytest.fixture
def wired(practice: Practice, tmp_path: Path) -> Iterator[tuple[RelayServer, FakeTwilio]]:
    account = Account(numbers=[Phone("+15005550006", "(500) 555-0006"),
                               Phone("+5511940000009", "Recepção voz", sms=False),
                               Phone("+5511940000001", "Só SMS", voice=False)])
    with FakeTwilio(account) as tw, RelayServer(
            tmp_path / "relay", public_key=relay_client.keys(practice),
            env={"RELAY_TWILIO_ACCOUNT_SID": tw.account.sid,
                 "RELAY_TWILIO_AUTH_TOKEN": tw.account.token}) as relay:
        config.set_values(practice, {
            "sms.api_base": tw.url, "sms.account_sid": tw.account.sid,
            "sms.from": "+15005550006", "relay.url": relay.url})
        secrets.store("sms.auth_token", tw.account.token)
        secrets.store("relay.api_key", API_KEY)
        secrets.store("relay.link_secret", LINK_SECRET)
        yield relay, tw


def integrations(qtbot: QtBot, w: MainWindow) -> IntegrationsTab:
    w.nav.setCurrentRow(PAGES.index("settings"))
    w.settings_page.tabs.setCurrentWidget(w.settings_page.integrations)
    tab = w.settings_page.integrations
    qtbot.waitUntil(lambda: tab.loaded, timeout=3000)
    w.tasks.wait()
    qtbot.waitUntil(lambda: tab.voice.caller.count() > 0, timeout=3000)
    return tab


def choose(qtbot: QtBot, combo: QComboBox, text: str) -> None:
    """Opens the list and clicks the item showing `text`, as a person does."""
    qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=3000)
    qtbot.wait(QApplication.doubleClickInterval() + 50)  # Qt ignores a release sooner
    index = next(i for i in range(combo.count()) if combo.itemText(i) == text)
    rect = view.visualRect(view.model().index(index, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=3000)
    assert combo.currentText() == text


def test_the_practice_picks_the_calling_number_and_a_voice_and_is_called(
        qtbot: QtBot, window: MainWindow, practice: Practice,
        wired: tuple[RelayServer, FakeTwilio]) -> None:
    _relay, tw = wired
    tab = integrations(qtbot, window)
    box = tab.voice
    assert box.caller.currentText() == "The SMS number (+1 500-555-0006)"
    row = tab.overview.rows["voice"]
    assert row.name.text() == "Reminder calls" and row.state.text() == "Set up"
    qtbot.mouseClick(box.list_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "can make calls" in box.result.text(), timeout=5000)
    assert box.result.text().startswith("2 of the account's numbers can make calls.")
    # The SMS number once, first; the SMS-only number is not offered.
    assert [box.caller.itemText(i) for i in range(box.caller.count())] == [
        "The SMS number (+1 500-555-0006)", "+55 11 94000-0009 · Recepção voz"]
    choose(qtbot, box.caller, "+55 11 94000-0009 · Recepção voz")
    choose(qtbot, box.voice, "Thiago (neural)")
    qtbot.keyClicks(box.test_to, "(11) 91234-5678")
    qtbot.mouseClick(box.call_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Twilio is calling" in box.result.text(), timeout=5000)
    # The number as people write it (values.format_phone).
    assert box.result.text() == ("Twilio is calling (11) 91234-5678 now: answer to hear the "
                                 "reminder as clients will.")
    [call] = tw.calls
    assert (call.to, call.from_) == ("+5511912345678", "+5511940000009")
    assert {say.get("voice") for say in ET.fromstring(call.twiml).iter("Say")} == {
        "Polly.Thiago-Neural"}
    cfg = config.get_all(practice)
    assert (cfg["voice.from"], cfg["voice.voice"]) == ("+5511940000009", "Polly.Thiago-Neural")
    qtbot.waitUntil(lambda: "Last test" in row.details.text(), timeout=3000)
    assert "worked" in row.details.text()
    # A number that is not one: said, nothing placed.
    box.test_to.clear()
    qtbot.keyClicks(box.test_to, "12")
    qtbot.mouseClick(box.call_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.result.text().startswith("⚠"), timeout=5000)
    assert len(tw.calls) == 1


def test_phone_notifications_are_turned_on_and_tested(
        qtbot: QtBot, window: MainWindow, practice: Practice,
        wired: tuple[RelayServer, FakeTwilio]) -> None:
    relay, _tw = wired
    tab = integrations(qtbot, window)
    box = tab.push
    row = tab.overview.rows["push"]
    assert row.name.text() == "Phone notifications" and row.state.text() == "Not set up"
    assert box.state.text() == "Off." and not box.test_button.isEnabled()
    qtbot.mouseClick(box.on_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.state.text().startswith("On"), timeout=5000)
    assert box.result.text().startswith("Notifications on clients' phones are on")
    assert relay.url in box.result.text()
    assert config.get(practice, "push.public_key") != ""
    qtbot.waitUntil(lambda: row.state.text() == "Set up", timeout=3000)
    assert box.on_button.text() == "Turn on again"
    qtbot.mouseClick(box.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "work" in box.result.text(), timeout=5000)
    assert box.result.text().startswith("Notifications on clients' phones work")
    # Turned off: the relay stops offering them; on again, the same key (phones kept).
    key = config.get(practice, "push.public_key")
    auth = {"Authorization": f"Bearer {API_KEY}"}
    assert box.off_button.isVisible()
    qtbot.mouseClick(box.off_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.state.text() == "Off.", timeout=5000)
    assert box.result.text().startswith("Notifications on clients' phones are off")
    assert requests.get(f"{relay.url}/api/v1/push-key", headers=auth,
                        timeout=5).json() == {"public_key": ""}
    assert config.get(practice, "push.public_key") == "" and not box.off_button.isVisible()
    qtbot.waitUntil(lambda: row.state.text() == "Not set up", timeout=3000)
    qtbot.mouseClick(box.on_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.state.text().startswith("On"), timeout=5000)
    assert config.get(practice, "push.public_key") == key
    assert requests.get(f"{relay.url}/api/v1/push-key", headers=auth,
                        timeout=5).json() == {"public_key": key}


def test_a_refused_call_twice_says_the_same_and_keeps_what_is_being_chosen(
        qtbot: QtBot, window: MainWindow, practice: Practice,
        wired: tuple[RelayServer, FakeTwilio]) -> None:
    """Ligar para mim refused (a number that is not one) saves the box's choices;
    pressed again it says the same, not that another computer changed them, and
    a number picked in the SMS box meanwhile, not saved, is still picked."""
    _relay, tw = wired
    tab = integrations(qtbot, window)
    sms, box = tab.sms, tab.voice
    qtbot.waitUntil(lambda: sms.secret.placeholderText() != "", timeout=3000)
    qtbot.mouseClick(sms.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sms.sender.count() == 2, timeout=5000)
    choose(qtbot, sms.sender, "+55 11 94000-0001 · Só SMS")
    choose(qtbot, box.voice, "Vitória")
    qtbot.keyClicks(box.test_to, "12")
    for _press in range(2):
        box.result.clear()
        qtbot.mouseClick(box.call_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: box.result.text().startswith("⚠"), timeout=5000)
        window.tasks.wait()
        assert "another computer" not in box.result.text()
        assert "'12'" in box.result.text() or "12" in box.result.text()
    assert config.get(practice, "voice.voice") == "Polly.Vitoria"
    assert box.voice.currentText() == "Vitória"
    assert sms.sender.currentText() == "+55 11 94000-0001 · Só SMS"  # still being chosen
    assert config.get(practice, "sms.from") == "+15005550006"  # and not saved
    assert tw.calls == []
