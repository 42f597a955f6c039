"""The tidy table of figures (service/build/figures_table.py) gives back the graph's triples.

The round trip: the table and its metadata are read by ``csvw`` (PyPI, cldf/csvw), a
processor of the W3C "Model for Tabular Data and Metadata on the Web" and "Metadata
Vocabulary for Tabular Data": it parses the metadata, the dialect, every cell by its
datatype, the ``null`` and ``separator`` rules, and expands the RFC 6570 URI templates. It
has no RDF output (its ``csvw2json`` implements "Generating JSON from Tabular Data", which
turns numbers into JSON numbers and so loses integer versus decimal), and the CSV-to-RDF
packages that PyPI and npm offer mis-handle this metadata (see ``csvw_minimal_rdf``), so the
last step, "Generating RDF from Tabular Data on the Web" (https://www.w3.org/TR/csv2rdf/)
section 4.6 in minimal mode, is the short helper ``csvw_minimal_rdf`` here, over the
annotated table that ``csvw`` built. ``csvw`` reads plain files (or ``.zip``), not gzip, so
the test gunzips ``figures.csv.gz`` to a file it hands to ``iterdicts``; URLs still resolve
against the metadata's ``url`` (``figures.csv.gz``).

The triples expected back come from the store, by the test's own query over the data
structure definition (``expected_triples``), not from the metadata: a component the table
left out would fail the round trip.
"""

from __future__ import annotations

import csv
import decimal
import gzip
import io
import json
import shutil
import warnings
from pathlib import Path

import pyoxigraph as ox
import pytest
from csvw import Table
from kgsupport import PREFIXES, built_store

from service.build import figures_table
from service.build.figures_table import METADATA_NAME, TABLE_NAME, write_figures_table

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
OBS = "https://w3id.org/migkg/id/observation/"
#: Observation predicates the table carries besides the data structure's components.
NON_COMPONENT_PREDICATES = (
    "rdf:type",
    "rdfs:label",
    "qb:dataSet",
    "prov:wasDerivedFrom",
    "prov:hadPrimarySource",
)


# -- csv2rdf, minimal mode, over the annotated table that csvw builds ------------------------


def csvw_minimal_rdf(metadata_path: Path, csv_path: Path) -> set[ox.Triple]:
    """The RDF that csv2rdf section 4.6 (minimal mode) generates from the table, with cells,
    URI templates and datatypes as the ``csvw`` package reads them.

    Tried on this table first, and not used: ``pycsvw`` 1.0.2 fetches the CSVW JSON-LD context
    from the web (no network here) and substitutes only ``{name}``, not RFC 6570 ``{+name}``;
    ``csvwlib`` 0.3.2 reads files over HTTP only, fails on an empty decimal cell
    (``IndexError``) and on ``{+observation}`` (read as a column named ``+observation``), and
    turns decimals into floats; npm's ``rdf-parser-csvw`` 1.1.0 has no ``separator`` and takes
    the metadata as an RDF dataset (its ``@zazuko`` fork 0.17.0 also emits a triple for a null
    cell with a valueUrl).
    """
    table = Table.from_file(metadata_path)
    store = ox.Store()
    for row_number, row in enumerate(table.iterdicts(fname=str(csv_path)), start=1):
        default_subject = ox.BlankNode()  # 4.6.8: Sdef, for cells without an about URL
        for column in table.tableSchema.columns:
            store.extend(
                ox.Quad(*triple)
                for triple in _cell_triples(table, column, row, row_number, default_subject)
            )
    return {quad.triple for quad in store}


