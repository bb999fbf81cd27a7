"""Posting to a provider's HTTP API, and telling a request that never left from one
whose fate is unknown.

A failure before the request left (no route, DNS, refused connection, TLS, a
connect timeout) is safe to retry. A read timeout or a dropped connection after
the request was written may come after the provider acted on it: the outcome is
unknown (RFC 9110 §9.2.2: POST is not idempotent, and neither Meta's Cloud API
nor Twilio's Messages resource takes an idempotency key), so it raises
OutcomeUnknown and the outbox leaves the decision to a person."""

from __future__ import annotations

from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from app.i18n import _
from app.services.channels import ChannelError, OutcomeUnknown

# Raised by requests before a byte of the request was written.
_BEFORE_SENDING = (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError,
                   requests.exceptions.ProxyError, requests.exceptions.InvalidURL,
                   requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema)


def never_left(exc: requests.RequestException) -> bool:
    """True when the request certainly did not reach the provider."""
    if isinstance(exc, _BEFORE_SENDING):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", exc.args[0])  # urllib3's MaxRetryError
        return isinstance(reason, (NewConnectionError, ConnectTimeoutError))
    return False


def post(provider: str, url: str, *, timeout: float, **kwargs: Any) -> requests.Response:
    """requests.post, its failures as ChannelError: retry=True when the request never
    left, OutcomeUnknown (code "timeout" or "dropped") when it may have arrived."""
    try:
        return requests.post(url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        if never_left(exc):
            raise ChannelError(_("{provider} could not be reached ({kind}).").format(
                provider=provider, kind=type(exc).__name__), retry=True,
                code="network") from None
        if isinstance(exc, requests.exceptions.Timeout):
            raise OutcomeUnknown(_("{provider} did not answer within {seconds} seconds "
                                   "after the message was handed over, so it may or may not "
                                   "have been sent.").format(
                provider=provider, seconds=round(timeout)), "timeout") from None
        raise OutcomeUnknown(_("The connection to {provider} dropped after the message was "
                               "handed over, so it may or may not have been sent.").format(
            provider=provider), "dropped") from None


def accepted_without_id(provider: str) -> OutcomeUnknown:
    """A success answer that does not say which message it made."""
    return OutcomeUnknown(_("{provider} answered OK without a message id, so it is not "
                            "known whether the message was sent.").format(provider=provider),
                          "bad_response")


def may_have_acted(provider: str, status: int) -> OutcomeUnknown:
    """A 5xx other than 503 that carries no error of the provider's own: a gateway or
    server failure that may come after the message was taken (RFC 9110 §15.6)."""
    return OutcomeUnknown(_("{provider} answered with a server error ({status}) that does not "
                            "say whether the message was sent.").format(
        provider=provider, status=status), str(status))
