"""The W3C Data Cube integrity constraints hold on the data, and the grouped IC-12 used by
validation agrees with the official pairwise query."""

from __future__ import annotations

from kgsupport import iri, mutated, real_sources
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from service.build import datacube
from service.namespaces import QB, SDMX_DIMENSION, SDMX_MEASURE


def test_all_integrity_constraints_hold_on_the_real_data():
    results = datacube.check(real_sources().union())
    assert {r.constraint for r in results} == set(datacube.VALIDATION_QUERIES)
    assert [r.constraint for r in results if r.violated] == []


def _duplicate_graph() -> Graph:
    """Two observations of one dataset with the same dimension values (and different values)."""
    union = real_sources().union()
    original = iri("id/observation/mpl-t1-immigrants-2009")
    twin = iri("id/observation/test-twin")
    for p, o in union.predicate_objects(original):
        union.add((twin, p, o))
    union.set((twin, SDMX_MEASURE.obsValue, Literal(1, datatype=XSD.integer)))
    return union


def test_official_and_grouped_ic12_agree():
    for graph, expected in ((real_sources().union(), False), (_duplicate_graph(), True)):
        store = datacube.store_from_graph(graph)
        assert datacube.ask(store, "ic-12.rq") is expected
        assert datacube.ask(store, "ic-12-grouped.rq") is expected


def test_grouped_ic12_tells_a_differing_dimension_apart():
    graph = _duplicate_graph()
    graph.set(
        (iri("id/observation/test-twin"), SDMX_DIMENSION.refPeriod, iri("id/period/from-2022"))
    )
    store = datacube.store_from_graph(graph)
    assert datacube.ask(store, "ic-12.rq") is False
    assert datacube.ask(store, "ic-12-grouped.rq") is False


def test_an_observation_without_a_dataset_violates_ic1():
    sources = mutated(remove=[(iri("id/observation/web-gi-idps-unhcr-2024"), QB.dataSet, None)])
    violated = {r.constraint for r in datacube.check(sources.union()) if r.violated}
    assert "IC-1" in violated


def test_a_missing_dimension_violates_ic11():
    sources = mutated(
        remove=[(iri("id/observation/web-gi-idps-unhcr-2024"), SDMX_DIMENSION.sex, None)]
    )
    violated = {r.constraint for r in datacube.check(sources.union()) if r.violated}
    assert "IC-11" in violated


def test_a_code_outside_its_code_list_violates_ic19():
    obs = iri("id/observation/web-gi-idps-unhcr-2024")
    sources = mutated(
        remove=[(obs, URIRef("https://w3id.org/migkg/def#ethnicGroup"), None)],
        add=[
            (obs, URIRef("https://w3id.org/migkg/def#ethnicGroup"), iri("id/code/not-in-any-list"))
        ],
    )
    violated = {r.constraint for r in datacube.check(sources.union()) if r.violated}
    assert "IC-19a" in violated