def _cell_triples(table, column, row: dict, row_number: int, default_subject):
    """4.6.8.x for one cell: the value URL, or one literal per value of a list, or one literal,
    about the subject from the about URL with the predicate from the property URL. (A null
    cell gives nothing, so its about URL, which may expand to nothing, is not needed.)"""
    if column.suppressOutput:
        return
    value = None if column.virtual else row.get(column.header)
    value_url = column.inherit("valueUrl")
    # Tabular Data Model, "Parsing Cells": the value URL is null when the cell value is null
    # (and the column is not virtual).
    if value_url and (column.virtual or value is not None):
        objects = [_expanded(table, value_url, row, row_number, column)]
    elif isinstance(value, list):
        if column.ordered:
            raise NotImplementedError("ordered lists (rdf:List) are not used by the table")
        objects = [_literal(item, column) for item in value]
    else:
        objects = [] if value is None else [_literal(value, column)]
    if not objects:
        return
    about_url = column.inherit("aboutUrl")
    subject = _expanded(table, about_url, row, row_number, column) if about_url else default_subject
    property_url = column.inherit("propertyUrl")
    if property_url:
        predicate = _expanded(table, property_url, row, row_number, column)
    else:
        predicate = ox.NamedNode(f"{table.url.resolve(table.base)}#{column.name}")
    for obj in objects:
        yield subject, predicate, obj


def _expanded(table, template, row: dict, row_number: int, column) -> ox.NamedNode:
    url = table.expand(template, row, _row=row_number, _name=column.name)
    # csvw gives a local path for a URL resolved against the table's (local) location.
    assert isinstance(url, str), f"{column.name}: {template} expands to the relative URL {url}"
    return ox.NamedNode(url)


def _literal(value, column) -> ox.Literal:
    """csv2rdf "Interpreting datatypes": the datatype IRI from the column's base datatype, the
    value in its canonical form; a string with a language is a language-tagged string."""
    datatype = column.inherit("datatype")
    base = datatype.base if datatype else "string"
    if base == "string":
        lang = column.inherit("lang")
        return ox.Literal(value, language=lang) if lang and lang != "und" else ox.Literal(value)
    if base == "integer":
        return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
    if base == "decimal":
        canonical = format(decimal.Decimal(value).normalize(), "f")
        return ox.Literal(canonical, datatype=ox.NamedNode(XSD + "decimal"))
    raise NotImplementedError(f"datatype {base} is not used by the table")


# -- what the table promises ------------------------------------------------------------------


def component_predicates(store: ox.Store) -> list[str]:
    """The component properties of every data structure definition (dimensions, measures,
    attributes)."""
    rows = store.query(
        PREFIXES + "SELECT DISTINCT ?p { ?dsd a qb:DataStructureDefinition ; "
        "qb:component/qb:componentProperty ?p } ORDER BY ?p"
    )
    return [f"<{row['p'].value}>" for row in rows]


def expected_triples(store: ox.Store, predicates: list[str]) -> set[ox.Triple]:
    """Every observation's triples for ``predicates`` (its type only as qb:Observation, labels
    only in English), and the English labels of the IRIs they point to."""
    values = " ".join(predicates)
    own = f"""CONSTRUCT {{ ?o ?p ?v }} WHERE {{
        ?o a qb:Observation ; ?p ?v . VALUES ?p {{ {values} }}
        FILTER (?p != rdf:type || ?v = qb:Observation)
        FILTER (?p != rdfs:label || LANG(?v) = "en") }}"""
    labels = f"""CONSTRUCT {{ ?v rdfs:label ?l }} WHERE {{
        ?o a qb:Observation ; ?p ?v . VALUES ?p {{ {values} }}
        FILTER (?p != rdf:type && isIRI(?v)) ?v rdfs:label ?l FILTER (LANG(?l) = "en") }}"""
    rdf = "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"
    return {t for q in (own, labels) for t in store.query(PREFIXES + rdf + q)}


def assert_same_triples(actual: set[ox.Triple], expected: set[ox.Triple]) -> None:
    missing, extra = sorted(map(str, expected - actual)), sorted(map(str, actual - expected))
    assert not missing and not extra, (
        f"{len(missing)} triples missing from the table's RDF, {len(extra)} extra:\n"
        + "\n".join(f"- {t}" for t in missing[:20])
        + "\n"
        + "\n".join(f"+ {t}" for t in extra[:20])
    )


