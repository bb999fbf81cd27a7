"""The people of a practice: who may be using one of its computers, with their
role, and the pure rule of whose internal notes (a professional's clinical notes
on a session) each may read.

A person is a professional (a Staff row) or someone at the reception (a name in
the practice's `team.reception`). "system", the worker, "client via link" and
"import" are not people: they act for the practice and nothing is withheld from
them. A computer of a shared practice that has not said who uses it acts as
UNNAMED: it reads no internal notes until it says."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    PROFESSIONAL = "professional"
    RECEPTION = "reception"
    UNNAMED = "unnamed"  # not a person's role: a computer that has not said who uses it


@dataclass(frozen=True)
class Person:
    name: str
    role: Role
    staff_id: int | None = None  # the professional's Staff row; None for anyone else


def same_name(a: str, b: str) -> bool:
    """Names compared as people type them: case and spaces do not matter."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def may_read_notes(person: Person | None, *, staff_id: int, client_id: int,
                   own_clients: Collection[int], shared: bool) -> bool:
    """Whether `person` may read (and write) the internal notes of a session held by
    professional `staff_id` with client `client_id`.

    - None (the practice itself: system, worker, link, import, or the owner of a
      practice of one): always.
    - Reception, or a computer that has not said who uses it: never.
    - A professional: on their own sessions always; on another professional's
      session when the client is also theirs (`own_clients`: the clients they have
      or had a session with that was not called off — see people.own_clients), or
      when the practice shares notes between professionals (`shared`)."""
    if person is None:
        return True
    if person.role is not Role.PROFESSIONAL or person.staff_id is None:
        return False
    return shared or staff_id == person.staff_id or client_id in own_clients
