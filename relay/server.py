"""The relay web service (FastAPI). Console script: `practice-relay` (serve, the
default; secret; practice add|list|remove|code, relay.admin).

GET and HEAD of a link show a page and change nothing (mail scanners and link
previewers open links before people do); only the page's buttons, POSTs, act.

Every /api/ route needs the practice's API key as a bearer token, except POST
/api/v1/pair, where a desktop trades a pairing code for that key:
{"code", "public_key"} → 200 {"practice_id", "api_key", "link_secret"}, once;
404 {"error"} for a code unknown, used or expired; 422 {"error"} for a malformed
body or a key that cannot seal; 429 {"error"} with Retry-After when tried too
often from one address, or when too many attempts failed from anywhere.

Reminders by push notification add their routes (relay.push): the page's script
/push.js and service worker /sw.js, POST /c/{token}/push and /c/{token}/push/stop
(a phone's subscription, sealed as the link's answers are), and GET/PUT
/api/v1/push-key (the practice's VAPID public key, for its links' pages).
GET/PUT /api/v1/twilio-account: a practice's Twilio account, which signs and
routes its SMS and call webhooks (relay.accounts)."""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar

from fastapi import FastAPI, Form, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from relay import accounts, admin, pages, push, voice
from relay.config import (
    MAX_ACK,
    Practice,
    RelaySettings,
    can_seal,
    digest_of_key,
    from_environment,
)
from relay.guard import Guard, bucket
from relay.practices import PracticeBook
from relay.sealing import seal
from relay.serving import GONE
from relay.store import Store
from relay.tokens import InvalidToken, Link, read

log = logging.getLogger("relay")
# Every pairing attempt, one line each (not throttled like the relay's other lines:
# the pairing limits keep them few). Never the code, never a secret.
pairing_log = logging.getLogger("relay.pairing")
# Requests that are not pairing attempts at all: at most a line a minute (serving).
malformed_log = logging.getLogger("relay.pairing.malformed")
T = TypeVar("T")
PAIR_PATH = "/api/v1/pair"  # the one route under /api/ that takes no API key


# Ids are 32-bit integer columns on PostgreSQL (and a token's id fits 32 bits).
MAX_ID = 2**31 - 1
MAX_REASON = 500  # characters of a client's reason for cancelling that are kept


class AckBody(BaseModel):
    ids: list[Annotated[int, Field(ge=0, le=MAX_ID)]] = Field(max_length=MAX_ACK)


class SessionNote(BaseModel):
    """What became of a session whose link may be out: moved (to `start`, UTC or
    with an offset), cancelled, or open again."""

    appointment_id: int = Field(ge=1, le=MAX_ID)
    state: Literal["moved", "cancelled", "gone", "open"]
    start: datetime | None = None
    # The start of the session spoken of (links of another session with this id,
    # handed out again, are not its); with an offset.
    for_start: datetime | None = None


    @field_validator("start", "for_start")
    @classmethod
    def _in_range(cls, value: datetime | None) -> datetime | None:
        """A start a session can have: stored as UTC, shown in the practice's zone."""
        if value is None or value.tzinfo is None:
            return value
        try:
            utc = value.astimezone(UTC)
        except OverflowError:
            raise ValueError("not a date a session can have") from None
        if not EARLIEST <= utc <= LATEST:
            raise ValueError("not a date a session can have")
        return value


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


class SessionsBody(BaseModel):
    sessions: list[SessionNote] = Field(max_length=1000)


class PairBody(BaseModel):
    """POST /api/v1/pair: a pairing code (as printed by `practice-relay practice
    add`, any case, dashes and spaces optional) and the desktop's Curve25519
    public key in base64, to which what clients write is sealed."""

    code: str = Field(min_length=1, max_length=100)
    public_key: str = Field(min_length=1, max_length=100)


