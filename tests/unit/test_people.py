"""The people of a practice and what each reads: reception never reads a session's
internal notes, a professional reads those of their own clients' sessions (all of
them when the practice shares notes), and the practice itself (system, worker,
link, import, the owner of a practice of one) reads everything. Checked at every
place the notes leave the services: a session, a list, the Sessões page, the
Painel, the spreadsheet and calendar exports, a client's data, the history."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from app.models.enums import AppointmentStatus
from app.models.people import Person, Role
from app.services import (
    catalog,
    client_data,
    config,
    dashboard,
    exports,
    people,
    queries,
    scheduling,
    session_list,
)
from app.services.clock import FrozenClock
from app.services.errors import InvalidInput, NotAllowed
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_client, add_service, local

NOV, DEC = date(2026, 11, 1), date(2026, 12, 31)
ANA_NOTES = "Ansiedade no trabalho; retomar na próxima."
BRUNO_NOTES = "Luto recente."
SHARED_NOTES = "Notas do Bruno sobre a Lia."


@pytest.fixture
def team(practice: Practice, clock: FrozenClock) -> dict[str, int]:
    """Ana and Bruno (professionals), Carla (reception). Maria is Ana's client, João
    Bruno's, Lia both's; Rui's one session with Ana was cancelled, so he is Bruno's
    only. Each session held is completed with the professional's notes."""
    ana = catalog.list_staff(practice)[0].id
    catalog.rename_staff(practice, ana, "Ana Lima")
    bruno = catalog.add_staff(practice, name="Bruno Reis").id
    config.set_value(practice, "team.reception", "Carla")
    service = add_service(practice)
    ids = {"ana": ana, "bruno": bruno,
           "maria": add_client(practice), "joao": add_client(practice, "João Alves",
                                                             "+55 21 99876-5432", None),
           "lia": add_client(practice, "Lia Costa", "+55 11 91234-5678", None),
           "rui": add_client(practice, "Rui Sá", "+55 11 92345-6789", None)}

    def book(client: str, staff: int, when: str) -> int:
        return scheduling.book(practice, BookingRequest(
            client_id=ids[client], start=local(when), service_id=service, staff_id=staff))

    ids["maria_s"] = book("maria", ana, "2026-11-23T10:00")
    ids["joao_s"] = book("joao", bruno, "2026-11-23T10:00")
    ids["lia_ana"] = book("lia", ana, "2026-11-23T14:00")
    ids["lia_bruno"] = book("lia", bruno, "2026-11-23T15:00")
    ids["rui_ana"] = book("rui", ana, "2026-11-24T09:00")
    ids["rui_bruno"] = book("rui", bruno, "2026-11-23T16:00")
    scheduling.cancel(practice, ids["rui_ana"], reason="marcado errado")
    clock.set(local("2026-11-23T18:00"))
    for key, notes in (("maria_s", ANA_NOTES), ("joao_s", BRUNO_NOTES),
                       ("lia_ana", "Notas da Ana sobre a Lia."), ("lia_bruno", SHARED_NOTES),
                       ("rui_bruno", "Rui: primeira sessão.")):
        scheduling.complete(practice, ids[key], internal_notes=notes)
    return ids


def as_(p: Practice, name: str) -> Practice:
    return p.acting_as_person(people.named(p, name))


def test_the_people_are_listed_with_their_role(practice: Practice,
                                               team: dict[str, int]) -> None:
    assert people.list_people(practice) == [
        Person("Ana Lima", Role.PROFESSIONAL, team["ana"]),
        Person("Bruno Reis", Role.PROFESSIONAL, team["bruno"]),
        Person("Carla", Role.RECEPTION)]
    assert [people.described(x) for x in people.list_people(practice)] == [
        "Ana Lima — professional", "Bruno Reis — professional", "Carla — reception"]
    # Named as people type: case and spaces do not matter.
    assert people.named(practice, "  carla ").role is Role.RECEPTION
    assert people.named(practice, "ANA   lima").staff_id == team["ana"]
    with pytest.raises(InvalidInput) as refused:
        people.named(practice, "Dra. Ana")
    assert str(refused.value) == (
        "“Dra. Ana” is not one of this practice's people; name one of: Ana Lima — "
        "professional; Bruno Reis — professional; Carla — reception.")
    assert not people.alone(people.list_people(practice))


