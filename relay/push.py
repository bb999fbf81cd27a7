"""Reminders by push notification (Web Push): the relay's part.

- The practice's VAPID public key (RFC 8292 §3.2: an uncompressed P-256 point,
  base64url) is given by the desktop: PUT /api/v1/push-key {"public_key"} with
  the practice's API key as bearer → 200 {"public_key"}; 422 {"error"} for a key
  that is not a P-256 point. GET /api/v1/push-key → 200 {"public_key"} ("" when
  none was given). The link's page carries it (a data- attribute) when it is set.
- The link's page gets a section, hidden until /push.js shows it, with the button
  "Receive reminders on this phone", a button to stop, and, for an iPhone or an
  iPad, the two steps iOS needs (notifications only reach a page added to the
  home screen). No inline script: /push.js and the service worker /sw.js are
  served by the relay itself (Content-Security-Policy `script-src 'self'`,
  relay.guard). Without JavaScript the page is exactly as before.
- The script subscribes (PushManager.subscribe, userVisibleOnly, the practice's
  key) and posts the subscription as a form to POST /c/{token}/push (endpoint,
  p256dh, auth); the relay checks its shape (subscription_problem), seals it to
  the practice's Curve25519 key and queues a `push_subscription` event for the
  session the token names (the desktop finds the client). POST
  /c/{token}/push/stop (endpoint) queues a `push_stop` event. Both answer 204,
  4xx with {"error"} for a forged token (404), an expired link (410), a
  malformed subscription (422) or too many tries (429); nothing readable is
  kept.

https://www.w3.org/TR/push-api/ · https://www.rfc-editor.org/rfc/rfc8030 ·
https://www.rfc-editor.org/rfc/rfc8292"""

from __future__ import annotations

import base64
import binascii
import html
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Form, Header, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy import Column, DateTime, MetaData, String, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from relay.i18n import translations
from relay.sealing import seal
from relay.store import synced

SUBSCRIBED, STOPPED = "push_subscription", "push_stop"  # the events' kinds
MAX_ENDPOINT = 2048  # characters of a push service's URL (app.services.push_devices)
P256DH_BYTES, AUTH_BYTES = 65, 16  # RFC 8291 §3.1, §3.2

metadata = MetaData()
keys = Table(
    "relay_push_key", metadata,
    Column("practice", String(64), primary_key=True),
    Column("public_key", String(100), nullable=False),  # base64url, 65 bytes
    Column("at", DateTime, nullable=False),
)

_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
# The characters a URI may hold (RFC 3986 §2): no quote, no angle bracket, no space.
_URI = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


def decoded(text: str) -> bytes | None:
    """The bytes of base64url text (padding optional); None when it is not."""
    if not isinstance(text, str) or not _B64URL.fullmatch(text):
        return None
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return None


# NIST P-256 (SEC 2 §2.4.2): y² = x³ - 3x + b over the prime field of P256_P.
P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B


def is_p256_point(raw: bytes | None) -> bool:
    """An uncompressed P-256 public key (SEC 1 §2.3.3): 65 bytes, 0x04 first, a
    point on the curve. Checked here so the relay needs no other library."""
    if raw is None or len(raw) != P256DH_BYTES or raw[0] != 4:
        return False
    x, y = int.from_bytes(raw[1:33], "big"), int.from_bytes(raw[33:], "big")
    if x >= P256_P or y >= P256_P:
        return False
    return (y * y - (x * x * x - 3 * x + P256_B)) % P256_P == 0


def endpoint_problem(endpoint: str, *, loopback: bool = False) -> str | None:
    """Why `endpoint` cannot be a push service's URL: it is an https URL of at most
    MAX_ENDPOINT printable ASCII characters (http://127.0.0.1 too when `loopback`:
    a relay or a desktop started by the tests). None when it can."""
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT or \
            not _URI.fullmatch(endpoint):
        return "endpoint is not a push service's URL"
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return "endpoint is not a push service's URL"
    local = loopback and parts.scheme == "http" and parts.hostname == "127.0.0.1"
    if not (parts.scheme == "https" or local) or not parts.hostname or parts.username \
            or parts.password or port == 0:
        return "endpoint must be an https URL"
    return None


