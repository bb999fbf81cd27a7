"""An SMS's parts, as the network counts them (GSM 03.38 or UCS-2)."""

from __future__ import annotations

from app.services.sms_parts import parts


def test_the_gsm_alphabet_takes_160_then_153_a_part() -> None:
    assert parts("").parts == 0
    assert (parts("a" * 160).parts, parts("a" * 161).parts) == (1, 2)
    assert parts("a" * 306).parts == 2 and parts("a" * 307).parts == 3
    assert parts("Olá").unicode  # "á" is not in the GSM alphabet
    # é, à, ü, Ç and ñ are in the GSM alphabet; the extension's € takes two places.
    assert not parts("café à Ç ñ ü").unicode
    assert parts("€" * 80).parts == 1 and parts("€" * 81).parts == 2


def test_one_portuguese_accent_makes_it_70_then_67_a_part() -> None:
    text = "Olá, Joana! Lembrete da sua sessão amanhã às 10:00."
    found = parts(text)
    assert found.unicode and found.parts == 1 and found.per_part == 70
    long = parts("ã" + "a" * 70)
    assert (long.parts, long.per_part, long.characters) == (2, 67, 71)
    assert parts("🙂" * 35).parts == 1 and parts("🙂" * 36).parts == 2  # two units each
