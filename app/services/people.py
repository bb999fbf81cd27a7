"""The practice's people and what each may read: the professionals (Staff rows)
and the reception (config `team.reception`), each with a role; who may read and
write sessions' internal notes (the rule is app/models/people.may_read_notes).

A client is a professional's when the professional has or had a session with
them that was not called off: scheduled, confirmed, completed or a no-show. A
session cancelled or moved away does not make the client theirs (a booking made
with the wrong professional and cancelled gives them no access); the session it
was moved to does, for its own professional. The practice's setting
`notes.shared` ("on") lets every professional read every professional's notes.
Reception never reads them, whatever the setting."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app import i18n, models
from app.i18n import _
from app.models.enums import AppointmentStatus
from app.models.people import Person, Role, may_read_notes, same_name
from app.models.plain_tables import appointment
from app.services import this_computer
from app.services.errors import InvalidInput, NotAllowed
from app.services.practice import Practice

NOTES_SHARED = "notes.shared"  # "on": professionals read each other's internal notes
WITHHELD = "internal_notes_withheld"  # the key a view or a trail entry says it with
CALLED_OFF = (AppointmentStatus.CANCELLED, AppointmentStatus.RESCHEDULED)


def people_in(s: Session) -> list[Person]:
    """The practice's people, professionals first (in the order they were added),
    then the reception as listed. A name given twice is one person, the first."""
    from app.services import config  # (its table and checks: not on the window's start path)

    found: list[Person] = []
    for st in s.exec(select(models.Staff).order_by(col(models.Staff.id))):
        found.append(Person(st.name, Role.PROFESSIONAL, st.id))
    for name in config.read_all(s)["team.reception"].split(","):
        if name.strip():
            found.append(Person(" ".join(name.split()), Role.RECEPTION))
    unique: list[Person] = []
    for person in found:
        if not any(same_name(person.name, u.name) for u in unique):
            unique.append(person)
    return unique


def list_people(p: Practice) -> list[Person]:
    """Everyone who may say they are using one of the practice's computers."""
    with p.db.read() as s:
        return people_in(s)


def find(people: Sequence[Person], name: str) -> Person | None:
    """The person of that name (case and spaces do not matter), or None."""
    return next((person for person in people if same_name(person.name, name)), None)


def role_word(role: Role) -> str:
    return {Role.PROFESSIONAL: _("professional"), Role.RECEPTION: _("reception"),
            Role.UNNAMED: _("not said")}[role]


def described(person: Person) -> str:
    """"Ana Lima — professional": how a person is offered and shown."""
    return _("{name} — {role}").format(name=person.name, role=role_word(person.role))


def named(p: Practice, name: str) -> Person:
    """The person of the practice called `name`. Raises InvalidInput, listing who
    may be named, for anyone else."""
    people = list_people(p)
    person = find(people, name)
    if person is None:
        raise InvalidInput(_("“{name}” is not one of this practice's people; name one of: "
                             "{people}.").format(name=" ".join(name.split()),
                                                 people="; ".join(described(x)
                                                                  for x in people)))
    return person


def alone(people: Sequence[Person]) -> bool:
    """A practice of one: a single professional and no reception. Its computer is
    its owner's; it is never asked to say more, nor restricted."""
    return len(people) == 1 and people[0].role is Role.PROFESSIONAL


def stand_in_names() -> set[str]:
    """The name a new database gives its first professional, in every language: not a
    person's name (the set-up assistant asks for one; a hurried "Next" kept a
    professional called "Profissional")."""
    names = set()
    for language in i18n.SUPPORTED:
        with i18n.speaking(language):
            names.add(_("Professional"))
    return names


def offered(p: Practice) -> list[Person]:
    """The people a computer offers when asked who uses it: the practice's people
    without a professional still called by the stand-in name, unless nobody else is
    there."""
    everyone = list_people(p)
    stand_ins = stand_in_names()
    real = [x for x in everyone if not (x.role is Role.PROFESSIONAL and x.name in stand_ins)]
    return real or everyone


def of_this_computer(p: Practice) -> Person | None:
    """Who acts from this computer when nobody is named (a command without --as):
    the person this computer said uses it (File › Who is using this computer),
    else, in a practice of several people, nobody said (it reads no internal
    notes, like the window); None in a practice of one (its owner, unrestricted)."""
    everyone = list_people(p)
    said = this_computer.read(p.paths).person
    found = find(everyone, said) if said else None
    if found is not None:
        return found
    return None if alone(everyone) else unnamed(p.actor)