def subscription_problem(endpoint: str, p256dh: str, auth: str, *,
                         loopback: bool = False) -> str | None:
    """Why a subscription (the Push API's PushSubscription.toJSON(): its endpoint
    and keys) cannot be one; None when it can: endpoint_problem(), p256dh a P-256
    point (RFC 8291 §3.1) and auth 16 bytes (§3.2), both in base64url."""
    problem = endpoint_problem(endpoint, loopback=loopback)
    if problem is not None:
        return problem
    if not is_p256_point(decoded(p256dh)):
        return "keys.p256dh must be a P-256 public key (65 bytes, base64url)"
    secret = decoded(auth)
    if secret is None or len(secret) != AUTH_BYTES:
        return "keys.auth must be 16 bytes in base64url"
    return None


class KeyBody(BaseModel):
    public_key: str = Field(min_length=1, max_length=100)


class PushKeys:
    """The practices' VAPID public keys, in the relay's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        metadata.create_all(engine)

    def get(self, practice: str) -> str:
        with self.engine.connect() as conn:
            found = conn.execute(select(keys.c.public_key).where(
                keys.c.practice == practice)).scalar()
        return str(found) if found else ""

    def delete(self, practice: str) -> None:
        """The practice's pages stop offering notifications."""
        with self.engine.begin() as conn:
            conn.execute(keys.delete().where(keys.c.practice == practice))
        synced(self.engine)

    def put(self, practice: str, public_key: str) -> None:
        values = {"public_key": public_key,
                  "at": datetime.now(UTC).replace(tzinfo=None, microsecond=0)}
        upsert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        statement = upsert(keys).values(practice=practice, **values)
        with self.engine.begin() as conn:
            conn.execute(statement.on_conflict_do_update(index_elements=[keys.c.practice],
                                                         set_=values))
        synced(self.engine)


IOS = re.compile(r"\b(iPhone|iPad|iPod)\b")


def manifest_link(token: str, public_key: str) -> str:
    """The link page's web app manifest, when push is on: iOS (16.4 and later)
    lets only a page added to the home screen as a web app ask for notifications
    (https://webkit.org/blog/13878/web-push-for-web-apps-on-ios-and-ipados/)."""
    if not public_key:
        return ""
    return f'<link rel="manifest" href="/c/{html.escape(token)}/manifest.webmanifest">'


def manifest(practice_name: str, token: str, lang: str) -> dict[str, str]:
    """The web app manifest of one link's page (W3C Web Application Manifest): it
    opens that page, standalone, under the practice's name."""
    return {"name": practice_name, "short_name": practice_name[:30],
            "start_url": f"/c/{token}", "scope": f"/c/{token}", "display": "standalone",
            "lang": "pt-BR" if lang == "pt_BR" else "en", "background_color": "#f8fafc",
            "theme_color": "#059669"}


def section(lang: str, token: str, public_key: str, user_agent: str | None) -> str:
    """The push part of a link's page: hidden until /push.js shows the part that
    applies (the button, the stop button, or iOS's two steps); "" when the
    practice has not turned push on."""
    if not public_key:
        return ""
    _ = translations(lang).gettext
    # Translated outside the f-strings: the catalog's extractor cannot see inside one.
    turn_on, stop = _("Receive reminders on this phone"), _("Stop reminders on this phone")
    on_text = _("Reminders of your sessions will arrive on this phone, with buttons to "
                "confirm or cancel.")
    done, stopped = _("Done: reminders will arrive on this phone."), \
        _("Reminders on this phone are stopped.")
    refused = _("This phone did not allow notifications. You can allow them in the "
                "browser's settings and try again.")
    failed = _("It did not work this time. Please try again later.")
    ios = ""
    if user_agent and IOS.search(user_agent):
        ios_title = _("On iPhone and iPad, reminders only arrive on this page once it is on "
                      "your home screen:")
        step1 = _("Tap Share, then Add to Home Screen.")
        step2 = _("Open the page from the home screen and tap Receive reminders on this "
                  "phone.")
        ios = (f'<div class="muted" data-push="ios" hidden><p>{ios_title}</p>'
               f"<ol><li>{step1}</li><li>{step2}</li></ol></div>")
    esc = html.escape
    return (f'<div class="card" id="push" hidden data-key="{esc(public_key)}" '
            f'data-token="{esc(token)}" data-said-done="{esc(done)}" '
            f'data-said-stopped="{esc(stopped)}" data-said-refused="{esc(refused)}" '
            f'data-said-failed="{esc(failed)}">'
            f'<p class="muted">{on_text}</p>'
            f'<button class="confirm" type="button" data-push="on" hidden>{turn_on}</button>'
            f'<button class="cancel" type="button" data-push="stop" hidden>{stop}</button>'
            f'{ios}<p class="muted" data-push="said" role="status"></p></div>'
            f'<script src="/push.js" defer></script>')


