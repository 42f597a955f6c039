"""An entity's statements as its page lists them: outgoing ones grouped by (predicate, object)
with the named graphs stating each, incoming ones grouped by predicate, and the JSON-LD every
page embeds (expanded form, https://www.w3.org/TR/json-ld11/#expanded-document-form).

Duplicates: a triple that several source documents state sits in several named graphs, and a
query that asks for its graph sees it once per graph; so every query is ``DISTINCT`` and the
statements are grouped here, each listing the graphs it comes from.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ...labels import LABEL_PREDICATES
from ...namespaces import RDF, RDFS, XSD
from ..catalogue import Catalog
from .queries import Term
from .view import short_iri

__all__ = [
    "Statement",
    "IncomingGroup",
    "group_outgoing",
    "group_incoming",
    "objects",
    "first_object",
    "names",
    "entity_jsonld",
]

RDF_TYPE = str(RDF.type)
_RDFS_LABEL = str(RDFS.label)
_XSD_STRING = str(XSD.string)


@dataclass
class Statement:
    """One (predicate, object) of the entity, the graphs stating it, and the statements of a
    blank-node object (one level)."""

    predicate: str
    obj: Term
    graphs: list[str]
    nested: list[tuple[str, Term]] = field(default_factory=list)


@dataclass
class IncomingGroup:
    """The subjects pointing at the entity through one predicate, in label order."""

    predicate: str
    subjects: list[str]


def group_outgoing(rows: list[dict[str, Term]]) -> list[Statement]:
    """Rows of outgoing.rq -> one Statement per (predicate, object), its graphs listed; in
    (predicate, object) order, graphs and nested statements sorted, so that a page does not
    depend on the order an engine returns rows in (the build's materialised rows,
    :mod:`service.build.page_rows`, come from a query over many entities)."""
    found: dict[tuple, Statement] = {}
    for row in rows:
        key = (row["p"].value, row["o"].n3ish())
        statement = found.get(key)
        if statement is None:
            statement = found[key] = Statement(row["p"].value, row["o"], [])
        if row["g"].value not in statement.graphs:
            statement.graphs.append(row["g"].value)
        if row.get("bp") is not None:
            pair = (row["bp"].value, row["bo"])
            if pair not in statement.nested:
                statement.nested.append(pair)
    for statement in found.values():
        statement.graphs.sort()
        statement.nested.sort(key=lambda pair: (pair[0], pair[1].n3ish()))
    return [found[key] for key in sorted(found)]


def group_incoming(rows: list[dict[str, Term]], catalog: Catalog) -> list[IncomingGroup]:
    """Rows of incoming*.rq (?s ?p) -> the subjects by predicate (predicates by short name)."""
    groups: dict[str, dict[str, None]] = defaultdict(dict)
    for row in rows:
        groups[row["p"].value][row["s"].value] = None
    return [
        IncomingGroup(p, sorted(subjects, key=lambda s: (catalog.label(s).casefold(), s)))
        for p, subjects in sorted(groups.items(), key=lambda item: short_iri(item[0]))
    ]


def objects(statements: list[Statement], predicate: str) -> list[Term]:
    """The objects of ``predicate``, in object order (:func:`group_outgoing`)."""
    return [s.obj for s in statements if s.predicate == predicate]


def first_object(statements: list[Statement], predicate: str) -> Term | None:
    """The first object of ``predicate``, or None."""
    found = objects(statements, predicate)
    return found[0] if found else None


def names(outgoing: list[Statement]) -> list[tuple[str, Term]]:
    """The entity's names (literals of the label predicates, best first) with their predicate
    as ``prefix:local``."""
    found = []
    for predicate, _ in LABEL_PREDICATES:
        for statement in outgoing:
            if statement.predicate == predicate and statement.obj.kind == "literal":
                found.append((short_iri(predicate), statement.obj))
    return found


def _jsonld_object(term: Term) -> dict:
    if term.kind == "uri":
        return {"@id": term.value}
    if term.kind == "bnode":
        return {"@id": "_:" + term.value}
    node: dict[str, str] = {"@value": term.value}
    if term.lang:
        node["@language"] = term.lang
    elif term.datatype and term.datatype != _XSD_STRING:
        node["@type"] = term.datatype
    return node


def entity_jsonld(iri: str, statements: list[Statement], catalog: Catalog) -> list[dict]:
    """Expanded JSON-LD: the entity's statements and the labels of what it points to."""
    node: dict[str, Any] = {"@id": iri}
    linked: dict[str, dict] = {}
    for statement in statements:
        if statement.predicate == RDF_TYPE:
            node.setdefault("@type", []).append(statement.obj.value)
            continue
        node.setdefault(statement.predicate, []).append(_jsonld_object(statement.obj))
        if statement.obj.kind == "uri" and statement.obj.value in catalog.labels:
            linked[statement.obj.value] = {
                "@id": statement.obj.value,
                _RDFS_LABEL: [{"@value": catalog.labels[statement.obj.value]}],
            }
        if statement.obj.kind == "bnode" and statement.nested:
            bnode: dict[str, Any] = {"@id": "_:" + statement.obj.value}
            for predicate, value in statement.nested:
                if predicate == RDF_TYPE:
                    bnode.setdefault("@type", []).append(value.value)
                else:
                    bnode.setdefault(predicate, []).append(_jsonld_object(value))
            linked["_:" + statement.obj.value] = bnode
    return [node, *linked.values()]
