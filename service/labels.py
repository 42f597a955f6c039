"""Which literal names an entity: the label predicates, best first, shared by the build (the
catalogue it writes) and the pages (which read it)."""

from __future__ import annotations

from .namespaces import DCT, ELI, MIG, RDFS, SKOS

__all__ = ["LABEL_PREDICATES", "SHORT_PREDICATES", "label_rank"]

#: Label predicates, best first, and the search field each one feeds.
LABEL_PREDICATES: tuple[tuple[str, str], ...] = (
    (str(SKOS.prefLabel), "label"),
    (str(RDFS.label), "label"),
    (str(DCT.title), "title"),
    (str(ELI.title), "title"),
    (str(MIG.shortName), "short"),
    (str(SKOS.altLabel), "alt"),
    (str(SKOS.notation), "notation"),
)
#: Predicates whose short (<= 24 characters) English value is shown as an entity's short name.
SHORT_PREDICATES = (str(MIG.shortName), str(SKOS.altLabel))

_RANK = {predicate: i for i, (predicate, _) in enumerate(LABEL_PREDICATES)}


def label_rank(predicate: str, lang: str) -> tuple[int, int]:
    """Sort key of a name: English or untagged first, then by predicate."""
    return (0 if lang in ("en", "") else 1, _RANK.get(predicate, 99))
