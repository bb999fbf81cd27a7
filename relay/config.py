"""The relay's configuration, from the environment. A missing or weak secret
stops start-up with a sentence saying which and why.

Practices live in the relay's database (relay.practices): `practice-relay
practice add` creates one and prints a pairing code, and the desktop pairs with
it (POST /api/v1/pair). A relay may also be given its practices here, and they
are imported into the database on start: one practice by RELAY_LINK_SECRET,
RELAY_API_KEY, RELAY_PUBLIC_KEY and RELAY_PRACTICE_NAME, or several from a TOML
file named by RELAY_PRACTICES_FILE, one [[practice]] table each. With none of
them, RELAY_DATABASE_URL alone is enough."""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from relay.guard import Network, networks
from relay.tokens import MIN_SECRET_LENGTH

DEFAULT_PRACTICE = "default"


class ConfigError(SystemExit):
    pass


@dataclass(frozen=True)
class Practice:
    id: str  # stored beside each event; never shown to clients
    name: str
    link_secret: bytes
    api_key: str
    public_key: bytes  # the practice's Curve25519 key: what clients write is sealed to it
    timezone: ZoneInfo
    # Meta's ids of the practice's WhatsApp numbers: webhooks are routed by them.
    whatsapp_phone_number_ids: frozenset[str] = field(default_factory=frozenset)
    # Meta's ids of its WhatsApp Business Accounts: template webhooks are routed by them.
    whatsapp_business_account_ids: frozenset[str] = field(default_factory=frozenset)
    # Twilio (SMS): the account's webhooks are signed with its auth token and
    # routed by its account SID.
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    # A practice read from the database has only its API key's digest (api_key
    # is then ""); one from the environment or the file has both.
    api_key_digest: bytes = b""
    # The link secret before the last pairing: links it signed keep working until
    # their sessions start (a token carries its session's start).
    previous_link_secret: bytes | None = None
    # The previous secret opens only links whose session starts before this
    # (PREVIOUS_SECRET_FOR after the pairing that replaced it): a secret that leaked
    # cannot mint links that work for years.
    previous_until: datetime | None = None

    def key_digest(self) -> bytes:
        """The SHA-256 of the practice's API key; b"" when it has none."""
        return self.api_key_digest or (digest_of_key(self.api_key) if self.api_key else b"")


def digest_of_key(key: str) -> bytes:
    """How the relay knows an API key: its SHA-256 (32 bytes). The keys are random
    (`practice-relay secret`, pairing), so no slower hash is needed."""
    return hashlib.sha256(key.encode("utf-8", "replace")).digest()


@dataclass(frozen=True)
class RelaySettings:
    database_url: str
    practices: tuple[Practice, ...]  # given by the environment or the file, to import
    practices_from: str = "env"  # where they came from: "env" or "file"
    whatsapp_app_secret: str | None = None
    whatsapp_verify_token: str | None = None
    public_url: str | None = None  # the https address Twilio and Meta call
    max_body: int = 64 * 1024
    per_ip_per_minute: int = 60
    per_token_per_minute: int = 10
    max_wait: float = 30.0  # longest long-poll, seconds
    events_per_page: int = 100  # events in one answer to GET /api/v1/events
    per_ip_api_per_minute: int = 300  # requests to /api/ from one address
    head_timeout: float = 10.0  # seconds for a request's head to arrive
    body_timeout: float = 10.0  # seconds for its body
    max_connections: int = 256  # open at once
    # Proxies whose X-Forwarded-For is believed (relay.guard.networks).
    trusted_proxies: tuple[Network, ...] = ()
    docs: bool = False  # /docs and /openapi.json served
    # How long a webhook's id is remembered after the desktop took it, so a
    # provider's retry is not queued again. Meta retries for up to 7 days.
    replay_window_days: int = 8
    # POST /api/v1/pair: attempts from one address a minute, and failed attempts
    # from everyone a minute (so many addresses together cannot try codes either).
    pair_per_ip_per_minute: int = 10
    pair_failures_per_minute: int = 600
    # Push subscriptions whose endpoint is http://127.0.0.1 are taken (relay.push):
    # only a relay the tests start sets it; a real push service is https.
    push_loopback_endpoints: bool = False


