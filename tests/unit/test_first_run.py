"""The first run's answers: proposed from the computer, checked whole before any
is saved, saved together."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from app.services import catalog, config, first_run, settings
from app.services.clock import FrozenClock
from app.services.errors import InvalidInput
from app.services.first_run import Person, ServiceDraft
from app.services.practice import Practice, open_practice
from tests.conftest import add_client


def test_an_empty_practice_is_offered_the_assistant_until_done_or_skipped(
        practice: Practice, clock: FrozenClock) -> None:
    assert first_run.needed(practice)
    first_run.skip(practice)
    assert not first_run.needed(practice)
    config.set_value(practice, first_run.STATE, "")
    add_client(practice)
    assert not first_run.needed(practice)  # a practice in use is never interrupted


@pytest.fixture
def untouched(tmp_path: Path, clock: FrozenClock) -> Iterator[Practice]:
    """A practice just made, whose settings nobody has saved (the `practice`
    fixture saves its zone, country and language, as a person would)."""
    p = open_practice(tmp_path / "new", clock=clock, actor="Dra. Ana", logging_on=False)
    yield p
    p.close()


def test_the_proposal_is_a_therapy_practices(untouched: Practice,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "pt_PT.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_TIME", raising=False)
    proposed = first_run.proposal(untouched)
    assert proposed.country == "PT"  # the computer's, before the practice says
    assert [s.duration_minutes for s in proposed.services] == [50]
    assert len(proposed.professionals) == 1 and proposed.professionals[0].id is not None
    assert proposed.hours["mon"] == "08:00-19:00"


def test_every_answer_is_saved_together(practice: Practice, clock: FrozenClock) -> None:
    proposed = first_run.proposal(practice)
    ana = replace(proposed.professionals[0], name="Dra. Ana Souza")
    first_run.apply(practice, replace(
        proposed, name="Consultório Bem-Estar", country="BR", language="pt_BR",
        professionals=(ana, Person("Dr. Bruno Reis", "#10b981")),
        reception=("Carla (recepção)",),
        hours={"mon": "08:00-12:00,13:00-19:00", "sat": "closed"},
        services=(ServiceDraft("Psicoterapia individual", 50, 20000),
                  ServiceDraft("Avaliação inicial", 90, 28000)),
        reminders="whatsapp:1440,email:120"))
    view = settings.get(practice)
    assert (view.name, view.language, view.hours["mon"], view.hours["sat"]) == (
        "Consultório Bem-Estar", "pt_BR", "08:00-12:00,13:00-19:00", "closed")
    assert [(s.name, s.color) for s in catalog.list_staff(practice)][1] == (
        "Dr. Bruno Reis", "#10b981")
    assert catalog.list_staff(practice)[0].name == "Dra. Ana Souza"
    assert [(s.name, s.duration_minutes, s.price_cents)
            for s in catalog.list_services(practice)] == [
        ("Avaliação inicial", 90, 28000), ("Psicoterapia individual", 50, 20000)]
    assert config.get(practice, "reminders.default") == "whatsapp:1440,email:120"
    assert first_run.proposal(practice).people() == [
        "Dra. Ana Souza", "Dr. Bruno Reis", "Carla (recepção)"]
    assert not first_run.needed(practice)


@pytest.mark.parametrize(("change", "message"), [
    ({"name": "  "}, "needs a name"),
    ({"professionals": (Person(" "),)}, "at least one professional"),
    ({"hours": {"mon": "19:00-08:00"}}, "ends before it starts"),
    ({"services": (ServiceDraft("Sessão", 3),)}, "between 5 minutes"),
    ({"reminders": "pigeon:60"}, "channel:minutes"),
    ({"timezone": "Nowhere/City"}, "not a time zone"),
])
def test_a_refused_answer_saves_nothing(practice: Practice, clock: FrozenClock,
                                        change: dict[str, object], message: str) -> None:
    proposed = replace(first_run.proposal(practice), name="Consultório",
                       professionals=(Person("Dra. Ana"),))
    before = (settings.get(practice), catalog.list_staff(practice),
              catalog.list_services(practice), config.get_all(practice))
    with pytest.raises(InvalidInput, match=message):
        first_run.apply(practice, replace(proposed, **change))  # type: ignore[arg-type]
    assert (settings.get(practice), catalog.list_staff(practice),
            catalog.list_services(practice), config.get_all(practice)) == before


def test_the_assistant_opened_again_on_a_practice_in_use_keeps_its_country(
        untouched: Practice, monkeypatch: pytest.MonkeyPatch) -> None:
    """A practice with clients that never finished the assistant (a demo, one made by
    commands): opening it proposes the practice's own country, not the computer's."""
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_TIME", raising=False)
    assert first_run.proposal(untouched).country == "US"  # empty: the computer's
    add_client(untouched)
    assert first_run.proposal(untouched).country == "BR"  # in use: its own


@pytest.mark.parametrize("told", [[("country", "BR")], [("language", "pt_BR")],
                                  [("country", "PT"), ("name", "Clínica")]])
def test_a_practice_told_its_settings_keeps_its_country(
        practice: Practice, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch,
        told: list[tuple[str, str]]) -> None:
    """Settings saved before the first window (as the README's commands do, even
    to the value they had) are the practice's: the assistant that opens by itself
    shows them, as Configurações does, not the computer's country."""
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_TIME", raising=False)
    settings.set_values(practice, told)
    assert first_run.needed(practice)  # still empty: the assistant opens by itself
    stored = settings.get(practice).country
    assert first_run.proposal(practice).country == stored != "US"