def unnamed(name: str) -> Person:
    """A computer of a shared practice that has not said who uses it: its changes
    are recorded in `name` (the login) and it reads no internal notes."""
    return Person(name, Role.UNNAMED)


# ---------------------------------------------------------------- internal notes

@dataclass(frozen=True)
class NotesAccess:
    """Whose internal notes the person acting may read, for one unit of work."""

    person: Person | None
    shared: bool = False
    own_clients: frozenset[int] = frozenset()

    def readable(self, staff_id: int, client_id: int) -> bool:
        return may_read_notes(self.person, staff_id=staff_id, client_id=client_id,
                              own_clients=self.own_clients, shared=self.shared)

    def notes(self, text: str, staff_id: int, client_id: int) -> tuple[str, bool]:
        """(the notes, withheld): ("", True) when the person may not read them."""
        return (text, False) if self.readable(staff_id, client_id) else ("", True)

    def changes(self, changes: Mapping[str, Any], staff_id: int,
                client_id: int) -> dict[str, Any]:
        """An audit entry's changes as this person may read them: the old → new
        internal notes replaced by {WITHHELD: True} when withheld."""
        out = dict(changes)
        if "internal_notes" in out and not self.readable(staff_id, client_id):
            del out["internal_notes"]
            out[WITHHELD] = True
        return out


EVERYTHING = NotesAccess(None)


def notes_access(s: Session, p: Practice, clients: Collection[int] | None = None
                 ) -> NotesAccess:
    """What the person acting may read in this unit of work. `clients`: the only
    clients whose sessions it will be asked about (the rows just read), so a
    professional's own clients are looked up among those alone; None: any."""
    person = p.person
    if person is None:
        return EVERYTHING
    if person.role is not Role.PROFESSIONAL or person.staff_id is None:
        return NotesAccess(person)
    from app.services import config  # (its table and checks: not on the window's start path)

    if config.read_one(s, NOTES_SHARED) == "on":
        return NotesAccess(person, shared=True)
    return NotesAccess(person, own_clients=own_clients(s, person.staff_id, clients))


# A list of clients longer than this is asked as "all of them": a statement holds
# a limited number of values, and past a few hundred the index range is as quick.
AMONG_AT_MOST = 500


def own_clients(s: Session, staff_id: int, among: Collection[int] | None = None
                ) -> frozenset[int]:
    """The clients professional `staff_id` has or had a session with that was not
    called off (see the module's docstring); only those of `among`, where given.
    Read from the index on (professional, client, status) alone: ~0.1 ms for a page
    of a list, ~3 ms for all of a professional's 20,000 sessions (it was ~60 ms,
    on every page and every week turned, for a professional using the window)."""
    sessions = appointment  # the plain table: a page asks this, and the ORM's work was most of it
    query = core_select(sessions.c.client_id).where(
        sessions.c.staff_id == staff_id, sessions.c.status.not_in(CALLED_OFF)).distinct()
    if among is not None and len(among) <= AMONG_AT_MOST:
        if not among:
            return frozenset()
        query = query.where(sessions.c.client_id.in_(set(among)))
    s.flush()  # what `s` holds unwritten is read too
    return frozenset(s.connection().execute(query).scalars())


def check_may_write_notes(s: Session, p: Practice, a: models.Appointment) -> None:
    """Raises NotAllowed, saying why, when the person acting may not write the
    internal notes of session `a`."""
    access = notes_access(s, p, (a.client_id,))
    if access.readable(a.staff_id, a.client_id):
        return
    person = access.person
    assert person is not None
    if person.role is Role.UNNAMED:
        raise NotAllowed(_("Say who is using this computer (File › Who is using this "
                           "computer…) before writing internal notes. Nothing was changed."))
    if person.role is Role.RECEPTION:
        raise NotAllowed(_("Internal notes are the professionals' own: {name} (reception) "
                           "cannot write them. Nothing was changed.").format(name=person.name))
    raise NotAllowed(_("Session #{id} is with a client of another professional: {name} writes "
                       "internal notes only on their own clients' sessions. Nothing was "
                       "changed.").format(id=a.id, name=person.name))

