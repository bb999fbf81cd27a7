"""The channels as the screens name them, in one place: the reminder channels in
the order they are offered, and each one's name in the reader's language."""

from __future__ import annotations

from app.i18n import _

# Every channel a reminder can go by, in the order the lists offer them.
REMINDER_CHANNELS = ("whatsapp", "email", "sms", "voice", "push")
# What a practice may tick for a client: push is turned on by the client's phone.
AGREED_BY_PRACTICE = ("whatsapp", "email", "sms", "voice")


def channel_label(channel: str) -> str:
    """A channel's name for a list or a column ("WhatsApp", "Ligação")."""
    return {"whatsapp": "WhatsApp", "email": _("E-mail"), "sms": "SMS",
            "voice": _("Phone call"), "push": _("Phone notification")}.get(channel, channel)
