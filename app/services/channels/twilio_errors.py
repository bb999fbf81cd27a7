"""Twilio's error answers, read once for every channel that goes through Twilio
(SMS, calls): which are worth another try, which slow the channel down, which
may have come after Twilio acted, and the rest as a sentence.

Sources: https://www.twilio.com/docs/usage/twilios-response (error bodies),
https://www.twilio.com/docs/api/errors (codes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from app.i18n import _
from app.services.channels import ChannelError, http


def refusal(response: requests.Response, body: Any, *, what: str,
            permanent: Callable[[int], str | None], refused: str) -> ChannelError:
    """The error for a Twilio answer that was not a success. `what` names the thing
    sent in a sentence ("the message", "the call"); `permanent(code)` says a
    known code in words; `refused` (with {code} and {detail}) says the others."""
    found = body if isinstance(body, dict) else {}
    try:
        code = int(found.get("code", 0) or 0)
    except (TypeError, ValueError):
        code = 0
    if response.status_code == 401 and code == 0:
        code = 20003  # authentication failed, whatever the body holds
    if response.status_code == 429 or code == 20429:
        return ChannelError(_("Twilio asked to slow down; {what} waits a little.").format(
            what=what), retry=True, code="429", slow_down=True)
    if response.status_code == 408:  # RFC 9110 §15.5.9: closed before taking the request
        return ChannelError(_("Twilio gave up waiting for the request; {what} waits a "
                              "little.").format(what=what), retry=True, code="408")
    if response.status_code >= 500 and response.status_code != 503:
        # Twilio takes no idempotency key for a message or a call: a 500 (20500) may
        # come after it was queued.
        return http.may_have_acted("Twilio", response.status_code)
    if response.status_code >= 500:
        return ChannelError(_("Twilio had a temporary problem ({code}).")
                            .format(code=response.status_code), retry=True,
                            code=str(response.status_code))
    detail = str(found.get("message", ""))[:200]
    human = permanent(code) or refused.format(code=code or response.status_code,
                                              detail=detail)
    return ChannelError(human, retry=False, code=str(code or response.status_code))
