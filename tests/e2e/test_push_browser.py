"""The link page's push button, driven in headless Chromium (Debian's chromium and
chromium-driver, through Selenium).

Chromium's real PushManager.subscribe() asks Google's push service (FCM) for an
endpoint, which cannot be reached from here. So the page's script runs for real
up to `subscribe`: the relay's /push.js and its service worker /sw.js are
loaded under the page's Content-Security-Policy, notification permission is
granted by the profile, and only PushManager.prototype.subscribe /
getSubscription are stubbed (a script Chromium injects before the page's own,
through the DevTools protocol), answering with a subscription of the fake push
service (tests/fakes/push.py). From there everything is real: the script's POST
reaches the relay, the desktop's poll stores the phone and dates the consent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.models.enums import Channel
from app.services import clients, config, push_keys, relay_client, scheduling, secrets
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_service, local
from tests.e2e import chromium
from tests.fakes.push import Browser, FakePushService, unb64url
from tests.fakes.relay_server import API_KEY, LINK_SECRET, RelayServer

pytestmark = chromium.needed

STUB = """(function () {
  var fake = %s, current = null;
  window.__push = {calls: [], unsubscribed: false};
  function made() {
    return {endpoint: fake.endpoint, toJSON: function () { return fake; },
            unsubscribe: function () {
              current = null; window.__push.unsubscribed = true; return Promise.resolve(true);
            }};
  }
  if (%s) { delete window.PushManager; return; }
  PushManager.prototype.subscribe = function (options) {
    window.__push.calls.push({userVisibleOnly: options.userVisibleOnly,
                              key: Array.from(new Uint8Array(options.applicationServerKey))});
    current = made();
    return Promise.resolve(current);
  };
  PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
})();"""

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")


@pytest.fixture
def set_up(practice: Practice, tmp_path: Path) -> Iterator[tuple[RelayServer, FakePushService,
                                                                   int, str]]:
    with RelayServer(tmp_path / "relay", public_key=relay_client.keys(practice),
                     push_loopback_endpoints=True) as relay, FakePushService() as push:
        config.set_value(practice, "relay.url", relay.url)
        secrets.store("relay.api_key", API_KEY)
        secrets.store("relay.link_secret", LINK_SECRET)
        push_keys.turn_on(practice)
        c = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321",
                        email="maria@example.com", consent=[Channel.EMAIL]).id
        session = scheduling.book(practice, BookingRequest(
            client_id=c, start=local("2027-03-15T10:00"), service_id=add_service(practice)))
        yield relay, push, c, relay_client.link(practice, session)


def phone(tmp_path: Path, browser: Browser, *, no_push: bool = False,
          user_agent: str | None = None) -> Any:
    driver = chromium.start(tmp_path / "chromium", "--disable-quic", "--lang=pt-BR",
                            "--window-size=390,844",
                            prefs={"intl.accept_languages": "pt-BR,pt",
                                   # As if the person had allowed notifications.
                                   "profile.default_content_setting_values.notifications": 1})
    if user_agent:
        driver.execute_cdp_cmd("Network.setUserAgentOverride", {"userAgent": user_agent})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {
        "source": STUB % (json.dumps(browser.as_json()), "true" if no_push else "false")})
    return driver


def wait_for(driver: Any, text: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 15).until(
        expected_conditions.text_to_be_present_in_element((By.ID, "push"), text))


def test_the_button_subscribes_and_the_desktop_keeps_the_phone(
        practice: Practice, tmp_path: Path, set_up: tuple) -> None:
    from selenium.webdriver.common.by import By

    relay, push, client_id, url = set_up
    browser = push.subscribe()
    driver = phone(tmp_path, browser)
    try:
        driver.get(url)
        button = driver.find_element(By.CSS_SELECTOR, '[data-push="on"]')
        wait_for(driver, "Receber lembretes neste celular")
        assert button.is_displayed()
        assert not driver.find_element(By.CSS_SELECTOR, '[data-push="stop"]').is_displayed()
        button.click()
        wait_for(driver, "Pronto: os lembretes vão chegar neste celular.")
        calls = driver.execute_script("return window.__push.calls")
        assert len(calls) == 1 and calls[0]["userVisibleOnly"] is True
        public = config.get(practice, "push.public_key")
        assert bytes(calls[0]["key"]) == unb64url(public)  # the practice's VAPID key
        # The service worker the script registered is the relay's, for the whole site.
        scope = driver.execute_async_script(
            "var done = arguments[0]; navigator.serviceWorker.ready.then("
            "function (r) { done(r.scope + ' ' + r.active.scriptURL); });")
        assert scope == f"{relay.url}/ {relay.url}/sw.js"
        assert driver.find_element(By.CSS_SELECTOR, '[data-push="stop"]').is_displayed()

        assert clients.get(practice, client_id).consent["push"] is None
        relay_client.Poller(practice).poll_once()
        assert clients.get(practice, client_id).consent["push"] is not None
        from app.services import push_devices

        with practice.db.read() as s:
            [kept] = push_devices.live(s, client_id)
            assert (kept.endpoint, kept.p256dh, kept.auth) == \
                (browser.endpoint, browser.p256dh, browser.auth)

        # Stopping from the same page: the phone unsubscribes and the desktop drops it.
        driver.find_element(By.CSS_SELECTOR, '[data-push="stop"]').click()
        wait_for(driver, "Os lembretes neste celular foram desativados.")
        assert driver.execute_script("return window.__push.unsubscribed") is True
        relay_client.Poller(practice).poll_once()
        with practice.db.read() as s:
            assert push_devices.live(s, client_id) == []
        assert clients.get(practice, client_id).consent["push"] is None
        # The page's buttons still work as before.
        assert driver.find_element(By.CSS_SELECTOR, "button.confirm").is_displayed()
        logs = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"
                and "favicon.ico" not in e.get("message", "")]  # the relay serves none
        assert logs == [], logs  # no script refused by the page's policy, no error
    finally:
        driver.quit()


def test_an_iphone_outside_the_home_screen_is_told_the_two_steps(
        practice: Practice, tmp_path: Path, set_up: tuple) -> None:
    """Safari on an iPhone offers no PushManager to a page opened in a tab: the
    script shows iOS's two steps instead of the button."""
    from selenium.webdriver.common.by import By

    _relay, push, _client_id, url = set_up
    driver = phone(tmp_path, push.subscribe(), no_push=True, user_agent=IPHONE)
    try:
        driver.get(url)
        wait_for(driver, "Adicionar à Tela de Início")
        assert driver.find_element(By.CSS_SELECTOR, '[data-push="ios"]').is_displayed()
        assert not driver.find_element(By.CSS_SELECTOR, '[data-push="on"]').is_displayed()
    finally:
        driver.quit()
