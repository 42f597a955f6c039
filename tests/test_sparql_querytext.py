"""Lexical query analysis (service.store.querytext): form, SERVICE, updates, LIMIT."""

from __future__ import annotations

import pytest

from service.store.querytext import analyse


@pytest.mark.parametrize(
    "text, form",
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
        ("select * { ?s ?p ?o }", "SELECT"),
        ("PREFIX select: <http://x/>\nASK { select:a ?p ?o }", "ASK"),
        ("# CONSTRUCT in a comment\nDESCRIBE <http://x/>", "DESCRIBE"),
        (
            'BASE <http://x/> PREFIX ex: <http://e/> CONSTRUCT { ?s ex:p "SELECT" } WHERE { ?s ?p ?o }',
            "CONSTRUCT",
        ),
        ("PREFIX ex: <http://e/construct/> SELECT ?ask { ?ask ex:describe ?x }", "SELECT"),
        ("SELECT * {", "SELECT"),
        ("nonsense", None),
    ],
)
def test_query_form(text, form):
    assert analyse(text).form == form


@pytest.mark.parametrize(
    "text, services",
    [
        (
            "SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
            ("http://127.0.0.1:9/sparql",),
        ),
        ("SELECT * { service silent <http://e/> { ?s ?p ?o } }", ("http://e/",)),
        ("PREFIX e: <http://e/> SELECT * { SERVICE e:sparql { ?s ?p ?o } }", ("http://e/sparql",)),
        ("SELECT * { SERVICE ?endpoint { ?s ?p ?o } }", (None,)),
        ("SELECT * { ?s ?p ?o .SERVICE<http://e/>{?s ?p ?o} }", ("http://e/",)),
        ('SELECT * { ?s ?p "SERVICE <http://e/>" }', ()),
        ("SELECT * { ?s ?p ?o } # SERVICE <http://e/>", ()),
        ("PREFIX service: <http://e/> SELECT * { ?s service:x ?service }", ()),
        ("SELECT * { ?s <http://e/SERVICE> ?o }", ()),
        (
            "SELECT * { { SELECT * { SERVICE <http://a/> {} } } SERVICE <http://b/> {} }",
            ("http://a/", "http://b/"),
        ),
    ],
)
def test_service_targets(text, services):
    assert analyse(text).services == services


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <http://a> <http://b> <http://c> }",
        "PREFIX ex: <http://e/> DELETE WHERE { ?s ex:p ?o }",
        "LOAD <http://example.org/data.ttl>",
        "CLEAR ALL",
        "drop graph <http://g>",
        "WITH <http://g> DELETE { ?s ?p ?o } WHERE { SELECT * { ?s ?p ?o } }",
    ],
)
def test_updates_are_recognised(text):
    info = analyse(text)
    assert info.is_update and info.form is None


@pytest.mark.parametrize(
    "text, limit",
    [
        ("SELECT * { ?s ?p ?o } LIMIT 10", 10),
        ("SELECT * { ?s ?p ?o } LIMIT 10 OFFSET 5", 10),
        ("SELECT * { ?s ?p ?o } OFFSET 5 LIMIT 7\n# end", 7),
        ("SELECT * { { SELECT * { ?s ?p ?o } LIMIT 3 } }", None),
        ("SELECT * { ?s ?p ?o } LIMIT 3 VALUES ?s { <http://a> }", None),
        ("SELECT * { ?s ?p ?o }", None),
    ],
)
def test_trailing_limit(text, limit):
    assert analyse(text).trailing_limit == limit


def test_prefixes_are_collected():
    info = analyse("PREFIX ex: <http://e/>\nPREFIX : <http://d/>\nSELECT * {}")
    assert info.prefixes == {"ex": "http://e/", "": "http://d/"}