GOOD_SECRET = "run `practice-relay secret` and use what it prints"
MIN_SECRET_BITS = 80


def _secret(values: Mapping[str, Any], name: str, where: str) -> str:
    value = values.get(name, "")
    if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(f"{where}{name} is missing or shorter than {MIN_SECRET_LENGTH} "
                          f"characters: {GOOD_SECRET}.")
    if estimated_bits(value) < MIN_SECRET_BITS or not looks_random(value):
        raise ConfigError(f"{where}{name} is too easy to guess (repeated or patterned "
                          f"characters, words, or a placeholder): {GOOD_SECRET}.")
    return value


def looks_random(secret: str) -> bool:
    """Whether a secret looks drawn at random rather than written: no white space,
    and either hexadecimal or a mix of at least three of lower case, upper case,
    digits and other characters (a phrase, "qwerty…123456" or "YOUR_SECRET_HERE"
    is not). A random base64 or base64url string of 32 characters or more fails
    this about once in a billion."""
    if any(ch.isspace() for ch in secret):
        return False
    if all(ch in "0123456789abcdef" for ch in secret.lower()):
        return True
    kinds = (any(ch.islower() for ch in secret), any(ch.isupper() for ch in secret),
             any(ch.isdigit() for ch in secret), any(not ch.isalnum() for ch in secret))
    return sum(kinds) >= 3


def estimated_bits(secret: str) -> float:
    """A cautious estimate of a secret's entropy in bits: its length times the
    Shannon entropy of its characters, counting a character that repeats its
    neighbour or continues a run (abc, 123, cba) as adding nothing. A random
    base64 or hex string of 32 characters or more scores above 80;
    "a"*32, "abcd"*8 and a phrase with a few distinct letters do not."""
    counts: dict[str, int] = {}
    for ch in secret:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(secret)
    per_char = -sum(c / n * math.log2(c / n) for c in counts.values()) if n else 0.0
    plain, i = 0, 0
    while i < n:
        # A stretch of four or more characters seen before adds nothing.
        k = 4
        while i + k <= n and secret[i:i + k] in secret[:i + k - 1]:
            k += 1
        if k > 4:
            i += k - 1
            continue
        rise = ord(secret[i]) - ord(secret[i - 1]) if i else 99
        step = i >= 2 and abs(rise) <= 1 and rise == ord(secret[i - 1]) - ord(secret[i - 2])
        plain += 0 if step else 1
        i += 1
    return per_char * plain


def _public_key(value: Any, where: str, name: str) -> bytes:
    try:
        key = base64.b64decode(value if isinstance(value, str) else "", validate=True)
    except binascii.Error:
        key = b""
    if len(key) != 32:
        raise ConfigError(f"{where}{name} is missing or not a key: run `practice relay keys` "
                          "on the desktop and copy the key it prints.")
    return _public_key_works(key, where, name)


def _zone(value: Any, where: str, name: str) -> ZoneInfo:
    try:
        return ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}{name} is not a time zone (e.g. America/Sao_Paulo).") from None


def _one_from_environment(env: Mapping[str, str]) -> Practice:
    numbers = env.get("RELAY_WHATSAPP_PHONE_NUMBER_IDS", "")
    return Practice(
        id=DEFAULT_PRACTICE,
        name=env.get("RELAY_PRACTICE_NAME", "Practice Desk"),
        link_secret=_secret(env, "RELAY_LINK_SECRET", "").encode(),
        api_key=_secret(env, "RELAY_API_KEY", ""),
        public_key=_public_key(env.get("RELAY_PUBLIC_KEY"), "", "RELAY_PUBLIC_KEY"),
        timezone=_zone(env.get("RELAY_TIMEZONE", "America/Sao_Paulo"), "", "RELAY_TIMEZONE"),
        whatsapp_phone_number_ids=frozenset(n.strip() for n in numbers.split(",") if n.strip()),
        whatsapp_business_account_ids=_account_ids_from_environment(env),
        twilio_account_sid=env.get("RELAY_TWILIO_ACCOUNT_SID") or None,
        twilio_auth_token=env.get("RELAY_TWILIO_AUTH_TOKEN") or None)


