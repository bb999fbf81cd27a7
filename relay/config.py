"""The relay's configuration, from the environment. A missing or weak secret
stops start-up with a sentence saying which and why."""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from relay.tokens import MIN_SECRET_LENGTH


class ConfigError(SystemExit):
    pass


@dataclass(frozen=True)
class RelaySettings:
    database_url: str
    link_secret: bytes
    api_key: str
    public_key: bytes  # the practice's Curve25519 key: what clients write is sealed to it
    practice_name: str
    timezone: ZoneInfo
    whatsapp_app_secret: str | None = None
    whatsapp_verify_token: str | None = None
    max_body: int = 64 * 1024
    per_ip_per_minute: int = 60
    per_token_per_minute: int = 10
    max_wait: float = 30.0  # longest long-poll, seconds


def _secret(env: dict[str, str], name: str) -> str:
    value = env.get(name, "")
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(f"{name} is missing or shorter than {MIN_SECRET_LENGTH} characters; "
                          f"set a long random value (e.g. `openssl rand -base64 36`).")
    return value


def from_environment(env: dict[str, str] | None = None) -> RelaySettings:
    env = dict(os.environ if env is None else env)
    try:
        public_key = base64.b64decode(env.get("RELAY_PUBLIC_KEY", ""), validate=True)
    except binascii.Error:
        public_key = b""
    if len(public_key) != 32:
        raise ConfigError("RELAY_PUBLIC_KEY is missing or not a key: run `practice relay keys` "
                          "on the desktop and copy the key it prints.")
    try:
        zone = ZoneInfo(env.get("RELAY_TIMEZONE", "America/Sao_Paulo"))
    except ZoneInfoNotFoundError:
        raise ConfigError("RELAY_TIMEZONE is not a time zone (e.g. America/Sao_Paulo).") from None
    app_secret = env.get("RELAY_WHATSAPP_APP_SECRET") or None
    return RelaySettings(
        database_url=env.get("RELAY_DATABASE_URL", "sqlite:///relay.sqlite3"),
        link_secret=_secret(env, "RELAY_LINK_SECRET").encode(),
        api_key=_secret(env, "RELAY_API_KEY"),
        public_key=public_key,
        practice_name=env.get("RELAY_PRACTICE_NAME", "Practice Desk"),
        timezone=zone,
        whatsapp_app_secret=app_secret,
        whatsapp_verify_token=env.get("RELAY_WHATSAPP_VERIFY_TOKEN") or None,
        per_ip_per_minute=int(env.get("RELAY_PER_IP_PER_MINUTE", "60")),
        per_token_per_minute=int(env.get("RELAY_PER_TOKEN_PER_MINUTE", "10")))
