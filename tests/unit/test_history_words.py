"""Every entry of a session's history reads as a sentence in the app's language:
no action code ("request_decided", "cancel_requested") ever reaches a person."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app import i18n
from app.models.transitions import Action
from app.services import audit, history
from app.services.queries import HistoryEntry

SERVICES = Path(__file__).resolve().parents[2] / "app" / "services"
ZONE = ZoneInfo("America/Sao_Paulo")


def written_actions() -> set[str]:
    """The actions any service writes on a session, read from the code itself, so a new
    one without a sentence fails here."""
    found = {a.value for a in Action} | {"created", "undo"}
    for path in SERVICES.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"audit\.record\((.*?)\)\n", text, re.S):
            if 'entity="appointment"' in call.group(1):
                found |= set(re.findall(r'action="([a-z_]+)"', call.group(1)))
    return found


def test_the_actions_are_found() -> None:
    assert {"cancel_requested", "request_decided", "confirm"} <= written_actions()


@pytest.mark.parametrize("language", ["en", "pt_BR"])
@pytest.mark.parametrize("action", sorted(written_actions()))
def test_each_action_reads_as_a_sentence(action: str, language: str) -> None:
    changes: dict[str, object] = {"reason": "viagem", "decision": "charge",
                                  "start": ["2026-12-01T13:00:00+00:00",
                                            "2026-12-02T13:00:00+00:00"],
                                  "status": ["completed", "confirmed"], "undoes": "complete"}
    if action == "created":
        changes["start"] = "2026-12-01T13:00:00+00:00"
    entry = HistoryEntry(at=datetime(2026, 11, 30, tzinfo=UTC), actor="Dra. Ana",
                         action=action, changes=changes)
    with i18n.speaking(language):
        text = history.sentence(entry, ZONE, "BRL")
        generic = i18n._("{who} changed the session.").format(who="Dra. Ana")
    assert not re.search(rf"\b{action}\b", text) and "_" not in text
    assert text != generic, f"{action} has no sentence of its own"


def test_a_clients_request_and_the_decision_in_portuguese() -> None:
    asked = HistoryEntry(at=datetime(2026, 11, 30, tzinfo=UTC), actor=audit.CLIENT,
                         action="cancel_requested", changes={"reason": "viagem"})
    decided = HistoryEntry(at=datetime(2026, 11, 30, tzinfo=UTC), actor="Dra. Ana",
                           action="request_decided", changes={"decision": "waive"})
    with i18n.speaking("pt_BR"):
        assert history.sentence(asked, ZONE, "BRL") == \
            "O cliente pediu o cancelamento pelo link: “viagem”."
        assert history.sentence(decided, ZONE, "BRL") == \
            "Dra. Ana cancelou a pedido do cliente, sem taxa."


def test_a_decision_to_cancel_at_the_clients_request_reads_as_one_line() -> None:
    at = datetime(2026, 11, 30, 12, tzinfo=UTC)
    from datetime import timedelta

    cancel = HistoryEntry(at=at, actor="Dra. Ana", action="cancel",
                          changes={"reason": "Estou com febre", "by": "client",
                                   "cancellation_fee_cents": 10000})
    decided = HistoryEntry(at=at + timedelta(milliseconds=40), actor="Dra. Ana",
                           action="request_decided", changes={"decision": "charge"})
    kept = HistoryEntry(at=at + timedelta(hours=1), actor="Dra. Ana",
                        action="request_decided", changes={"decision": "keep"})
    assert history.readable([cancel, decided, kept]) == [cancel, kept]
    with i18n.speaking("pt_BR"):
        text = history.sentence(cancel, ZONE, "BRL")
    assert text.startswith("Dra. Ana cancelou a sessão: “Estou com febre”.")
    assert "Cancelada pelo cliente." in text and text.count("“") == 1
