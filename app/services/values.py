"""Parsing what people type: money, durations, dates and times, phones, e-mails.
Each failure is an InvalidInput naming the value and what was expected."""

from __future__ import annotations

import ipaddress
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from app.i18n import _
from app.models.recurrence import resolve_local
from app.services import phones
from app.services.errors import InvalidInput


def parse_money(text: str) -> int:
    """'150', '150.50', '150,50', 'R$ 1.234,56' -> cents."""
    raw = re.sub(r"[^\d,.\-]", "", text.strip())
    if "," in raw and "." in raw:
        # The last separator is the decimal one: 1.234,56 or 1,234.56.
        if raw.rfind(",") > raw.rfind("."):
            raw = raw.replace(".", "").replace(",", ".")
        else:
            raw = raw.replace(",", "")
    else:
        raw = raw.replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(_("'{value}' is not an amount of money.").format(value=text)) from None
    if value < 0:
        raise InvalidInput(_("An amount of money cannot be negative."))
    return int((value * 100).quantize(Decimal(1)))


def cents_to_number(cents: int | None) -> float | None:
    return None if cents is None else cents / 100


def positive_minutes(value: int, what: str) -> int:
    if value <= 0 or value > 24 * 60:
        raise InvalidInput(_("{what} must be between 1 and 1440 minutes.").format(what=what))
    return value


def non_negative_minutes(value: int, what: str) -> int:
    if value < 0 or value > 7 * 24 * 60:
        raise InvalidInput(_("{what} must be between 0 and 10080 minutes.").format(what=what))
    return value


def parse_date(text: str) -> date:
    """ISO (2026-11-21) or the Brazilian way (21/11/2026)."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
            d, m, y = (int(x) for x in text.split("/"))
            return date(y, m, d)
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("'{value}' is not a real date (use YYYY-MM-DD).")
                           .format(value=text)) from None


def parse_start(text: str, zone: ZoneInfo) -> datetime:
    """An ISO 8601 date-time. Without an offset it is the practice's local time."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(_("'{value}' is not a real date and time (use YYYY-MM-DDTHH:MM).")
                           .format(value=text)) from None
    if value.tzinfo is None:
        value = resolve_local(value, zone)
    return value.replace(second=0, microsecond=0)


def spelled_with_letters(text: str) -> bool:
    """Whether a phone number is written with letters. libphonenumber reads them
    as a keypad's ("11 9abcd-1234" becomes 92223-1234): a typo would reach a
    stranger, so every door that takes a number refuses them."""
    return any(ch.isalpha() for ch in text)


def normalize_phone(text: str, region: str) -> str:
    """E.164, with the practice's country as the default region; a Brazilian mobile
    written with eight digits gets its ninth. Raises InvalidInput (letters included:
    see spelled_with_letters)."""
    if spelled_with_letters(text):
        raise InvalidInput(_("'{value}' is not a phone number: it has letters.")
                           .format(value=text))
    import phonenumbers  # here, not at the top: a command that reads no phone skips it

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput(_("'{value}' is not a phone number.").format(value=text)) from None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not phonenumbers.is_valid_number(number):
        # A Brazilian mobile written without its ninth digit is the same line.
        for other in phones.variants(e164)[1:]:
            if phonenumbers.is_valid_number(phonenumbers.parse(other, None)):
                return other
        raise InvalidInput(_("'{value}' is not a valid phone number for {region}.")
                           .format(value=text, region=region)) from None
    return e164


def format_phone(e164: str | None, region: str) -> str:
    """For reading: the national form for the practice's country, else international.
    Each number is written once per region and kept (~35 µs each through
    phonenumbers; lists and searches show the same clients again and again)."""
    if not e164:
        return ""
    return _readable_phone(e164, region)


@lru_cache(maxsize=8192)
def _readable_phone(e164: str, region: str) -> str:
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, region)
    except phonenumbers.NumberParseException:
        return e164
    same = phonenumbers.region_code_for_number(number) == region
    style = phonenumbers.PhoneNumberFormat.NATIONAL if same else \
        phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


def normalize_email(text: str) -> str:
    """The address as email_validator normalises it (no DNS lookup). Raises
    InvalidInput."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(text.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidInput(_("'{value}' is not a valid e-mail address.")
                           .format(value=text)) from None


def web_address(text: str) -> str:
    """An https:// address (an http:// one only to this computer: 127.0.0.1,
    ::1, localhost), without a query, fragment or user name, its trailing slash
    dropped. Plain HTTP to another host would carry the practice's keys in clear;
    a query or fragment would end up in the middle of every link. InvalidInput
    says which. An address typed without its scheme ("relay.example.com") is an
    https:// one."""
    value = text.strip()
    if value and "://" not in value and re.match(r"[\w.-]+(:\d+)?(/|$)", value):
        value = "https://" + value
    parsed = urlsplit(value)
    try:
        parsed.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        parsed = parsed._replace(netloc="")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidInput(_("'{value}' is not a web address (https://...).").format(
            value=value))
    if parsed.scheme == "http" and not on_this_computer(parsed.hostname):
        raise InvalidInput(_("'{value}' would send the practice's keys unencrypted: use "
                             "https:// (plain http:// only reaches this computer).").format(
            value=value))
    if parsed.query or parsed.fragment or value.endswith(("?", "#")):
        raise InvalidInput(_("'{value}' has a query or a fragment (after ? or #): give the "
                             "address alone.").format(value=value))
    if parsed.username is not None or parsed.password is not None:
        raise InvalidInput(_("'{value}' has a user name in it: give the address alone; "
                             "keys go in the keyring.").format(value=value))
    return value.rstrip("/")


def on_this_computer(host: str) -> bool:
    """Whether a host name is this computer's loopback."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def login_in_clear(cfg: dict[str, str], service: str) -> str | None:
    """A sentence when `service` ("smtp" or "imap") would log in to another
    computer without encryption (security "none"): the password would travel in
    clear. None when it would not."""
    host, user = cfg[f"{service}.host"], cfg[f"{service}.user"]
    if cfg[f"{service}.security"] != "none" or not host or on_this_computer(host):
        return None
    if service == "smtp" and not user:
        return None  # a relay that takes mail without a login
    return _("The {what} server {host} would get the password unencrypted: choose STARTTLS "
             "or SSL in Settings › Integrations.").format(
        what=_("outgoing mail") if service == "smtp" else _("incoming mail"), host=host)
