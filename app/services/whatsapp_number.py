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


def check(p: Practice) -> Number:
    """Reads the number with the stored settings and token; records the check
    (channel_checks, "whatsapp"). Raises GraphRefused (recorded) or SecretsUnavailable."""
    def read() -> Number:
        cfg = config.get_all(p)
        if not cfg["whatsapp.phone_number_id"].strip():
            raise GraphRefused(_("Fill in the phone number's id: the Meta app's WhatsApp › "
                                 "API Setup page shows it under Phone number ID."), "ids")
        return graph.read_number(cfg["whatsapp.api_base"], token(),
                                 cfg["whatsapp.phone_number_id"])

    return channel_checks.checked(p, "whatsapp", read, said)
