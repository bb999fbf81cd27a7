"""The practice's key for notifications on clients' phones (Web Push, VAPID:
RFC 8292), and Integrações' *Ativar* / *Testar* for them.

The key pair is P-256 (RFC 8292 §3.2). The private half — the base64url of its
32-byte scalar — lives only in the keyring (`push.private_key`); the public half
— the base64url of the 65-byte uncompressed point, what browsers take as
`applicationServerKey` — in the configuration (`push.public_key`) and on the
relay, whose links' pages hand it to the phones:
  PUT {relay}/api/v1/push-key {"public_key"} (bearer: the practice's API key)
  → 200 {"public_key"}; GET the same → 200 {"public_key"} ("" when none).
A browser's subscription is bound to the key it was made with, so a key once
made is kept: turning on again only gives it to the relay again."""

from __future__ import annotations

import base64

import requests

from app.i18n import _
from app.services import channel_checks, config, relay_address, secrets
from app.services.errors import InvalidInput, PracticeError
from app.services.practice import Practice

CHANNEL = "push"  # how channel_checks names this check
SECRET = "push.private_key"
TIMEOUT = 15


class PushNotReady(PracticeError):
    """The relay could not be given the key, or serves another one."""


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_pair() -> tuple[str, str]:
    """A new VAPID key pair: (private scalar, public point), both base64url."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    return _b64url(private), _b64url(public)


def public_of(private: str) -> str | None:
    """The public half of a stored private key; None when it is not one."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from relay.push import decoded

    raw = decoded(private.strip())
    if raw is None or len(raw) != 32:
        return None
    try:
        key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except ValueError:
        return None
    return _b64url(key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


def turn_on(p: Practice) -> str:
    """*Ativar*: makes the key pair when there is none (the private half to the
    keyring, the public to `push.public_key`), gives the public key to the relay
    and returns a sentence saying so; recorded as push's check. Raises
    InvalidInput (the relay is not set up), PushNotReady (the relay refused or
    could not be reached) or secrets.SecretsUnavailable."""
    return channel_checks.checked(p, CHANNEL, lambda: _turn_on(p), lambda said: said)


def _turn_on(p: Practice) -> str:
    url, api_key = _relay(p)
    public = _own_key(p, make=True)
    assert public is not None
    answer = _ask("PUT", url, api_key, {"public_key": public})
    if answer != public:
        raise PushNotReady(_("The relay at {relay} did not keep the practice's notification "
                             "key: it may need updating.").format(relay=url))
    return _("Notifications on clients' phones are on: the links' pages offer them "
             "(Receive reminders on this phone), through the relay at {relay}.").format(
        relay=url)


def turn_off(p: Practice) -> str:
    """*Desativar*: the relay stops offering notifications on the links' pages and
    no reminder goes by push (channel_setup: not set up). The key pair stays in
    the keyring, so turning them on again keeps the phones already subscribed.
    Raises InvalidInput (no relay) or PushNotReady; recorded as push's check."""
    def off() -> str:
        url, api_key = _relay(p)
        _ask("DELETE", url, api_key, None)
        config.set_value(p, "push.public_key", "")
        return _("Notifications on clients' phones are off: the links' pages no longer offer "
                 "them and no reminder goes by notification. Phones already subscribed are "
                 "kept for when you turn them on again.")

    return channel_checks.checked(p, CHANNEL, off, lambda said: said)


def check(p: Practice) -> str:
    """*Testar*: the key pair is here and whole, and the relay serves its public
    half on the links' pages; returns the sentence recorded as push's check.
    Raises InvalidInput (not turned on, or no relay), PushNotReady, or
    secrets.SecretsUnavailable."""
    return channel_checks.checked(p, CHANNEL, lambda: _check(p), lambda said: said)


def _check(p: Practice) -> str:
    url, api_key = _relay(p)
    public = _own_key(p, make=False)
    if public is None:
        raise InvalidInput(_("Notifications on clients' phones are not turned on: use "
                             "Turn on in Settings › Integrations."))
    served = _ask("GET", url, api_key, None)
    if served != public:
        raise PushNotReady(_("The relay at {relay} does not offer this practice's "
                             "notification key on the links' pages: use Turn on again.")
                           .format(relay=url))
    return _("Notifications on clients' phones work: the key is in this computer's "
             "keyring and the relay at {relay} offers it on the links' pages.").format(
        relay=url)


def _relay(p: Practice) -> tuple[str, str]:
    return relay_address.of(p, _("Notifications on clients' phones go through the "
                                 "confirmation links' relay: connect it first in Settings › "
                                 "Integrations."))


def _own_key(p: Practice, *, make: bool) -> str | None:
    """The practice's public key, the pair checked whole (and made when `make`
    and there is none). A private key without its public half gets it back; a
    damaged one is never replaced silently (phones subscribed with it)."""
    stored, public = secrets.load(SECRET), config.get(p, "push.public_key")
    if stored is None:
        if public and not make:
            raise InvalidInput(_("The practice's notification key is not in this computer's "
                                 "keyring: bring it from the computer that turned "
                                 "notifications on, or turn them on again here (phones "
                                 "will need to turn reminders on again)."))
        if not make:
            return None
        stored, public = new_pair()
        secrets.store(SECRET, stored)
        config.set_value(p, "push.public_key", public)
        return public
    derived = public_of(stored)
    if derived is None:
        raise InvalidInput(_("The practice's notification key in the keyring is damaged: "
                             "remove push.private_key from the keyring and turn "
                             "notifications on again (phones will need to turn reminders "
                             "on again)."))
    if public != derived:
        config.set_value(p, "push.public_key", derived)
    return derived


def _ask(method: str, url: str, api_key: str,
         body: dict[str, str] | None) -> str:
    """The relay's {"public_key"}, or PushNotReady in words."""
    try:
        response = requests.request(method, f"{url}/api/v1/push-key", json=body,
                                    headers={"Authorization": f"Bearer {api_key}"},
                                    timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException:
        raise PushNotReady(_("Nothing answers at {relay}: check that the relay is running "
                             "and reachable from this computer.").format(relay=url)) from None
    if response.status_code in (401, 403):
        raise PushNotReady(_("The relay refused this computer's key: connect the relay again "
                             "in Settings › Integrations."))
    if response.status_code in (404, 405):
        raise PushNotReady(_("The relay at {relay} does not offer notifications yet: it "
                             "needs updating.").format(relay=url))
    try:
        found = response.json().get("public_key") if response.ok else None
    except (ValueError, AttributeError):
        found = None
    if not isinstance(found, str):
        raise PushNotReady(_("The relay at {relay} answered {code}: try again later.")
                           .format(relay=url, code=response.status_code))
    return found
