"""Configurações › Notificações para clientes and › Integrações: defaults saved from
the form, a live preview, secrets to the keyring, and test messages that report
the provider's answer in words."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox
from pytestqt.qtbot import QtBot

from app.services import config, secrets
from app.services.practice import Practice
from app.ui.main_window import PAGES, MainWindow
from tests.fakes.smtp import SmtpServer
from tests.fakes.whatsapp import FakeWhatsApp


def open_tab(qtbot: QtBot, w: MainWindow, index: int):  # type: ignore[no-untyped-def]
    w.nav.setCurrentRow(PAGES.index("settings"))
    w.settings_page.tabs.setCurrentIndex(index)
    tab = w.settings_page.tabs.currentWidget()
    qtbot.waitUntil(lambda: tab.loaded, timeout=3000)
    w.tasks.wait()
    return tab


def test_default_reminders_and_preview(qtbot: QtBot, window: MainWindow,
                                       practice: Practice) -> None:
    tab = open_tab(qtbot, window, 3)
    (c1, m1), (c2, m2), _ = tab.defaults
    c1.setCurrentIndex(c1.findData("whatsapp"))
    m1.setValue(1440)
    c2.setCurrentIndex(c2.findData("email"))
    m2.setValue(90)
    tab.subject.setText("Até breve, {first_name}!")
    assert "Até breve, Maria!" in tab.preview.text()
    assert "once the relay is set up" in tab.preview.text()
    # The SMS says how many it is sent (and billed) as: an accent halves a part.
    tab.sms.setPlainText("Oi {first_name}, " + "a" * 150)
    assert "sent and billed as 2 SMS" in tab.preview.text()
    tab.sms.setPlainText("Olá {first_name}, sessão amanhã.")
    # With its link line it takes two parts of 67.
    assert "sent and billed as 2 SMS · with accents such as ã or ç an SMS holds 67 " \
        "characters" in tab.preview.text()
    tab.sms.setPlainText("")
    tab.wa_params.setText("first_name,colour")
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Unknown template fields: colour" in tab.error.text(), timeout=3000)
    assert config.get(practice, "reminders.default") == ""  # nothing half-saved
    tab.wa_params.setText("first_name,date,time")
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: config.get(practice, "reminders.default") == "whatsapp:1440,email:90",
                    timeout=3000)
    assert config.get(practice, "template.email.subject") == "Até breve, {first_name}!"


def test_integrations_test_messages(qtbot: QtBot, window: MainWindow,
                                    practice: Practice) -> None:
    tab = open_tab(qtbot, window, 4)
    with SmtpServer() as smtp, FakeWhatsApp() as wa:
        box = tab.email
        fields = {key: widget for key, _label, widget in box.fields}
        fields["smtp.host"].setText("127.0.0.1")
        fields["smtp.port"].setText(str(smtp.port))
        fields["smtp.security"].setCurrentIndex(fields["smtp.security"].findData("none"))
        box.address.setText("agenda@example.com")
        qtbot.mouseClick(box.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: box.result.text().startswith("Sent."), timeout=5000)
        assert smtp.received[0].recipients == ["agenda@example.com"]  # the practice's own

        config.set_value(practice, "whatsapp.template", "lembrete_sessao")
        wa_box = tab.whatsapp
        wa_fields = {key: widget for key, _label, widget in wa_box.fields}
        wa_fields["whatsapp.api_base"].setText(wa.url)
        wa_fields["whatsapp.phone_number_id"].setText(wa.rules.phone_number_id)
        qtbot.keyClicks(wa_box.secret, "an-old-token")
        qtbot.keyClicks(wa_box.test_to, "11987654321")
        qtbot.mouseClick(wa_box.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "access token has expired" in wa_box.result.text(),
                        timeout=5000)
        assert secrets.load("whatsapp.token") == "an-old-token"
        assert wa_box.secret.text() == ""  # never shown again
        qtbot.waitUntil(lambda: "Stored in the system keyring" in
                        wa_box.secret.placeholderText(), timeout=3000)
        qtbot.keyClicks(wa_box.secret, wa.rules.token)
        qtbot.mouseClick(wa_box.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: wa_box.result.text().startswith("Sent."), timeout=5000)
        assert wa.sent[0].to == "5511987654321" and wa.sent[0].parameters[0] == "Maria"


def test_the_mailbox_for_replies_is_set_up_and_read(qtbot: QtBot, window: MainWindow,
                                                    practice: Practice) -> None:
    from tests.fakes.imap import ImapServer

    tab = open_tab(qtbot, window, 4)
    box = tab.mailbox
    assert not box.test_to.isVisible()
    with ImapServer() as imap:
        fields = {key: widget for key, _label, widget in box.fields}
        fields["imap.host"].setText("127.0.0.1")
        fields["imap.port"].setText(str(imap.port))
        fields["imap.security"].setCurrentIndex(fields["imap.security"].findData("none"))
        qtbot.keyClicks(fields["imap.user"], imap.box.user)
        qtbot.keyClicks(box.secret, "not-the-password")
        qtbot.mouseClick(box.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "refused the user or the password" in box.result.text(),
                        timeout=5000)
        qtbot.keyClicks(box.secret, imap.box.password)
        qtbot.mouseClick(box.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: box.result.text().startswith("Read."), timeout=5000)
        assert imap.box.logins == 1 and secrets.load("imap.password") == imap.box.password
        assert config.get(practice, "imap.port") == str(imap.port)
        assert "imap-secret" not in box.secret.text()


def test_salvar_on_every_integration_saves_and_raises_nothing(qtbot: QtBot, window: MainWindow,
                                                               practice: Practice) -> None:
    """The handed case: Salvar said "Saved." while the click raised in the
    background (clicked(bool) reached an optional callback). The GUI suite's
    fixture fails this test if anything is logged as an error."""
    tab = open_tab(qtbot, window, 4)
    typed = {tab.email: ("smtp.host", "smtp.example.com"),
             tab.whatsapp: ("whatsapp.phone_number_id", "109876543210"),
             tab.sms: ("sms.account_sid", "AC" + "1" * 32),
             tab.mailbox: ("imap.host", "imap.example.com")}
    for box, (key, value) in typed.items():
        fields = {k: widget for k, _label, widget in box.fields}
        fields[key].clear()
        qtbot.keyClicks(fields[key], value)
        box.result.clear()
        qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda b=box: b.result.text() == "Saved.", timeout=3000)
        window.tasks.wait()
        assert config.get(practice, key) == value


def test_the_preview_shows_each_channel_in_the_clients_language(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    """An English computer, a Brazilian practice that chose no language: the preview
    is what its clients read, in Portuguese, with the practice's own facts."""
    from app.services import settings

    settings.set_values(practice, [("language", ""), ("address", "Rua das Flores, 120"),
                                   ("cancel_fee", "80")])
    tab = open_tab(qtbot, window, 3)
    qtbot.waitUntil(lambda: tab.practice is not None and tab.practice.address != "",
                    timeout=3000)
    tab.wa_template.setText("lembrete_sessao")
    tab.wa_params.setText("first_name,date,time")
    text = tab.preview.text().replace("\xa0", " ")
    assert tab.preview_language == "pt_BR"
    assert "Lembrete: sua sessão em" in text and "Onde: Rua das Flores, 120" in text
    assert "menos de 24 h de antecedência são cobrados: R$ 80,00" in text
    # What is said about the messages is in the reader's language (this computer's).
    assert "<b>SMS</b>" in text and "characters" in text and "caracteres" not in text
    assert "<b>E-mail</b>" in text and "<b>Reminder call</b>" in text
    assert "Template lembrete_sessao: {{1}} = Maria, {{2}} = " in text
    assert tab.preview.textFormat() == Qt.TextFormat.RichText
    tab.subject.setText("<script>x</script>")  # typed text stays text
    assert "&lt;script&gt;" in tab.preview.text()


