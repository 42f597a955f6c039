"""The default graph is the RDF merge of the named graphs: a triple that two source
documents both state (the Law "On Refugees" is described by the MPL and the 2024 page) is
one triple, while GRAPH ?g still tells the two graphs apart."""

from __future__ import annotations

import pytest

JSON = {"Accept": "application/sparql-results+json"}
TITLE = (
    "SELECT ?t WHERE { <https://w3id.org/migkg/id/law/on-refugees/en> "
    "<http://data.europa.eu/eli/ontology#title> ?t }"
)


@pytest.fixture(scope="module")
def client(make_module_app, built_dataset):
    return make_module_app(DATASET_DIR=str(built_dataset)).test_client()


def _bindings(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]["bindings"]


def test_a_triple_in_two_graphs_is_one_triple_of_the_default_graph(client):
    assert len(_bindings(client.get("/sparql", query_string={"query": TITLE}, headers=JSON))) == 1


def test_graph_keeps_the_provenance(client):
    query = (
        "SELECT ?g WHERE { GRAPH ?g { <https://w3id.org/migkg/id/law/on-refugees/en> "
        "<http://data.europa.eu/eli/ontology#title> ?t } } ORDER BY ?g"
    )
    graphs = [
        b["g"]["value"]
        for b in _bindings(client.get("/sparql", query_string={"query": query}, headers=JSON))
    ]
    assert graphs == [
        "https://w3id.org/migkg/graph/mpl-2015",
        "https://w3id.org/migkg/graph/profile-2024",
    ]


def test_counts_over_the_default_graph_are_distinct(client):
    total = int(
        _bindings(
            client.get(
                "/sparql",
                query_string={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                headers=JSON,
            )
        )[0]["n"]["value"]
    )
    distinct = int(
        _bindings(
            client.get(
                "/sparql",
                query_string={
                    "query": "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
                },
                headers=JSON,
            )
        )[0]["n"]["value"]
    )
    assert total == distinct


TRICKY_NQUADS = (
    "<http://x/s> <http://x/p> <http://x/o> <http://x/g1> .\n"
    "<http://x/s> <http://x/p> <http://x/o> <http://x/g2> .\n"
    '<http://x/s> <http://x/label> "ends like a quad: <http://x/g1> ." <http://x/g1> .\n'
    '<http://x/s> <http://x/label> "Астана"@kk <http://x/g2> .\n'
    '<http://x/s> <http://x/n> "7"^^<http://www.w3.org/2001/XMLSchema#integer> <http://x/g2> .\n'
    "_:b1 <http://x/p> _:b2 <http://x/g1> .\n"
    '<http://x/s> <http://x/note> "line\\nbreak" <http://x/g2> .\n'
    '_:b1 <http://x/q> "the same blank node, further down" <http://x/g2> .\n'
)


@pytest.mark.parametrize("chunk_bytes", [1, 60, 1 << 20])
def test_loader_writes_the_merge_beside_the_named_graphs_whatever_the_chunking(
    tmp_path, chunk_bytes
):
    """The loader feeds the file in pieces from two threads (see ``_bulk_load_with_merge``):
    the result must not depend on where the pieces are cut, and stripping the graph name must
    leave literals that merely look like a graph name alone."""
    import pyoxigraph as ox

    from service.build.store_loader import _bulk_load_with_merge

    source = tmp_path / "dataset.nq"
    source.write_text(TRICKY_NQUADS, encoding="utf-8")
    store = ox.Store(str(tmp_path / "db"))
    _bulk_load_with_merge(store, source, chunk_bytes=chunk_bytes)
    named = {
        (q.subject, q.predicate, q.object, q.graph_name)
        for q in store.quads_for_pattern(None, None, None, None)
        if not isinstance(q.graph_name, ox.DefaultGraph)
    }
    default = {
        (q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())
    }
    expected = set(ox.parse(TRICKY_NQUADS.encode(), format=ox.RdfFormat.N_QUADS))  # keeps labels
    assert named == {(q.subject, q.predicate, q.object, q.graph_name) for q in expected}
    assert default == {(q.subject, q.predicate, q.object) for q in expected}
    assert len(default) == 7  # the triple in g1 and g2 is one triple of the merge
    # a blank node keeps one identity across pieces and between named and default graph
    assert len({s for s, _, _ in default if isinstance(s, ox.BlankNode)}) == 1
    assert ox.Literal("ends like a quad: <http://x/g1> .") in {o for _, _, o in default}
