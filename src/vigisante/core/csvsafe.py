"""CSV cells that a spreadsheet would not run as a formula (CSV/formula injection).

Every CSV the site writes goes through `cell` (observatory tables today). A text starting
with = + - @, a tab or a carriage return is prefixed with an apostrophe, which spreadsheets
show as text; numbers written by the site itself are left as they are.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """The text of one CSV cell, neutralised when it is text that could be a formula."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
