"""argparse's own words ("usage:", "options", "the following arguments are required")
in the app's language: argparse asks gettext for them at the moment it prints, so
its module-level `_` and `ngettext` are pointed at the app's one catalogue. The
words are listed here so the catalogue holds them."""

from __future__ import annotations

import argparse

from app import i18n
from app.i18n import N_

ARGPARSE_WORDS = (
    N_("usage: "), N_("positional arguments"), N_("options"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"), N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"), N_("ignored explicit argument %r"),
    N_("the following arguments are required: %s"), N_("one of the arguments %s is required"),
    N_("expected one argument"), N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("%(prog)s: error: %(message)s\n"), N_("can't open '%(filename)s': %(error)s"),
)


def _plurals() -> None:  # never run: marks argparse's plural words for the catalogue
    i18n.ngettext("expected %s argument", "expected %s arguments", 1)


def install() -> None:
    """From now on argparse speaks the app's language (the current one when it prints)."""
    argparse._ = i18n._  # type: ignore[attr-defined]
    argparse.ngettext = i18n.ngettext  # type: ignore[attr-defined]