class Limiter:
    """A sliding one-minute window per key. Keys not heard from for a minute are
    forgotten, so a stream of new addresses cannot grow it without end."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.hits: dict[str, deque[float]] = {}
        self._pruned = time.monotonic()

    def retry_after(self, key: str) -> int:
        """Seconds to wait, or 0 and the hit is counted."""
        wait = self.waiting(key)
        if not wait:
            self.hits[key].append(time.monotonic())
        return wait

    def waiting(self, key: str) -> int:
        """Seconds to wait before `key` may be counted again; counts nothing."""
        now = time.monotonic()
        if now - self._pruned > 60:
            self.prune(now)
        q = self.hits.setdefault(key, deque())
        while q and now - q[0] > 60:
            q.popleft()
        if len(q) >= self.per_minute:
            return int(60 - (now - q[0])) + 1
        return 0

    def count(self, key: str) -> None:
        """Counts a hit for `key` whatever the limit (a failure already made)."""
        self.hits.setdefault(key, deque()).append(time.monotonic())

    def prune(self, now: float) -> None:
        self.hits = {k: q for k, q in self.hits.items() if q and now - q[-1] <= 60}
        self._pruned = now


class Refusals:
    """ASGI middleware: a request that `refusal(request)` answers (too many, a body
    the route does not take) gets that answer before any route sees it; the others
    go through untouched. Not Starlette's BaseHTTPMiddleware (@app.middleware):
    that one streams every answer through a task group of its own, which cost a
    confirm more of the event loop's time than the route itself."""

    def __init__(self, app: ASGIApp, refusal: Callable[[Request], Response | None]) -> None:
        self.app, self.refusal = app, refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refused = self.refusal(Request(scope))
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _Served:
    """The practices as last read from the database, with their indexes."""

    def __init__(self, version: str, practices: tuple[Practice, ...]) -> None:
        self.version, self.all = version, practices
        self.by_key = {p.key_digest(): p for p in practices if p.key_digest()}
        self.by_number = {n: p for p in practices for n in p.whatsapp_phone_number_ids}
        self.by_twilio = {p.twilio_account_sid: p for p in practices if p.twilio_account_sid}
        self.by_account = {n: p for p in practices for n in p.whatsapp_business_account_ids}


class Practices:
    """Finds the practice a request belongs to: a link by the secret that signed
    it (or the practice's previous one), the desktop by its API key, a webhook by
    the WhatsApp number it names.

    The practices are the database's (relay.practices). Its version row is read
    at most once a second, and five times a second while requests name a practice
    not known here, so a practice added, paired again or removed by another
    process (the command line, another relay) is served, or refused, within a
    second, on SQLite and PostgreSQL alike."""

    RECHECK = 1.0  # seconds between looks at the version row
    RECHECK_ON_MISS = 0.2

    def __init__(self, book: PracticeBook) -> None:
        self.book = book
        self._lock = threading.Lock()
        self._view = _Served(*book.served())
        self._checked = time.monotonic()

    @property
    def all(self) -> tuple[Practice, ...]:
        return self._fresh(False).all

    @property
    def fallback_name(self) -> str:
        """The name on pages that belong to no practice (an unknown link)."""
        served = self._view.all
        return served[0].name if len(served) == 1 else "Practice Desk"

    def reload(self) -> None:
        """Reads the practices again now (after a pairing in this process)."""
        with self._lock:
            self._view = _Served(*self.book.served())
            self._checked = time.monotonic()

    def _fresh(self, missed: bool) -> _Served:
        wait = self.RECHECK_ON_MISS if missed else self.RECHECK
        if time.monotonic() - self._checked < wait or not self._lock.acquire(blocking=False):
            return self._view
        try:
            if self.book.version() != self._view.version:
                self._view = _Served(*self.book.served())
        except SQLAlchemyError as exc:
            # What was read before keeps serving; the database says why below.
            log.warning("The practices could not be read again from the database (%s); "
                        "the relay serves those it knew.", type(exc).__name__)
        finally:
            self._checked = time.monotonic()
            self._lock.release()
        return self._view

    def _find(self, look: Callable[[_Served], T | None]) -> T | None:
        found = look(self._fresh(False))
        if found is None:
            before = self._view
            served = self._fresh(True)
            if served is not before:
                found = look(served)
        return found

    def link(self, token: str) -> tuple[Practice, Link]:
        """The practice whose secret signed the token, and what it names (expired
        or not); InvalidToken when none did. A practice's previous link secret
        (before it was paired again) still opens its links whose sessions start
        within relay.practices.PREVIOUS_SECRET_FOR of that pairing: they stop
        working when their sessions start, as every link does."""

        def look(served: _Served) -> tuple[Practice, Link] | None:
            for practice in served.all:
                try:
                    return practice, read(practice.link_secret, token)
                except InvalidToken:
                    pass
                if practice.previous_link_secret is None:
                    continue
                try:
                    link = read(practice.previous_link_secret, token)
                except InvalidToken:
                    continue
                until = practice.previous_until
                if until is None or link.expires <= until:
                    return practice, link
            return None

        found = self._find(look)
        if found is None:
            raise InvalidToken("no practice signed this link")
        return found

    def bearer(self, authorization: str | None) -> Practice | None:
        if not authorization or not authorization.startswith("Bearer "):
            return None
        # A dictionary of digests: the lookup time says nothing about the key.
        digest = digest_of_key(authorization.removeprefix("Bearer "))
        return self._find(lambda served: served.by_key.get(digest))

    def for_twilio(self, account_sid: str | None) -> Practice | None:
        """The practice of a Twilio account (an SMS webhook's AccountSid)."""
        return self._routed(lambda served: served.by_twilio, account_sid)

    def for_number(self, phone_number_id: str | None) -> Practice | None:
        """The practice of a WhatsApp number (a webhook's metadata.phone_number_id)."""
        return self._routed(lambda served: served.by_number, phone_number_id)

    def for_account(self, account_id: str | None) -> Practice | None:
        """The practice of a WhatsApp Business Account (a template webhook's entry id)."""
        return self._routed(lambda served: served.by_account, account_id)

    def _routed(self, index: Callable[[_Served], dict[str, Practice]],
                key: str | None) -> Practice | None:
        """The practice `index` names for `key`; a relay serving one practice that
        lists none of these keys takes them all as its own."""
        def look(served: _Served) -> Practice | None:
            found = index(served).get(key or "")
            if found is None and len(served.all) == 1 and not index(served):
                return served.all[0]
            return found

        return self._find(look)


