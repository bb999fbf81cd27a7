"""A client's phone, played by headless Chromium (Debian's chromium and
chromium-driver, driven by Selenium): open the link, press Confirmar or Cancelar,
and see the desktop's database change after its poller runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models.enums import Channel
from app.services import clients, config, queries, relay_client, scheduling, secrets
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.e2e import chromium
from tests.fakes.relay_server import API_KEY, LINK_SECRET, RelayServer

pytestmark = chromium.needed


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    driver = chromium.start(tmp_path / "chromium", "--disable-quic", "--lang=pt-BR",
                            "--window-size=390,844",
                            prefs={"intl.accept_languages": "pt-BR,pt"})
    yield driver
    driver.quit()


@pytest.fixture
def booked(practice: Practice, tmp_path: Path) -> Iterator[tuple[int, str]]:
    public = relay_client.keys(practice)
    with RelayServer(tmp_path / "relay", public_key=public) as relay:
        config.set_value(practice, "relay.url", relay.url)
        secrets.store("relay.api_key", API_KEY)
        secrets.store("relay.link_secret", LINK_SECRET)
        c = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321",
                        email="maria@example.com", consent=[Channel.EMAIL]).id
        session = scheduling.book(practice, BookingRequest(
            client_id=c, start=local("2027-03-15T10:00"), service_id=add_service(practice)))
        yield session, relay_client.link(practice, session)


def shows(driver: object, text: str) -> None:
    """Waits for the page the button's POST leads to."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(  # type: ignore[arg-type]
        expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "body"), text))


def test_confirm_from_the_phone(practice: Practice, browser: object,
                                booked: tuple[int, str]) -> None:
    from selenium.webdriver.common.by import By

    session, url = booked
    driver = browser
    driver.get(url)  # type: ignore[attr-defined]
    body = driver.find_element(By.TAG_NAME, "body").text  # type: ignore[attr-defined]
    assert "Consultório Bem-Estar" in body and "segunda-feira, 15 de março de 2027" in body
    driver.get(url)  # type: ignore[attr-defined]  # looked at twice: nothing changes
    relay_client.Poller(practice).poll_once()
    assert queries.show(practice, session).status.value == "scheduled"
    driver.find_element(By.CSS_SELECTOR, "button.confirm").click()  # type: ignore[attr-defined]
    shows(driver, "Sua sessão está confirmada")
    relay_client.Poller(practice).poll_once()
    assert queries.show(practice, session).status.value == "confirmed"


def test_cancel_from_the_phone_waits_for_the_professional(
        practice: Practice, browser: object, booked: tuple[int, str]) -> None:
    from selenium.webdriver.common.by import By

    session, url = booked
    driver = browser
    driver.get(url)  # type: ignore[attr-defined]
    driver.find_element(By.ID, "reason").send_keys("Vou viajar")  # type: ignore[attr-defined]
    driver.find_element(By.CSS_SELECTOR, "button.cancel").click()  # type: ignore[attr-defined]
    shows(driver, "pedido de cancelamento foi enviado")
    relay_client.Poller(practice).poll_once()
    assert queries.show(practice, session).status.value == "scheduled"
    [request] = relay_client.pending_requests(practice)
    assert request.reason == "Vou viajar"
    relay_client.resolve(practice, request.id, "keep")
    assert queries.show(practice, session).status.value == "scheduled"
