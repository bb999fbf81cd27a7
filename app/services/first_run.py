"""The first run: what a new practice needs before its first booking — its name,
time zone and country, its professionals, its weekly hours, its services, its
default reminders, and the people who use it — proposed from what the computer
knows, checked whole, then saved.

`needed()` says when the window should offer the assistant (an empty practice
that has neither finished nor skipped it); `proposal()` fills the assistant;
`apply()` checks every answer before saving any, so a refused answer leaves the
practice as it was."""

from __future__ import annotations

import locale
import os
from dataclasses import dataclass, field

from sqlmodel import select

from app.i18n import _
from app.models.hours import WEEKDAY_KEYS
from app.models.tables import Appointment, AuditEvent, Client
from app.services import catalog, config, people, settings
from app.services.errors import InvalidInput
from app.services.practice import Practice
from app.services.settings import check_hours

STATE = "setup.state"  # "", "done" or "skipped"
PROPOSED_MINUTES = 50  # a therapy session, not 5 minutes


@dataclass(frozen=True)
class Person:
    name: str
    colour: str = ""
    id: int | None = None  # an existing professional


@dataclass(frozen=True)
class ServiceDraft:
    name: str
    duration_minutes: int = PROPOSED_MINUTES
    price_cents: int = 0


@dataclass(frozen=True)
class Setup:
    name: str
    timezone: str
    country: str
    language: str  # "" follows the system
    professionals: tuple[Person, ...]
    reception: tuple[str, ...] = ()
    hours: dict[str, str] = field(default_factory=dict)  # "mon" -> "08:00-12:00,…" | "closed"
    services: tuple[ServiceDraft, ...] = ()
    reminders: str = ""  # as config's reminders.default: "whatsapp:1440,email:120"

    def people(self) -> list[str]:
        """Everyone who may use a computer of the practice, professionals first."""
        return [p.name for p in self.professionals if p.name] + list(self.reception)


def needed(p: Practice) -> bool:
    """An empty practice (no client, no session) whose set-up was neither
    finished nor skipped."""
    if config.get(p, STATE):
        return False
    with p.db.read() as s:
        return s.exec(select(Client.id)).first() is None and \
            s.exec(select(Appointment.id)).first() is None


def system_country() -> str:
    """The country of the computer's locale ("pt_BR.UTF-8" → BR), else BR."""
    for var in ("LC_ALL", "LC_TIME", "LANG"):
        value = os.environ.get(var, "")
        if "_" in value:
            return value.split("_", 1)[1][:2].upper()
    code = locale.getlocale()[0] or ""
    return code.split("_", 1)[1][:2].upper() if "_" in code else "BR"


def proposal(p: Practice) -> Setup:
    """What the assistant shows first: the practice as it is, with a 50-minute
    service proposed, and — for a new, empty practice whose settings nobody has
    saved yet — the computer's country. A practice in use, or one told its
    settings (`practice settings set country BR`, Configurações), keeps its own:
    the assistant must not move it to another country's phone numbers."""
    view = settings.get(p)
    staff = catalog.list_staff(p)
    services = catalog.list_services(p)
    country = system_country() if needed(p) and not _settings_saved(p) else view.country
    return Setup(
        name="" if view.name == "Practice" else view.name, timezone=view.timezone,
        country=country, language=view.language,
        professionals=tuple(Person("" if s.name in _stand_in_names() else s.name, s.color, s.id)
                            for s in staff),
        reception=tuple(n for n in config.get(p, "team.reception").split(",") if n),
        hours=dict(view.hours),
        services=tuple(ServiceDraft(s.name, s.duration_minutes, s.price_cents)
                       for s in services) or (ServiceDraft(_("Individual session")),),
        reminders=config.get(p, "reminders.default"))


def _settings_saved(p: Practice) -> bool:
    """Whether a person has saved the practice's settings (any of them, even to the
    value they had: each save is in the audit trail)."""
    with p.db.read() as s:
        return s.exec(select(AuditEvent.id).where(
            AuditEvent.entity == "settings",
            AuditEvent.action == "settings_changed")).first() is not None


def _stand_in_names() -> set[str]:
    return people.stand_in_names()


def _check(setup: Setup) -> None:
    if not setup.name.strip():
        raise InvalidInput(_("The practice needs a name."))
    named = [person for person in setup.professionals if person.name.strip()]
    if not named:
        raise InvalidInput(_("Add at least one professional."))
    for day, spec in setup.hours.items():
        if day not in WEEKDAY_KEYS:
            raise InvalidInput(_("Unknown day '{day}'.").format(day=day))
        check_hours(f"{day} {spec}")
    for sv in setup.services:
        if not sv.name.strip():
            raise InvalidInput(_("Every service needs a name."))
        if not 5 <= sv.duration_minutes <= 24 * 60:
            raise InvalidInput(_("A service lasts between 5 minutes and 24 hours."))
        if sv.price_cents < 0:
            raise InvalidInput(_("A price cannot be negative."))
    config.parse_reminders(setup.reminders, strict=True)


def apply(p: Practice, setup: Setup) -> None:
    """Save the answers. Every answer is checked before anything is saved; raises
    InvalidInput naming the first one refused."""
    _check(setup)
    changes = [("name", setup.name), ("timezone", setup.timezone),
               ("country", setup.country), ("language", setup.language)]
    changes += [("hours", f"{day} {spec}") for day, spec in setup.hours.items()]
    # Settings parse their own values: a wrong zone or country is refused here,
    # before any professional or service is written.
    settings.set_values(p, changes)
    existing = {s.id: s for s in catalog.list_staff(p)}
    for person in setup.professionals:
        if not person.name.strip():
            continue
        if person.id in existing:
            catalog.rename_staff(p, person.id, person.name, person.colour or None)
        else:
            catalog.add_staff(p, name=person.name, color=person.colour or None)
    known = {s.name.casefold() for s in catalog.list_services(p)}
    for sv in setup.services:
        if sv.name.strip().casefold() not in known:
            catalog.add_service(p, name=sv.name, duration_minutes=sv.duration_minutes,
                                price_cents=sv.price_cents)
    config.set_values(p, {"reminders.default": setup.reminders,
                          "team.reception": ",".join(n.strip() for n in setup.reception
                                                     if n.strip()),
                          STATE: "done"})


def skip(p: Practice) -> None:
    """The assistant closed without finishing: not offered again on its own
    (Configurações keeps it)."""
    if not config.get(p, STATE):
        config.set_value(p, STATE, "skipped")
