"""Where this practice's relay is and the key this computer speaks to it with,
for the services that call its API (push_keys, relay_twilio)."""

from __future__ import annotations

from app.services import config, secrets
from app.services.errors import InvalidInput
from app.services.practice import Practice
from app.services.values import web_address


def of(p: Practice, missing: str) -> tuple[str, str]:
    """(the relay's address, its API key). Raises InvalidInput(`missing`) when
    either is not set, InvalidInput for an address that would send the key in
    clear, secrets.SecretsUnavailable when the keyring cannot be read."""
    url = config.get(p, "relay.url")
    api_key = secrets.load("relay.api_key") if url else None  # no address: no keyring asked
    if not url or not api_key:
        raise InvalidInput(missing)
    return web_address(url), api_key