def pick(qtbot: QtBot, combo: QComboBox, text: str) -> None:
    """Chooses an item as a person does with the keyboard: focus, type its start."""
    combo.setFocus()
    # After the keyboard's search interval: the letters typed into the last list are
    # not taken as the beginning of these.
    qtbot.wait(QApplication.keyboardInputInterval() + 50)
    qtbot.keyClicks(combo, text)
    assert combo.currentText().startswith(text)


def test_reminder_calls_hours_pause_and_fallback_are_saved(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    """A call reminder among the defaults, its hours narrowed, typed as a person does;
    hours that end before they begin are refused with why and nothing is saved."""
    tab = open_tab(qtbot, window, 3)
    (c1, m1), _c2, _c3 = tab.defaults
    assert c1.itemText(c1.findData("voice")) == "Phone call"
    c1.setCurrentIndex(c1.findData("voice"))
    m1.setValue(120)
    calls = tab.calls
    # In English, on the 12-hour clock, as the agenda writes times.
    assert (calls.start.currentText(), calls.end.currentText()) == ("8:00\u202fAM",
                                                                    "8:00\u202fPM")
    assert calls.start.itemText(0) == "8:00\u202fAM" and calls.end.itemText(
        calls.end.count() - 1) == "8:00\u202fPM"  # never wider
    assert calls.retry.value() == 30 and calls.fallback.isChecked()
    pick(qtbot, calls.start, "7:00")
    pick(qtbot, calls.end, "9:00")
    assert (calls.start.currentData(), calls.end.currentData()) == ("19:00", "09:00")
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "end before they begin (7:00\u202fPM–9:00\u202fAM)"
                    in tab.error.text(), timeout=3000)
    assert config.get(practice, "reminders.default") == ""
    pick(qtbot, calls.start, "9:30")
    pick(qtbot, calls.end, "6:00")
    calls.retry.setFocus()
    calls.retry.selectAll()
    qtbot.keyClicks(calls.retry, "45")
    qtbot.mouseClick(calls.fallback, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: config.get(practice, "reminders.default") == "voice:120",
                    timeout=3000)
    cfg = config.get_all(practice)
    assert (cfg["voice.quiet_start"], cfg["voice.quiet_end"], cfg["voice.retry_minutes"],
            cfg["voice.fallback"]) == ("09:30", "18:00", "45", "off")