def test_reception_reads_no_internal_notes_anywhere(practice: Practice,
                                                    team: dict[str, int]) -> None:
    carla = as_(practice, "Carla")
    view = queries.show(carla, team["maria_s"])
    assert (view.internal_notes, view.internal_notes_withheld) == ("", True)
    assert view.as_json()["internal_notes"] == "" and view.as_json()["internal_notes_withheld"]
    # The history keeps who completed it and when, not the old → new notes.
    done = next(h for h in view.history if h.action == "complete")
    assert done.actor == "Dra. Ana" and "internal_notes" not in done.changes
    assert done.changes["internal_notes_withheld"] is True
    assert ANA_NOTES not in json.dumps(view.as_json(), ensure_ascii=False)
    listed = queries.list_appointments(carla, start=NOV, end=DEC)
    assert len(listed) == 6 and all(v.internal_notes == "" for v in listed)
    assert [v.internal_notes_withheld for v in listed] == [True] * 6
    # The same practice, seen by the practice itself, still has them all.
    assert queries.show(practice, team["maria_s"]).internal_notes == ANA_NOTES


def test_a_professional_reads_their_own_clients_notes_only(practice: Practice,
                                                           team: dict[str, int]) -> None:
    ana = as_(practice, "Ana Lima")
    read = {v.id: (v.internal_notes, v.internal_notes_withheld)
            for v in queries.list_appointments(ana, start=NOV, end=DEC)}
    assert read[team["maria_s"]] == (ANA_NOTES, False)  # her client
    assert read[team["joao_s"]] == ("", True)  # Bruno's client
    # Lia is hers too (she had a session with Ana): Bruno's notes on her are read.
    assert read[team["lia_bruno"]] == (SHARED_NOTES, False)
    # Rui's only session with Ana was cancelled: he is not her client.
    assert read[team["rui_bruno"]] == ("", True)
    assert read[team["rui_ana"]] == ("", False)  # her own session, without notes
    bruno = as_(practice, "Bruno Reis")
    assert queries.show(bruno, team["maria_s"]).internal_notes_withheld
    assert queries.show(bruno, team["joao_s"]).internal_notes == BRUNO_NOTES


def test_the_practice_may_let_professionals_read_each_others_notes(
        practice: Practice, team: dict[str, int]) -> None:
    ana, carla = as_(practice, "Ana Lima"), as_(practice, "Carla")
    assert config.get(practice, people.NOTES_SHARED) == "off"
    # Reception cannot change who reads them; nothing is saved.
    with pytest.raises(NotAllowed, match="Only a professional can change"):
        config.set_value(carla, people.NOTES_SHARED, "on")
    assert config.get(practice, people.NOTES_SHARED) == "off"
    config.set_value(ana, people.NOTES_SHARED, "on")
    assert queries.show(ana, team["joao_s"]).internal_notes == BRUNO_NOTES
    # Reception still reads none.
    assert queries.show(carla, team["joao_s"]).internal_notes_withheld
    with pytest.raises(InvalidInput, match="Use one of: on, off"):
        config.set_value(ana, people.NOTES_SHARED, "sometimes")


