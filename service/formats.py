"""The result formats, one table per result kind: :data:`RESULT_FORMATS` for SELECT/ASK and
:data:`GRAPH_FORMATS` for CONSTRUCT/DESCRIBE (SPARQL 1.1 Protocol,
https://www.w3.org/TR/sparql11-protocol/#query-success). Each row is
``(media type, format key, content-type header, aliases)``; the keys name Oxigraph's
serialisers (:mod:`service.store.executor`). The web layer negotiates among them
(:mod:`service.web.negotiation`) and hands the store a resolved key.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Format", "RESULT_FORMATS", "GRAPH_FORMATS", "RDFLIB_NAMES", "by_key"]


@dataclass(frozen=True)
class Format:
    """One row of a format table."""

    media_type: str
    key: str
    content_type: str
    aliases: tuple[str, ...] = ()


RESULT_FORMATS: tuple[Format, ...] = (
    Format(
        "application/sparql-results+json",
        "json",
        "application/sparql-results+json",
        ("json", "srj", "application/json", "text/javascript", "application/javascript"),
    ),
    Format(
        "application/sparql-results+xml",
        "xml",
        "application/sparql-results+xml",
        ("xml", "srx", "application/xml", "text/xml"),
    ),
    Format("text/csv", "csv", "text/csv; charset=utf-8", ("csv",)),
    Format(
        "text/tab-separated-values",
        "tsv",
        "text/tab-separated-values; charset=utf-8",
        ("tsv", "tab"),
    ),
)

GRAPH_FORMATS: tuple[Format, ...] = (
    Format(
        "text/turtle",
        "turtle",
        "text/turtle; charset=utf-8",
        ("turtle", "ttl", "application/x-turtle", "text/n3", "n3", "text/rdf+n3"),
    ),
    Format(
        "application/n-triples",
        "ntriples",
        "application/n-triples",
        ("nt", "ntriples", "n-triples", "text/plain"),
    ),
    Format(
        "application/ld+json",
        "jsonld",
        "application/ld+json",
        ("json-ld", "jsonld", "json", "application/json"),
    ),
    Format(
        "application/rdf+xml",
        "rdfxml",
        "application/rdf+xml",
        ("xml", "rdf", "rdfxml", "rdf+xml", "application/xml", "text/xml"),
    ),
    Format("application/trig", "trig", "application/trig", ("trig",)),
    Format("application/n-quads", "nquads", "application/n-quads", ("nq", "nquads", "n-quads")),
)

#: rdflib's serialiser name of each graph format (for graphs built with rdflib: the service
#: description, VoID, DCAT).
RDFLIB_NAMES: dict[str, str] = {
    "turtle": "turtle",
    "ntriples": "nt",
    "jsonld": "json-ld",
    "rdfxml": "xml",
    "trig": "trig",
    "nquads": "nquads",
}


def by_key(table: tuple[Format, ...], key: str | None) -> Format | None:
    """The row of ``table`` with format key ``key`` (None when absent)."""
    return next((row for row in table if row.key == key), None)