def test_the_call_and_the_phone_notification_words_are_previewed_heard_and_saved(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    tab = open_tab(qtbot, window, 3)
    # The built-in words, previewed with the keypad's line, until the practice types its own.
    assert "Press 1 to confirm, 2 to cancel, 3 to hear this again." in tab.preview.text()
    assert tab.voice_text.placeholderText().startswith("Hello, {first_name}! This is")
    # (QTest types only what a keyboard's keys give: no accents.)
    qtbot.keyClicks(tab.voice_text, "Oi {first_name}, sessao {weekday} as {time}. <b>x</b>")
    assert "Oi Maria, sessao " in tab.preview.text()
    assert "&lt;b&gt;x&lt;/b&gt;" in tab.preview.text()  # typed markup is text
    qtbot.keyClicks(tab.push_text, "Sessao {day} as {time}")
    assert "Phone notification" in tab.preview.text()
    qtbot.mouseClick(tab.listen_button, Qt.MouseButton.LeftButton)
    assert tab.listened.isVisible()
    heard = tab.listened.text()
    # This machine has no speech engine: the words are shown, whole.
    assert heard == "Speaking…" or (heard.startswith("This computer cannot speak") and
                                    "Oi Maria, sessao" in heard and "Press 1" in heard)
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: config.get(practice, "template.push.text") ==
                    "Sessao {day} as {time}", timeout=3000)
    assert config.get(practice, "template.voice.text") == (
        "Oi {first_name}, sessao {weekday} as {time}. <b>x</b>")


def test_words_with_a_typo_are_refused_in_the_error_line_and_nothing_is_saved(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    tab = open_tab(qtbot, window, 3)
    # Whom the practice's own words reach is said beside them.
    assert tab.language_rule.isVisible() and tab.language_rule.text().startswith(
        "Your own words go to clients whose messages are in the practice's language; a "
        "client in another language gets the built-in words in theirs.")
    (c1, _m1), _c2, _c3 = tab.defaults
    c1.setCurrentIndex(c1.findData("voice"))
    # The tester's words: a brace not closed.
    qtbot.keyClicks(tab.voice_text, "Oi {first_name}, sessao {weekday} as {time. Ate la!")
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.error.text() != "", timeout=3000)
    assert tab.error.text().startswith(
        "Reminder call words: A brace is not closed in “…{weekday} as {time. Ate la!”")
    assert "Fields you may use: {first_name}, {name}, {date}, {time}" in tab.error.text()
    assert config.get(practice, "template.voice.text") == ""
    assert config.get(practice, "reminders.default") == ""  # nothing of it saved
    # A field SMS cannot fill.
    tab.voice_text.clear()
    qtbot.keyClicks(tab.sms, "Oi {nome}, ate {date}")
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.error.text().startswith("SMS text: {nome} is not a field"),
                    timeout=3000)
    assert config.get(practice, "template.sms.text") == ""
    tab.sms.clear()
    qtbot.keyClicks(tab.sms, "Oi {first_name}, ate {date}")
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: config.get(practice, "template.sms.text") ==
                    "Oi {first_name}, ate {date}", timeout=3000)
    qtbot.waitUntil(lambda: tab.error.text() == "", timeout=3000)
    assert config.get(practice, "reminders.default") == "voice:1440"


def test_words_that_cannot_be_filled_are_never_previewed_or_heard_as_a_clients(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    tab = open_tab(qtbot, window, 3)
    qtbot.keyClicks(tab.voice_text, "Oi {first_name}, ate {time. Tchau")
    qtbot.keyClicks(tab.push_text, "Oi {nome}")
    preview = tab.preview.text()
    assert "⚠ Reminder call words: " in preview and "Oi Maria" not in preview
    assert "⚠ Phone notification text: " in preview and "{nome} is not a field" in preview
    qtbot.mouseClick(tab.listen_button, Qt.MouseButton.LeftButton)
    assert tab.listened.text().startswith("⚠ Reminder call words: ")
    # Corrected: the old words' line goes, the preview says the new ones.
    qtbot.keyClick(tab.voice_text, Qt.Key.Key_End)
    for _n in range(len(". Tchau")):
        qtbot.keyClick(tab.voice_text, Qt.Key.Key_Backspace)
    qtbot.keyClicks(tab.voice_text, "}. Tchau")
    assert not tab.listened.isVisible()
    assert "Oi Maria, ate " in tab.preview.text()
