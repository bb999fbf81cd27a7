"""The scheduling service against a real SQLite file: bookings, refusals, the life
of a session, and the audit trail."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from app import i18n
from app.models.enums import AppointmentStatus as S
from app.models.enums import ChargeDecision
from app.models.tables import Appointment, AuditEvent
from app.services import audit, catalog, queries, scheduling, settings
from app.services.clock import FrozenClock
from app.services.errors import BookingConflict, IllegalTransition, InvalidInput, NotFound
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_client, add_service, local


def snapshot(p: Practice) -> tuple[list[tuple], int]:
    """Every appointment row and the number of audit events: 'nothing changed' means equal."""
    with p.db.read() as s:
        rows = [tuple(a.model_dump().values()) for a in
                s.exec(select(Appointment).order_by(Appointment.id))]
        events = s.exec(select(func.count()).select_from(AuditEvent)).one()
    return rows, events


def history(p: Practice, appointment_id: int) -> list[tuple[str, str, dict]]:
    return [(h.actor, h.action, h.changes) for h in queries.show(p, appointment_id).history]


@pytest.fixture
def ids(practice: Practice) -> dict[str, int]:
    return {"maria": add_client(practice), "joao": add_client(practice, "João Alves",
                                                              "+55 21 99876-5432", None),
            "therapy": add_service(practice, buffer_after_minutes=10)}


def req(ids: dict[str, int], start: str, who: str = "maria", **kw: object) -> BookingRequest:
    return BookingRequest(client_id=ids[who], start=local(start), service_id=ids["therapy"],
                          **kw)  # type: ignore[arg-type]


def test_booking_writes_the_session_and_its_audit(practice: Practice, ids: dict) -> None:
    new_id = scheduling.book(practice, req(ids, "2026-11-23T10:00"))
    view = queries.show(practice, new_id)
    assert view.status is S.SCHEDULED
    assert view.start == local("2026-11-23T10:00")
    assert view.duration_minutes == 50 and view.quoted_price_cents == 20000
    assert view.source == "manual" and view.staff_name == "Professional"
    [(actor, action, changes)] = history(practice, new_id)
    assert (actor, action) == ("Dra. Ana", "created")
    assert changes["start"] == "2026-11-23T13:00:00+00:00"


def test_start_is_stored_as_utc(practice: Practice, ids: dict) -> None:
    new_id = scheduling.book(practice, req(ids, "2026-11-23T10:00"))
    with practice.db.engine.connect() as conn:
        raw = conn.execute(text("SELECT start FROM appointment WHERE id = :id"),
                           {"id": new_id}).scalar()
    assert str(raw).startswith("2026-11-23 13:00:00")


@pytest.mark.parametrize(("start", "who", "rule", "names"), [
    ("2026-11-23T10:30", "joao", "staff_busy", ["Professional", "Maria Silva", "#1"]),
    ("2026-11-23T10:55", "joao", "staff_busy", ["#1"]),  # inside the 10-minute buffer
    ("2026-11-23T07:00", "maria", "outside_hours", ["Professional"]),
    ("2026-11-21T10:00", "maria", "outside_hours", ["closed"]),  # Saturday
    ("2026-11-19T10:00", "maria", "in_past", []),
])
def test_refusals_name_the_rule_and_change_nothing(practice: Practice, ids: dict, start: str,
                                                   who: str, rule: str, names: list[str]) -> None:
    scheduling.book(practice, req(ids, "2026-11-23T10:00"))
    before = snapshot(practice)
    with pytest.raises(BookingConflict) as caught:
        scheduling.book(practice, req(ids, start, who))
    assert [c.rule for c in caught.value.conflicts] == [rule]
    for name in names:
        assert name in str(caught.value)
    assert snapshot(practice) == before


def test_same_client_cannot_be_in_two_places(practice: Practice, ids: dict) -> None:
    other = catalog.add_staff(practice, name="Dr. Paulo").id
    first = scheduling.book(practice, req(ids, "2026-11-23T10:00"))
    with pytest.raises(BookingConflict) as caught:
        scheduling.book(practice, req(ids, "2026-11-23T10:20", staff_id=other))
    assert caught.value.conflicts[0].rule == "client_busy"
    assert caught.value.conflicts[0].appointment_id == first
    assert "Maria Silva already has a session" in str(caught.value)


def test_service_constraints(practice: Practice, ids: dict) -> None:
    strict = add_service(practice, name="Avaliação", min_notice_minutes=96 * 60,
                         bookable_days="mon-thu", bookable_hours="09:00-17:00", max_per_day=1)
    def book(start: str, who: str = "maria") -> int:
        return scheduling.book(practice, BookingRequest(client_id=ids[who], start=local(start),
                                                        service_id=strict))
    with pytest.raises(BookingConflict, match="notice"):
        book("2026-11-23T10:00")  # 73 hours away
    with pytest.raises(BookingConflict, match="can only be booked on Mon, Tue, Wed, Thu"):
        book("2026-11-27T10:00")  # Friday
    # The service's hours on the language's clock, as the working hours are said.
    with pytest.raises(BookingConflict, match="9:00\u202fAM–5:00\u202fPM"):
        book("2026-11-25T16:30")
    with i18n.speaking("pt_BR"), pytest.raises(BookingConflict, match="09:00–17:00"):
        book("2026-11-25T16:30")
    book("2026-11-25T10:00")
    with pytest.raises(BookingConflict, match="limited to 1 per day"):
        book("2026-11-25T14:00", "joao")


def test_override_books_anyway_and_is_audited(practice: Practice, ids: dict) -> None:
    first = scheduling.book(practice, req(ids, "2026-11-23T10:00"))
    second = scheduling.book(practice, req(ids, "2026-11-23T10:30", "joao"), override=True)
    [(_, action, changes)] = history(practice, second)
    assert action == "created"
    assert changes["override"][0]["rule"] == "staff_busy"
    assert changes["override"][0]["appointment_id"] == first


def test_unknown_ids_and_bad_input(practice: Practice, ids: dict) -> None:
    with pytest.raises(NotFound, match="no client with id 999"):
        scheduling.book(practice, req({**ids, "x": 999}, "2026-11-23T10:00", "x"))
    with pytest.raises(NotFound, match="no service"):
        scheduling.book(practice, BookingRequest(client_id=ids["maria"],
                                                 start=local("2026-11-23T10:00"), service_id=77))
    with pytest.raises(InvalidInput, match="custom service needs a duration"):
        scheduling.book(practice, BookingRequest(client_id=ids["maria"],
                                                 start=local("2026-11-23T10:00"),
                                                 custom_service_name="Supervisão"))
    custom = scheduling.book(practice, BookingRequest(
        client_id=ids["maria"], start=local("2026-11-23T10:00"),
        custom_service_name="Supervisão", duration_minutes=90, price_cents=35000))
    view = queries.show(practice, custom)
    assert (view.service_name, view.duration_minutes, view.quoted_price_cents) == \
        ("Supervisão", 90, 35000)


def test_confirm_by_professional_and_by_client(practice: Practice, ids: dict) -> None:
    a = scheduling.book(practice, req(ids, "2026-11-23T10:00"))
    b = scheduling.book(practice, req(ids, "2026-11-24T10:00"))
    scheduling.confirm(practice, a)
    scheduling.confirm(practice.acting_as(audit.CLIENT), b)
    assert queries.show(practice, a).status is S.CONFIRMED
    assert history(practice, a)[-1][:2] == ("Dra. Ana", "confirm")
    assert history(practice, b)[-1] == ("client", "confirm", {"status": ["scheduled",
                                                                         "confirmed"]})


def test_cancel_keeps_the_row_with_reason_and_policy_fee(practice: Practice, ids: dict) -> None:
    settings.set_value(practice, "cancel_notice", "24h")
    settings.set_value(practice, "cancel_fee", "100,00")
    soon = scheduling.book(practice, req(ids, "2026-11-20T15:00"))   # 6 hours ahead
    later = scheduling.book(practice, req(ids, "2026-11-25T15:00"))  # days ahead
    waived = scheduling.book(practice, req(ids, "2026-11-20T17:00"))
    with pytest.raises(InvalidInput, match="needs a reason"):
        scheduling.cancel(practice, soon, reason="  ")
    scheduling.cancel(practice, soon, reason="Febre", notify=True, charge=ChargeDecision.CHARGE)
    scheduling.cancel(practice, later, reason="Viagem", charge=ChargeDecision.CHARGE)
    scheduling.cancel(practice, waived, reason="Febre", charge=ChargeDecision.WAIVE)
    v = queries.show(practice, soon)
    assert (v.status, v.cancellation_reason, v.cancellation_fee_cents, v.charge_decision) == \
        (S.CANCELLED, "Febre", 10000, "charge")
    assert queries.show(practice, later).cancellation_fee_cents == 0
    assert queries.show(practice, waived).cancellation_fee_cents == 0
    changes = history(practice, soon)[-1][2]
    assert changes["reason"] == "Febre" and changes["notify"] is True and changes["late"] is True
    # the freed time can be booked again
    scheduling.book(practice, req(ids, "2026-11-25T15:00", "joao"))


def test_reschedule_links_both_sessions(practice: Practice, ids: dict) -> None:
    old = scheduling.book(practice, req(ids, "2026-11-23T10:00"))
    scheduling.confirm(practice, old)
    new = scheduling.reschedule(practice, old, local("2026-11-24T15:00"))[old]
    o, n = queries.show(practice, old), queries.show(practice, new)
    assert (o.status, o.rescheduled_to) == (S.RESCHEDULED, new)
    assert (n.status, n.rescheduled_from, n.start) == (S.SCHEDULED, old,
                                                       local("2026-11-24T15:00"))
    moved = history(practice, old)[-1][2]
    assert moved["start"] == ["2026-11-23T13:00:00+00:00", "2026-11-24T18:00:00+00:00"]
    assert history(practice, new)[0][2]["rescheduled_from"] == old


def test_reschedule_may_overlap_its_own_old_time(practice: Practice, ids: dict) -> None:
    old = scheduling.book(practice, req(ids, "2026-11-23T10:00"))
    new = scheduling.reschedule(practice, old, local("2026-11-23T10:30"))[old]
    assert queries.show(practice, new).start == local("2026-11-23T10:30")


def test_reschedule_into_a_conflict_changes_nothing(practice: Practice, ids: dict) -> None:
    a = scheduling.book(practice, req(ids, "2026-11-23T10:00"))
    scheduling.book(practice, req(ids, "2026-11-23T14:00", "joao"))
    before = snapshot(practice)
    with pytest.raises(BookingConflict, match="busy"):
        scheduling.reschedule(practice, a, local("2026-11-23T14:20"))
    assert snapshot(practice) == before


def test_complete_and_no_show_need_the_session_to_have_begun(
        practice: Practice, ids: dict, clock: FrozenClock) -> None:
    a = scheduling.book(practice, req(ids, "2026-11-23T10:00"))
    b = scheduling.book(practice, req(ids, "2026-11-23T14:00"))
    with pytest.raises(IllegalTransition, match="once it has begun"):
        scheduling.complete(practice, a)
    with pytest.raises(IllegalTransition, match="once it has begun"):
        scheduling.no_show(practice, b)
    clock.set(local("2026-11-23T16:00"))
    scheduling.complete(practice, a, actual_price_cents=18000, internal_notes="Boa evolução")
    scheduling.no_show(practice, b)
    va, vb = queries.show(practice, a), queries.show(practice, b)
    assert (va.status, va.actual_price_cents, va.internal_notes) == \
        (S.COMPLETED, 18000, "Boa evolução")
    assert vb.status is S.NO_SHOW


ACTIONS = {
    "confirm": lambda p, i: scheduling.confirm(p, i),
    "cancel": lambda p, i: scheduling.cancel(p, i, reason="x"),
    "reschedule": lambda p, i: scheduling.reschedule(p, i, local("2026-11-27T16:00")),
    "complete": lambda p, i: scheduling.complete(p, i),
    "no_show": lambda p, i: scheduling.no_show(p, i),
}
REACH = {  # how to bring a fresh session into each status
    S.CONFIRMED: ["confirm"], S.COMPLETED: ["complete"], S.CANCELLED: ["cancel"],
    S.RESCHEDULED: ["reschedule"], S.NO_SHOW: ["no_show"],
}
LEGAL = {S.CONFIRMED: {"cancel", "reschedule", "complete", "no_show"}}


@pytest.mark.parametrize("status", list(REACH))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_illegal_transitions_are_refused(practice: Practice, ids: dict, clock: FrozenClock,
                                         status: S, action: str) -> None:
    a = scheduling.book(practice, req(ids, "2026-11-23T10:00"))
    clock.set(local("2026-11-23T12:00"))  # after the session, so every action is timely
    for step in REACH[status]:
        ACTIONS[step](practice, a)
    assert queries.show(practice, a).status is status
    if action in LEGAL.get(status, set()):
        return
    before = snapshot(practice)
    with pytest.raises(IllegalTransition, match=f"Session #{a} is "):
        ACTIONS[action](practice, a)
    assert snapshot(practice) == before


def test_history_reads_like_a_story(practice: Practice, ids: dict, clock: FrozenClock) -> None:
    a = scheduling.book(practice, req(ids, "2026-11-23T10:00"))
    scheduling.confirm(practice.acting_as("client"), a)
    clock.advance(timedelta(hours=1))
    b = scheduling.reschedule(practice, a, local("2026-11-23T15:00"))[a]
    clock.set(local("2026-11-23T16:00"))
    scheduling.complete(practice, b, actual_price_cents=20000)
    assert [(h[0], h[1]) for h in history(practice, a)] == [
        ("Dra. Ana", "created"), ("client", "confirm"), ("Dra. Ana", "reschedule")]
    assert [h[1] for h in history(practice, b)] == ["created", "complete"]
    with practice.db.read() as s:
        for event in s.exec(select(AuditEvent)):
            json.loads(event.changes)  # every entry is valid JSON


def test_a_completion_or_no_show_is_undone_the_same_day_and_not_after(
        practice: Practice, ids: dict, clock: FrozenClock) -> None:
    from zoneinfo import ZoneInfo

    from app.services import history as sentences

    completed = scheduling.book(practice, req(ids, "2026-11-23T10:00"))
    missed = scheduling.book(practice, req(ids, "2026-11-23T14:00", "joao"))
    scheduling.confirm(practice, completed)
    clock.set(local("2026-11-23T15:00"))
    scheduling.complete(practice, completed, actual_price_cents=18000,
                        internal_notes="Boa evolução")
    scheduling.no_show(practice, missed)

    assert scheduling.undo_outcome(practice, completed) is S.CONFIRMED
    view = queries.show(practice, completed)
    assert (view.status, view.actual_price_cents, view.internal_notes) == (
        S.CONFIRMED, None, "Boa evolução")  # the notes written stay
    actor, action, changes = history(practice, completed)[-1]
    assert (actor, action, changes["status"], changes["undoes"]) == (
        "Dra. Ana", "undo", ["completed", "confirmed"], "complete")
    zone = ZoneInfo("America/Sao_Paulo")
    said = sentences.sentence(queries.show(practice, completed).history[-1], zone, "BRL")
    assert said == "Dra. Ana undid the completion: the session is confirmed again."
    # Completed again, properly this time.
    scheduling.complete(practice, completed, actual_price_cents=20000)
    assert queries.show(practice, completed).actual_price_cents == 20000

    assert scheduling.undo_outcome(practice, missed) is S.SCHEDULED
    said = sentences.sentence(queries.show(practice, missed).history[-1], zone, "BRL")
    assert said == "Dra. Ana undid the no-show: the session is scheduled again."
    scheduling.no_show(practice, missed)

    # The next day the record stands: refused, and nothing changes.
    clock.set(local("2026-11-24T08:00"))
    before = snapshot(practice)
    for a in (completed, missed):
        assert scheduling.undo_blocked(practice, a) is not None
        with pytest.raises(IllegalTransition, match="only be undone on the day"):
            scheduling.undo_outcome(practice, a)
    assert snapshot(practice) == before
    # Only outcomes can be undone.
    other = scheduling.book(practice, req(ids, "2026-11-25T10:00"))
    with pytest.raises(IllegalTransition, match="only a completion or a no-show"):
        scheduling.undo_outcome(practice, other)
    assert snapshot(practice)[1] == before[1] + 1  # only the booking was written


def test_a_year_typed_wrong_is_asked_about_before_booking(practice: Practice,
                                                          ids: dict) -> None:
    before = snapshot(practice)
    with pytest.raises(BookingConflict) as caught:
        scheduling.book(practice, req(ids, "2202-11-23T10:00"))
    assert [c.rule for c in caught.value.conflicts] == ["far_ahead"]
    assert "more than two years away: check the year" in str(caught.value.conflicts[0].message)
    assert snapshot(practice) == before
    # Meant it: a second, explicit yes books it, audited as overridden.
    far = scheduling.book(practice, req(ids, "2028-11-23T10:00"), override=True)
    assert queries.show(practice, far).history[0].changes["override"][0]["rule"] == "far_ahead"
    # Within two years: no question.
    scheduling.book(practice, req(ids, "2028-06-05T10:00"))


def test_a_move_to_the_same_time_and_professional_is_refused(practice: Practice,
                                                             ids: dict) -> None:
    a = scheduling.book(practice, req(ids, "2026-12-02T13:00"))
    before = snapshot(practice)
    with pytest.raises(InvalidInput, match=f"Session #{a} is already at .* choose another"):
        scheduling.reschedule(practice, a, local("2026-12-02T13:00"))
    staff = queries.show(practice, a).staff_id
    with pytest.raises(InvalidInput, match="already at"):
        scheduling.reschedule(practice, a, local("2026-12-02T13:00"), staff_id=staff)
    assert snapshot(practice) == before
    # The same time with another professional is a real change.
    other = catalog.add_staff(practice, name="Dr. Beto").id
    new = scheduling.reschedule(practice, a, local("2026-12-02T13:00"), staff_id=other)[a]
    assert queries.show(practice, new).staff_id == other


def test_a_confirmation_goes_back_to_scheduled_with_its_notice_held(
        practice: Practice, ids: dict, clock: FrozenClock) -> None:
    from app.models.enums import Channel
    from app.services import clients, config, reminders

    for key, value in {"smtp.host": "127.0.0.1", "smtp.from": "agenda@example.com",
                       "reminders.default": "email:1440"}.items():
        config.set_value(practice, key, value)
    ids["maria"] = clients.add(practice, name="Maria Souza", phone="+55 11 91234-0000",
                               email="maria@example.com",
                               consent=[Channel.EMAIL]).id
    a = scheduling.book(practice, req(ids, "2026-11-23T10:00"))
    assert scheduling.unconfirm_blocked(practice, S.SCHEDULED, local("2026-11-23T10:00"))
    with pytest.raises(IllegalTransition, match="Only a confirmed session"):
        scheduling.unconfirm(practice, a)
    scheduling.confirm(practice, a)
    notice = [m for m in reminders.list_for(practice, a) if m.kind == "confirmation"]
    assert [m.state for m in notice] == ["pending"]
    waiting = {m.id for m in reminders.list_for(practice, a)
               if m.kind == "reminder" and m.state == "pending"}
    scheduling.unconfirm(practice, a)
    assert queries.show(practice, a).status is S.SCHEDULED
    assert history(practice, a)[-1] == ("Dra. Ana", "unconfirm",
                                        {"status": ["confirmed", "scheduled"]})
    after = {m.id: m for m in reminders.list_for(practice, a)}
    assert after[notice[0].id].state == "cancelled"
    assert "confirmation was undone" in (after[notice[0].id].last_error or "")
    assert {i for i, m in after.items() if m.kind == "reminder" and m.state == "pending"} \
        == waiting
    # It can be confirmed again, and once begun the outcome is recorded instead.
    scheduling.confirm(practice, a)
    clock.set(local("2026-11-23T10:05"))
    with pytest.raises(IllegalTransition, match="has begun"):
        scheduling.unconfirm(practice, a)
