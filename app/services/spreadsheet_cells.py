"""Text bound for a spreadsheet stays text. A cell that begins with `=`, `+`, `-`,
`@`, a tab or a carriage return is read by Excel, LibreOffice and Google Sheets as a
formula, and formulas such as HYPERLINK, WEBSERVICE or IMPORTXML can send other
cells out (OWASP, "CSV Injection"). Names, notes and services come from people we
do not control, so an export neutralises them, and the import reads them back as
they were."""

from __future__ import annotations

# OWASP's list of characters that start a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(text: str) -> str:
    """The text as a CSV cell no spreadsheet runs: a leading apostrophe when it would
    start a formula ("=2*3" -> "'=2*3"), and when it already starts with an
    apostrophe before such a character, so the import's inverse is exact."""
    if text.startswith(FORMULA_STARTS) or (text.startswith("'") and
                                           text[1:].startswith(FORMULA_STARTS)):
        return "'" + text
    return text


def as_written(text: str) -> str:
    """neutral()'s inverse, for a cell read back: "'=2*3" -> "=2*3"; any other text
    (a name that begins with an apostrophe, "'s Hertogenbosch") as it is."""
    if text.startswith("'") and neutral(text[1:]) == text:
        return text[1:]
    return text
