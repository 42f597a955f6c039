"""The section of a law's or policy document's page (ELI, https://op.europa.eu/en/web/eu-vocabularies/eli):
its expressions (titles), amendments, what it amends, is based on or related to, each with its
title, dates and type one hop further (law-related.rq).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ....namespaces import ELI, MIG, RDF
from ..queries import Term, bind, load_query, select
from .generic import Subject

__all__ = ["LawView", "RelatedGroup", "Related", "LAW_TYPES", "applies", "build"]

#: Types of the documents that get this section (besides every ``/id/law/...``).
LAW_TYPES = frozenset(
    {
        MIG + "Law",
        MIG + "Decree",
        MIG + "InternationalAgreement",
        MIG + "PolicyDocument",
        MIG + "Amendment",
        str(ELI.LegalResource),
    }
)
#: The heading of each relation (others: the predicate's label).
HEADINGS = {
    str(ELI.is_realized_by): "Expressions (titles)",
    str(ELI.amended_by): "Amendments",
    str(ELI.amends): "Amends",
    str(ELI.based_on): "Based on",
    str(ELI.related_to): "Related documents",
}
_RDF_TYPE = str(RDF.type)


@dataclass(frozen=True)
class Related:
    """A related document and its facts (predicate, values), its types left out."""

    iri: str
    facts: list[tuple[str, list[Term]]]


@dataclass(frozen=True)
class RelatedGroup:
    """The documents related through one ELI relation, under its heading."""

    relation: str
    heading: str
    documents: list[Related]


@dataclass(frozen=True)
class LawView:
    """The related documents by relation, in the order the query first met each."""

    template: ClassVar[str] = "pages/entity/law.html"

    groups: list[RelatedGroup]


def applies(subject: Subject) -> bool:
    return bool(subject.types & LAW_TYPES) or subject.kind == "law"


def build(subject: Subject) -> LawView:
    """The law's section: law-related.rq."""
    related: dict[str, tuple[str, dict[str, list[Term]]]] = {}
    for row in select(subject.store, bind(load_query("law-related"), entity=subject.iri)):
        relation, facts = related.setdefault(row["target"].value, (row["rel"].value, {}))
        values = facts.setdefault(row["p"].value, [])
        if row["v"] not in values:
            values.append(row["v"])
    groups: dict[str, list[Related]] = {}
    for target, (relation, facts) in related.items():
        shown = [(p, values) for p, values in facts.items() if p != _RDF_TYPE]
        groups.setdefault(relation, []).append(Related(target, shown))
    return LawView(
        [
            RelatedGroup(
                relation, HEADINGS.get(relation) or subject.catalog.label(relation), documents
            )
            for relation, documents in groups.items()
        ]
    )
