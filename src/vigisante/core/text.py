"""Text matching shared by the searches of the site (the queue, the establishment search)."""

from __future__ import annotations

_FOLD = {
    "a": "aàâäáã", "c": "cç", "e": "eéèêë", "i": "iîïí", "o": "oôöó", "u": "uùûüú", "y": "yÿ",
    "n": "nñ",
}
_SPECIAL = set("\\.^$|?*+()[]{}-")
_CLASS: dict[str, str] = {}
for _base, _variants in _FOLD.items():
    for _ch in _variants:
        _CLASS[_ch] = "[" + _variants + _variants.upper() + "]"


def accent_pattern(text: str) -> str:
    """A case- and accent-insensitive regular expression for `text`: "rancon" finds
    "Rançon" (issue 10). Portable: SQLite (Python's re) and PostgreSQL (whose trigram
    indexes serve regular expressions too)."""
    out = []
    for ch in text.lower():
        if ch in _CLASS:
            out.append(_CLASS[ch])
        elif ch in _SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)
