"""Configurações › Conecta: the practice's own attendance types and the numbers and
addresses its attendances run on (Originado por), per channel. Kept as
configuration keys so the command line and the window change the same thing."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.i18n import _
from app.models.conecta import BUILT_IN_TYPES, Medium
from app.services import attendances, config
from app.services.errors import FieldInvalid, InvalidInput
from app.services.practice import Practice
from app.services.settings import load_row
from app.services.values import normalize_email, normalize_phone

MAX_TYPE = 40


@dataclass(frozen=True)
class Setup:
    own_types: tuple[str, ...]
    listed: dict[Medium, tuple[str, ...]]  # what the practice wrote, per channel
    fallback: dict[Medium, str]  # used when nothing is listed (the integrations' sender)
    # The configuration keys' versions as read (versions.py), for the forms' saves.
    versions: dict[str, int] = field(default_factory=dict)


def load(p: Practice) -> Setup:
    cfg, versions = config.get_with_versions(p)
    return Setup(
        own_types=tuple(t for t in cfg["conecta.types"].split(",") if t),
        listed={m: tuple(v for v in cfg[f"conecta.originators.{m.value}"].split(",") if v)
                for m in Medium},
        fallback={Medium.EMAIL: cfg["smtp.from"], Medium.SMS: cfg["sms.from"]},
        versions={k: v for k, v in versions.items() if k.startswith("conecta.")})


def set_own_types(p: Practice, names: list[str], *,
                  expected_version: int | None = None) -> tuple[str, ...]:
    """Replaces the practice's own types; a built-in one cannot be added twice.
    expected_version: conecta.types's version as the form was filled
    (Setup.versions); another's change since raises ChangedMeanwhile."""
    built_in = {k.casefold() for k in BUILT_IN_TYPES} | {
        attendances.type_label(k).casefold() for k in BUILT_IN_TYPES}
    clean: list[str] = []
    for raw in names:
        name = " ".join(raw.split())
        if not name:
            continue
        if "," in name:
            raise FieldInvalid("types", _("A type's name cannot contain a comma: '{name}'.")
                               .format(name=name))
        if len(name) > MAX_TYPE:
            raise FieldInvalid("types", _("'{name}' is too long: a type's name has at most "
                                          "{n} characters.").format(name=name, n=MAX_TYPE))
        if name.casefold() in built_in:
            raise FieldInvalid("types", _("'{name}' is one of the built-in types.")
                               .format(name=name))
        if name.casefold() not in {c.casefold() for c in clean}:
            clean.append(name)
    saved = config.set_value(p, "conecta.types", ",".join(clean),
                             expected_version=expected_version)
    return tuple(t for t in saved.split(",") if t)


def set_originators(p: Practice, per_channel: dict[Medium, list[str]], *,
                    expected_versions: dict[str, int] | None = None
                    ) -> dict[Medium, tuple[str, ...]]:
    """The practice's numbers (read with its country when written without a code)
    or addresses, per channel; every value is checked before anything is saved.
    expected_versions: the keys' versions as the form was filled (Setup.versions);
    another's change since raises ChangedMeanwhile."""
    with p.db.read() as s:
        country = load_row(s).country
    values: dict[str, str] = {}
    for medium, given in per_channel.items():
        medium = Medium(medium)
        clean: list[str] = []
        for raw in (v.strip() for v in given):
            if not raw:
                continue
            try:
                value = normalize_email(raw) if medium is Medium.EMAIL else \
                    normalize_phone(raw, country)
            except InvalidInput as exc:
                raise FieldInvalid(medium.value, str(exc)) from None
            if value not in clean:
                clean.append(value)
        values[f"conecta.originators.{medium.value}"] = ",".join(clean)
    saved = config.set_values(p, values, expected_versions=expected_versions)
    return {Medium(k.rsplit(".", 1)[1]): tuple(v for v in saved[k].split(",") if v)
            for k in saved}