def _from_file(path: Path, default_zone: str) -> tuple[Practice, ...]:
    try:
        if os.name == "posix" and path.stat().st_mode & 0o077:
            raise ConfigError(f"RELAY_PRACTICES_FILE holds every practice's secrets but "
                              f"other accounts can read it: chmod 600 {path}")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"RELAY_PRACTICES_FILE cannot be read ({exc.strerror}): {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"RELAY_PRACTICES_FILE is not valid TOML: {exc}") from None
    tables = data.get("practice")
    if not isinstance(tables, list) or not tables:
        raise ConfigError("RELAY_PRACTICES_FILE lists no practice: add a [[practice]] table "
                          "for each one.")
    practices = []
    for number, table in enumerate(tables, start=1):
        ident = table.get("id")
        if not isinstance(ident, str) or not ident.strip() or len(ident) > 64:
            raise ConfigError(f"RELAY_PRACTICES_FILE: practice number {number} needs an id "
                              "(a short name of up to 64 characters).")
        where = f"RELAY_PRACTICES_FILE, practice {ident!r}: "
        numbers = table.get("whatsapp_phone_number_ids", [])
        if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            raise ConfigError(f"{where}whatsapp_phone_number_ids must be a list of strings.")
        practices.append(Practice(
            id=ident, name=str(table.get("name") or ident),
            link_secret=_secret(table, "link_secret", where).encode(),
            api_key=_secret(table, "api_key", where),
            public_key=_public_key(table.get("public_key"), where, "public_key"),
            timezone=_zone(table.get("timezone", default_zone), where, "timezone"),
            whatsapp_phone_number_ids=frozenset(numbers),
            whatsapp_business_account_ids=_account_ids_from_table(table, where),
            twilio_account_sid=_optional(table, "twilio_account_sid", where),
            twilio_auth_token=_optional(table, "twilio_auth_token", where)))
    return tuple(practices)


def _account_ids_from_environment(env: Mapping[str, str]) -> frozenset[str]:
    """RELAY_WHATSAPP_BUSINESS_ACCOUNT_IDS: the practice's WhatsApp Business Account
    ids, comma-separated (optional: one practice listing none takes every account)."""
    given = env.get("RELAY_WHATSAPP_BUSINESS_ACCOUNT_IDS", "")
    return _account_ids([n.strip() for n in given.split(",") if n.strip()],
                        "RELAY_WHATSAPP_BUSINESS_ACCOUNT_IDS")


def _account_ids_from_table(table: Mapping[str, Any], where: str) -> frozenset[str]:
    """A [[practice]]'s whatsapp_business_account_ids: a list of strings (optional)."""
    ids = table.get("whatsapp_business_account_ids", [])
    if not isinstance(ids, list) or not all(isinstance(n, str) for n in ids):
        raise ConfigError(f"{where}whatsapp_business_account_ids must be a list of strings.")
    return _account_ids([n.strip() for n in ids if n.strip()],
                        f"{where}whatsapp_business_account_ids")


def _account_ids(ids: list[str], where: str) -> frozenset[str]:
    """Meta's ids are digits; anything else is another value pasted by mistake."""
    wrong = [n for n in ids if not n.isdigit()]
    if wrong:
        raise ConfigError(f"{where}: {wrong[0]!r} is not a WhatsApp Business Account id (the "
                          "digits WhatsApp Manager shows).")
    return frozenset(ids)


def _optional(table: Mapping[str, Any], name: str, where: str) -> str | None:
    value = table.get(name)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}{name} must be a string.")
    return value or None


