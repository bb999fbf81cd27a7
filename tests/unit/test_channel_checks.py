"""Each check from Integrações is remembered, its sentence in the reader's language."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import i18n
from app.i18n import _
from app.services import channel_checks
from app.services.clock import FrozenClock
from app.services.errors import InvalidInput
from app.services.practice import Practice


def test_a_check_replaces_the_one_before(practice: Practice, clock: FrozenClock) -> None:
    channel_checks.record(practice, "whatsapp", False, "The access token was refused.")
    clock.advance(timedelta(minutes=5))
    channel_checks.record(practice, "whatsapp", True, "Connected.")
    found = channel_checks.latest(practice)
    assert list(found) == ["whatsapp"]
    assert found["whatsapp"].ok and found["whatsapp"].said == "Connected."
    assert found["whatsapp"].at == clock.now()


def test_a_failed_check_is_recorded_and_raised(practice: Practice) -> None:
    def wrong() -> str:
        raise InvalidInput(_("The secret is empty; nothing was stored."))

    with i18n.speaking("pt_BR"), pytest.raises(InvalidInput):
        channel_checks.checked(practice, "links", wrong, str)
    with i18n.speaking("en"):
        said = channel_checks.latest(practice)["links"]
    assert not said.ok and said.said == "The secret is empty; nothing was stored."
    with i18n.speaking("pt_BR"):
        assert channel_checks.latest(practice)["links"].said != said.said
    assert channel_checks.checked(practice, "sms", lambda: 3, lambda n: f"{n} numbers") == 3
    assert channel_checks.latest(practice)["sms"].ok


def test_only_known_channels(practice: Practice) -> None:
    with pytest.raises(ValueError):
        channel_checks.record(practice, "fax", True, "")
