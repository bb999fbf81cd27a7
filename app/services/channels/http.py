"""Posting to a provider's HTTP API, and telling a request that never left from one
whose fate is unknown.

A failure before the request was written out whole (no route, DNS, a refused
connection, the TLS handshake, a connect timeout) is safe to retry: the provider
cannot act on half a request. Any failure after it was written (a read timeout, a
reset, a broken TLS record) may come after the provider acted on it: the outcome is
unknown (RFC 9110 §9.2.2: POST is not idempotent, and neither Meta's Cloud API
nor Twilio's Messages resource takes an idempotency key), so it raises
OutcomeUnknown and the outbox leaves the decision to a person."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from app.i18n import _
from app.services.channels import ChannelError, OutcomeUnknown
from app.services.values import on_this_computer

# Whether the request of the post() in progress (in this thread) was written out
# whole. Before that, whatever failed, the provider cannot have acted on it.
_written: ContextVar[bool] = ContextVar("request_written", default=False)


class _Noted:
    def request(self, *args: Any, **kwargs: Any) -> None:
        super().request(*args, **kwargs)  # type: ignore[misc]
        _written.set(True)


class _NotedHTTP(_Noted, HTTPConnection):
    pass


class _NotedHTTPS(_Noted, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _NotedHTTP


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _NotedHTTPS


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _NotingAdapter(HTTPAdapter):
    """requests' adapter, with connections that note when a request was written."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager


def post(provider: str, url: str, *, timeout: float, **kwargs: Any) -> requests.Response:
    """requests.post, its failures as ChannelError: retry=True when the request was
    not written out whole (no route, DNS, refused, TLS handshake, a connect
    timeout), OutcomeUnknown (code "timeout" or "dropped") when it was and no
    answer came (a read timeout, a reset, a broken TLS record, a garbled answer)."""
    parsed = urlsplit(url)
    if parsed.scheme != "https" and not on_this_computer(parsed.hostname or ""):
        # A setting saved before plain HTTP was refused: the key would go in clear.
        raise ChannelError(_("{provider}'s address does not start with https://, so the "
                             "key would travel unencrypted: correct it in Settings › "
                             "Integrations.").format(provider=provider), retry=False,
                           code="insecure")
    mark = _written.set(False)
    try:
        with requests.Session() as session:
            adapter = _NotingAdapter()  # no retries: a retry could send the message twice
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            return session.post(url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        if not _written.get():
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
    finally:
        _written.reset(mark)


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
