"""Integrações › WhatsApp › Conectar: the number as Meta knows it, read with the
practice's token (GET /{phone-number-id}), recorded as the WhatsApp channel's
check. https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account-to-number-current-status/"""

from __future__ import annotations

from app.i18n import _
from app.services import channel_checks, config, secrets
from app.services.channels import graph
from app.services.channels.graph import GraphRefused, Number
from app.services.practice import Practice


def quality_words(rating: str) -> str:
    """Meta's quality rating of a number in words (GREEN, YELLOW, RED, NA, UNKNOWN)."""
    return {"GREEN": _("high"), "YELLOW": _("medium"), "RED": _("low")}.get(
        rating.upper(), _("not rated yet"))


def said(number: Number) -> str:
    """"+55 11 3000-1000, Clínica Aurora, quality: high"."""
    return _("{number}, {name}, quality: {quality}").format(
        number=number.display_phone_number, name=number.verified_name,
        quality=quality_words(number.quality_rating))


def token() -> str:
    """The access token from the keyring; GraphRefused when none is stored.
    SecretsUnavailable when the keyring cannot be read."""
    value = secrets.load("whatsapp.token")
    if not value:
        raise GraphRefused(_("Paste the access token: the Meta app's WhatsApp › API Setup "
                             "page shows a temporary one; a system user's token from Business "
                             "Settings does not expire."), "ids")
    return value


def check(p: Practice, phone_number_id: str | None = None, api_base: str | None = None,
          typed_token: str = "") -> Number:
    """Reads the number with the settings and token given (those typed in the form,
    before they are saved: a wrong one never replaces one that works), or the
    stored ones where none is given; records the check (channel_checks,
    "whatsapp"). Raises GraphRefused or InvalidInput (recorded), SecretsUnavailable."""
    def read() -> Number:
        cfg = config.get_all(p)
        number_id = (cfg["whatsapp.phone_number_id"] if phone_number_id is None
                     else phone_number_id).strip()
        if not number_id:
            raise GraphRefused(_("Fill in the phone number's id: the Meta app's WhatsApp › "
                                 "API Setup page shows it under Phone number ID."), "ids")
        base = config.KEYS["whatsapp.api_base"].check(api_base) if api_base and \
            api_base.strip() else cfg["whatsapp.api_base"]
        return graph.read_number(base, typed_token.strip() or token(), number_id)

    return channel_checks.checked(p, "whatsapp", read, said)
