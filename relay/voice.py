"""The relay's routes for reminders by phone call (Twilio Programmable Voice).

- `POST /webhooks/voice/status`: Twilio's StatusCallback (initiated, ringing,
  in-progress, completed, busy, no-answer, failed, canceled) and the asynchronous
  answering-machine callback (AnsweredBy), signed with the account's auth token
  (X-Twilio-Signature) as /webhooks/sms is. Sealed to the practice's key and
  queued as a `voice_status` event, once per call and status (or AnsweredBy).
- `POST /webhooks/voice/{token}`: the keypad (the action of the call's Gather,
  and its Redirect when nothing was pressed). "1" confirms the session as the
  link's Confirmar does, "2" asks to cancel as the link's Cancelar does, both
  marked as coming by phone; anything else says the words once more, then
  thanks and hangs up. A bad or missing signature is refused (401); a token or
  words the relay cannot read get a spoken apology and the call ends — never an
  error page read out to the client.

Sources: https://www.twilio.com/docs/voice/api/call-resource#statuscallback,
https://www.twilio.com/docs/voice/answering-machine-detection#asyncamdstatuscallback,
https://www.twilio.com/docs/usage/security#validating-requests."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from relay import spoken
from relay.config import Practice, RelaySettings
from relay.sealing import seal
from relay.store import Store
from relay.tokens import InvalidToken, Link

log = logging.getLogger("relay")
KIND = "voice_status"
TWIML = "text/xml"


def add_routes(app: FastAPI, *, store: Store, practices: Any, settings: RelaySettings,
               woken: asyncio.Event) -> None:
    """Adds the two routes to the relay's application. `practices` is the relay's
    relay.server.Practices; `woken` is set when an event for a desktop is new."""
    from relay import server  # the relay's signature rules (imported once loaded)

    def signed_form(request: Request, practice_of: Any) -> Any:
        return server.signed_twilio_form(request, settings.public_url, practice_of)

    @app.post(spoken.STATUS_ROUTE)
    async def voice_status(request: Request) -> Response:
        practice, values, refusal = await signed_form(
            request, lambda v: practices.for_twilio(v.get("AccountSid")))
        if refusal is not None or practice is None:
            return refusal or Response(status_code=401)
        sid = values.get("CallSid", "")
        status = values.get("CallStatus", "")
        key = f"voice-status:{sid}:{status}" if status else \
            f"voice-amd:{sid}:{values.get('AnsweredBy', '')}"
        added = await run_in_threadpool(store.add, practice.id, KIND, None, key,
                                        seal(practice.public_key, values))
        if added:
            woken.set()
        return Response(spoken.empty(), media_type=TWIML)

    @app.post(spoken.ROUTE + "{token}")
    async def keypad(token: str, request: Request) -> Response:
        found: dict[str, Any] = {}

        def practice_of(values: dict[str, str]) -> Practice | None:
            try:
                practice, link = practices.link(token)
            except InvalidToken:
                # Signed all the same, by the account that placed the call.
                return practices.for_twilio(values.get("AccountSid"))  # type: ignore[no-any-return]
            found["link"] = link
            return practice  # type: ignore[no-any-return]

        practice, values, refusal = await signed_form(request, practice_of)
        if refusal is not None or practice is None:
            return refusal or Response(status_code=401)
        query = dict(request.query_params)
        language = query.get("l") if query.get("l") in spoken.LANGUAGES else "pt-BR"
        words = spoken.WORDS[language]
        voice = spoken.DEFAULT_VOICE[language]
        link: Link | None = found.get("link")
        secrets = [practice.link_secret] + ([practice.previous_link_secret]
                                            if practice.previous_link_secret else [])
        said = spoken.read_query(secrets, token, query) if link is not None else None
        if link is None or said is None or link.expired(datetime.now(UTC)):
            return _twiml(spoken.say_and_hang_up(words["sorry"], language, voice))
        voice = said.voice
        gone = await run_in_threadpool(store.session, practice.id, link.appointment_id,
                                       link.expires)
        if gone is not None:
            return _twiml(spoken.say_and_hang_up(words["changed"], language, voice))
        digits = values.get("Digits", "")
        if digits in ("1", "2"):
            outcome = await run_in_threadpool(_answer, store, practice, link, digits)
            if outcome != "again":
                woken.set()
            key = ("confirmed" if digits == "1" else "cancel_requested") if \
                outcome != "again" else ("already_confirmed" if digits == "1"
                                         else "already_cancel")
            return _twiml(spoken.say_and_hang_up(words[key], language, voice))
        if said.round >= 2:  # said twice already: thanks, and the call ends
            return _twiml(spoken.say_and_hang_up(words["goodbye"], language, voice))
        again = spoken.Spoken(said.text, said.language, said.voice, round=2)
        base = server._public_url(request, settings.public_url).split(spoken.ROUTE, 1)[0]
        action = spoken.action_url(base, practice.link_secret, token, again)
        return _twiml(spoken.keypad(again, action))


def _answer(store: Store, practice: Practice, link: Link, digits: str) -> str:
    """The client's key as the link's answer, marked as coming by phone (sealed,
    like everything a client gives): "first", "changed" or "again" (Store.answer)."""
    if digits == "1":
        return store.answer(practice.id, link.appointment_id, "confirm", "confirmed",
                            seal(practice.public_key, {"via": "phone"}),
                            session_start=link.expires)
    return store.answer(practice.id, link.appointment_id, "cancel", "cancel_requested",
                        seal(practice.public_key, {"reason": "", "via": "phone"}),
                        session_start=link.expires)


def _twiml(document: str) -> Response:
    return Response(document, media_type=TWIML)
