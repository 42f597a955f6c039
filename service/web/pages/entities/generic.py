"""The part every entity page has, whatever its kind: the heading (label, kinds, the IRI), the
representations (:mod:`service.iris` document URLs), the names and descriptions, the embedded
JSON-LD, every statement with the graphs stating it, and "Referenced by".

:class:`Subject` is what the per-kind sections read the entity with; :class:`EntityPage` is the
view model of ``templates/pages/entity.html``, which includes one template per section.

"Referenced by" lists at most ``PAGE_INCOMING_LIMIT`` references (the page says when there are
more). References through a predicate a section already covers (an indicator's or a big
country's figures, reached through its facet index; a source's figures, listed on its page) are
left out of the query and summarised (:class:`Summary`) instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from ....iris import DOCUMENT_FORMATS, EXTENSIONS
from ....namespaces import DCT, RDFS, SKOS
from ....store import Store
from ...catalogue import Catalog
from ..limits import Limits
from ..queries import Term, select_capped, stored_or_select, stored_or_select_capped
from ..statements import (
    RDF_TYPE,
    IncomingGroup,
    Statement,
    entity_jsonld,
    group_incoming,
    group_outgoing,
    names,
)
from ..view import StatementRow, View

__all__ = [
    "Subject",
    "Summary",
    "Document",
    "Incoming",
    "SectionView",
    "EntityPage",
    "read_subject",
    "read_incoming",
    "entity_page",
]

#: Predicates whose literals are shown as the entity's description, in this order.
DESCRIPTION_PREDICATES = (
    str(DCT.description),
    str(SKOS.definition),
    str(SKOS.note),
    str(RDFS.comment),
)
#: How a document link is labelled, by extension.
_FORMAT_NAMES = {"ttl": "Turtle", "jsonld": "JSON-LD", "nt": "N-Triples", "rdf": "RDF/XML"}


@dataclass(frozen=True)
class Subject:
    """The entity a page is about, as its sections read it: its IRI and the request path that
    named it, its kind (:meth:`service.iris.IriScheme.kind`) and types (catalogue and
    ``rdf:type`` statements), its outgoing statements, and the store, catalogue and view of the
    request; ``facets`` are the page's facet parameters (``area``, ``section``), ``limits``
    how much the page shows."""

    iri: str
    path: str
    kind: str
    types: frozenset[str]
    outgoing: list[Statement]
    store: Store
    catalog: Catalog
    view: View
    limits: Limits
    facets: Mapping[str, Any] = field(default_factory=dict)
    #: the rows of its page queries the build materialised (:mod:`service.build.page_rows`:
    #: SPARQL JSON bindings by query name), or None: the page asks the store
    stored: Mapping[str, list[dict]] | None = None


@dataclass(frozen=True)
class Summary:
    """References through ``predicate`` that "Referenced by" does not list: ``count`` figures,
    which the page shows ``where`` ("listed above", "reached through the areas above")."""

    predicate: str
    count: int
    where: str


@dataclass(frozen=True)
class Document:
    """One representation of the entity: extension, media type, URL and what to call it."""

    ext: str
    media_type: str
    url: str
    name: str


@dataclass(frozen=True)
class Incoming:
    """The references read for "Referenced by": ``count`` statements (the first
    ``PAGE_INCOMING_LIMIT``; ``capped`` when there are more), by predicate."""

    groups: list[IncomingGroup]
    count: int
    capped: bool

    @property
    def found(self) -> bool:
        """Whether anything refers to the entity."""
        return self.count > 0 or self.capped


class SectionView(Protocol):
    """The view model of a per-kind section, rendered by its ``template`` with ``page`` bound
    to it (``ObservationView``, ``CountryView``, ...)."""

    template: ClassVar[str]


@dataclass(frozen=True)
class EntityPage:
    """The view model of an entity page: the common part, then ``sections`` (one view model per
    kind the entity is, each naming its template), in page order."""

    iri: str
    kind: str
    label: str
    types: list[str]
    documents: list[Document]
    describe_url: str
    editor_url: str
    names: list[tuple[str, Term]]
    description: list[Term]
    jsonld: list[dict]
    outgoing: list[Statement]
    statements: list[StatementRow]  # the outgoing statements as rows of the table
    incoming: Incoming
    summaries: list[Summary]
    sections: list[SectionView]
    graph: Mapping[str, Any] | None = None


def read_subject(
    store: Store,
    iri: str,
    path: str,
    catalog: Catalog,
    view: View,
    limits: Limits,
    facets,
    materialised: bool = True,
) -> Subject:
    """The entity's outgoing statements (outgoing.rq) and types; with ``materialised``, read
    from the rows the build stored for it when it did (``PAGE_MATERIALISED``)."""
    stored = catalog.page_rows(iri) if materialised else None
    outgoing = group_outgoing(stored_or_select(store, stored, "outgoing", iri))
    types = frozenset(catalog.types.get(iri, ())) | {
        s.obj.value for s in outgoing if s.predicate == RDF_TYPE
    }
    kind = view.scheme.kind(iri)
    return Subject(
        iri, path, kind, types, outgoing, store, catalog, view, limits, dict(facets), stored
    )


def read_incoming(subject: Subject, query: str, **values: str) -> Incoming:
    """The references to the entity read by ``query`` (incoming*.rq, with ``values`` bound
    besides ``entity``; the first ``PAGE_INCOMING_LIMIT``), grouped."""
    cap = subject.limits.incoming
    if values:  # incoming-except and incoming-source: never materialised
        rows = select_capped(subject.store, query, cap, entity=subject.iri, **values)
    else:
        rows = stored_or_select_capped(subject.store, subject.stored, query, cap, subject.iri)
    return Incoming(group_incoming(rows.rows, subject.catalog), len(rows), rows.truncated)


def entity_page(
    subject: Subject,
    incoming: Incoming,
    summaries: list[Summary],
    sections: list[SectionView],
    graph: Mapping[str, Any] | None,
) -> EntityPage:
    """The common part of the page of ``subject`` around its ``sections``."""
    iri, scheme, catalog = subject.iri, subject.view.scheme, subject.catalog
    return EntityPage(
        iri=iri,
        kind=subject.kind,
        label=catalog.label(iri),
        types=sorted(subject.types),
        documents=[
            Document(
                ext, DOCUMENT_FORMATS[ext][1], scheme.document_url(iri, ext), _FORMAT_NAMES[ext]
            )
            for ext in EXTENSIONS
        ],
        describe_url=scheme.describe_url(iri),
        editor_url=scheme.editor_url(iri),
        names=names(subject.outgoing),
        description=[s.obj for s in subject.outgoing if s.predicate in DESCRIPTION_PREDICATES],
        jsonld=entity_jsonld(iri, subject.outgoing, catalog),
        outgoing=subject.outgoing,
        statements=[subject.view.statement_row(s) for s in subject.outgoing],
        incoming=incoming,
        summaries=summaries,
        sections=sections,
        graph=graph,
    )
