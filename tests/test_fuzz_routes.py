"""Property-based fuzzing of every route (Hypothesis) against the Flask app over the real
dataset: random and adversarial query strings, parameters, Accept headers, paths, IRIs, facet
values, search strings and form bodies. Every response: no 5xx but the documented 503s (a
query stopped at its time or memory limit), the project's JSON error shape on every 4xx asked
for as JSON, none of the input reflected unescaped into HTML, an answer within a bound.

The budget in ``make test`` is deterministic and modest (``MIGKG_FUZZ_EXAMPLES``, default
120 examples a route); for a longer manual run: ``MIGKG_FUZZ_EXAMPLES=5000 pytest
tests/test_fuzz_routes.py``.
"""

from __future__ import annotations

import os
import time
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kgsupport import built_dataset_dir

EXAMPLES = int(os.environ.get("MIGKG_FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
#: An HTML fragment carried in every generated string: it must never come back unescaped.
MARK = "<i id=fz>"
ACCEPTS = st.sampled_from(
    [
        "text/html",
        "application/json",
        "text/turtle",
        "application/sparql-results+json",
        "text/csv",
        "*/*",
        "",
        "application/xml;q=0.1, text/*;q=0.5",
        "garbage/;;q=x",
        "text/html;q=0, application/ld+json",
        "application/n-triples",
        "image/png",
    ]
)
NASTY = st.sampled_from(
    [
        "",
        "'",
        '"',
        "<",
        ">",
        "\\",
        "%",
        "%00",
        "%zz",
        "\u202e",
        "\ud7ff",
        "{",
        "}",
        "(",
        ")",
        "#",
        "?",
        "&",
        "=",
        "/",
        "..",
        "\n",
        " ",
        "\t",
        "SERVICE",
        "LOAD",
        "INSERT",
        "<http://example.org/>",
        "?x",
        "$y",
    ]
)
TEXT = st.lists(st.one_of(NASTY, st.text(max_size=12)), max_size=8).map("".join)
MARKED = st.tuples(TEXT, TEXT).map(lambda t: t[0] + MARK + t[1])
SPARQL = st.one_of(
    MARKED,
    st.tuples(
        st.sampled_from(
            [
                "SELECT * WHERE { ",
                "ASK { ",
                "CONSTRUCT WHERE { ",
                "DESCRIBE ",
                "PREFIX x: <http://x/> SELECT ?s { ",
                "SELECT (COUNT(*) AS ?n) { ",
            ]
        ),
        TEXT,
        st.sampled_from(["}", "} LIMIT 3", " ?s ?p ?o }", "", "}}"]),
    ).map("".join),
)


@pytest.fixture(scope="module")
def client(make_module_app):
    app = make_module_app(
        DATASET_DIR=str(built_dataset_dir()), QUERY_TIMEOUT=5.0, CLIENT_QUERY_SECONDS=100000.0
    )
    return app.test_client()


def check(
    response, accept: str, started: float, method: str = "GET", html_document: bool = False
) -> None:
    """``html_document``: the request named the HTML document itself (``.html``,
    ``format=html``), which answers in HTML whatever the Accept header says."""
    elapsed = time.monotonic() - started
    assert elapsed < 15, f"{elapsed:.1f} s"
    status = response.status_code
    assert status < 500 or (
        status == 503
        and response.get_json(silent=True, force=True)
        and response.get_json(force=True)["code"] in ("QUERY_TIMEOUT", "QUERY_MEMORY_LIMIT")
    ), (status, response.data[:300])
    if (
        400 <= status < 500
        and accept == "application/json"
        and method != "HEAD"
        and not html_document
    ):
        body = response.get_json(force=True)
        assert body["ok"] is False and body["status"] == status and body["code"]
    if response.mimetype == "text/html":
        assert MARK.encode() not in response.data, "input reflected unescaped"


def fetch(client, method: str, url: str, accept: str, **kwargs):
    started = time.monotonic()
    url = "/" + url.lstrip("/")  # "//x" would name a host, not a path
    response = client.open(
        url, method=method, headers={"Accept": accept} if accept else {}, **kwargs
    )
    html_document = (
        url.endswith(".html") or (kwargs.get("query_string") or {}).get("format") == "html"
    )
    check(response, accept, started, method, html_document)
    return response


@FUZZ
@given(
    query=SPARQL,
    fmt=st.sampled_from(["", "json", "csv", "html", "xml", "tsv", "turtle", "x"]),
    accept=ACCEPTS,
)
def test_sparql_get(client, query, fmt, accept):
    params = {"query": query, **({"format": fmt} if fmt else {})}
    fetch(client, "GET", "/sparql", accept, query_string=params)


@FUZZ
@given(
    query=SPARQL,
    extra=st.dictionaries(
        st.sampled_from(
            ["default-graph-uri", "named-graph-uri", "update", "output", "format", "query"]
        ),
        TEXT,
        max_size=3,
    ),
    accept=ACCEPTS,
)
def test_sparql_post_form(client, query, extra, accept):
    fetch(client, "POST", "/sparql", accept, data={"query": query, **extra})


@FUZZ
@given(
    body=st.one_of(SPARQL, st.binary(max_size=200)),
    ctype=st.sampled_from(
        [
            "application/sparql-query",
            "application/sparql-update",
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/sparql-query; charset=latin-1",
        ]
    ),
    accept=ACCEPTS,
)
def test_sparql_post_direct(client, body, ctype, accept):
    fetch(client, "POST", "/sparql", accept, data=body, content_type=ctype)


PATH = st.lists(
    st.one_of(TEXT, st.sampled_from(["kz", "refugees", "x.ttl", "a" * 3000])),
    min_size=1,
    max_size=4,
).map(lambda parts: "/".join(quote(p, safe="") for p in parts))


@FUZZ
@given(
    kind=st.sampled_from(
        [
            "id/area/",
            "id/indicator/",
            "id/observation/",
            "id/authority/",
            "id/law/",
            "graph/",
            "id/",
            "browse/",
            "downloads/",
            "",
        ]
    ),
    path=PATH,
    accept=ACCEPTS,
)
def test_entity_and_document_paths(client, kind, path, accept):
    fetch(client, "GET", "/" + kind + path, accept)


@FUZZ
@given(
    iri=st.one_of(
        MARKED,
        st.sampled_from(
            [
                "https://w3id.org/migkg/id/area/kz",
                "https://w3id.org/migkg/def#Indicator",
                "javascript:alert(1)",
                "http://example.org/" + "x" * 3000,
                "urn:x",
                "https://",
            ]
        ),
    ),
    fmt=st.sampled_from(["", "ttl", "html", "exe", "jsonld"]),
    accept=ACCEPTS,
)
def test_resource_iris(client, iri, fmt, accept):
    fetch(
        client,
        "GET",
        "/resource",
        accept,
        query_string={"iri": iri, **({"format": fmt} if fmt else {})},
    )


@FUZZ
@given(
    q=MARKED,
    kind=st.one_of(TEXT, st.sampled_from(["authority", "law", "area"])),
    limit=st.one_of(TEXT, st.integers(-5, 10**9).map(str)),
    accept=ACCEPTS,
)
def test_search(client, q, kind, limit, accept):
    fetch(client, "GET", "/search", accept, query_string={"q": q})
    fetch(
        client, "GET", "/search.json", accept, query_string={"q": q, "kind": kind, "limit": limit}
    )


@FUZZ
@given(
    area=st.one_of(
        MARKED,
        st.sampled_from(
            ["https://w3id.org/migkg/id/area/kz", "https://w3id.org/migkg/id/area/atlantis"]
        ),
    ),
    section=st.one_of(TEXT, st.integers(-3, 10**12).map(str)),
    page=TEXT,
    accept=ACCEPTS,
)
def test_facets_and_paging(client, area, section, page, accept):
    fetch(client, "GET", "/id/indicator/refugees", accept, query_string={"area": area})
    fetch(client, "GET", "/id/area/kz", accept, query_string={"section": section})
    fetch(client, "GET", "/browse/law", accept, query_string={"page": page})


@FUZZ
@given(
    route=st.sampled_from(
        [
            "/def",
            "/.well-known/void",
            "/downloads",
            "/downloads.ttl",
            "/healthz",
            "/",
            "/linksets",
            "/sparql/examples",
            "/sparql",
        ]
    ),
    fmt=TEXT,
    accept=ACCEPTS,
    method=st.sampled_from(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]),
)
def test_other_routes_and_methods(client, route, fmt, accept, method):
    fetch(client, method, route, accept, query_string={"format": fmt})