def test_writing_notes_as_someone_not_allowed_is_refused_and_changes_nothing(
        practice: Practice, team: dict[str, int], clock: FrozenClock) -> None:
    ana, carla = as_(practice, "Ana Lima"), as_(practice, "Carla")
    service = add_service(practice, name="Avaliação")
    clock.set(local("2026-11-25T08:00"))
    mine = scheduling.book(practice, BookingRequest(
        client_id=team["maria"], start=local("2026-11-25T08:00"), service_id=service,
        staff_id=team["ana"]))
    his = scheduling.book(practice, BookingRequest(
        client_id=team["joao"], start=local("2026-11-25T08:00"), service_id=service,
        staff_id=team["bruno"]))
    clock.set(local("2026-11-25T10:00"))
    with pytest.raises(NotAllowed) as refused:
        scheduling.complete(carla, mine, internal_notes="")
    assert str(refused.value) == ("Internal notes are the professionals' own: Carla "
                                  "(reception) cannot write them. Nothing was changed.")
    with pytest.raises(NotAllowed) as refused:
        scheduling.complete(ana, his, internal_notes="Vi o João no corredor.")
    assert str(refused.value) == (
        f"Session #{his} is with a client of another professional: Ana Lima writes "
        "internal notes only on their own clients' sessions. Nothing was changed.")
    unnamed = practice.acting_as_person(people.unnamed("recepcao-pc"))
    with pytest.raises(NotAllowed, match="Say who is using this computer"):
        scheduling.complete(unnamed, mine, internal_notes="x")
    for refused_id in (mine, his):  # nothing changed: still to happen, no trail entry
        view = queries.show(practice, refused_id)
        assert view.status is AppointmentStatus.SCHEDULED and view.internal_notes == ""
        assert [h.action for h in view.history] == ["created"]
    # Completing without notes is reception's to do; the notes stay as they were.
    scheduling.complete(carla, his, actual_price_cents=15000)
    assert queries.show(practice, his).status is AppointmentStatus.COMPLETED
    assert queries.show(practice, his).history[-1].actor == "Carla"
    scheduling.complete(ana, mine, internal_notes="Boa sessão.")
    assert queries.show(ana, mine).internal_notes == "Boa sessão."


def test_every_place_the_notes_leave_withholds_them(practice: Practice, team: dict[str, int],
                                                    tmp_path: Path) -> None:
    carla, ana = as_(practice, "Carla"), as_(practice, "Ana Lima")
    # Sessões (the list page) and its export.
    listing = session_list.Listing(start=NOV, end=DEC)
    for rows in (session_list.page(carla, listing), session_list.every(carla, listing)):
        assert rows and all(v.internal_notes_withheld and not v.internal_notes for v in rows)
    mine = {v.id: v.internal_notes for v in session_list.every(ana, listing)}
    assert mine[team["maria_s"]] == ANA_NOTES and mine[team["joao_s"]] == ""
    # The Painel's sessions.
    seen = dashboard.views_of(carla, [team["maria_s"], team["joao_s"]])
    assert all(v.internal_notes_withheld for v in seen.values())
    board = dashboard.load(carla)
    for v in board.today + board.unconfirmed + board.no_shows + board.no_outcome:
        assert v.internal_notes == ""
    # Spreadsheet and calendar exports carry the client-facing notes, never internal ones.
    for fmt in exports.Format:
        path = tmp_path / f"agenda.{fmt.value}"
        exports.write(practice, fmt, path, exports.sessions(practice, NOV, DEC))
        if fmt is exports.Format.XLSX:
            import openpyxl

            book = openpyxl.load_workbook(path)
            text = json.dumps([list(r) for r in book.active.iter_rows(values_only=True)],
                              default=str, ensure_ascii=False)
        else:
            text = path.read_text(encoding="utf-8")
        assert ANA_NOTES not in text and BRUNO_NOTES not in text
    with (tmp_path / "agenda.csv").open(encoding="utf-8-sig") as f:
        assert "Internal notes" not in next(csv.reader(f))
    # A client's data (LGPD): the sessions and the trail, as the person may read them.
    data = client_data.export(carla, team["maria"])
    assert ANA_NOTES not in json.dumps(data, ensure_ascii=False)
    [session] = data["sessions"]
    assert (session["internal_notes"], session["internal_notes_withheld"]) == ("", True)
    completed = [e for e in data["audit"] if e["action"] == "complete"]
    assert completed and completed[0]["changes"] == {
        "status": ["scheduled", "completed"], "internal_notes_withheld": True}
    whole = client_data.export(ana, team["maria"])
    assert whole["sessions"][0]["internal_notes"] == ANA_NOTES
    assert [e["changes"]["internal_notes"] for e in whole["audit"]
            if e["action"] == "complete"] == [["", ANA_NOTES]]
    lia = client_data.export(as_(practice, "Bruno Reis"), team["lia"])
    assert [s["internal_notes"] for s in lia["sessions"]] == [
        "Notas da Ana sobre a Lia.", SHARED_NOTES]  # Lia is Bruno's client too