def same(given: str, expected: str) -> bool:
    """A constant-time comparison that any text can take part in: a header or a
    query value with characters outside ASCII is simply not equal."""
    return hmac.compare_digest(given.encode("utf-8", "replace"),
                               expected.encode("utf-8", "replace"))


NO_PRACTICE = ("The relay serves no practice yet: add one with `practice-relay practice add "
               "--name NAME` and type the code it prints in the practice's desktop app.")


def create_app(settings: RelaySettings) -> FastAPI:
    """The relay's application. Opens (and brings up to date) its database,
    imports the practices the settings give, and serves those in the database."""
    store = Store(settings.database_url, timedelta(days=settings.replay_window_days))
    book = PracticeBook(store.engine)
    book.import_configured(settings.practices, settings.practices_from)
    practices = Practices(book)
    if not practices.all:
        log.warning("%s", NO_PRACTICE if not book.count() else
                    "No practice is paired yet: `practice-relay practice list` shows them, "
                    "and `practice-relay practice code ID` gives one a new pairing code.")
    docs = {} if settings.docs else {"docs_url": None, "redoc_url": None,
                                          "openapi_url": None}
    # No redirect for a trailing slash: it would name the Host header the client
    # sent, over plain http, and give a link a second address.
    app = FastAPI(title="Practice Desk relay", version="1", redirect_slashes=False,
                  **docs)  # type: ignore[arg-type]
    new_event = asyncio.Event()
    by_ip, by_token = Limiter(settings.per_ip_per_minute), \
        Limiter(settings.per_token_per_minute)
    # The desktop's requests are counted by its key, not its address: strangers
    # sharing an address with it (or a proxy) cannot use up its budget.
    api_by_key = Limiter(settings.per_ip_api_per_minute)
    # Pairing: attempts by address, and failures from everyone together (a code
    # has 100 bits, but nobody gets to try many).
    pair_by_ip = Limiter(settings.pair_per_ip_per_minute)
    pair_failures = Limiter(settings.pair_failures_per_minute)
    # Webhooks are not limited: Meta and Twilio send from address pools shared
    # by all their customers, in bursts, and a stranger's bad signatures from
    # the same pool must not lock out the practice's own deliveries. Their
    # bodies are small and their signatures cheap to check.
    app.state.store = store
    app.state.practices = practices
    app.state.book = book

    def refusal(request: Request) -> Response | None:
        """The answer to a request refused by the limits before any route sees it
        (too many, or a body the route does not take); None lets it through."""
        path = request.url.path
        ip = bucket(request.client.host if request.client else "?")
        if path.startswith("/c/"):
            wait = by_ip.retry_after(ip)
            if wait:
                return _too_many(request, practices.fallback_name, wait)
            kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if request.method == "POST" and kind != "application/x-www-form-urlencoded":
                # The page's form sends nothing else; a multipart parser is costly
                # and chatty on a stranger's garbage.
                return _refused_page(request, practices.fallback_name, 415)
        elif path == PAIR_PATH:
            wait = pair_by_ip.waiting(ip) or pair_failures.waiting("all")
            if wait:
                # At most once a minute (the relay's lines are throttled): a flood
                # of refusals is not a flood of lines.
                log.warning("Pairing attempts were refused for coming too often (429); the "
                            "last from %s.", request.client.host if request.client else "?")
                return JSONResponse({"error": "too many pairing attempts: try again later"},
                                    status_code=429, headers={"Retry-After": str(wait)})
            pair_by_ip.count(ip)
        elif path.startswith("/api/"):
            # The key before anything else: a stranger's body is never parsed.
            practice = practices.bearer(request.headers.get("authorization"))
            if practice is None:
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            wait = api_by_key.retry_after(practice.id)
            if wait:
                return JSONResponse({"error": "too many requests"}, status_code=429,
                                    headers={"Retry-After": str(wait)})
        elif path == "/webhooks/whatsapp" and request.method == "GET":
            # Guessing the verify token would let a stranger's Meta app subscribe.
            wait = by_ip.retry_after(ip)
            if wait:
                return PlainTextResponse("Too many attempts", status_code=429,
                                         headers={"Retry-After": str(wait)})
        return None

    app.add_middleware(Refusals, refusal=refusal)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/c/"):  # a person's browser: a page
            return _refused_page(request, practices.fallback_name, 422)
        if request.url.path == PAIR_PATH:
            malformed_log.warning("Pairing attempt from %s: refused, the request is not a "
                                  "code and a public key (422).", _address(request))
        # Which field and why, never the value: it may be anything (1e400 is a
        # float no JSON answer can carry), and it is the caller's anyway.
        return JSONResponse({"error": "invalid request", "detail": [
            {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()]}, status_code=422)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    def read_link(token: str, lang: str) -> tuple[Any, HTMLResponse | None]:
        w = pages.words(lang)
        try:
            practice, link = practices.link(token)
        except InvalidToken:
            return None, HTMLResponse(pages.message_page(
                lang, practices.fallback_name, w["not_found"], w["not_found_text"]),
                status_code=404)
        if link.expired(datetime.now(UTC)):
            return None, HTMLResponse(pages.message_page(
                lang, practice.name, w["expired"], w["expired_text"]), status_code=410)
        return (practice, link), None

    @app.get("/c/{token}", response_class=HTMLResponse, operation_id="show_link")
    def show(token: str, accept_language: str | None = Header(default=None),
             user_agent: str | None = Header(default=None)) -> HTMLResponse:
        return _show(token, accept_language, user_agent)

    @app.head("/c/{token}", response_class=HTMLResponse, operation_id="peek_link")
    def peek(token: str, accept_language: str | None = Header(default=None),
             user_agent: str | None = Header(default=None)) -> HTMLResponse:
        return _show(token, accept_language, user_agent)

    def _show(token: str, accept_language: str | None,
              user_agent: str | None = None) -> HTMLResponse:
        lang = pages.language(accept_language)
        found, refusal = read_link(token, lang)
        if refusal is not None:
            return refusal
        practice, link = found
        gone = store.session(practice.id, link.appointment_id, link.expires)
        if gone is not None:
            return HTMLResponse(pages.gone_page(lang, practice.name, gone.state,
                                                gone.new_start, practice.timezone))
        return HTMLResponse(pages.session_page(
            lang, practice.name, link.expires, practice.timezone, token,
            extra=push.section(lang, token, push_keys.get(practice.id), user_agent),
            head=push.manifest_link(token, push_keys.get(practice.id))))

    @app.post("/c/{token}", response_class=HTMLResponse)
    async def act(token: str, action: str = Form(...),
                  reason: str = Form(default=""),
                  accept_language: str | None = Header(default=None)) -> HTMLResponse:
        lang = pages.language(accept_language)
        w = pages.words(lang)
        found, refusal = read_link(token, lang)
        if refusal is not None:
            return refusal
        practice, link = found
        wait = by_token.retry_after(token)
        if wait:
            return HTMLResponse(pages.message_page(lang, practice.name,
                                                   w["too_many"], ""), status_code=429,
                                headers={"Retry-After": str(wait)})
        if action not in ("confirm", "cancel"):
            return HTMLResponse(pages.message_page(lang, practice.name,
                                                   w["not_found"], ""), status_code=422)
        # A link's answer is recorded with its event for the desktop in one
        # transaction; the same answer again only hears it was already given, a
        # different one (the client changed their mind) goes to the desktop too. It
        # goes even for a session since moved or cancelled (a page left open): there
        # it becomes a notice, not a change.
        session = link.appointment_id

        def record() -> tuple[str, Any]:
            if action == "confirm":
                said = store.answer(practice.id, session, action, "confirmed",
                                    session_start=link.expires)
            else:
                # A browser sends a line break as two characters, so a textarea's
                # 500 can arrive longer: cut here, never refused with a bare error.
                reason_said = reason.replace("\r\n", "\n").strip()[:MAX_REASON]
                said = store.answer(practice.id, session, action, "cancel_requested",
                                    seal(practice.public_key, {"reason": reason_said}),
                                    session_start=link.expires)
            return said, store.session(practice.id, session, link.expires)

        # The database off the event loop: one slow write must not stall every client.
        said, gone = await run_in_threadpool(record)
        if said != "again":  # a first answer, or the client changed their mind
            new_event.set()
        if gone is not None:
            return HTMLResponse(pages.gone_page(lang, practice.name, gone.state,
                                                gone.new_start, practice.timezone))
        done, again = ("confirmed", "already_confirmed") if action == "confirm" else \
            ("cancel_requested", "already_cancel")
        headline = w[again] if said == "again" else w[done]
        text = w["see_you"] if action == "confirm" else w["cancel_text"]
        return HTMLResponse(pages.message_page(lang, practice.name, headline, text))

    # Reminders by push notification (relay.push): its scripts, the page's
    # subscription and the practice's VAPID key.
    push_keys = push.install(app, store=store, practices=practices, read_link=read_link,
                             by_token=by_token, woken=new_event.set,
                             loopback=settings.push_loopback_endpoints,
                             language=pages.language)

    @app.get("/api/v1/events")
    async def events(request: Request, after: int = Query(default=0, ge=0, le=MAX_ID),
                     wait: float = Query(default=0, ge=0, le=30),
                     authorization: str | None = Header(default=None)) -> JSONResponse:
        practice = practices.bearer(authorization)
        if practice is None:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        deadline = time.monotonic() + min(wait, settings.max_wait)
        found = await run_in_threadpool(store.after, practice.id, after,
                                        settings.events_per_page)
        while not found and time.monotonic() < deadline:
            gone = request.scope.get(GONE)
            if gone is not None and gone.is_set():  # nobody is waiting for the answer
                return JSONResponse({"events": [], "cursor": after, "relay": store.instance})
            new_event.clear()
            # Woken by a new event in this process; the half-second re-read covers
            # events written by another relay process sharing the database.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(new_event.wait(),
                                       timeout=min(0.5, deadline - time.monotonic()))
            found = await run_in_threadpool(store.after, practice.id, after,
                                            settings.events_per_page)
        return JSONResponse({
            "events": [{"id": e.id, "kind": e.kind, "appointment_id": e.appointment_id,
                        "at": e.at.isoformat(),
                        "session_start": e.session_start.isoformat()
                        if e.session_start else None,
                        "sealed": base64.b64encode(e.sealed).decode() if e.sealed else None}
                       for e in found],
            "cursor": found[-1].id if found else after,
            "relay": store.instance})

    @app.post("/api/v1/events/ack")
    def ack(body: AckBody, authorization: str | None = Header(default=None)) -> JSONResponse:
        practice = practices.bearer(authorization)
        if practice is None:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        return JSONResponse({"deleted": store.ack(practice.id, body.ids)})

    @app.post("/api/v1/sessions")
    def session_notes(body: SessionsBody,
                      authorization: str | None = Header(default=None)) -> JSONResponse:
        """The desktop tells which sessions were moved or cancelled, so their links'
        pages say so instead of offering Confirm."""
        practice = practices.bearer(authorization)
        if practice is None:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        for note in body.sessions:
            if note.state == "moved" and (note.start is None or note.start.tzinfo is None):
                return JSONResponse({"error": "a moved session needs its new start, with "
                                              "an offset"}, status_code=422)
        # All the notes or none (a failure part-way would leave some links stale).
        store.set_sessions(practice.id, [
            (note.appointment_id, note.state, note.start if note.state == "moved" else None,
             note.for_start if note.for_start and note.for_start.tzinfo else None)
            for note in body.sessions])
        return JSONResponse({"updated": len(body.sessions)})

    @app.post(PAIR_PATH)
    async def pair(body: PairBody, request: Request) -> JSONResponse:
        """Trades a pairing code, once, for the practice's id, a new API key and a
        new link secret, and keeps the desktop's public key. 404 for a code
        unknown, used or expired; 422 for a key that cannot seal; 429 (in the
        middleware) when tried too often. Each attempt is logged with its
        outcome and address, never the code."""
        address = _address(request)
        key = _sealing_key(body.public_key)
        if key is None:
            pairing_log.warning("Pairing attempt from %s: refused, the public key is not a "
                                "usable Curve25519 key (422).", address)
            return JSONResponse({"error": "public_key is not a usable key: send the base64 of "
                                          "the desktop's 32-byte Curve25519 public key"},
                                status_code=422)
        attempt = await run_in_threadpool(book.pair, body.code, key)
        if attempt.paired is None:
            pair_failures.count("all")
            pairing_log.warning("Pairing attempt from %s: refused, %s code (404).", address,
                                "an expired" if attempt.refused == "expired"
                                else "an unknown or already used")
            return JSONResponse({"error": "no such pairing code: it is unknown, already used "
                                          "or expired; ask for a new one (`practice-relay "
                                          "practice code ID`)"}, status_code=404)
        await run_in_threadpool(practices.reload)
        paired = attempt.paired
        pairing_log.info("Pairing attempt from %s: practice %r paired (200).", address,
                         paired.practice_id)
        return JSONResponse({"practice_id": paired.practice_id, "api_key": paired.api_key,
                             "link_secret": paired.link_secret})

    @app.get("/webhooks/whatsapp", response_class=PlainTextResponse)
    def verify_webhook(mode: str = Query(default="", alias="hub.mode"),
                       verify_token: str = Query(default="", alias="hub.verify_token"),
                       challenge: str = Query(default="", alias="hub.challenge")
                       ) -> PlainTextResponse:
        expected = settings.whatsapp_verify_token
        if mode == "subscribe" and expected and same(verify_token, expected):
            return PlainTextResponse(challenge)
        return PlainTextResponse("Forbidden", status_code=403)

    @app.post("/webhooks/whatsapp")
    async def whatsapp_webhook(request: Request) -> JSONResponse:
        raw = await request.body()
        secret = settings.whatsapp_app_secret
        signature = request.headers.get("x-hub-signature-256", "")
        expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest() \
            if secret else ""
        if not secret or not same(signature, expected):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        try:
            payload = json.loads(raw)
        except (ValueError, RecursionError):
            return JSONResponse({"error": "not json"}, status_code=400)
        added = await run_in_threadpool(take_whatsapp, payload)
        if added:
            new_event.set()
        return JSONResponse({"received": added})

    def take_whatsapp(payload: Any) -> int:
        """Queues a signed webhook's messages and statuses; returns how many were
        new. Anything not shaped as Meta documents is skipped, never a 500: Meta
        would retry a 500 for days."""
        added = 0
        for entry in _dicts(payload, "entry"):
            for change in _dicts(entry, "changes"):
                if change.get("field") in TEMPLATE_FIELDS:
                    added += take_template_change(entry, change)
                    continue
                value = change.get("value")
                if not isinstance(value, dict):
                    continue
                metadata = value.get("metadata")
                metadata = metadata if isinstance(metadata, dict) else {}
                practice = practices.for_number(_text(metadata.get("phone_number_id")))
                if practice is None:
                    # Answered 200 all the same, or Meta would retry it for days.
                    log.warning("WhatsApp webhook for a number no practice lists")
                    continue
                for message in _dicts(value, "messages"):
                    if store.add(practice.id, "whatsapp_message", None,
                                 f"wamid:{_text(message.get('id'))}",
                                 seal(practice.public_key, {
                                     "message": message, "contacts": _dicts(value, "contacts"),
                                     "metadata": metadata})):
                        added += 1
                for status in _dicts(value, "statuses"):
                    key = f"status:{_text(status.get('id'))}:{_text(status.get('status'))}"
                    if store.add(practice.id, "whatsapp_status", None, key,
                                 seal(practice.public_key, {"status": status})):
                        added += 1
        return added

    def take_template_change(entry: dict[str, Any], change: dict[str, Any]) -> int:
        """A message_template_status_update or template_category_update: routed by
        the WhatsApp Business Account (the entry's id), sealed and queued as a
        `whatsapp_template` event. Returns 1 when new."""
        account = _text(entry.get("id"))
        value = change.get("value")
        if not isinstance(value, dict):
            return 0
        practice = practices.for_account(account)
        if practice is None:
            log.warning("WhatsApp template webhook for an account no practice lists")
            return 0
        # The same change delivered again by Meta carries the same time: queued once.
        key = (f"template:{account}:{_text(value.get('message_template_id'))}:"
               f"{_text(change.get('field'))}:{_text(value.get('event'))}:"
               f"{_text(value.get('new_category'))}:{_text(entry.get('time'))}")
        event = store.add(practice.id, "whatsapp_template", None, key,
                          seal(practice.public_key, {"account": account,
                                                     "field": change.get("field"),
                                                     "value": value,
                                                     "time": entry.get("time")}))
        return 1 if event else 0

    @app.post("/webhooks/sms")
    async def sms_webhook(request: Request) -> Response:
        """Twilio: inbound SMS and delivery callbacks, as form posts signed with the
        account's auth token (X-Twilio-Signature)."""
        practice, values, refusal = await signed_twilio_form(
            request, settings.public_url, lambda v: practices.for_twilio(v.get("AccountSid")))
        if refusal is not None or practice is None:
            return refusal or Response(status_code=401)
        sid = values.get("MessageSid") or values.get("SmsSid") or ""
        status = values.get("MessageStatus") or values.get("SmsStatus") or ""
        if "Body" in values or status == "received":
            kind, key = "sms_message", f"sms:{sid}"
        else:
            kind, key = "sms_status", f"sms-status:{sid}:{status}"
        added = await run_in_threadpool(store.add, practice.id, kind, None, key,
                                        seal(practice.public_key, values))
        if added:
            new_event.set()
        # An empty TwiML answer: no automatic reply to the client.
        return Response('<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
                        media_type="text/xml")

    # Reminders by phone call: the keypad and the calls' statuses (relay.voice).
    voice.add_routes(app, store=store, practices=practices, settings=settings,
                     woken=new_event)
    # A practice paired by a code gives its Twilio account (relay.accounts).
    accounts.install(app, practices=practices, book=book)
    return app


