"""Finding an establishment by what a person remembers of it: part of its name, its town or
its FINESS number, whatever the accents and case ("ehpad les tilleuls", "lyon", "690000022").

Used by the establishment search of the staff forms (`forms.EstablishmentField`), which works
without JavaScript: the server answers with the matches, the user picks one.
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from vigisante.core.text import accent_pattern

MAX_TERMS = 6
MAX_QUERY = 100
_FINESS = re.compile(r"\d{9}")


def normalise(text: str) -> str:
    """The query as searched: trimmed, spaces collapsed, bounded."""
    return " ".join((text or "").split())[:MAX_QUERY]


def condition(text: str) -> Q | None:
    """The SQL condition for `text` (None when there is nothing to search): every word must
    be in the name or the town (accents and case ignored), or start the FINESS number; a
    FINESS number typed with spaces ("69 000 0022") is one word."""
    text = normalise(text)
    if not text:
        return None
    digits = text.replace(" ", "")
    if _FINESS.fullmatch(digits):
        return Q(finess=digits)
    match = Q()
    for word in text.split(" ")[:MAX_TERMS]:
        pattern = accent_pattern(word)
        term = Q(name__iregex=pattern) | Q(town__iregex=pattern)
        if word.isdigit():
            term |= Q(finess__startswith=word)
        match &= term
    return match


def search(qs: QuerySet, text: str, limit: int) -> tuple[list, bool]:
    """The establishments of `qs` matching `text`, by name, at most `limit` of them, and
    whether there are more."""
    cond = condition(text)
    if cond is None:
        return [], False
    found = list(qs.filter(cond).order_by("name", "pk")[: limit + 1])
    return found[:limit], len(found) > limit