# The page's script: shows what applies, subscribes and unsubscribes. Plain ES2017,
# first-party, no inline handlers (the page's CSP allows scripts from the relay only).
SCRIPT = r"""(function () {
  "use strict";
  var box = document.getElementById("push");
  if (!box) { return; }
  var token = box.getAttribute("data-token");
  var on = box.querySelector('[data-push="on"]');
  var stop = box.querySelector('[data-push="stop"]');
  var ios = box.querySelector('[data-push="ios"]');
  var said = box.querySelector('[data-push="said"]');
  function say(key) { said.textContent = box.getAttribute("data-said-" + key) || ""; }
  function key() {
    var text = box.getAttribute("data-key").replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(text + "===".slice((text.length + 3) % 4));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  function post(path, fields) {
    return fetch("/c/" + encodeURIComponent(token) + path, {
      method: "POST", credentials: "omit", body: new URLSearchParams(fields)
    }).then(function (r) { if (!r.ok) { throw new Error("relay " + r.status); } });
  }
  var standalone = window.navigator.standalone === true ||
    (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches);
  var supported = "serviceWorker" in navigator && "PushManager" in window &&
    "Notification" in window;
  if (!supported) {
    if (ios && !standalone) { box.hidden = false; ios.hidden = false; }
    return;
  }
  function registration() {
    return navigator.serviceWorker.register("/sw.js", {scope: "/"}).then(function () {
      return navigator.serviceWorker.ready;
    });
  }
  function show(subscribed) {
    box.hidden = false;
    on.hidden = subscribed;
    stop.hidden = !subscribed;
  }
  registration().then(function (reg) {
    return reg.pushManager.getSubscription();
  }).then(function (found) { show(!!found); }, function () { show(false); });
  on.addEventListener("click", function () {
    on.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { throw new Error("refused"); }
      return registration();
    }).then(function (reg) {
      return reg.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: key()});
    }).then(function (subscription) {
      var data = subscription.toJSON();
      return post("/push", {endpoint: data.endpoint, p256dh: data.keys.p256dh,
                            auth: data.keys.auth});
    }).then(function () { show(true); say("done"); }, function (error) {
      say(error && error.message === "refused" ? "refused" : "failed");
    }).then(function () { on.disabled = false; });
  });
  stop.addEventListener("click", function () {
    stop.disabled = true;
    registration().then(function (reg) {
      return reg.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) { return null; }
      var endpoint = subscription.endpoint;
      return subscription.unsubscribe().then(function () {
        return post("/push/stop", {endpoint: endpoint});
      });
    }).then(function () { show(false); say("stopped"); }, function () { say("failed"); })
      .then(function () { stop.disabled = false; });
  });
})();
"""

# The service worker: shows what the practice sent (a JSON payload: title, body,
# url, actions, tag, lang) and opens the link's page on a tap. It never posts
# anything: only the page's own button confirms or cancels.
WORKER = r""""use strict";
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  var url = typeof data.url === "string" && data.url.indexOf(self.location.origin + "/c/") === 0
    ? data.url : self.location.origin + "/";
  event.waitUntil(self.registration.showNotification(String(data.title || ""), {
    body: String(data.body || ""),
    tag: String(data.tag || ""),
    lang: String(data.lang || ""),
    actions: Array.isArray(data.actions) ? data.actions.slice(0, 2) : [],
    data: {url: url}
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/";
  if (event.action === "cancel") { url += "#cancel"; }
  event.waitUntil(self.clients.openWindow(url));
});
"""


