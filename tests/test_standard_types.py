"""Explicit standard types: a SPARQL client without inference finds every instance of a standard
class that the ontology implies (``?x a skos:Concept`` finds every indicator and code value,
``?x a org:Organization`` every authority, ...), asked of the built dataset as served."""

from __future__ import annotations

import pytest
from kgsupport import select

OWN = ("https://w3id.org/migkg/",)


def standard_classes() -> list[str]:
    """Every class outside the project's namespace that a class in use reaches by subClassOf."""
    rows = select("""SELECT DISTINCT ?super WHERE {
        ?x a ?class . ?class rdfs:subClassOf+ ?super . FILTER(isIRI(?super)) }""")
    return sorted(r["super"] for r in rows if not r["super"].startswith(OWN))


def test_the_ontology_reaches_the_standard_classes_users_ask_for():
    classes = set(standard_classes())
    assert {
        "http://www.w3.org/2004/02/skos/core#Concept",
        "http://www.w3.org/ns/org#Organization",
        "http://data.europa.eu/eli/ontology#LegalResource",
        "http://www.w3.org/2006/time#Interval",
        "http://www.w3.org/ns/prov#Entity",
    } <= classes


@pytest.mark.parametrize("cls", standard_classes())
def test_every_implied_instance_is_typed_explicitly(cls):
    asked = {r["x"] for r in select(f"SELECT ?x WHERE {{ ?x a <{cls}> }}")}
    implied = {
        r["x"] for r in select(f"SELECT DISTINCT ?x WHERE {{ ?x a/rdfs:subClassOf* <{cls}> }}")
    }
    assert implied and asked == implied


def test_every_indicator_is_a_skos_concept():
    indicators = {r["x"] for r in select("SELECT ?x WHERE { ?x a mig:Indicator }")}
    concepts = {r["x"] for r in select("SELECT ?x WHERE { ?x a skos:Concept }")}
    assert len(indicators) > 50 and indicators <= concepts
