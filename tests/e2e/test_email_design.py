"""The e-mails a client receives, as a phone and a computer show them: each kind
sent through the real outbox to an SMTP server on loopback, its HTML opened in
headless Chromium at 375 px and 800 px, light and dark."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models.enums import Channel
from app.services import catalog, clients, config, outbox, scheduling, secrets, settings
from app.services.clock import FrozenClock
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.e2e import chromium
from tests.fakes.relay_server import LINK_SECRET
from tests.fakes.smtp import SmtpServer, settings_for

pytestmark = chromium.needed


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    driver = chromium.start(tmp_path / "chromium", "--hide-scrollbars")
    yield driver
    driver.quit()


@pytest.fixture
def sent(practice: Practice, clock: FrozenClock) -> dict[str, str]:
    """Each kind of e-mail a client gets, as its HTML part, from a Brazilian practice."""
    with SmtpServer() as smtp:
        config.set_values(practice, {
            **settings_for(smtp), "relay.url": "https://relay.example",
            "reminders.default": "email:1440"})
        secrets.store("relay.link_secret", LINK_SECRET)
        settings.set_value(practice, "language", "pt_BR")
        settings.set_value(practice, "name", "Consultório Bem-Estar")
        settings.set_value(practice, "cancel_fee", "100")
        settings.set_value(practice, "address", "Rua das Flores, 120, sala 3 — São Paulo")
        catalog.rename_staff(practice, catalog.list_staff(practice)[0].id, "Dra. Ana Souza")
        maria = clients.add(practice, name="Maria Eduarda Albuquerque Cavalcanti",
                            phone="+55 11 98765-4321", email="maria@example.com",
                            consent=[Channel.EMAIL]).id
        service = add_service(practice, name="Psicoterapia individual")
        a = scheduling.book(practice, BookingRequest(client_id=maria,
                                                     start=local("2026-11-23T10:00"),
                                                     service_id=service))
        clock.set(local("2026-11-22T10:00"))
        outbox.Dispatcher(practice).dispatch_due()  # the reminder
        scheduling.confirm(practice, a)
        outbox.Dispatcher(practice).dispatch_due()
        moved = scheduling.reschedule(practice, a, local("2026-11-24T15:00"))[a]
        outbox.Dispatcher(practice).dispatch_due()
        scheduling.cancel(practice, moved, reason="Viagem", notify=True)
        outbox.Dispatcher(practice).dispatch_due()
        html = [next(p.get_content() for p in r.message.walk()
                     if p.get_content_type() == "text/html") for r in smtp.received]
    assert len(html) == 4
    return dict(zip(("reminder", "confirmation", "reschedule", "cancellation"), html,
                    strict=True))


MONDAY, TUESDAY = "segunda-feira, 23 de novembro de 2026", "terça-feira, 24 de novembro de 2026"
FACTS = {
    "reminder": ["Consultório Bem-Estar", "Lembrete da sua sessão", MONDAY, "10:00–10:50",
                 "Dra. Ana Souza", "Rua das Flores", "Confirmar", "Cancelar ou remarcar",
                 "menos de 24 h", "R$ 100,00"],
    "confirmation": ["Sua sessão está confirmada", MONDAY, "10:00–10:50", "Dra. Ana Souza",
                     "Cancelar ou remarcar", "menos de 24 h"],
    "reschedule": ["Sua sessão tem um novo horário", TUESDAY, "15:00–15:50", "Dra. Ana Souza",
                   "Confirmar"],
    "cancellation": ["Sua sessão foi cancelada", TUESDAY, "15:00–15:50"],
}


@pytest.mark.parametrize("width", [375, 800])
def test_each_email_reads_whole_at_a_phones_and_a_computers_width(
        browser: object, sent: dict[str, str], tmp_path: Path, width: int) -> None:
    driver = browser
    driver.set_window_size(width, 900)  # type: ignore[attr-defined]
    for kind, html in sent.items():
        page = tmp_path / f"{kind}.html"
        page.write_text(html, encoding="utf-8")
        driver.get(page.as_uri())  # type: ignore[attr-defined]
        inner = driver.execute_script("return window.innerWidth")  # type: ignore[attr-defined]
        body = driver.execute_script(  # type: ignore[attr-defined]
            "return document.body.innerText").replace("\xa0", " ")
        for fact in FACTS[kind]:
            assert fact in body, (kind, width, fact)
        if kind == "cancellation":
            assert "Confirmar" not in body and "24 h" not in body
        assert driver.execute_script(  # type: ignore[attr-defined]
            "return document.documentElement.scrollWidth") <= inner, (kind, width)
        assert driver.execute_script(  # type: ignore[attr-defined]
            "return performance.getEntriesByType('resource').length") == 0  # nothing fetched
        if width == 375 and kind == "reminder":  # the buttons stack, full width, to tap
            widths = driver.execute_script(  # type: ignore[attr-defined]
                "return [...document.querySelectorAll('a.button')].map(a => a.offsetWidth)")
            assert len(widths) == 2 and min(widths) > inner * 0.6
        driver.save_screenshot(str(tmp_path / f"{kind}-{width}.png"))  # type: ignore[attr-defined]


def test_dark_mode_turns_the_card_dark_and_keeps_it_readable(
        browser: object, sent: dict[str, str], tmp_path: Path) -> None:
    driver = browser
    page = tmp_path / "reminder.html"
    page.write_text(sent["reminder"], encoding="utf-8")
    colours = "return [getComputedStyle(document.querySelector('.card')).backgroundColor," \
              " getComputedStyle(document.querySelector('.when')).color]"
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    assert driver.execute_script(colours) == [  # type: ignore[attr-defined]
        "rgb(255, 255, 255)", "rgb(15, 23, 42)"]
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {  # type: ignore[attr-defined]
        "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    assert driver.execute_script(colours) == [  # type: ignore[attr-defined]
        "rgb(30, 41, 59)", "rgb(248, 250, 252)"]
