"""Configurações › Integrações › SMS (Twilio), driven as a person does against the
fake Twilio: the SID and token typed, Testar shows the account and offers its
SMS-capable numbers, the practice picks one, Salvar keeps it; a wrong token or SID
is said in words and saves nothing; the token is never shown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from app.services import channel_checks, config, secrets
from app.services.practice import Practice
from app.ui.integrations.sms_box import SmsBox
from app.ui.main_window import PAGES, MainWindow
from tests.fakes.twilio import Account, FakeTwilio, Phone


def sms_box(qtbot: QtBot, w: MainWindow) -> SmsBox:
    w.nav.setCurrentRow(PAGES.index("settings"))
    tabs = w.settings_page.tabs
    tabs.setCurrentWidget(w.settings_page.integrations)
    qtbot.waitUntil(lambda: w.settings_page.integrations.loaded, timeout=3000)
    w.tasks.wait()
    box = w.settings_page.integrations.sms
    assert isinstance(box, SmsBox)
    # The form is filled when the keyring's answer arrives: typing goes after that.
    qtbot.waitUntil(lambda: box.secret.placeholderText() != "", timeout=3000)
    return box


def shown_texts(box: SmsBox) -> str:
    """Every text the box shows (labels, fields other than the token's, lists)."""
    texts = [label.text() for label in box.findChildren(QLabel)]
    texts += [edit.text() for edit in box.findChildren(QLineEdit) if edit is not box.secret]
    texts += [box.sender.itemText(i) for i in range(box.sender.count())]
    return "\n".join(texts)


def pick(qtbot: QtBot, box: SmsBox, index: int) -> None:
    """Opens the list of numbers and clicks one, as a person does."""
    qtbot.mouseClick(box.sender, Qt.MouseButton.LeftButton)
    view = box.sender.view()
    qtbot.waitUntil(view.isVisible, timeout=3000)
    qtbot.wait(QApplication.doubleClickInterval() + 50)  # Qt ignores a release sooner
    rect = view.visualRect(view.model().index(index, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=3000)


def test_the_practice_tests_twilio_picks_a_number_and_saves_it(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    account = Account(numbers=[Phone("+15005550006", "(500) 555-0006"),
                               Phone("+15005550001", "Voz", sms=False),
                               Phone("+5511940000001", "Recepção")])
    box = sms_box(qtbot, window)
    assert not box.api_base.isVisible()  # out of the way until asked for
    assert box.sender.count() == 0
    with FakeTwilio(account) as tw:
        tw.page_size = 2
        qtbot.mouseClick(box.advanced, Qt.MouseButton.LeftButton)
        assert box.api_base.isVisible()
        box.api_base.clear()
        qtbot.keyClicks(box.api_base, tw.url)
        qtbot.keyClicks(box.sid, account.sid)

        qtbot.keyClicks(box.secret, "1" * 32)
        qtbot.mouseClick(box.check_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "Twilio refused the Account SID or the auth token"
                        in box.found.text(), timeout=5000)
        assert box.found.text().startswith("⚠ ") and box.found.objectName() == "error"
        assert box.sender.count() == 0
        assert secrets.load("sms.auth_token") is None  # nothing saved
        assert config.get(practice, "sms.account_sid") == ""

        box.secret.clear()
        qtbot.keyClicks(box.secret, account.token)
        qtbot.mouseClick(box.check_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: box.found.text().startswith("Twilio account"), timeout=5000)
        assert box.found.text() == ("Twilio account 'Clínica Aurora' (active): 2 numbers can "
                                    "send SMS. Choose the sending number, then press Save.")
        assert tw.reads == ["account", "numbers page 0", "numbers page 1"]
        assert [box.sender.itemText(i) for i in range(box.sender.count())] == [
            "+1 500-555-0006", "+55 11 94000-0001 · Recepção"]  # the voice-only one is not
        assert channel_checks.latest(practice)["sms"].ok and not box.note.isVisible()

        pick(qtbot, box, 1)
        assert box.sender.currentData() == "+5511940000001"
        box.result.clear()
        qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: box.result.text() == "Saved.", timeout=3000)
        window.tasks.wait()
        assert config.get(practice, "sms.from") == "+5511940000001"
        assert config.get(practice, "sms.account_sid") == account.sid
        assert config.get(practice, "sms.api_base") == tw.url
        assert secrets.load("sms.auth_token") == account.token
        qtbot.waitUntil(lambda: "Stored in the system keyring" in box.secret.placeholderText(),
                        timeout=3000)
        assert box.secret.text() == "" and account.token not in shown_texts(box)
        assert box.sender.currentData() == "+5511940000001"  # the reload kept the choice

        # The test message still goes, from the number picked.
        qtbot.keyClicks(box.test_to, "11987654321")
        qtbot.mouseClick(box.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: box.result.text().startswith("Sent."), timeout=5000)
        assert [(s.from_, s.to) for s in tw.sent] == [("+5511940000001", "+5511987654321")]


def test_a_sid_that_is_not_an_account_sid_is_said_and_not_saved(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    box = sms_box(qtbot, window)
    with FakeTwilio() as tw:
        box.api_base.setText(tw.url)
        qtbot.keyClicks(box.sid, "SK" + "a" * 32)
        qtbot.keyClicks(box.secret, tw.account.token)
        qtbot.mouseClick(box.check_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "API key's SID" in box.found.text(), timeout=5000)
        assert tw.requests == 0 and box.sid.hasFocus()
        qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "API key's SID" in box.result.text(), timeout=3000)
        window.tasks.wait()
    assert config.get(practice, "sms.account_sid") == ""
    assert secrets.load("sms.auth_token") is None


def test_a_saved_number_shows_and_a_trial_account_is_flagged(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    """Reopening: the saved number is the choice before any Testar; an account that
    no longer has it says so, and a trial account is said to reach verified numbers
    only."""
    account = Account(type="Trial", numbers=[Phone("+15005550006", "(500) 555-0006")])
    config.set_values(practice, {"sms.account_sid": account.sid, "sms.from": "+15005550009"})
    secrets.store("sms.auth_token", account.token)
    box = sms_box(qtbot, window)
    assert box.sender.currentText() == "+1 500-555-0009"
    with FakeTwilio(account) as tw:
        box.api_base.setText(tw.url)
        qtbot.mouseClick(box.check_button, Qt.MouseButton.LeftButton)  # the stored token
        qtbot.waitUntil(lambda: box.found.text().startswith("Twilio account"), timeout=5000)
    assert box.note.isVisible() and box.note.text().startswith(
        "It is a trial account: it sends SMS only to numbers verified in the Twilio Console")
    assert box.found.text().endswith("The saved sending number +1 500-555-0009 is not one of "
                                     "them: choose one and press Save.")
    assert box.found.objectName() == "warning"
    # The account's only SMS number is proposed, not saved.
    assert [box.sender.itemText(i) for i in range(box.sender.count())] == ["+1 500-555-0006"]
    assert box.sender.currentIndex() == 0
    assert config.get(practice, "sms.from") == "+15005550009"  # until the practice saves