def test_a_practice_of_one_is_not_restricted(practice: Practice, clock: FrozenClock) -> None:
    """The psychologist alone: not acting as anyone (the window of a computer that did
    not say, the command line without --as) or as herself, she reads all her notes."""
    only = people.list_people(practice)
    assert people.alone(only) and only[0].role is Role.PROFESSIONAL
    client, service = add_client(practice), add_service(practice)
    a = scheduling.book(practice, BookingRequest(client_id=client,
                                                 start=local("2026-11-23T10:00"),
                                                 service_id=service))
    clock.set(local("2026-11-23T12:00"))
    scheduling.complete(practice, a, internal_notes="Só minhas.")
    assert queries.show(practice, a).internal_notes == "Só minhas."
    herself = practice.acting_as_person(only[0])
    assert queries.show(herself, a).internal_notes == "Só minhas."
    # "system", the link and the import are not people: nothing is withheld from them.
    assert queries.show(herself.acting_as("system"), a).internal_notes == "Só minhas."
    assert herself.acting_as("client").person is None


def test_a_professionals_clients_are_looked_up_among_those_read(
        practice: Practice, team: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Each read of a few sessions asks only about their own clients: session by
    session, Ana reads exactly what she reads in the whole list; and a read of more
    clients than a statement should name asks for all of hers, with the same
    outcome. The Sessões list's pages, which show no internal notes, hold none,
    even hers."""
    ana = as_(practice, "Ana Lima")
    listing = session_list.Listing(start=NOV, end=DEC)
    whole = [(v.id, v.internal_notes, v.internal_notes_withheld)
             for v in session_list.every(ana, listing)]
    assert (team["lia_bruno"], SHARED_NOTES, False) in whole
    assert (team["rui_bruno"], "", True) in whole
    one_by_one = [(v.id, v.internal_notes, v.internal_notes_withheld)
                  for one in whole for v in dashboard.views_of(ana, [one[0]]).values()]
    assert one_by_one == whole
    pages = [v for offset in range(len(whole))
             for v in session_list.page(ana, listing, offset, 1)]
    assert [v.id for v in pages] == [one[0] for one in whole]
    assert all(v.internal_notes == "" and v.internal_notes_withheld for v in pages)
    assert (team["maria_s"], ANA_NOTES, False) in whole  # hers, in the export
    for one in (team["lia_bruno"], team["rui_bruno"], team["joao_s"]):
        shown = queries.show(ana, one)
        assert (shown.id, shown.internal_notes, shown.internal_notes_withheld) in whole
    ana_id = team["ana"]
    with practice.db.read() as s:
        assert people.own_clients(s, ana_id) == {team["maria"], team["lia"]}
        assert people.own_clients(s, ana_id, [team["lia"], team["rui"]]) == {team["lia"]}
        assert people.own_clients(s, ana_id, []) == frozenset()
    monkeypatch.setattr(people, "AMONG_AT_MOST", 1)
    assert [(v.id, v.internal_notes, v.internal_notes_withheld)
            for v in session_list.every(ana, listing)] == whole
    with practice.db.read() as s:  # more than a statement should name: all of hers
        assert people.own_clients(s, ana_id, [team["lia"], team["rui"]]) == {
            team["maria"], team["lia"]}
