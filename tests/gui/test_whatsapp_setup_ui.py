"""Integrações › WhatsApp driven as a person does, against the fake Graph API: the
token and ids typed, Conectar shows the number Meta knows (or says what to
change), Atualizar reads the templates, and the reminder picker offers them with
their category and the parameters the app fills; one Meta paused is greyed."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QStandardItemModel
from pytestqt.qtbot import QtBot

from app.services import channel_checks, config, secrets
from app.services.practice import Practice
from app.ui.main_window import MainWindow
from tests.fakes.whatsapp import FakeWhatsApp, meta_template
from tests.gui.test_notification_settings import open_tab


def type_into(qtbot: QtBot, edit, text: str) -> None:  # type: ignore[no-untyped-def]
    edit.clear()
    qtbot.keyClicks(edit, text)


def test_connect_reads_the_number_and_the_templates_reach_the_picker(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    tab = open_tab(qtbot, window, 4)
    box = tab.whatsapp
    assert not box.api_base.isVisible()  # out of the way, under Advanced
    assert "API Setup" in box.hints[box.phone_id] and "API Setup" in box.hints[box.secret]
    with FakeWhatsApp() as wa:
        wa.rules.page_limit = 1
        wa.rules.meta_templates.append(meta_template(
            "promo_outono", "pt_BR", "Olá {{1}}, novidades!", category="MARKETING",
            status="PAUSED"))
        # On its words, as a person clicks it (the box spans the form's width).
        qtbot.mouseClick(box.advanced, Qt.MouseButton.LeftButton,
                         pos=QPoint(30, box.advanced.height() // 2))
        assert box.api_base.isVisible()
        type_into(qtbot, box.api_base, wa.url)
        type_into(qtbot, box.phone_id, "555000111")
        type_into(qtbot, box.account_id, wa.rules.business_account_id)
        qtbot.keyClicks(box.secret, wa.rules.token)
        qtbot.mouseClick(box.connect_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "Meta knows no phone number with the id 555000111" in
                        box.number.text(), timeout=5000)
        assert not channel_checks.latest(practice)["whatsapp"].ok

        type_into(qtbot, box.phone_id, wa.rules.phone_number_id)
        qtbot.mouseClick(box.connect_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "templates read from Meta" in box.number.text(), timeout=5000)
        assert box.number.text().splitlines() == [
            "+55 11 3000-1000, Clínica Aurora, quality: high",
            "3 templates read from Meta, 2 of them approved."]
        assert secrets.load("whatsapp.token") == wa.rules.token and box.secret.text() == ""
        assert config.get(practice, "whatsapp.business_account_id") == \
            wa.rules.business_account_id
        assert wa.pages_served == 3  # one template a page, every page followed

        # The reminder picker, in Notificações: Atualizar, then choose.
        notices = open_tab(qtbot, window, 3)
        wa.rules.meta_templates[0]["category"] = "MARKETING"
        wa.rules.meta_templates[0]["previous_category"] = "UTILITY"
        qtbot.mouseClick(notices.refresh_button, Qt.MouseButton.LeftButton)
        picker = notices.wa_picker
        qtbot.waitUntil(lambda: picker.count() == 3 and "marketing" in picker.itemText(1),
                        timeout=5000)
        texts = [picker.itemText(i) for i in range(picker.count())]
        assert texts[1] == ("lembrete_sessao · marketing · 3 parameters · confirmation link "
                            "· pt_BR, en_US")
        assert texts[2] == "promo_outono · marketing · 1 parameter · paused by Meta"
        model = picker.model()
        assert isinstance(model, QStandardItemModel)
        assert not model.item(2).isEnabled()  # not offered while it cannot be sent
        assert "Meta paused the template promo_outono" in model.item(2).toolTip()

        notices.wa_params.clear()
        picker.setFocus()
        qtbot.keyClick(picker, Qt.Key.Key_Down)  # to lembrete_sessao
        qtbot.waitUntil(lambda: notices.wa_template.text() == "lembrete_sessao", timeout=3000)
        assert notices.wa_language.text() == "pt_BR,en_US"
        assert notices.wa_params.text() == "first_name,date,time"
        details = notices.wa_details.text()
        assert "Category: marketing" in details and "Meta moved it from utility to marketing" \
            in details
        assert "The app fills {{1}} = first name, {{2}} = date, {{3}} = time." in details
        assert "Its button carries the confirmation link." in details

        # Typed by hand, the paused one is refused with why; nothing is saved.
        type_into(qtbot, notices.wa_template, "promo_outono")
        qtbot.mouseClick(notices.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "Meta paused the template promo_outono" in
                        notices.error.text(), timeout=3000)
        assert config.get(practice, "whatsapp.template") == ""
        type_into(qtbot, notices.wa_template, "lembrete_sessao")
        qtbot.mouseClick(notices.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: config.get(practice, "whatsapp.template") == "lembrete_sessao",
                        timeout=3000)
        assert config.get(practice, "whatsapp.language") == "pt_BR,en_US"

        # Conecta's templates are the same ones, the paused one marked with why.
        window.settings_page.tabs.setCurrentIndex(5)
        conecta = window.settings_page.conecta
        qtbot.waitUntil(lambda: conecta.template_list.count() == 3, timeout=3000)
        rows = [conecta.template_list.item(i) for i in range(3)]
        assert [r.text() for r in rows] == ["lembrete_sessao (pt_BR)", "lembrete_sessao (en_US)",
                                            "⚠ promo_outono (pt_BR)"]
        assert "Meta paused the template promo_outono" in rows[2].toolTip()
        window.tasks.wait()


def test_a_wrong_token_is_said_in_words(qtbot: QtBot, window: MainWindow,
                                        practice: Practice) -> None:
    tab = open_tab(qtbot, window, 4)
    box = tab.whatsapp
    with FakeWhatsApp() as wa:
        box.api_base.setText(wa.url)
        type_into(qtbot, box.phone_id, wa.rules.phone_number_id)
        qtbot.keyClicks(box.secret, "EAAG-expired")
        qtbot.mouseClick(box.connect_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "Meta refused the access token" in box.number.text(),
                        timeout=5000)
        qtbot.mouseClick(box.refresh_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "Fill in the WhatsApp Business Account's id" in
                        box.number.text(), timeout=5000)
        window.tasks.wait()


def test_a_value_salvar_refuses_is_said_and_nothing_is_left_half_done(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    """Meta knows the number, but the account id typed is not one: the form is not
    saved, the refusal says why, and no "reading…" line is left behind."""
    tab = open_tab(qtbot, window, 4)
    box = tab.whatsapp
    with FakeWhatsApp() as wa:
        qtbot.mouseClick(box.advanced, Qt.MouseButton.LeftButton,
                         pos=QPoint(30, box.advanced.height() // 2))
        type_into(qtbot, box.api_base, wa.url)
        type_into(qtbot, box.phone_id, wa.rules.phone_number_id)
        type_into(qtbot, box.account_id, "<b>x</b>")
        qtbot.keyClicks(box.secret, wa.rules.token)
        qtbot.mouseClick(box.connect_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: box.result.text().startswith("⚠"), timeout=5000)
    assert "<b>x</b>" in box.result.text() and box.number.text() == ""
    assert config.get(practice, "whatsapp.phone_number_id") == ""
    assert secrets.load("whatsapp.token") is None
