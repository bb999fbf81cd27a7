"""The translations are compiled once into the user's cache: a command or the window
then starts without reading the .po; an edited catalogue, or a damaged or
unwritable cache, never gives old or no translations."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app import i18n

PO = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"

msgid "Cancel"
msgstr "{word}"
"""


@pytest.fixture
def catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    po = tmp_path / "locale" / "pt_BR" / "LC_MESSAGES" / "practice.po"
    po.parent.mkdir(parents=True)
    po.write_text(PO.format(word="Cancelar"), encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for cached in (i18n._load, i18n._catalog):
        cached.cache_clear()
    yield po
    for cached in (i18n._load, i18n._catalog):
        cached.cache_clear()


def test_compiled_once_and_read_from_the_cache(catalogue: Path) -> None:
    assert i18n._load("pt_BR").gettext("Cancel") == "Cancelar"
    assert len(list(i18n._cache_dir().glob("practice-pt_BR-*.mo"))) == 1
    # The .po becomes unreadable but keeps its size and time: the cache is what is read.
    before = catalogue.stat()
    catalogue.write_bytes(b"#" * before.st_size)
    os.utime(catalogue, ns=(before.st_atime_ns, before.st_mtime_ns))
    i18n._load.cache_clear()
    i18n._catalog.cache_clear()
    assert i18n._load("pt_BR").gettext("Cancel") == "Cancelar"


def test_an_edited_catalogue_is_compiled_again(catalogue: Path) -> None:
    assert i18n._load("pt_BR").gettext("Cancel") == "Cancelar"
    catalogue.write_text(PO.format(word="Desistir"), encoding="utf-8")
    i18n._load.cache_clear()
    i18n._catalog.cache_clear()
    assert i18n._load("pt_BR").gettext("Cancel") == "Desistir"


def test_a_damaged_or_unwritable_cache_still_translates(
        catalogue: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    i18n._load("pt_BR")
    [compiled] = i18n._cache_dir().glob("practice-pt_BR-*.mo")
    compiled.write_bytes(b"\x00garbage")
    i18n._load.cache_clear()
    assert i18n._load("pt_BR").gettext("Cancel") == "Cancelar"
    # A cache that cannot be written (its folder's place taken by a file).
    monkeypatch.setenv("XDG_CACHE_HOME", str(catalogue.parent / "practice.po"))
    i18n._load.cache_clear()
    assert i18n._load("pt_BR").gettext("Cancel") == "Cancelar"