def install(app: FastAPI, *, store: Any, practices: Any, read_link: Callable[..., Any],
            by_token: Any, woken: Callable[[], None], loopback: bool,
            language: Callable[[str | None], str]) -> PushKeys:
    """Adds push's routes to the relay's app. `read_link(token, lang)` is the
    relay's (practice and link, or the refusal page); `by_token` the link's
    POST limiter; `woken()` wakes the desktop's long poll; `loopback` lets
    http://127.0.0.1 endpoints in (a relay started by the tests only)."""
    book = PushKeys(store.engine)

    @app.get("/push.js", include_in_schema=False)
    def script() -> Response:
        return PlainTextResponse(SCRIPT, media_type="text/javascript; charset=utf-8")

    @app.get("/sw.js", include_in_schema=False)
    def worker() -> Response:
        # Scope "/" (Service-Worker-Allowed is not needed: the script is at the root).
        return PlainTextResponse(WORKER, media_type="text/javascript; charset=utf-8")

    @app.get("/c/{token}/manifest.webmanifest", include_in_schema=False)
    def web_manifest(token: str, request: Request) -> Response:
        lang = language(request.headers.get("accept-language"))
        found, refusal = read_link(token, lang)
        if refusal is not None:
            return JSONResponse({"error": "this link is not valid"},
                                status_code=refusal.status_code)
        practice, _link = found
        if not book.get(practice.id):
            return JSONResponse({"error": "notifications are not on"}, status_code=404)
        return JSONResponse(manifest(practice.name, token, lang),
                            media_type="application/manifest+json")

    @app.get("/api/v1/push-key")
    def get_key(authorization: str | None = Header(default=None)) -> JSONResponse:
        practice = practices.bearer(authorization)
        if practice is None:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        return JSONResponse({"public_key": book.get(practice.id)})

    @app.put("/api/v1/push-key")
    def put_key(body: KeyBody, authorization: str | None = Header(default=None)
                ) -> JSONResponse:
        """The practice's VAPID public key, for its links' pages."""
        practice = practices.bearer(authorization)
        if practice is None:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if not is_p256_point(decoded(body.public_key)):
            return JSONResponse({"error": "public_key is not a VAPID key: send the base64url "
                                          "of a 65-byte uncompressed P-256 point"},
                                status_code=422)
        book.put(practice.id, body.public_key.rstrip("="))
        return JSONResponse({"public_key": book.get(practice.id)})

    @app.delete("/api/v1/push-key")
    def delete_key(authorization: str | None = Header(default=None)) -> JSONResponse:
        """Push turned off: the links' pages no longer offer it (200 {"public_key": ""})."""
        practice = practices.bearer(authorization)
        if practice is None:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        book.delete(practice.id)
        return JSONResponse({"public_key": ""})

    def link_of(token: str, request: Request) -> tuple[Any, JSONResponse | None]:
        lang = language(request.headers.get("accept-language"))
        found, refusal = read_link(token, lang)
        if refusal is not None:
            said = "this link is not valid" if refusal.status_code == 404 else \
                "this link's session has started"
            return None, JSONResponse({"error": said}, status_code=refusal.status_code)
        wait = by_token.retry_after(token)
        if wait:
            return None, JSONResponse({"error": "too many attempts"}, status_code=429,
                                      headers={"Retry-After": str(wait)})
        return found, None

    @app.post("/c/{token}/push", status_code=204)
    async def subscribe(token: str, request: Request,
                        endpoint: str = Form(default="", max_length=MAX_ENDPOINT + 1),
                        p256dh: str = Form(default="", max_length=200),
                        auth: str = Form(default="", max_length=100)) -> Response:
        found, refusal = link_of(token, request)
        if refusal is not None:
            return refusal
        practice, link = found
        problem = subscription_problem(endpoint, p256dh, auth, loopback=loopback)
        if problem is not None:
            return JSONResponse({"error": problem}, status_code=422)
        sealed = seal(practice.public_key, {"endpoint": endpoint, "p256dh": p256dh,
                                            "auth": auth})
        await run_in_threadpool(store.add, practice.id, SUBSCRIBED, link.appointment_id,
                                f"push:{uuid.uuid4().hex}", sealed, link.expires)
        woken()
        return Response(status_code=204)

    @app.post("/c/{token}/push/stop", status_code=204)
    async def unsubscribe(token: str, request: Request,
                          endpoint: str = Form(default="", max_length=MAX_ENDPOINT + 1)
                          ) -> Response:
        found, refusal = link_of(token, request)
        if refusal is not None:
            return refusal
        practice, link = found
        if endpoint_problem(endpoint, loopback=loopback):
            return JSONResponse({"error": "endpoint is not a push service's URL"},
                                status_code=422)
        sealed = seal(practice.public_key, {"endpoint": endpoint})
        await run_in_threadpool(store.add, practice.id, STOPPED, link.appointment_id,
                                f"push-stop:{uuid.uuid4().hex}", sealed, link.expires)
        woken()
        return Response(status_code=204)

    return book
