"""A practice's Twilio account, given to the relay by its desktop.

The relay checks Twilio's webhooks (/webhooks/sms, /webhooks/voice/…) with the
practice's auth token (X-Twilio-Signature) and routes them by AccountSid. A
practice configured by the relay's environment or RELAY_PRACTICES_FILE has them
there; one added by `practice-relay practice add` and paired by a code gets them
from its desktop:

- PUT /api/v1/twilio-account {"account_sid", "auth_token"}, the practice's API
  key as bearer → 200 {"account_sid"}. 401 {"error"} without a key the relay
  knows; 422 {"error"} for a SID that is not "AC" and 32 hexadecimal characters
  or a token that is not 32 hexadecimal characters (relay.config's checks of
  provider secrets); 409 {"error"} when another practice on this relay has that
  account (routing by AccountSid must stay unambiguous), or when the practice's
  Twilio account is set in the relay's configuration and the values sent are
  not exactly those (then 200 and nothing changes).
- GET /api/v1/twilio-account → 200 {"account_sid"} ("" when none). The token is
  never answered, nor logged.

Stored in the practice's row (relay.practices.PracticeBook.set_twilio), which
every relay process sharing the database serves within a second.

https://www.twilio.com/docs/usage/security#validating-requests ·
https://www.twilio.com/docs/glossary/what-is-a-sid"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from relay.config import is_provider_secret, is_twilio_account_sid
from relay.practices import PracticeBook, TwilioRefused

# Every change and refusal, one line each (not throttled like the relay's other
# lines: only a practice's own key gets here, and its requests are limited).
# Never the token.
log = logging.getLogger("relay.accounts")
ROUTE = "/api/v1/twilio-account"


class TwilioBody(BaseModel):
    account_sid: str = Field(max_length=64)
    auth_token: str = Field(max_length=64)


def install(app: FastAPI, *, practices: Any, book: PracticeBook) -> None:
    """Adds GET and PUT /api/v1/twilio-account to the relay's app. `practices` is
    relay.server.Practices (bearer lookup, reload after a change)."""

    @app.get(ROUTE)
    def get_account(authorization: str | None = Header(default=None)) -> JSONResponse:
        practice = practices.bearer(authorization)
        if practice is None:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        return JSONResponse({"account_sid": practice.twilio_account_sid or ""})

    @app.put(ROUTE)
    async def put_account(body: TwilioBody, authorization: str | None = Header(default=None)
                          ) -> JSONResponse:
        practice = practices.bearer(authorization)
        if practice is None:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        sid, token = body.account_sid.strip(), body.auth_token.strip()
        if not is_twilio_account_sid(sid):
            return _refused(practice.id, 422, "account_sid is not a Twilio account's SID: "
                            "copy the Account SID from the Twilio console (AC and 32 "
                            "hexadecimal characters)")
        if not is_provider_secret(token):
            return _refused(practice.id, 422, "auth_token is not a Twilio auth token: copy "
                            "the Auth Token from the Twilio console (32 hexadecimal "
                            "characters)")
        try:
            changed = await run_in_threadpool(book.set_twilio, practice.id, sid, token)
        except TwilioRefused as exc:
            return _refused(practice.id, 409, str(exc))
        if changed:
            await run_in_threadpool(practices.reload)
            log.info("Practice %r gave the relay its Twilio account %s.", practice.id, sid)
        return JSONResponse({"account_sid": sid})


def _refused(practice_id: str, status: int, said: str) -> JSONResponse:
    """A refusal, logged (never with the token) and answered with its sentence."""
    log.warning("Practice %r: its Twilio account was refused (%d): %s", practice_id,
                status, said)
    return JSONResponse({"error": said}, status_code=status)
