"""Accent- and case-folding of names, the same at build time (the catalogue's search words) and
at query time (the search box): Unicode NFKD, combining marks dropped, casefold, punctuation as
single spaces. "Komitét" and "komitet" fold alike; "STAT KZ" folds to "stat kz"."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalise", "words"]

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalise(text: str) -> str:
    """Lower-case, accents removed, punctuation as single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", stripped.casefold()).replace("_", " ").split())


def words(text: str) -> list[str]:
    return normalise(text).split()