def _distinct(practices: Iterable[Practice]) -> None:
    """Each practice must be told apart by its link secret (tokens), its API key
    (the desktop) and its WhatsApp numbers (webhooks)."""
    seen: dict[object, str] = {}
    for p in practices:
        marks: list[tuple[object, str]] = [(("id", p.id), "id"),
                                           (("secret", p.link_secret), "link_secret"),
                                           (("key", p.api_key), "api_key")]
        marks += [(("number", n), f"WhatsApp number {n}") for n in p.whatsapp_phone_number_ids]
        marks += [(("account", n), f"WhatsApp Business Account {n}")
                  for n in p.whatsapp_business_account_ids]
        if p.twilio_account_sid:
            marks.append((("twilio", p.twilio_account_sid), "Twilio account"))
        for mark, what in marks:
            if mark in seen:
                raise ConfigError(f"Practices {seen[mark]!r} and {p.id!r} share the same {what}; "
                                  "each practice needs its own.")
            seen[mark] = p.id
        if p.api_key.encode() == p.link_secret:
            raise ConfigError(f"The API key and the link secret{_of(p)} are the same: each "
                              f"must be its own secret ({GOOD_SECRET}, once for each).")


def _provider_secrets(env: Mapping[str, str], practices: Iterable[Practice]) -> None:
    """The secrets Meta and Twilio hand out are long and random: a short or
    guessable one is a typo or a placeholder; one equal to a secret of ours means
    a value pasted twice."""
    ours = {v for p in practices for v in (p.api_key, p.link_secret.decode())}
    given = [("RELAY_WHATSAPP_APP_SECRET", env.get("RELAY_WHATSAPP_APP_SECRET"),
              "copy the App Secret from the Meta app's settings (Basic)")]
    given += [(f"twilio_auth_token of practice {p.id!r}" if p.id != DEFAULT_PRACTICE
               else "RELAY_TWILIO_AUTH_TOKEN", p.twilio_auth_token,
               "copy the Auth Token from the Twilio console") for p in practices]
    for name, value, where in given:
        if not value:
            continue
        if value in ours:
            raise ConfigError(f"{name} is the same as the relay's API key or link secret: "
                              f"{where}, and keep the relay's own secrets apart.")
        if not is_provider_secret(value):
            raise ConfigError(f"{name} is not the provider's (32 hexadecimal characters; "
                              f"too short, a placeholder or another value): {where}.")
    verify = env.get("RELAY_WHATSAPP_VERIFY_TOKEN")
    if verify and verify in ours:
        raise ConfigError("RELAY_WHATSAPP_VERIFY_TOKEN is the same as the relay's API key or "
                          "link secret: Meta shows the verify token to whoever manages the "
                          "app, so choose another.")
    if verify and (len(verify) < 16 or estimated_bits(verify) < 40):
        raise ConfigError("RELAY_WHATSAPP_VERIFY_TOKEN is too short or too easy to guess (a "
                          "stranger who guesses it can subscribe their own Meta app): use "
                          "16 characters or more, e.g. from `practice-relay secret`.")


# Both providers hand out 32 hexadecimal characters as secrets (Meta's app secret,
# Twilio's auth token): anything else is a placeholder, a typo or another value
# pasted by mistake. A Twilio account's SID is "AC" and 32 more
# (https://www.twilio.com/docs/glossary/what-is-a-sid).
_PROVIDER_SECRET = re.compile(r"[0-9a-fA-F]{32}")
_TWILIO_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")


def is_provider_secret(value: str) -> bool:
    """Whether `value` can be a Meta app secret or a Twilio auth token."""
    return isinstance(value, str) and bool(_PROVIDER_SECRET.fullmatch(value))


def is_twilio_account_sid(value: str) -> bool:
    """Whether `value` can be a Twilio account's SID ("AC" and 32 hexadecimal)."""
    return isinstance(value, str) and bool(_TWILIO_ACCOUNT_SID.fullmatch(value))


def _public_key_works(key: bytes, where: str, name: str) -> bytes:
    if not can_seal(key):
        raise ConfigError(f"{where}{name} is not a usable key: run `practice relay keys` "
                          "on the desktop and copy the key it prints.")
    return key


def can_seal(key: bytes) -> bool:
    """Whether a Curve25519 public key can seal: an all-zero or other low-order
    key is 32 bytes long and fails only when a client's answer is sealed to it."""
    from nacl.exceptions import CryptoError
    from nacl.public import PublicKey, SealedBox

    try:
        SealedBox(PublicKey(key)).encrypt(b"check")
    except (CryptoError, RuntimeError, ValueError, TypeError):
        return False
    return True