def guarded(settings: RelaySettings) -> Guard:
    """The relay as served: the application behind its request guard."""
    app = create_app(settings)
    practices: Practices = app.state.practices
    return Guard(app, settings.max_body, settings.body_timeout, settings.trusted_proxies,
                 keyed=lambda authorization: practices.bearer(authorization) is not None,
                 open_paths=frozenset({PAIR_PATH}))


def _address(request: Request) -> str:
    """The client's address as the relay believes it (relay.guard)."""
    return request.client.host if request.client else "?"


def _sealing_key(text: str) -> bytes | None:
    """The 32 bytes of a base64 Curve25519 public key that can seal; None otherwise."""
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if len(key) == 32 and can_seal(key) else None


# Meta's template webhooks (WhatsApp Business Account fields), routed by account.
TEMPLATE_FIELDS = ("message_template_status_update", "template_category_update")


def _dicts(parent: Any, key: str) -> list[dict[str, Any]]:
    """The objects in `parent[key]`, when both are what they should be."""
    found = parent.get(key) if isinstance(parent, dict) else None
    return [x for x in found if isinstance(x, dict)] if isinstance(found, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


# HMAC-SHA1 in base64: 20 bytes, 28 characters.
TWILIO_SIGNATURE = re.compile(r"[A-Za-z0-9+/]{27}=")

def twilio_signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Twilio's request signature: HMAC-SHA1 over the URL followed by each POST
    parameter's name and value, sorted by name, in base64."""
    data = url + "".join(k + v for k, v in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(),
                                     hashlib.sha1).digest()).decode()


