"""`practice demo`: a believable practice to explore. It is made through the same
services a person uses, with the clock stepped to each moment, so every session's
history (booked, confirmed, moved, cancelled, completed) is genuine."""

from __future__ import annotations

import random
import unicodedata
from contextlib import suppress
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from sqlmodel import select

from app.i18n import _
from app.models.enums import Channel, ChargeDecision, RepeatFrequency
from app.models.tables import Appointment, Client
from app.services import audit, availability, catalog, clients, scheduling, settings
from app.services.clock import FrozenClock
from app.services.errors import InvalidInput, PracticeError
from app.services.practice import Practice

CLIENT_NAMES = [
    "Ana Beatriz Lima", "Bruno Carvalho", "Camila Rocha", "Daniel Moreira", "Eduarda Nunes",
    "Felipe Araújo", "Gabriela Teixeira", "Henrique Barros", "Isabela Freitas", "João Pedro Alves",
    "Karina Mendes", "Lucas Ribeiro", "Mariana Costa", "Nicolas Duarte", "Olívia Martins",
    "Paulo Henrique Dias", "Rafaela Gomes", "Samuel Pires", "Tatiana Correia", "Vinícius Lopes",
    "Yasmin Cardoso", "André Fernandes", "Beatriz Monteiro", "Caio Azevedo", "Débora Pinto",
    "Eduardo Vieira", "Fernanda Cunha", "Gustavo Ramos", "Helena Batista", "Igor Santana",
    "Juliana Farias", "Leonardo Castro", "Larissa Melo", "Matheus Borges", "Natália Campos",
    "Otávio Rezende", "Priscila Macedo", "Renato Siqueira", "Sofia Andrade", "Thiago Moura",
]
CANCEL_REASONS = [
    "Cliente com febre", "Viagem de trabalho", "Conflito de horário no trabalho",
    "Problema com o transporte", "Compromisso familiar", "Consulta médica no mesmo horário",
]
SLOT_STARTS = [time(8), time(9), time(10), time(11), time(13), time(14), time(15), time(16),
               time(17), time(18)]


def fill(p: Practice, *, seed: int = 7, today: date | None = None) -> dict[str, int]:
    with p.db.read() as s:
        if s.exec(select(Client.id)).first() or s.exec(select(Appointment.id)).first():
            raise InvalidInput(_("This database already has clients or sessions; "
                                 "the demo only fills an empty one."))
    rng = random.Random(seed)
    real_now = p.clock.now()
    clock = FrozenClock(real_now - timedelta(days=120))
    q = replace(p, clock=clock, actor="Dra. Ana Souza")
    zone = settings.get(p).zone
    today = today or real_now.astimezone(zone).date()

    settings.set_value(q, "name", "Consultório Bem-Estar")
    settings.set_value(q, "hours", "mon-fri 08:00-12:00,13:00-19:00")
    settings.set_value(q, "cancel_notice", "24h")
    settings.set_value(q, "cancel_fee", "100")
    staff = catalog.list_staff(q)[0]
    catalog.rename_staff(q, staff.id, "Dra. Ana Souza")
    therapy = catalog.add_service(q, name="Psicoterapia individual", duration_minutes=50,
                                  price_cents=20000, buffer_after_minutes=10)
    intake = catalog.add_service(q, name="Avaliação inicial", duration_minutes=50,
                                 price_cents=28000, min_notice_minutes=24 * 60)
    couple = catalog.add_service(q, name="Terapia de casal", duration_minutes=50,
                                 price_cents=32000, buffer_after_minutes=10,
                                 bookable_days="mon-thu")
    brief = catalog.add_service(q, name="Retorno breve", duration_minutes=30, price_cents=12000,
                                max_per_day=4)
    services = [therapy, therapy, therapy, intake, couple, brief]

    client_ids: list[int] = []
    for i, name in enumerate(CLIENT_NAMES):
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        first = plain.split()[0].lower()
        phone = f"+55 11 9{rng.randint(6000, 9999)}-{rng.randint(1000, 9999)}"
        email = f"{first}.{i + 1}@example.com" if rng.random() < 0.8 else None
        consent = [Channel.WHATSAPP] + ([Channel.EMAIL] if email else [])
        client_ids.append(clients.add(q, name=name, phone=phone, email=email,
                                      consent=consent).id)

    start_day, end_day = today - timedelta(days=45), today + timedelta(days=45)
    booked: list[tuple[int, datetime, int]] = []  # (id, start, duration)

    # Weekly clients: the backbone of a therapy practice.
    for client_id in client_ids[:8]:
        first_day = start_day + timedelta(days=rng.randint(0, 6))
        slot = rng.choice(SLOT_STARTS)
        when = datetime.combine(first_day, slot, tzinfo=zone)
        clock.set(when - timedelta(days=3))
        req = scheduling.BookingRequest(client_id=client_id, start=when, service_id=therapy.id)
        result = scheduling.book_series(q, req, scheduling.Repeat(RepeatFrequency.WEEKLY,
                                                                  count=13))
        booked += [(i, when, 50) for i in result.ids]

    # Single sessions on most free hours.
    day = start_day
    while day <= end_day:
        if day.weekday() < 5:
            for slot in rng.sample(SLOT_STARTS, k=rng.randint(3, 6)):
                sv = rng.choice(services)
                when = datetime.combine(day, slot, tzinfo=zone)
                clock.set(when - timedelta(days=rng.randint(2, 20)))
                req = scheduling.BookingRequest(client_id=rng.choice(client_ids[8:]),
                                                start=when, service_id=sv.id)
                with suppress(PracticeError):  # taken: that hour is simply busier
                    booked.append((scheduling.book(q, req), when, sv.duration_minutes))
        day += timedelta(days=1)

    for appointment_id, when, minutes in sorted(booked, key=lambda b: b[1]):
        _live(q, clock, rng, appointment_id, when, minutes, real_now)

    clock.set(real_now)
    with p.db.read() as s:
        count = len(s.exec(select(Appointment.id)).all())
    return {"clients": len(client_ids), "appointments": count}


