"""Content negotiation (service.web.negotiation), table-driven."""

from __future__ import annotations

import pytest

from service.web.negotiation import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    NotAcceptable,
    choose_format,
    parse_accept,
    prefers_html,
)


@pytest.mark.parametrize(
    "header, expected",
    [
        (None, [("*/*", 1.0)]),
        ("", [("*/*", 1.0)]),
        ("text/csv", [("text/csv", 1.0)]),
        (
            "text/csv;q=0.5, application/sparql-results+json",
            [("application/sparql-results+json", 1.0), ("text/csv", 0.5)],
        ),
        (
            "*/*;q=0.1, text/*;q=0.1, text/turtle;q=0.1",
            [("text/turtle", 0.1), ("text/*", 0.1), ("*/*", 0.1)],
        ),
        ("text/turtle;q=0, application/n-triples", [("application/n-triples", 1.0)]),
        ("garbage, text/turtle;q=abc", []),
        ("TEXT/Turtle", [("text/turtle", 1.0)]),
    ],
)
def test_parse_accept_orders_by_q_then_specificity(header, expected):
    assert [(media, q) for media, q, _ in parse_accept(header)] == expected


@pytest.mark.parametrize(
    "accept, format_param, expected",
    [
        (None, None, "application/sparql-results+json"),
        ("*/*", None, "application/sparql-results+json"),
        ("application/sparql-results+xml", None, "application/sparql-results+xml"),
        ("application/json", None, "application/sparql-results+json"),
        ("text/csv", None, "text/csv"),
        ("text/tab-separated-values", None, "text/tab-separated-values"),
        (
            "text/csv;q=0.4, application/sparql-results+xml;q=0.9",
            None,
            "application/sparql-results+xml",
        ),
        ("text/*", None, "text/csv"),
        ("application/xml", None, "application/sparql-results+xml"),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            None,
            "application/sparql-results+xml",
        ),
        ("text/csv", "json", "application/sparql-results+json"),
        (None, "tsv", "text/tab-separated-values"),
        (None, ("tsv", "text/tab-separated-values"), "text/tab-separated-values"),
        (None, ("nonsense", "csv"), "text/csv"),
    ],
)
def test_choose_result_format(accept, format_param, expected):
    assert choose_format(RESULT_FORMATS, accept, format_param).media_type == expected


@pytest.mark.parametrize(
    "accept, format_param, expected",
    [
        (None, None, "text/turtle"),
        ("application/n-triples", None, "application/n-triples"),
        ("application/ld+json", None, "application/ld+json"),
        ("application/json", None, "application/ld+json"),
        ("application/rdf+xml", None, "application/rdf+xml"),
        ("application/trig", None, "application/trig"),
        ("application/n-quads", None, "application/n-quads"),
        ("text/turtle;q=0.5, application/rdf+xml", None, "application/rdf+xml"),
        (None, "json-ld", "application/ld+json"),
        (None, "xml", "application/rdf+xml"),
        (None, "n3", "text/turtle"),
    ],
)
def test_choose_graph_format(accept, format_param, expected):
    assert choose_format(GRAPH_FORMATS, accept, format_param).media_type == expected


@pytest.mark.parametrize(
    "table, accept, format_param",
    [
        (RESULT_FORMATS, "image/png", None),
        (RESULT_FORMATS, "text/turtle", None),
        (GRAPH_FORMATS, "text/csv", None),
        (RESULT_FORMATS, None, "pdf"),
    ],
)
def test_nothing_acceptable_raises_with_supported_list(table, accept, format_param):
    with pytest.raises(NotAcceptable) as info:
        choose_format(table, accept, format_param)
    assert info.value.supported == [row.media_type for row in table]


@pytest.mark.parametrize(
    "accept, expected",
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("text/html", True),
        ("*/*", False),
        (None, False),
        ("text/turtle, text/html;q=0.5", False),
        ("application/sparql-results+json", False),
        ("text/html;q=0", False),
    ],
)
def test_prefers_html_only_for_browsers(accept, expected):
    assert prefers_html(accept) is expected