def _of(practice: Practice) -> str:
    return "" if practice.id == DEFAULT_PRACTICE else f" of practice {practice.id!r}"


SINGLE_PRACTICE = ("RELAY_LINK_SECRET", "RELAY_API_KEY", "RELAY_PUBLIC_KEY")


def from_environment(env: Mapping[str, str] | None = None) -> RelaySettings:
    """The relay's settings. Practices come from RELAY_PRACTICES_FILE, else from
    the single-practice variables when any of them is set (then all must be), else
    from the database alone (`practices` is empty). ConfigError says what to fix."""
    env = dict(os.environ if env is None else env)
    file = env.get("RELAY_PRACTICES_FILE")
    practices: tuple[Practice, ...] = ()
    if file:
        practices = _from_file(Path(file), env.get("RELAY_TIMEZONE", "America/Sao_Paulo"))
    elif any(env.get(name) for name in SINGLE_PRACTICE):
        practices = (_one_from_environment(env),)
    _distinct(practices)
    _provider_secrets(env, practices)
    return RelaySettings(
        database_url=database_url(env),
        practices=practices, practices_from="file" if file else "env",
        pair_per_ip_per_minute=_number(env, "RELAY_PAIR_PER_IP_PER_MINUTE", 10, 1, 10_000),
        pair_failures_per_minute=_number(env, "RELAY_PAIR_FAILURES_PER_MINUTE", 600, 1,
                                         100_000),
        whatsapp_app_secret=env.get("RELAY_WHATSAPP_APP_SECRET") or None,
        whatsapp_verify_token=env.get("RELAY_WHATSAPP_VERIFY_TOKEN") or None,
        public_url=env.get("RELAY_PUBLIC_URL") or None,
        per_ip_per_minute=_number(env, "RELAY_PER_IP_PER_MINUTE", 60, 1, 1_000_000),
        per_token_per_minute=_number(env, "RELAY_PER_TOKEN_PER_MINUTE", 10, 1, 1_000_000),
        per_ip_api_per_minute=_number(env, "RELAY_API_PER_IP_PER_MINUTE", 300, 1, 1_000_000),
        head_timeout=_number(env, "RELAY_HEADER_TIMEOUT", 10, 1, 300),
        body_timeout=_number(env, "RELAY_BODY_TIMEOUT", 10, 1, 300),
        max_connections=_number(env, "RELAY_MAX_CONNECTIONS", 256, 8, 100_000),
        trusted_proxies=_proxies(env.get("RELAY_TRUSTED_PROXIES", "")),
        docs=env.get("RELAY_DOCS", "") == "1",
        events_per_page=_events_per_page(env.get("RELAY_EVENTS_PER_PAGE", "100")))


def database_url(env: Mapping[str, str]) -> str:
    """RELAY_DATABASE_URL (a SQLAlchemy URL); relay.sqlite3 in the working folder
    when unset."""
    return env.get("RELAY_DATABASE_URL") or "sqlite:///relay.sqlite3"


def _number(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = env.get(name, "").strip() or str(default)
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, not {value!r}.")
    return number


def _proxies(value: str) -> tuple[Network, ...]:
    try:
        found = networks(value)
    except ValueError as exc:
        raise ConfigError(f"RELAY_TRUSTED_PROXIES: {str(exc)!r} is not an address or a "
                          "network (e.g. 127.0.0.1 or 10.0.0.0/8).") from None
    for net in found:
        if net.prefixlen < (8 if net.version == 4 else 32):
            raise ConfigError(f"RELAY_TRUSTED_PROXIES: {net} would believe any client's "
                              "X-Forwarded-For; list the proxy's own addresses.")
    return found


MAX_ACK = 1000  # ids in one POST /api/v1/events/ack


def _events_per_page(value: str) -> int:
    """A page the desktop can acknowledge in one request."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_ACK:
        raise ConfigError(f"RELAY_EVENTS_PER_PAGE must be a whole number from 1 to {MAX_ACK} "
                          f"(the most events the desktop acknowledges at once), not {value!r}.")
    return number