async def signed_twilio_form(
        request: Request, public_url: str | None,
        practice_of: Callable[[dict[str, str]], Practice | None]
) -> tuple[Practice | None, dict[str, str], Response | None]:
    """A form Twilio posted (SMS, calls) and the practice whose auth token signed it
    (X-Twilio-Signature over the address Twilio called, RELAY_PUBLIC_URL behind a
    proxy), or the refusal to answer: 401 for a signature missing or wrong (looked
    at before the body is read), 415 for anything but a form.
    https://www.twilio.com/docs/usage/security#validating-requests"""
    signature = request.headers.get("x-twilio-signature", "")
    if not TWILIO_SIGNATURE.fullmatch(signature):  # before the body is parsed
        return None, {}, JSONResponse({"error": "bad signature"}, status_code=401)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":  # all Twilio sends; multipart costs
        return None, {}, JSONResponse({"error": "Twilio posts forms"}, status_code=415)
    form = await request.form()
    params = [(k, str(v)) for k, v in form.multi_items()]
    values = dict(params)
    practice = practice_of(values)
    token = practice.twilio_auth_token if practice else None
    url = _public_url(request, public_url)
    if practice is None or not token or not same(
            signature, twilio_signature(token, url, params)):
        return None, {}, JSONResponse({"error": "bad signature"}, status_code=401)
    return practice, values, None


