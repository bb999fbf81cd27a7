"""A client's phone, played by headless Chromium (Debian's chromium and
chromium-driver, driven by Selenium): open the link, press Confirmar or Cancelar,
and see the desktop's database change after its poller runs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models.enums import Channel
from app.services import clients, config, queries, relay_client, scheduling, secrets
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.fakes.relay_server import API_KEY, LINK_SECRET, RelayServer

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="Debian's chromium and chromium-driver are missing (`make test` installs them "
           "when run as root; otherwise: sudo apt-get install chromium chromium-driver)")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--lang=pt-BR",
                 f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=390,844"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "pt-BR,pt"})
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_page_load_timeout(20)
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
