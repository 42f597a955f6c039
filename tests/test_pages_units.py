"""Pure helpers of the entity pages: the IRI <-> URL mapping, label search, SVG charts and the
binding of IRIs into queries. Table-driven, no app."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from service.iris import IriScheme, is_safe_iri, kind_of
from service.namespaces import MIGKG
from service.web.charts import Point, Series, compact_number, line_chart, nice_ticks
from service.web.pages import bind, format_number, load_query
from service.web.search import NameIndex, normalise

BASE = MIGKG  # the persistent namespace: the same wherever the service runs
SCHEME = IriScheme(BASE)


@pytest.mark.parametrize(
    "iri, path, kind",
    [
        (
            BASE + "id/authority/committee-of-migration-service",
            "id/authority/committee-of-migration-service",
            "authority",
        ),
        (BASE + "id/law/on-population-migration/en", "id/law/on-population-migration/en", "law"),
        (
            BASE + "id/role-assignment/profile-2024/x/agency",
            "id/role-assignment/profile-2024/x/agency",
            "role-assignment",
        ),
        (BASE + "id/period", "id/period", "scheme"),
        (BASE + "graph/mpl-2015", "graph/mpl-2015", "graph"),
        ("https://w3id.org/migkg/def#Indicator", None, "external"),
        (BASE + "sparql", None, "external"),
        (BASE + "id/x y", None, "external"),
    ],
)
def test_local_path_and_kind(iri, path, kind):
    assert SCHEME.local_path(iri) == path
    assert SCHEME.kind(iri) == kind


@pytest.mark.parametrize(
    "iri, page, ttl",
    [
        (BASE + "id/authority/a", "/id/authority/a", "/id/authority/a.ttl"),
        (BASE + "graph/reference", "/graph/reference", "/graph/reference.ttl"),
        (
            "http://qudt.org/vocab/unit/PERCENT",
            "/resource?iri=http%3A%2F%2Fqudt.org%2Fvocab%2Funit%2FPERCENT",
            "/resource?iri=http%3A%2F%2Fqudt.org%2Fvocab%2Funit%2FPERCENT&format=ttl",
        ),
    ],
)
def test_page_and_document_urls(iri, page, ttl):
    assert SCHEME.page_url(iri) == page
    assert SCHEME.document_url(iri, "ttl") == ttl


def test_urls_keep_the_script_root_and_a_base_with_a_path():
    scheme = IriScheme("https://example.org/kg/", "/kg")
    iri = "https://example.org/kg/id/law/x"
    assert scheme.page_url(iri) == "/kg/id/law/x"
    assert scheme.document_url(iri, "jsonld") == "/kg/id/law/x.jsonld"
    assert scheme.iri_for("id/law/x") == iri


@pytest.mark.parametrize(
    "path, expected",
    [
        ("id/law/x.ttl", ("id/law/x", "ttl")),
        ("id/law/x/en.jsonld", ("id/law/x/en", "jsonld")),
        ("id/law/x.html", ("id/law/x", "html")),
        ("id/law/x", ("id/law/x", None)),
        ("id/law/x.exe", ("id/law/x.exe", None)),
    ],
)
def test_split_document(path, expected):
    assert IriScheme.split_document(path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "id/x>y",
        'id/a"b',
        "id/a b",
        "id/a{b}",
        "id/../etc",
        "id/",
        "other/x",
        "id/a.b",
        "id/a\\b",
        "id/a%3Eb",
        "id/a\nb",
    ],
)
def test_unsafe_paths_never_become_iris(path):
    assert SCHEME.iri_for(path) is None


@pytest.mark.parametrize(
    "iri, safe",
    [
        (BASE + "id/a", True),
        ("https://w3id.org/migkg/def#x", True),
        ("urn:x:y", True),
        ("http://x/>", False),
        ("http://x/ y", False),
        ('http://x/"', False),
        ("relative", False),
        ("http://x/}", False),
        ("", False),
    ],
)
def test_is_safe_iri(iri, safe):
    assert is_safe_iri(iri) is safe


def test_kind_of_handles_nothing():
    assert kind_of(None) == "" and kind_of("x/y") == ""


def test_bind_appends_a_values_clause_with_rdflib_terms_and_refuses_unsafe_iris():
    text = bind("SELECT ?p WHERE { ?entity ?p ?o }", entity=BASE + "id/law/x")
    assert text.rstrip().endswith(f"VALUES (?entity) {{ (<{BASE}id/law/x>) }}")
    with pytest.raises(ValueError):
        bind("SELECT * {}", entity="http://x/> } ; DROP ALL ; <")


def test_every_page_query_parses_with_its_bindings():
    import pyoxigraph as ox

    store = ox.Store()
    names = [
        "outgoing",
        "incoming",
        "observation",
        "authority-functions",
        "authority-roles",
        "publisher-figures",
        "source-figures",
        "publication-figures",
        "law-related",
        "indicator-figures",
        "country-figures",
        "country-roles",
        "country-laws",
        "describe",
    ]
    for name in names:
        store.query(bind(load_query(name), entity=BASE + "id/x/y"), base_iri=BASE)
    for name in ("breakdowns-indicator", "breakdowns-area"):
        store.query(bind(load_query(name), entity=BASE + "id/x/y"), base_iri=BASE)
    from importlib import resources

    from service import queries

    for folder in ("catalogue", "descriptions", "build", "review"):
        for entry in resources.files("service.queries").joinpath(folder).iterdir():
            if entry.name.endswith(".rq"):
                store.query(queries.load_query(f"{folder}/{entry.name[:-3]}"))


# -- search -------------------------------------------------------------------------------

NAMES = [
    (
        BASE + "id/authority/bns",
        "Bureau of National Statistics of the Republic of Kazakhstan",
        "label",
    ),
    (BASE + "id/authority/bns", "STAT KZ", "short"),
    (BASE + "id/source/stat-kz", "Official statistics of Kazakhstan (STAT KZ)", "label"),
    (BASE + "id/source/stat-kz", "STAT KZ", "alt"),
    (BASE + "id/authority/cms", "Committee of migration service", "label"),
    (BASE + "id/authority/komitet", "Komitét migrační služby", "label"),
    (BASE + "id/observation/o1", "Refugees, Kazakhstan, 2024: 65 833 (UNHCR)", "label"),
    (BASE + "id/indicator/refugees", "Refugees", "label"),
]
LABELS = {iri: name for iri, name, field in NAMES if field == "label"}
KINDS = {iri: SCHEME.kind(iri) for iri, _, _ in NAMES}


@pytest.fixture(scope="module")
def index():
    return NameIndex.from_names(NAMES, LABELS, KINDS)


@pytest.mark.parametrize(
    "query, first",
    [
        ("STAT KZ", BASE + "id/authority/bns"),
        ("stat kz", BASE + "id/authority/bns"),
        ("statkz", BASE + "id/authority/bns"),
        ("committee migr", BASE + "id/authority/cms"),
        ("KOMITET MIGRACNI", BASE + "id/authority/komitet"),
        ("komitét", BASE + "id/authority/komitet"),
        ("refugees", BASE + "id/indicator/refugees"),
    ],
)
def test_search_is_case_and_accent_insensitive_and_ranked(index, query, first):
    hits = index.search(query)
    assert hits and hits[0].iri == first


def test_search_short_name_finds_both_the_authority_and_its_source(index):
    iris = [hit.iri for hit in index.search("STAT KZ")]
    assert iris[:2] == [BASE + "id/authority/bns", BASE + "id/source/stat-kz"]


def test_search_every_word_must_match_and_kind_filters(index):
    assert index.search("committee unicorn") == []
    assert [h.iri for h in index.search("refugees", kind="observation")] == [
        BASE + "id/observation/o1"
    ]
    assert index.search("   ") == []


def test_suggest_tolerates_typos(index):
    hits = index.suggest("comittee of migraton servise")
    assert hits[0].iri == BASE + "id/authority/cms"


def test_normalise():
    assert normalise("  Komitét — STAT_KZ!! ") == "komitet stat kz"


# -- charts -------------------------------------------------------------------------------


def test_chart_has_one_series_per_source_and_escapes_text():
    series = [
        Series(
            "UNHCR <b>", [Point(2024.0, 65833, "UNHCR: 65 833 (2024)", "/id/observation/a?x=1&y=2")]
        ),
        Series("CIS", [Point(2023.0, 259, "CIS </script> 259", "/id/observation/b")]),
    ]
    svg = str(line_chart(series, title='Refugees "KZ" <script>', unit="persons"))
    root = ET.fromstring(svg)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    groups = root.findall(f"{ns}g[@class='series']")
    assert [g.get("data-series") for g in groups] == ["UNHCR <b>", "CIS"]
    assert "<script>" not in svg and "</script>" not in svg and "<b>" not in svg
    links = [a.get("href") for a in root.iter(f"{ns}a")]
    assert links == ["/id/observation/a?x=1&y=2", "/id/observation/b"]
    ticks = [float(t) for t in nice_ticks(0, 65833)]
    assert ticks[-1] >= 65833


def test_chart_y_axis_covers_every_value():
    svg = str(line_chart([Series("a", [Point(2000, 5, "a"), Point(2001, 65833, "b")])], title="t"))
    labels = re.findall(r'text-anchor="end" font-size="11">([^<]+)<', svg)
    assert labels[-1] == "80k"


def test_empty_chart_is_empty():
    assert str(line_chart([Series("a")], title="t")) == ""


@pytest.mark.parametrize(
    "value, text", [(20592571, "20.6M"), (0, "0"), (0.5, "0.5"), (65833, "65.8k"), (2.9e11, "290B")]
)
def test_compact_number(value, text):
    assert compact_number(value) == text


@pytest.mark.parametrize(
    "value, datatype, text",
    [
        ("20592571", "http://www.w3.org/2001/XMLSchema#integer", "20\u202f592\u202f571"),
        ("4.9", "http://www.w3.org/2001/XMLSchema#decimal", "4.9"),
        ("288406138230.7", "", "288\u202f406\u202f138\u202f230.7"),
        ("abc", "", "abc"),
    ],
)
def test_format_number(value, datatype, text):
    assert format_number(value, datatype) == text
