"""Configurações › Integrações › Links de confirmação: the practice types the
relay's address and the code, clicks Conectar, and sees in words what happened,
a link to open in the browser, and that it is paired — against the real relay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import QObject, QPoint, QSettings, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from app import i18n
from app.models.enums import Channel
from app.services import clients, config, scheduling, secrets, settings
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.ui.integrations.links_box import LinksBox
from app.ui.main_window import PAGES, MainWindow
from tests.conftest import add_service, local
from tests.e2e.pairing import new_practice, relay_with_no_practice
from tests.fakes.relay_server import RelayServer


class Browser(QObject):
    """Stands in for the system's browser: the addresses the app asked it to open."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


@pytest.fixture
def browser() -> Iterator[Browser]:
    found = Browser()
    for scheme in ("http", "https"):
        QDesktopServices.setUrlHandler(scheme, found, "open")
    yield found
    for scheme in ("http", "https"):
        QDesktopServices.unsetUrlHandler(scheme)


@pytest.fixture
def setup(qtbot: QtBot, practice: Practice, tmp_path: Path
          ) -> Iterator[tuple[MainWindow, LinksBox, RelayServer, int]]:
    c = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321",
                    consent=[Channel.EMAIL], email="maria@example.com").id
    session = scheduling.book(practice, BookingRequest(
        client_id=c, start=local("2027-03-15T10:00"), service_id=add_service(practice)))
    with relay_with_no_practice(tmp_path / "relay") as relay:
        QSettings().setValue("window/page", "agenda")
        w = MainWindow(practice, settings.get(practice).zone)
        qtbot.addWidget(w)
        w.resize(1280, 800)
        w.show()
        w.nav.setCurrentRow(PAGES.index("settings"))
        w.settings_page.tabs.setCurrentWidget(w.settings_page.integrations)
        box = w.settings_page.integrations.links
        qtbot.waitUntil(lambda: box.loaded, timeout=5000)
        yield w, box, relay, session
        w.tasks.wait()


def click(qtbot: QtBot, button: object) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def test_conectar_pairs_and_shows_a_link_to_open(
        qtbot: QtBot, practice: Practice, browser: Browser,
        setup: tuple[MainWindow, LinksBox, RelayServer, int]) -> None:
    w, box, relay, session = setup
    assert box.title() == "Confirmation links"
    assert w.settings_page.integrations.findChildren(LinksBox) == [box]
    assert box.state.text() == "Not paired with a relay yet."
    assert not box.test_button.isEnabled() and not box.sample.isVisible()
    added = new_practice(relay)

    # A wrong code: said in words, nothing stored.
    qtbot.keyClicks(box.address, relay.url)
    qtbot.keyClicks(box.code, "ABCD-EFGH-JKMN-PQRS-TVWX")
    click(qtbot, box.connect_button)
    qtbot.waitUntil(lambda: box.result.text().startswith(
        "⚠ The relay does not know this code, or it was already used or has expired"),
        timeout=10_000)
    qtbot.waitUntil(lambda: "it did not work" in box.state.text(), timeout=5000)
    assert box.state.text().startswith("Not paired with a relay yet. Last check ")
    assert config.get(practice, "relay.url") == "" and not secrets.is_set("relay.api_key")
    assert not box.sample.isVisible() and box.connect_button.isEnabled()

    # The right code, typed as a person reads it.
    box.code.clear()
    qtbot.keyClicks(box.code, added["code"].lower().replace("-", " "))
    click(qtbot, box.connect_button)
    qtbot.waitUntil(lambda: box.result.text().startswith("Paired with the relay at"),
                    timeout=10_000)
    assert box.result.text() == (
        f"Paired with the relay at {relay.url} as practice {added['id']}: it answers and "
        f"accepts this computer's key. Open the link for session #{session} "
        "(3/15/27, 10:00\u202fAM) to see the page the client sees.")
    assert box.code.text() == ""  # spent
    qtbot.waitUntil(lambda: "it worked" in box.state.text(), timeout=5000)
    assert box.state.text().startswith(f"Paired with {relay.url} (practice {added['id']}). "
                                       "Last check ")
    assert box.test_button.isEnabled()
    api_key, link_secret = secrets.load("relay.api_key"), secrets.load("relay.link_secret")
    assert api_key and link_secret
    for label in (box.result, box.state, box.sample):
        assert api_key not in label.text() and link_secret not in label.text()

    # The sample link is shown and opens in the browser; it is the client's page.
    assert box.sample.isVisible()
    assert f'href="{relay.url}/c/' in box.sample.text()
    click_at = QPoint(8, box.sample.height() // 2)
    qtbot.mouseClick(box.sample, Qt.MouseButton.LeftButton, pos=click_at)
    qtbot.waitUntil(lambda: len(browser.opened) == 1, timeout=3000)
    assert browser.opened[0].startswith(f"{relay.url}/c/")
    page = requests.get(browser.opened[0], timeout=5)
    assert page.status_code == 200 and "Clínica Aurora" in page.text

    # Testar, now that it is paired.
    click(qtbot, box.test_button)
    qtbot.waitUntil(lambda: box.result.text().startswith(
        f"The relay at {relay.url} answers and accepts this computer's key."), timeout=10_000)
    assert box.sample.isVisible()


def test_an_address_that_would_send_keys_in_clear(
        qtbot: QtBot, practice: Practice,
        setup: tuple[MainWindow, LinksBox, RelayServer, int]) -> None:
    _w, box, _relay, _session = setup
    qtbot.keyClicks(box.address, "http://relay.example.com")
    qtbot.keyClicks(box.code, "ABCD-EFGH-JKMN-PQRS-TVWX")
    click(qtbot, box.connect_button)
    qtbot.waitUntil(lambda: "unencrypted" in box.result.text(), timeout=5000)
    assert box.result.text().startswith("⚠ 'http://relay.example.com' would send the "
                                        "practice's keys unencrypted")
    assert box.connect_button.isEnabled() and config.get(practice, "relay.url") == ""


def test_the_box_speaks_portuguese(qtbot: QtBot, practice: Practice, tmp_path: Path) -> None:
    i18n.set_language("pt_BR")  # the window's language, for its threads too
    with relay_with_no_practice(tmp_path / "relay") as relay:
        w = MainWindow(practice, settings.get(practice).zone)
        qtbot.addWidget(w)
        w.show()
        w.nav.setCurrentRow(PAGES.index("settings"))
        w.settings_page.tabs.setCurrentWidget(w.settings_page.integrations)
        box = w.settings_page.integrations.links
        qtbot.waitUntil(lambda: box.loaded, timeout=5000)
        assert (box.title(), box.connect_button.text(), box.test_button.text()) == (
            "Links de confirmação", "Conectar", "Testar")
        assert box.state.text() == "Ainda não conectado a um serviço de links."
        qtbot.keyClicks(box.address, relay.url)
        qtbot.keyClicks(box.code, "ABCD-EFGH-JKMN-PQRS-TVWX")
        click(qtbot, box.connect_button)
        qtbot.waitUntil(lambda: box.result.text().startswith(
            "⚠ O serviço de links não conhece este código"), timeout=10_000)
        qtbot.waitUntil(lambda: "não funcionou" in box.state.text(), timeout=5000)
        w.tasks.wait()
