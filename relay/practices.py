"""The practices a relay serves, kept in its database (relay.store.practice_rows).

A practice is added by `practice-relay practice add` and gets a pairing code;
the desktop trades the code for the practice's API key and link secret (POST
/api/v1/pair), once. Practices given in RELAY_PRACTICES_FILE or by the
single-practice variables (relay.config) are imported on start, and a changed
file updates them. Every change bumps relay_meta's "practices" row, which each
relay process sharing the database watches (relay.server.Practices), so a
practice added or re-paired in another process is served without a restart.

Pairing codes are 20 characters of Crockford's base32 (100 random bits; no I, L,
O or U, https://www.crockford.com/base32.html) in groups of four, read aloud or
typed in either case, with or without the dashes. A code works once, for 24
hours, and only its SHA-256 is stored; a new code for a practice replaces the
one before. Pairing again rotates the API key (the old one stops working) and
the link secret (the previous one still opens links whose session has not
started)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError, OperationalError

from relay.config import DEFAULT_PRACTICE, ConfigError, Practice, digest_of_key
from relay.store import events, meta, outcomes, practice_rows, sessions, synced

log = logging.getLogger("relay")

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
CODE_LENGTH = 20  # characters: 100 bits
CODE_GROUP = 4  # characters between dashes
CODE_LIFETIME = timedelta(hours=24)
# What a person may type for a character (Crockford's decoding).
_READ_AS = str.maketrans("OIL", "011")
MAX_NAME = 200
VERSION_ROW = "practices"  # relay_meta's row that changes with every practice change

T = TypeVar("T")


class PracticeError(ValueError):
    """A sentence for the person at the command line: what to change."""


class TwilioRefused(PracticeError):
    """A Twilio account a practice cannot be given: `reason` is "taken" (another
    practice on this relay has it) or "configured" (the practice's Twilio account
    is set in the relay's configuration)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class NewCode:
    practice_id: str
    code: str  # grouped, as printed
    expires: datetime  # UTC


@dataclass(frozen=True)
class Paired:
    practice_id: str
    api_key: str
    link_secret: str


@dataclass(frozen=True)
class Entry:
    """A practice as `practice-relay practice list` shows it: no secret, no code."""

    id: str
    name: str
    timezone: str
    source: str  # cli, file or env
    paired_at: datetime | None  # UTC; None for one never paired
    code_expires: datetime | None  # UTC, of a code not yet used (maybe past)


@dataclass(frozen=True)
class Removed:
    id: str
    name: str
    events: int  # waiting for the desktop
    answers: int  # links' answers kept
    notes: int  # what the desktop said of sessions


@dataclass(frozen=True)
class Attempt:
    """What became of a pairing attempt: paired (with the secrets to hand out
    once), or why not ("unknown" for a code unknown or used, "expired")."""

    paired: Paired | None
    refused: str = ""


# How long after a pairing the link secret it replaced still opens links: only
# links whose session starts within it (a confirmation sent at booking may name a
# session months ahead; a leaked secret cannot mint links for years).
PREVIOUS_SECRET_FOR = timedelta(days=180)


def new_code() -> str:
    """A fresh pairing code, grouped: "7K3Q-MPX9-TV2A-..." (five groups of four)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def normalized_code(text: str) -> str | None:
    """The code's 20 characters, upper case, without dashes or spaces, O read as
    0 and I or L as 1; None when the text cannot be a code."""
    cleaned = "".join(ch for ch in text.upper() if ch != "-" and not ch.isspace())
    cleaned = cleaned.translate(_READ_AS)
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


def _code_digest(normalized: str) -> str:
    return hashlib.sha256(normalized.encode("ascii")).hexdigest()


def new_secret() -> str:
    """An API key or link secret: 36 random bytes, 48 URL-safe characters."""
    return secrets.token_urlsafe(36)


def checked_name(name: str) -> str:
    """A practice's name as shown on its clients' pages; PracticeError says what
    is wrong with it."""
    name = name.strip()
    if not name:
        raise PracticeError('The practice needs a name, e.g. --name "Clínica Aurora".')
    if len(name) > MAX_NAME:
        raise PracticeError(f"The practice's name is longer than {MAX_NAME} characters: "
                            "use a shorter one.")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise PracticeError("The practice's name has a line break or another control "
                            "character: write it on one line.")
    return name


def checked_zone(zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise PracticeError(f"{zone!r} is not a time zone: use a name from the IANA time "
                            "zone database, e.g. America/Sao_Paulo.") from None


def _slug(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:40].strip("-")
    return slug or "practice"


def _naive(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def _utc(stored: datetime | None) -> datetime | None:
    return stored.replace(tzinfo=UTC) if stored is not None else None


def _now(now: datetime | None) -> datetime:
    return _naive(now or datetime.now(UTC))


class PracticeBook:
    """The relay_practice table. Each method is one transaction; a concurrent
    writer (another relay process, the command line) makes it try again."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def version(self) -> str:
        """Changes whenever a practice is added, changed, paired or removed."""
        with self.engine.connect() as conn:
            found = conn.execute(select(meta.c.value).where(meta.c.name == VERSION_ROW)).scalar()
        return str(found or "")

    def served(self) -> tuple[str, tuple[Practice, ...]]:
        """The version read, and the practices that can be served (paired, or
        imported with their secrets)."""
        version = self.version()  # first: a change after it is seen next time
        with self.engine.connect() as conn:
            rows = conn.execute(select(practice_rows).where(
                practice_rows.c.removed_at.is_(None),
                practice_rows.c.link_secret.is_not(None),
                practice_rows.c.api_key_digest.is_not(None),
                practice_rows.c.public_key.is_not(None)).order_by(practice_rows.c.id)).all()
        found = []
        for row in rows:
            try:
                zone = ZoneInfo(row.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                log.warning("Practice %r has a time zone this server does not know (%s); "
                            "its pages show UTC until tzdata is updated.", row.id, row.timezone)
                zone = ZoneInfo("UTC")
            found.append(Practice(
                id=row.id, name=row.name, link_secret=row.link_secret.encode(), api_key="",
                public_key=bytes(row.public_key), timezone=zone,
                whatsapp_phone_number_ids=frozenset(json.loads(
                    row.whatsapp_phone_number_ids or "[]")),
                whatsapp_business_account_ids=frozenset(json.loads(
                    row.whatsapp_business_account_ids or "[]")),
                twilio_account_sid=row.twilio_account_sid,
                twilio_auth_token=row.twilio_auth_token,
                api_key_digest=bytes.fromhex(row.api_key_digest),
                previous_link_secret=row.previous_link_secret.encode()
                if row.previous_link_secret else None,
                previous_until=(_utc(row.paired_at) + PREVIOUS_SECRET_FOR
                                if row.previous_link_secret and row.paired_at else None)))
        return version, tuple(found)

    def entries(self) -> list[Entry]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(practice_rows).where(
                practice_rows.c.removed_at.is_(None)).order_by(
                practice_rows.c.created_at, practice_rows.c.id)).all()
        return [Entry(r.id, r.name, r.timezone, r.source,
                      _utc(r.paired_at) or (_utc(r.created_at) if r.source != "cli" else None),
                      _utc(r.code_expires) if r.code_digest else None) for r in rows]

    def add(self, name: str, timezone: str, now: datetime | None = None) -> NewCode:
        """A new practice, not yet paired, and its first pairing code.
        PracticeError for an empty name or an unknown time zone."""
        name, zone = checked_name(name), checked_zone(timezone)
        at = _now(now)

        def write(conn: Connection) -> NewCode:
            taken = set(conn.execute(select(practice_rows.c.id)).scalars())
            base = _slug(name)
            ident, n = base, 1
            while ident in taken or ident == DEFAULT_PRACTICE:
                n += 1
                ident = f"{base}-{n}"
            code = new_code()
            conn.execute(insert(practice_rows).values(
                id=ident, name=name, timezone=zone.key, source="cli",
                whatsapp_phone_number_ids="[]", whatsapp_business_account_ids="[]",
                created_at=at,
                code_digest=_code_digest(str(normalized_code(code))),
                code_expires=at + CODE_LIFETIME))
            _bump(conn)
            return NewCode(ident, code, (at + CODE_LIFETIME).replace(tzinfo=UTC))

        return self._retry(write)

    def new_code(self, practice_id: str, now: datetime | None = None) -> NewCode:
        """A new pairing code for the practice; an earlier unused one stops working.
        PracticeError for an unknown practice or one the environment configures."""
        at = _now(now)

        def write(conn: Connection) -> NewCode:
            self._own(conn, practice_id, "pair it by a code")
            code = new_code()
            conn.execute(update(practice_rows).where(practice_rows.c.id == practice_id).values(
                code_digest=_code_digest(str(normalized_code(code))),
                code_expires=at + CODE_LIFETIME))
            return NewCode(practice_id, code, (at + CODE_LIFETIME).replace(tzinfo=UTC))

        return self._retry(write)

    def pair(self, code: str, public_key: bytes, now: datetime | None = None) -> Attempt:
        """Uses the code, once: the practice gets a new API key and link secret
        (the link secret before them is kept as the previous one) and the
        desktop's public key."""
        normalized = normalized_code(code)
        if normalized is None:
            return Attempt(None, "unknown")
        digest, at = _code_digest(normalized), _now(now)
        api_key, link_secret = new_secret(), new_secret()
        key_digest = digest_of_key(api_key).hex()

        def write(conn: Connection) -> Attempt:
            # One statement: of two attempts with the same code, one changes the row.
            # The right-hand link_secret is the row's value before this update.
            used = conn.execute(update(practice_rows).where(
                practice_rows.c.code_digest == digest,
                practice_rows.c.code_expires > at).values(
                previous_link_secret=practice_rows.c.link_secret, link_secret=link_secret,
                api_key_digest=key_digest, public_key=public_key, paired_at=at,
                code_digest=None, code_expires=None)).rowcount
            if used != 1:
                expired = conn.execute(select(practice_rows.c.id).where(
                    practice_rows.c.code_digest == digest)).first()
                return Attempt(None, "expired" if expired else "unknown")
            ident = conn.execute(select(practice_rows.c.id).where(
                practice_rows.c.api_key_digest == key_digest)).scalar_one()
            _bump(conn)
            return Attempt(Paired(str(ident), api_key, link_secret))

        return self._retry(write)

    def set_twilio(self, practice_id: str, account_sid: str, auth_token: str) -> bool:
        """Gives the practice its Twilio account: the SID its webhooks are routed
        by and the auth token that signs them (relay.accounts checks both look
        like Twilio's). Returns whether anything changed (the same values again
        change nothing). PracticeError for an unknown or removed practice;
        TwilioRefused when another practice has that SID (routing by AccountSid
        must name one practice) or when the practice is configured in the
        relay's environment or RELAY_PRACTICES_FILE with other values."""
        other = practice_rows.alias("other")

        def write(conn: Connection) -> bool:
            row = conn.execute(select(practice_rows).where(
                practice_rows.c.id == practice_id)).first()
            if row is None or row.removed_at is not None:
                raise PracticeError(f"No practice has the id {practice_id!r}.")
            if row.twilio_account_sid == account_sid and row.twilio_auth_token == auth_token:
                return False
            if row.source != "cli":
                where = "RELAY_PRACTICES_FILE" if row.source == "file" else \
                    "the relay's environment (RELAY_TWILIO_ACCOUNT_SID, RELAY_TWILIO_AUTH_TOKEN)"
                raise TwilioRefused(f"This practice's Twilio account is set in the relay's "
                                    f"configuration ({where}): ask the person who runs the "
                                    "relay to change it there.", "configured")
            # One statement: of two practices given the same SID at once, one gets it.
            changed = conn.execute(update(practice_rows).where(
                practice_rows.c.id == practice_id,
                ~exists().where(other.c.twilio_account_sid == account_sid,
                                other.c.id != practice_id,
                                other.c.removed_at.is_(None))).values(
                twilio_account_sid=account_sid, twilio_auth_token=auth_token)).rowcount
            if changed != 1:
                raise TwilioRefused("Another practice on this relay already uses this Twilio "
                                    "account; each practice needs its own, since Twilio's "
                                    "webhooks are routed by the account's SID.", "taken")
            _bump(conn)
            return True

        return self._retry(write)

    def remove(self, practice_id: str) -> Removed:
        """Removes a practice with its waiting events, its links' answers and the
        desktop's notes on sessions; its id stays taken. PracticeError for an
        unknown or removed practice or one the environment configures."""

        def write(conn: Connection) -> Removed:
            row = self._own(conn, practice_id, "remove it")
            counts = [int(conn.execute(delete(table).where(
                table.c.practice == practice_id)).rowcount or 0)
                for table in (events, outcomes, sessions)]
            # Kept without its secrets: its id is never another practice's, so an
            # answer another relay process took meanwhile reaches nobody.
            conn.execute(update(practice_rows).where(practice_rows.c.id == practice_id).values(
                removed_at=_now(None), api_key_digest=None, link_secret=None,
                previous_link_secret=None, public_key=None, twilio_auth_token=None,
                code_digest=None, code_expires=None))
            _bump(conn)
            return Removed(practice_id, row.name, *counts)

        return self._retry(write)

    def import_configured(self, practices: Iterable[Practice], source: str) -> None:
        """Brings the practices the environment or RELAY_PRACTICES_FILE gives
        (source "env" or "file") into the database: new ones added, changed ones
        updated, unchanged ones left alone. Imported practices the configuration
        no longer names are no longer served (their rows of events stay, as when
        they lived in the file alone). ConfigError for an id that a practice added
        with `practice-relay practice add` already has."""
        given = list(practices)
        where = "RELAY_PRACTICES_FILE" if source == "file" else "The relay's environment"

        def write(conn: Connection) -> list[str]:
            rows = {r.id: r for r in conn.execute(select(practice_rows)).all()}
            said: list[str] = []
            changed = False
            for p in given:
                values: dict[str, Any] = {
                    "name": p.name, "timezone": p.timezone.key, "source": source,
                    "api_key_digest": p.key_digest().hex(),
                    "link_secret": p.link_secret.decode(), "previous_link_secret": None,
                    "public_key": p.public_key,
                    "whatsapp_phone_number_ids": json.dumps(sorted(
                        p.whatsapp_phone_number_ids)),
                    "whatsapp_business_account_ids": json.dumps(sorted(
                        p.whatsapp_business_account_ids)),
                    "twilio_account_sid": p.twilio_account_sid,
                    "twilio_auth_token": p.twilio_auth_token,
                    "code_digest": None, "code_expires": None}
                row = rows.get(p.id)
                if row is not None and row.source == "cli":
                    raise ConfigError(f"{where} names practice {p.id!r}, but a practice added "
                                      "with `practice-relay practice add` has that id: give "
                                      "the configured one another id.")
                if row is None:
                    conn.execute(insert(practice_rows).values(
                        id=p.id, created_at=_now(None), **values))
                    said.append(f"Practice {p.id!r} was imported from {where}.")
                    changed = True
                elif any(_differs(getattr(row, k), v) for k, v in values.items()):
                    conn.execute(update(practice_rows).where(
                        practice_rows.c.id == p.id).values(**values))
                    said.append(f"Practice {p.id!r} was updated from {where}.")
                    changed = True
            names = {p.id for p in given}
            for ident, row in rows.items():
                if row.source in ("env", "file") and ident not in names:
                    conn.execute(delete(practice_rows).where(practice_rows.c.id == ident))
                    origin = "RELAY_PRACTICES_FILE" if row.source == "file" else \
                        "the single-practice variables"
                    said.append(f"Practice {ident!r} is no longer configured ({origin}) and "
                                "is no longer served; its waiting events stay in the database.")
                    changed = True
            if changed:
                _bump(conn)
            return said

        for line in self._retry(write):
            log.info("%s", line)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(practice_rows)).scalar()
                       or 0)

    def _own(self, conn: Connection, practice_id: str, to: str) -> Row[Any]:
        row = conn.execute(select(practice_rows).where(
            practice_rows.c.id == practice_id)).first()
        if row is None or row.removed_at is not None:
            raise PracticeError(f"No practice has the id {practice_id!r}: "
                                "`practice-relay practice list` shows them.")
        if row.source != "cli":
            origin = "RELAY_PRACTICES_FILE" if row.source == "file" else \
                "the relay's environment (RELAY_LINK_SECRET and the rest)"
            raise PracticeError(f"Practice {practice_id!r} is configured in {origin}, which "
                                f"keeps its secrets: change it there, or to {to}, add the "
                                "practice with `practice-relay practice add` instead.")
        return row

    def _retry(self, write: Callable[[Connection], T]) -> T:
        for attempt in range(5):
            try:
                with self.engine.begin() as conn:
                    done = write(conn)
                synced(self.engine)  # a pairing's keys must outlive a power cut
                return done
            except (IntegrityError, OperationalError):  # a concurrent writer won
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")


def _differs(stored: Any, wanted: Any) -> bool:
    if isinstance(stored, memoryview):
        stored = bytes(stored)
    return bool(stored != wanted)


def _bump(conn: Connection) -> None:
    """A new value for relay_meta's practices row, in the caller's transaction."""
    upsert = pg_insert if conn.engine.dialect.name == "postgresql" else sqlite_insert
    value = uuid.uuid4().hex
    conn.execute(upsert(meta).values(name=VERSION_ROW, value=value).on_conflict_do_update(
        index_elements=[meta.c.name], set_={"value": value}))