def _live(q: Practice, clock: FrozenClock, rng: random.Random, appointment_id: int,
          when: datetime, minutes: int, real_now: datetime) -> None:
    """What happened to one session, each step at its own moment."""
    start = _start_if_active(q, appointment_id)
    if start is None:
        return  # already moved or cancelled as part of its series
    when = start
    past = when + timedelta(minutes=minutes) <= real_now
    roll = rng.random()
    try:
        if roll < 0.09:
            clock.set(when - timedelta(hours=rng.choice([3, 12, 30, 72])))
            if clock.now() < real_now:
                scheduling.cancel(q, appointment_id, reason=rng.choice(CANCEL_REASONS),
                                  notify=True, charge=rng.choice(list(ChargeDecision)))
                return
        if roll < 0.16:
            clock.set(when - timedelta(days=2))
            if clock.now() < real_now:
                _move(q, rng, appointment_id, when)
                return
        # Clients confirm in the last days before a session.
        if when - timedelta(days=5) <= real_now and rng.random() < 0.7:
            clock.set(min(when - timedelta(hours=rng.randint(2, 30)),
                          real_now - timedelta(minutes=rng.randint(5, 600))))
            actor = audit.CLIENT if rng.random() < 0.5 else q.actor
            scheduling.confirm(q.acting_as(actor), appointment_id)
        if past:
            clock.set(when + timedelta(minutes=minutes + 5))
            if rng.random() < 0.1:
                scheduling.no_show(q, appointment_id)
            else:
                scheduling.complete(q, appointment_id,
                                    internal_notes=rng.choice(["", "", "Evolução positiva.",
                                                               "Retomar tema na próxima sessão."]))
    except PracticeError:
        pass


def _start_if_active(q: Practice, appointment_id: int) -> datetime | None:
    with q.db.read() as s:
        a = s.get(Appointment, appointment_id)
        return a.start if a is not None and a.status.value in ("scheduled", "confirmed") else None


def _move(q: Practice, rng: random.Random, appointment_id: int, when: datetime) -> None:
    zone = settings.get(q).zone
    for offset in (2, 3, 4, 5, 6, 7):
        day = (when + timedelta(days=offset)).astimezone(zone).date()
        slots = availability.free_slots(q, day, step_minutes=60)
        if slots:
            scheduling.reschedule(q, appointment_id, rng.choice(slots))
            return
