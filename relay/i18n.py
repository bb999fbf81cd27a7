"""The relay's own words for its pages: GNU gettext catalogues kept by Babel in
relay/locale/<lang>/LC_MESSAGES/relay.po (the `relay` domain, extracted from relay/
only by `make i18n`), shipped inside the relay's package. The same mechanism as
the desktop's app.i18n, without importing it: the relay installs alone, without
the desktop app or Qt."""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "relay"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SUPPORTED = ("en", "pt_BR")  # English is the source language: it needs no catalogue


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The words of `lang` ("pt_BR" or "en"); English, or a language without a
    catalogue, says the source text as it is."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == "en" or not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)