# -- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def store() -> ox.Store:
    """The built dataset, its default graph the merge of the named graphs. The build runs
    rdflib's N-Quads serialiser, which calls rdflib's own deprecated API: the same two
    exceptions as pyproject.toml's filterwarnings, repeated here because ``-W error`` on the
    command line overrides those."""
    with warnings.catch_warnings():
        for message in ("Dataset.contexts is deprecated", "Dataset.default_context is deprecated"):
            warnings.filterwarnings("ignore", message, DeprecationWarning)
        return built_store()


@pytest.fixture(scope="module")
def predicates(store) -> list[str]:
    prefixed = [p.replace("rdf:type", "<" + RDF_TYPE.value + ">") for p in NON_COMPONENT_PREDICATES]
    return prefixed + component_predicates(store)


@pytest.fixture(scope="module")
def written(store, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("figures")
    assert write_figures_table(store, folder) == [TABLE_NAME, METADATA_NAME]
    return folder


def round_trip(folder: Path) -> set[ox.Triple]:
    """The table in ``folder`` converted back to RDF (gunzipped beside the metadata)."""
    csv_path = folder / "figures.csv"
    with gzip.open(folder / TABLE_NAME) as compressed, csv_path.open("wb") as plain:
        shutil.copyfileobj(compressed, plain)
    return csvw_minimal_rdf(folder / METADATA_NAME, csv_path)


def read_rows(folder: Path) -> tuple[list[str], list[dict]]:
    with io.TextIOWrapper(gzip.open(folder / TABLE_NAME), encoding="utf-8", newline="") as text:
        reader = csv.DictReader(text)
        return list(reader.fieldnames), list(reader)


def metadata_columns(folder: Path) -> list[dict]:
    metadata = json.loads((folder / METADATA_NAME).read_text("utf-8"))
    return metadata["tableSchema"]["columns"]


def observation_count(store: ox.Store) -> int:
    [row] = store.query(PREFIXES + "SELECT (COUNT(DISTINCT ?o) AS ?n) { ?o a qb:Observation }")
    return int(row["n"].value)


def store_of(turtle: str) -> ox.Store:
    store = ox.Store()
    store.load(PREFIXES + turtle, format=ox.RdfFormat.TURTLE)
    return store


# -- the real data ----------------------------------------------------------------------------


def test_table_converts_back_to_the_observation_triples(store, written, predicates):
    expected = expected_triples(store, predicates)
    assert sum(t.predicate == RDF_TYPE for t in expected) == observation_count(store) > 0
    assert_same_triples(round_trip(written), expected)


def test_every_component_of_the_data_structure_is_a_column(store, written):
    urls = {c.get("propertyUrl") for c in metadata_columns(written)}
    missing = [p for p in component_predicates(store) if p.strip("<>") not in urls]
    assert missing == []


def test_table_has_one_row_per_observation_under_the_metadata_column_names(store, written):
    header, rows = read_rows(written)
    names = [c["name"] for c in metadata_columns(written) if not c.get("virtual")]
    assert header == names
    observations = [row["observation"] for row in rows]
    assert len(rows) == observation_count(store) == len(set(observations))
    assert observations == sorted(observations)


KNOWN_FIGURES = {
    # Kazakhstan's population in the 2024 profile (graph_data/figures.csv), an xsd:integer.
    "web-gi-population-wb-2024": {
        "area_label": "Kazakhstan",
        "indicator_label": "Population",
        "period_label": "2024",
        "value": "20592571",
        "value_integer": "20592571",
        "value_decimal": "",
        "unit_label": "persons",
        "published_value": "20 592 571",
        "publication": "https://w3id.org/migkg/id/publication/profile-2024",
        "primary_source": "https://w3id.org/migkg/id/source/world-bank-wdi",
        "locator": "General Information: Population",
    },
    # An xsd:decimal figure with a counterpart area.
    "mpl-s11-border-cn": {
        "value": "1783",
        "value_integer": "",
        "value_decimal": "1783",
        "counterpart_label": "China",
        "unit": "http://qudt.org/vocab/unit/KiloM",
    },
    # A coded (yes/no) figure: no number.
    "web-gi-citizenship-by-birth": {
        "value": "",
        "value_code": "https://w3id.org/migkg/id/code/value-no",
        "value_code_label": "No",
    },
    # A figure stated twice in one block: two locators.
    "web-n3-departures-2023": {"locator": "Narrative ¶3; Narrative ¶7", "qualifier": ""},
    # A published range: bounds with the value's datatype, a qualifier.
    "mpl-s33-labour-migrants-share-tr-1996-2010": {
        "lower_bound_decimal": "33.33",
        "upper_bound": "50",
        "upper_bound_decimal": "50",
        "qualifier_label": "range",
    },
}


@pytest.mark.parametrize("figure", KNOWN_FIGURES)
def test_known_figure_is_in_the_table_with_its_exact_cells(written, figure):
    _, rows = read_rows(written)
    [row] = [row for row in rows if row["observation"] == OBS + figure]
    assert {name: row[name] for name in KNOWN_FIGURES[figure]} == KNOWN_FIGURES[figure]


def test_two_writes_give_identical_bytes(store, written, tmp_path):
    write_figures_table(store, tmp_path)
    for name in (TABLE_NAME, METADATA_NAME):
        assert (tmp_path / name).read_bytes() == (written / name).read_bytes()
    header = (tmp_path / TABLE_NAME).read_bytes()[:10]
    assert header[4:8] == b"\0\0\0\0" and header[3] & 0x08 == 0  # mtime 0, no file name


def test_metadata_file_is_the_shipped_template(written):
    assert (written / METADATA_NAME).read_text("utf-8") == figures_table.metadata_text()
    assert json.loads(figures_table.metadata_text())["url"] == TABLE_NAME


# -- hand-made graphs: what the table can and cannot carry ------------------------------------

ONE_FIGURE = """
PREFIX obs: <https://w3id.org/migkg/id/observation/>
PREFIX area: <https://w3id.org/migkg/id/area/>
obs:x a qb:Observation ; rdfs:label "X"@en ;
    sdmx-dimension:refArea area:kz ; sdmx-measure:obsValue 1.50 ;
    mig:publishedValue "1.5" ; mig:documentOrder 3 ; mig:locator "§2" .
area:kz rdfs:label "Kazakhstan"@en, "Казахстан"@ru .
"""


def test_hand_made_figure_round_trips_with_two_locators_and_only_english_labels(
    tmp_path, predicates
):
    store = store_of(ONE_FIGURE + 'obs:x mig:locator "§1" .')
    write_figures_table(store, tmp_path)
    _, [row] = read_rows(tmp_path)
    assert (row["locator"], row["area_label"], row["value_decimal"]) == (
        "§1; §2",
        "Kazakhstan",
        "1.5",
    )
    assert_same_triples(round_trip(tmp_path), expected_triples(store, predicates))


REFUSED = {
    "a second area": ("obs:x sdmx-dimension:refArea area:uz .", "values for column area"),
    "an empty string": ('obs:x mig:suspectedError "" .', "is empty"),
    "the separator in a locator": ('obs:x mig:locator "§3; §4" .', "contains the separator"),
    "an IRI that URI templates change": (
        "obs:x mig:counterpartArea <https://w3id.org/migkg/id/area/köln> .",
        "percent-encode",
    ),
    "a literal of another datatype": ('obs:x mig:precision "1"^^xsd:integer .', "is not an"),
    "an IRI where a literal goes": ("obs:x mig:suspectedError area:kz .", "is not a literal"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_writer_refuses_a_graph_the_table_cannot_give_back(tmp_path, case):
    extra, message = REFUSED[case]
    with pytest.raises(ValueError, match=message):
        write_figures_table(store_of(ONE_FIGURE + extra), tmp_path)
    assert not (tmp_path / TABLE_NAME).exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary file left behind
