"""A template's known parameters come from the client linked to the card, or, for a
card not linked to anyone yet, from the name on the card itself."""

from __future__ import annotations

from app.services import attendances, conversations, settings
from app.services.practice import Practice


def test_an_unlinked_card_offers_its_own_name(practice: Practice) -> None:
    settings.set_value(practice, "name", "Consultório Bem-Estar")
    card = attendances.start(practice, medium="whatsapp", name="Helena Duarte",
                             phone="11976543210")
    known = conversations.detail(practice, card).known
    assert (known["first_name"], known["name"]) == ("Helena", "Helena Duarte")
    assert known["practice"] == "Consultório Bem-Estar"
    assert conversations.prefill(("Primeiro nome", "Consultório"), 2, known) == [
        "Helena", "Consultório Bem-Estar"]