def _public_url(request: Request, public_url: str | None) -> str:
    """The address Twilio called: behind a proxy the relay sees another one, so
    RELAY_PUBLIC_URL says what the world uses."""
    if public_url:
        query = f"?{request.url.query}" if request.url.query else ""
        return f"{public_url.rstrip('/')}{request.url.path}{query}"
    return str(request.url)


def _refused_page(request: Request, name: str, status: int) -> HTMLResponse:
    """A page for a browser's request the link cannot take."""
    lang = pages.language(request.headers.get("accept-language"))
    return HTMLResponse(pages.message_page(lang, name, pages.words(lang)["not_found"], ""),
                        status_code=status)


def _too_many(request: Request, name: str, wait: int) -> HTMLResponse:
    lang = pages.language(request.headers.get("accept-language"))
    return HTMLResponse(pages.message_page(lang, name,
                                           pages.words(lang)["too_many"], ""),
                        status_code=429, headers={"Retry-After": str(wait)})


def main(argv: list[str] | None = None) -> None:
    """`practice-relay [serve] [--host H] [--port P]` runs the relay;
    `practice-relay secret` prints a new secret; `practice-relay practice …`
    manages practices (relay.admin)."""
    parser = argparse.ArgumentParser(prog="practice-relay",
                                     description="The Practice Desk relay web service.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the relay (the default)")
    # Given before or after "serve", the same options.
    serve.add_argument("--host", default=argparse.SUPPRESS)
    serve.add_argument("--port", type=int, default=argparse.SUPPRESS)
    commands.add_parser("secret", help="print a new random secret for RELAY_LINK_SECRET, "
                                       "RELAY_API_KEY or RELAY_WHATSAPP_VERIFY_TOKEN")
    admin.add_commands(commands)
    args = parser.parse_args(argv)
    if args.command == "secret":
        print(new_secret())
        return
    if args.command == "practice":
        raise SystemExit(admin.run(args))
    settings = from_environment()  # stops with a clear sentence on a weak secret
    import uvicorn

    from relay.serving import raise_open_file_limit, server_config

    logging.basicConfig(level=logging.INFO)
    os.umask(0o077)  # its database and anything else it writes: the relay's user only
    raise_open_file_limit(settings.max_connections + 256)
    uvicorn.Server(server_config(guarded(settings), settings, args.host, args.port)).run()


def new_secret() -> str:
    """A secret for the relay's settings: 36 random bytes, 48 URL-safe characters."""
    return secrets.token_urlsafe(36)


if __name__ == "__main__":
    main()
