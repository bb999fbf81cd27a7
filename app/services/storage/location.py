"""Which database this computer opens: `PRACTICE_DATABASE_URL` when set, else
the practice's server this computer was connected to (`practice database
connect`, kept in the data folder without its password, which is in the
keyring), else the SQLite file in the data folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError

from app.i18n import _
from app.services import this_computer
from app.services.errors import InvalidInput
from app.services.paths import DataPaths
from app.services.storage import engines

ENV = "PRACTICE_DATABASE_URL"
PASSWORD = "database.password"  # the keyring's name for the server's password


@dataclass(frozen=True)
class Location:
    url: URL  # with the password, when one is needed: never shown or logged as is
    source: str  # "env", "this-computer" or "file"

    @property
    def on_server(self) -> bool:
        return engines.is_server(self.url)

    @property
    def shown(self) -> str:
        """The URL as a person may see it: the password masked."""
        return self.url.render_as_string(hide_password=True)

    def target(self, paths: DataPaths) -> Path | URL:
        return self.url if self.on_server else paths.database


def server_url(text: str) -> URL:
    """A PostgreSQL server's URL as typed (postgresql://user@host[:port]/database,
    postgresql+psycopg:// too). Raises InvalidInput with what to change."""
    try:
        url = make_url(text.strip())
    except ArgumentError:
        raise InvalidInput(_("'{text}' is not a server address: write it as "
                             "postgresql://user@computer/database.").format(
            text=text.strip()[:200])) from None
    if url.get_backend_name() != "postgresql" or url.drivername not in (
            "postgresql", "postgresql+psycopg"):
        raise InvalidInput(_("Practice Desk shares a practice through a PostgreSQL server: "
                             "the address starts with postgresql://."))
    if not url.host or not url.database or not url.username:
        raise InvalidInput(_("The address needs the user, the server's computer and the "
                             "database: postgresql://user@computer/database."))
    return url.set(drivername="postgresql+psycopg")


def locate(paths: DataPaths) -> Location:
    """Where this computer's practice lives. Raises InvalidInput when the
    environment names something that is not a PostgreSQL server."""
    env = os.environ.get(ENV, "").strip()
    if env:
        url = server_url(env)
        if url.password is None:
            url = _with_password(url)
        return Location(url, "env")
    saved = this_computer.read(paths).database_url
    if saved:
        return Location(_with_password(server_url(saved)), "this-computer")
    return Location(engines.sqlite_url(paths.database), "file")


def _with_password(url: URL) -> URL:
    from app.services import secrets  # the keyring only for a server's address

    try:
        stored = secrets.load(PASSWORD)
    except secrets.SecretsUnavailable:
        stored = None  # a server that trusts this computer needs none
    return url.set(password=stored) if stored else url


def moved_from(paths: DataPaths, opened: Location) -> str | None:
    """Whether this computer now opens another database than `opened` (the data
    folder's choice changed since: `practice database move-to`, `connect`,
    `disconnect`, or the same from another window): the sentence saying so, or
    None. The environment cannot change under a running process."""
    if opened.source == "env":
        return None
    saved = this_computer.read(paths).database_url
    if opened.source == "file":
        if not saved:
            return None
        now = server_url(saved).render_as_string(hide_password=True)
    else:
        try:
            same = bool(saved) and _server_of(server_url(saved)) == _server_of(opened.url)
        except InvalidInput:
            same = False
        if same:
            return None
        now = server_url(saved).render_as_string(hide_password=True) if saved \
            else str(paths.database)
    return _("This computer now opens the practice at {where}; this window (or command) "
             "still has the one it opened first, and changes nothing there. Reopen it to "
             "go on.").format(where=now)


def _server_of(url: URL) -> tuple[object, ...]:
    """Which server and database, whatever password (URL.set cannot take one out)."""
    return (url.get_backend_name(), url.username, url.host, url.port, url.database)
