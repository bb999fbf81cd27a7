"""Text bound for a spreadsheet stays text. A cell that begins with `=`, `+`, `-`,
`@`, a tab or a carriage return is read by Excel, LibreOffice and Google Sheets as a
formula, and formulas such as HYPERLINK, WEBSERVICE or IMPORTXML can send other
cells out (OWASP, "CSV Injection"). Names, notes and services come from people we
do not control, so an export neutralises them, and the import reads them back as
they were."""

from __future__ import annotations

# OWASP's list of characters that start a formula, and their full-width and
# small forms (East Asian input turns "=" into "＝", which some spreadsheets take
# as "=").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r",
                  "\uff1d", "\uff0b", "\uff0d", "\uff20", "\ufe66", "\ufe62", "\ufe63", "\ufe6b")


def _needs_apostrophe(text: str) -> bool:
    """Whether a spreadsheet could read the cell as a formula: it starts one, after
    any white space (some spreadsheets trim it first), or it is an apostrophe
    before such a cell (so that the import's inverse is exact)."""
    if text.lstrip(" \n\u3000\u00a0").startswith(FORMULA_STARTS):
        return True
    return text.startswith("'") and _needs_apostrophe(text[1:])


def neutral(text: str) -> str:
    """The text as a CSV cell no spreadsheet runs: a leading apostrophe when it could
    start a formula ("=2*3" -> "'=2*3", " =1" -> "' =1", "'=1" -> "''=1")."""
    return "'" + text if _needs_apostrophe(text) else text


def as_written(text: str) -> str:
    """neutral()'s inverse, for a cell read back: "'=2*3" -> "=2*3"; any other text
    (a name that begins with an apostrophe, "'s Hertogenbosch") as it is."""
    if text.startswith("'") and _needs_apostrophe(text[1:]):
        return text[1:]
    return text
