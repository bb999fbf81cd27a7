"""Every user-facing message in the code has a Portuguese translation with the
same placeholders, and switching language switches messages and formats."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app import i18n
from app.services import scheduling
from app.services.errors import IllegalTransition
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_client, add_service, local

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


# Each catalogue and the code it speaks for: the desktop's, and the relay's own (the
# relay installs without the app, so its pages carry their words with them).
CATALOGUES = {"app": ROOT / "resources/locale/pt_BR/LC_MESSAGES/practice.po",
              "relay": ROOT / "relay/locale/pt_BR/LC_MESSAGES/relay.po"}


def code_messages(folder: str) -> set[str]:
    out: set[str] = set()
    found = extract_from_dir(str(ROOT / folder), method_map=[("**.py", "python")],
                             keywords={"_": None, "N_": None, "ngettext": (1, 2)})
    for _file, _line, message, _comments, _ctx in found:
        out.update([message] if isinstance(message, str) else message)
    return out


LITERAL = re.compile(r"""\b_\((["'])((?:(?!\1).)+)\1\)""")


def literal_messages(folder: str) -> set[str]:
    """Every one-line _("...") in the source, found by reading it, so calls Babel's
    extractor misses (inside f-strings) are checked too."""
    out: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        for _quote, text in LITERAL.findall(path.read_text(encoding="utf-8")):
            if "{" not in text or "}" in text:
                out.add(text.encode().decode("unicode_escape") if "\\" in text else text)
    return out


def catalog(folder: str = "app") -> dict[str, str]:
    """Each message to its translation; a plural entry's forms each to theirs. A
    translation marked fuzzy is not used by gettext, so it counts as missing."""
    out: dict[str, str] = {}
    with CATALOGUES[folder].open("rb") as fh:
        for m in read_po(fh):
            if m.fuzzy:
                continue
            if isinstance(m.id, tuple | list):
                for i, form in enumerate(m.id):
                    out[str(form)] = str(m.string[min(i, len(m.string) - 1)])
            elif m.id:
                out[str(m.id)] = str(m.string)
    return out


@pytest.mark.parametrize("folder", sorted(CATALOGUES))
def test_every_message_is_translated_with_the_same_placeholders(folder: str) -> None:
    translations = catalog(folder)
    missing = sorted(m for m in code_messages(folder) | literal_messages(folder)
                     if not translations.get(m))
    assert missing == [], f"run `make i18n` and translate these in {CATALOGUES[folder]}"
    for source, target in translations.items():
        assert set(PLACEHOLDER.findall(source)) == set(PLACEHOLDER.findall(target)), source


def test_the_relays_catalogue_holds_its_own_words_only() -> None:
    """The relay's catalogue is extracted from relay/ alone: every entry is a
    message of the relay's code (a stale one means `make i18n` was not run)."""
    assert set(catalog("relay")) == code_messages("relay")


def test_the_relays_pages_speak_portuguese_from_their_own_catalogue() -> None:
    from relay import i18n as relay_i18n
    from relay import pages

    assert CATALOGUES["relay"] == relay_i18n.LOCALE_DIR / "pt_BR/LC_MESSAGES/relay.po"
    assert pages.words("pt_BR")["not_found"] == "Este link não é válido."
    assert pages.words("pt_BR")["moved_text"].format(when="seg., 23/11") == \
        "Ela passou para seg., 23/11."
    assert pages.words("en")["not_found"] == "This link is not valid."
    start = local("2026-11-23T10:00")
    page = pages.session_page("pt_BR", "Clínica", start, ZoneInfo("America/Sao_Paulo"), "t")
    assert ">Confirmar</button>" in page and "Motivo do cancelamento (opcional)" in page


@pytest.mark.parametrize(("n", "expected"), [(0, "0 clientes na lista"),
                                              (1, "1 cliente na lista"),
                                              (2, "2 clientes na lista")])
def test_portuguese_counts_zero_in_the_plural(n: int, expected: str) -> None:
    """Brazilian Portuguese writes "0 clientes" (the catalogues' plural rule);
    "0 cliente" read as a mistake."""
    i18n.set_language("pt_BR")
    try:
        assert i18n.ngettext("{n} client shown", "{n} clients shown", n).format(n=n) == \
            expected
    finally:
        i18n.set_language("en")
    for path in CATALOGUES.values():
        with path.open("rb") as f:
            assert read_po(f).plural_expr == "(n != 1)", path


def test_large_counts_in_sentences_are_written_as_the_language_writes_numbers() -> None:
    """Counts beyond a thousand (an import's sessions, a backup's, an export's) read
    "31.109" in Portuguese and "31,109" in English, as the counts beside them do."""
    from app.services.importing.commit import Report, summary

    done = Report(file="clinica.csv", dry_run=False, rows=[], imported=31109, skipped=1204)
    review = Report(file="clinica.csv", dry_run=True, rows=[], would_import=31109,
                    skipped=1204)
    assert summary(done) == "clinica.csv: sessions imported: 31,109; rows skipped: 1,204."
    i18n.set_language("pt_BR")
    try:
        assert "31.109" in summary(done) and "1.204" in summary(done)
        assert "31.109" in summary(review) and "1.204" in summary(review)
    finally:
        i18n.set_language("en")


def test_portuguese_messages_and_formats(practice: Practice) -> None:
    i18n.set_language("pt_BR")
    try:
        assert i18n.format_money(123456, "BRL") == "R$\xa01.234,56"
        assert i18n.format_datetime(datetime(2026, 11, 23, 14, 5)) == "23/11/2026 14:05"
        a = scheduling.book(practice, BookingRequest(
            client_id=add_client(practice), start=local("2026-11-23T10:00"),
            service_id=add_service(practice)))
        scheduling.cancel(practice, a, reason="viagem")
        with pytest.raises(IllegalTransition,
                           match=f"A sessão nº {a} está cancelada; não pode ser confirmada."):
            scheduling.confirm(practice, a)
    finally:
        i18n.set_language("en")
    assert i18n.format_money(123456, "BRL") == "R$1,234.56"


@pytest.mark.parametrize(("env", "expected"), [("pt_BR.UTF-8", "pt_BR"), ("pt_PT", "pt_BR"),
                                               ("en_US.UTF-8", "en"), ("C", "en")])
def test_language_follows_the_system(monkeypatch: pytest.MonkeyPatch, env: str,
                                     expected: str) -> None:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", env)
    assert i18n.system_language() == expected
