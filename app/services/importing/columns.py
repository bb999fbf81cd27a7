"""What an import file's columns can mean, and matching them from the headers a
practice writes in Portuguese or English (accents, case and spacing ignored)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

from app.i18n import _
from app.services.importing.cells import folded


class Field(StrEnum):
    NAME = "name"
    PHONE = "phone"
    EMAIL = "email"
    SERVICE = "service"
    DATE = "date"
    TIME = "time"
    DATETIME = "datetime"
    DURATION = "duration"
    STAFF = "staff"
    NOTES = "notes"
    STATUS = "status"
    PRICE = "price"


# Headers as people write them, already folded (see cells.folded).
SYNONYMS: dict[Field, tuple[str, ...]] = {
    Field.NAME: ("nome", "name", "cliente", "client", "paciente", "patient", "customer",
                 "nome do cliente", "nome do paciente", "client name", "customer name",
                 "nome completo", "full name"),
    Field.PHONE: ("telefone", "phone", "celular", "whatsapp", "fone", "tel", "mobile",
                  "phone number", "numero", "telefone celular", "contato", "cell"),
    Field.EMAIL: ("e mail", "email", "mail", "correio eletronico", "email address"),
    Field.SERVICE: ("servico", "service", "procedimento", "tipo", "tipo de sessao",
                    "tipo de atendimento", "service type", "atendimento", "sessao"),
    Field.DATE: ("data", "date", "dia", "day", "data da sessao", "session date"),
    Field.TIME: ("hora", "time", "horario", "hora inicio", "inicio", "start time",
                 "hora de inicio", "start"),
    Field.DATETIME: ("data e hora", "date and time", "datetime", "data hora", "date time",
                     "inicio da sessao", "starts at", "start date time", "quando", "when"),
    Field.DURATION: ("duracao", "duration", "minutos", "minutes", "duracao min",
                     "duration min", "tempo", "length"),
    Field.STAFF: ("profissional", "staff", "professional", "terapeuta", "therapist",
                  "psicologo", "psicologa", "psychologist", "atendente", "provider",
                  "responsavel"),
    Field.NOTES: ("observacoes", "observacao", "notes", "note", "obs", "anotacoes",
                  "comentarios", "comments", "notas"),
    Field.STATUS: ("situacao", "status", "estado"),
    Field.PRICE: ("valor", "price", "preco", "amount", "valor r", "honorarios", "fee"),
}
_LOOKUP = {word: f for f, words in SYNONYMS.items() for word in words}

REQUIRED = (Field.NAME, Field.PHONE)

ColumnMap = dict[Field, int]  # field -> column index in the file


def label(f: Field) -> str:
    """The field as the wizard names it."""
    return {
        Field.NAME: _("Name"), Field.PHONE: _("Phone"), Field.EMAIL: _("E-mail"),
        Field.SERVICE: _("Service"), Field.DATE: _("Date"), Field.TIME: _("Time"),
        Field.DATETIME: _("Date and time"), Field.DURATION: _("Duration"),
        Field.STAFF: _("Professional"), Field.NOTES: _("Notes"), Field.STATUS: _("Status"),
        Field.PRICE: _("Price"),
    }[f]


def guess(headers: Sequence[str]) -> ColumnMap:
    """Each field to the first column whose header names it."""
    out: ColumnMap = {}
    for index, header in enumerate(headers):
        key = folded(header)
        f = _LOOKUP.get(key) or _LOOKUP.get(key.removesuffix(" min").strip())
        if f is not None and f not in out:
            out[f] = index
    if Field.DATETIME in out and Field.DATE in out:
        # A file with both keeps the separate columns, the usual spreadsheet layout.
        del out[Field.DATETIME]
    return out


def missing(mapping: Mapping[Field, int]) -> list[str]:
    """What the mapping lacks before rows can be read: names of the missing fields."""
    out = [label(f) for f in REQUIRED if f not in mapping]
    if Field.DATETIME not in mapping:
        if Field.DATE not in mapping:
            out.append(label(Field.DATE))
        if Field.TIME not in mapping:
            out.append(label(Field.TIME))
    return out
