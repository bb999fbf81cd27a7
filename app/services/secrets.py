"""Secrets in the system keyring, and nowhere else: never the database, a log line,
an export or an exception message. Without a usable keyring the app says so and
how to fix it; it never falls back to plain text of its own."""

from __future__ import annotations

import os

import keyring
import keyring.errors
from keyring.backends import fail

from app.i18n import _
from app.services.errors import InvalidInput, PracticeError

SERVICE = "practice-desk"
NAMES = ("whatsapp.token", "smtp.password", "sms.auth_token", "relay.api_key",
         "relay.link_secret", "relay.private_key", "imap.password",
         "database.password", "push.private_key")


class SecretsUnavailable(PracticeError):
    pass


def _backend() -> keyring.backend.KeyringBackend:
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or (_plain_file(backend) and
                                             not os.environ.get("PYTHON_KEYRING_BACKEND")):
        # keyrings.alt's files keep secrets readable (plain or base64): chosen on
        # purpose (PYTHON_KEYRING_BACKEND names it), never picked for us.
        raise SecretsUnavailable(_(
            "No system keyring is available to keep passwords and tokens safely. "
            "Install and unlock one (GNOME Keyring, KWallet, macOS Keychain or Windows "
            "Credential Manager), then try again."))
    return backend


def _plain_file(backend: keyring.backend.KeyringBackend) -> bool:
    """Whether secrets would go to one of keyrings.alt's files, whichever backend
    (or chain of them) keyring chose."""
    found = [backend, *getattr(backend, "backends", [])]
    return any(type(b).__module__.startswith("keyrings.alt") for b in found) and not any(
        not type(b).__module__.startswith(("keyrings.alt", "keyring.backends.fail",
                                           "keyring.backends.chainer")) for b in found)


def _check(name: str) -> None:
    if name not in NAMES:
        raise InvalidInput(_("Unknown secret '{name}'. Known secrets: {names}.").format(
            name=name, names=", ".join(NAMES)))


def store(name: str, value: str) -> None:
    _check(name)
    value = value.strip()
    if not value:
        raise InvalidInput(_("The secret is empty; nothing was stored."))
    backend = _backend()
    try:
        backend.set_password(SERVICE, name, value)
    except keyring.errors.KeyringError as exc:
        raise SecretsUnavailable(_("The keyring refused to store the secret ({kind}).")
                                 .format(kind=type(exc).__name__)) from None


def load(name: str) -> str | None:
    _check(name)
    try:
        value = _backend().get_password(SERVICE, name)
    except keyring.errors.KeyringError as exc:
        raise SecretsUnavailable(_("The keyring could not be read ({kind}).")
                                 .format(kind=type(exc).__name__)) from None
    return value or None


def is_set(name: str) -> bool:
    return load(name) is not None


def forget(name: str) -> None:
    """Takes a secret out of the keyring; nothing when it is not there."""
    _check(name)
    backend = _backend()
    try:
        backend.delete_password(SERVICE, name)
    except keyring.errors.PasswordDeleteError:
        pass
    except keyring.errors.KeyringError as exc:
        raise SecretsUnavailable(_("The keyring refused to remove the secret ({kind}).")
                                 .format(kind=type(exc).__name__)) from None
