"""Every statistical figure (``qb:Observation``) as one tidy table, for pandas and R users,
described by CSV on the Web metadata so that a CSVW processor turns it back into RDF.

Output (in the given folder):

``figures.csv.gz``
    UTF-8 CSV (RFC 4180, CRLF line ends, a header row), gzip-compressed with ``mtime=0`` and
    no file name in the gzip header, so the same graph gives the same bytes. One row per
    observation, sorted by observation IRI; one column per variable: the IRI and English
    label of every dimension value, the value, the attributes and the provenance.
    ``pandas.read_csv("figures.csv.gz")`` reads it as it is.
``figures.csv-metadata.json``
    The table's description in the W3C "Metadata Vocabulary for Tabular Data"
    (https://www.w3.org/TR/tabular-metadata/). It is a static file,
    ``service/queries/build/figures.csv-metadata.json``, copied as it is: the metadata is
    data, the one place that names the columns and says what each means in RDF (``aboutUrl``,
    ``propertyUrl``, ``valueUrl``, ``datatype``, ``lang``, ``separator``). Its ``url`` is
    ``figures.csv.gz``; a processor starts from the metadata file (the CSVW default location
    for the table would be ``figures.csv.gz-metadata.json``) and reads the table through
    gzip.

Converting the table with "Generating RDF from Tabular Data on the Web"
(https://www.w3.org/TR/csv2rdf/), minimal mode, gives exactly

- for every observation, its triples for the predicates the columns name (``rdf:type
  qb:Observation`` from a virtual column, ``rdfs:label``, ``qb:dataSet``, the ten
  dimensions, ``sdmx-measure:obsValue``, the attributes of the data structure definition,
  ``prov:wasDerivedFrom``, ``prov:hadPrimarySource``), and
- for every IRI in the table, its English ``rdfs:label`` (the ``*_label`` columns, whose
  ``aboutUrl`` is the IRI column before them).

Other triples about observations (notes, interpretations, breakdowns, links between figures)
stay in the RDF only. tests/test_figures_table.py proves the round trip on the real data.

Choices the CSVW model forces, and how the table meets them:

- A CSVW column has one datatype, but ``obsValue``, ``mig:lowerBound`` and
  ``mig:upperBound`` are ``xsd:integer`` in some observations and ``xsd:decimal`` in others
  (and ``obsValue`` is a code IRI for a yes/no figure). Each such number is split by datatype
  into ``NAME_integer`` and ``NAME_decimal`` (one of them filled), which give the triples;
  ``NAME`` repeats the number whatever its datatype, for computing, and is
  ``suppressOutput``. A coded value is in ``value_code`` (``value`` is then empty).
- A cell's ``valueUrl`` gives one IRI (a cell has one value URL annotation: "Model for
  Tabular Data and Metadata on the Web", https://www.w3.org/TR/tabular-data-model/, "Cells"),
  so an IRI column holds one IRI per observation. Literal columns could hold several (a
  ``separator`` makes the cell a list of literals); the data has several
  only for ``mig:locator`` (a figure stated twice in one block), whose column declares the
  separator ``"; "``. Several values in any other column, an empty string, a separator
  inside a locator, a literal of another datatype or language than its column declares, or
  an IRI that URI-template expansion (RFC 6570 ``{+var}``) would change: each makes the
  table unable to give back the same triples, so the writer refuses with ``ValueError``
  rather than write a table that silently differs from the graph.
- An empty cell is null (the CSVW default), so absent optional values give no triple.
  ``"trim": false`` keeps leading and trailing spaces of strings.

The rows come from one SELECT, ``service/queries/build/figures-table.rq``, whose variables are
the columns, streamed into the CSV writer (the query's ``ORDER BY`` sorts them by observation
IRI; a multi-valued column gives consecutive solutions for one observation, joined here).
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import itertools
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pyoxigraph as ox

from ..queries import load_query

TABLE_NAME = "figures.csv.gz"
METADATA_NAME = "figures.csv-metadata.json"

_XSD = "http://www.w3.org/2001/XMLSchema#"
#: The CSVW built-in datatype names the metadata uses, as RDF datatype IRIs (csv2rdf, section
#: "Interpreting datatypes").
_DATATYPES = {name: _XSD + name for name in ("string", "integer", "decimal")}
#: Characters that RFC 6570 reserved expansion (``{+var}``) passes through unchanged: the
#: unreserved and reserved sets and percent-encoded triplets. Any other character would be
#: percent-encoded, giving another IRI.
_TEMPLATE_SAFE = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")
_TEMPLATE_VARIABLE = re.compile(r"\{\+([A-Za-z0-9_]+)\}")


@dataclass(frozen=True)
class Column:
    """What a cell of one column must hold for the table to give back the graph's triples."""

    name: str
    iri: bool  # the cell is an IRI that a URI template expands (valueUrl or aboutUrl)
    datatype: str | None  # the literal's datatype IRI, for a column that outputs literals
    lang: str | None  # the literal's language tag, for a label column
    separator: str | None  # joins several values; None: at most one value
    output: bool  # False for suppressOutput columns (no triples to check)


def metadata_text() -> str:
    """The CSVW metadata, as shipped (service/queries/build/figures.csv-metadata.json)."""
    return _resource("figures.csv-metadata.json")


def query_text() -> str:
    """The SELECT whose variables are the table's columns (with the project's PREFIX block:
    query files state none, see service.queries)."""
    return load_query("build/figures-table")


def _resource(name: str) -> str:
    return resources.files("service.queries").joinpath("build", name).read_text("utf-8")


def columns(metadata: dict) -> list[Column]:
    """The table's (non-virtual) columns, in order, from the CSVW metadata."""
    schema = metadata["tableSchema"]
    described = [c for c in schema["columns"] if not c.get("virtual", False)]
    templated = _template_variables([schema, *schema["columns"]])
    return [_column(c, templated) for c in described]


def _template_variables(descriptions: Iterable[dict]) -> set[str]:
    names = set()
    for description in descriptions:
        for key in ("aboutUrl", "valueUrl"):
            names.update(_TEMPLATE_VARIABLE.findall(description.get(key, "")))
    return names


def _column(description: dict, templated: set[str]) -> Column:
    name = description["name"]
    output = not description.get("suppressOutput", False)
    literal = output and "valueUrl" not in description
    return Column(
        name=name,
        iri=name in templated,
        datatype=_DATATYPES[description.get("datatype", "string")] if literal else None,
        lang=description.get("lang") if literal else None,
        separator=description.get("separator"),
        output=output,
    )


def write_figures_table(store: ox.Store, folder: Path) -> list[str]:
    """Write ``figures.csv.gz`` and ``figures.csv-metadata.json`` into ``folder`` from the
    observations in ``store``'s default graph (the merge of the named graphs); return the two
    file names. Each file is written to a temporary file and renamed over the old one."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    metadata = metadata_text()
    table_columns = columns(json.loads(metadata))
    with _replacing(folder / TABLE_NAME) as handle:
        _write_csv_gz(handle, table_columns, table_rows(store, table_columns))
    with _replacing(folder / METADATA_NAME) as handle:
        handle.write(metadata.encode("utf-8"))
    return [TABLE_NAME, METADATA_NAME]


def table_rows(store: ox.Store, table_columns: list[Column]) -> Iterator[list[str]]:
    """The table's rows (cells as strings, ``""`` for null), one per observation, in the
    query's order (by observation IRI)."""
    solutions = store.query(query_text())
    names = [variable.value for variable in solutions.variables]
    expected = [column.name for column in table_columns]
    if names != expected:
        raise ValueError(f"figures-table.rq selects {names}, the metadata's columns are {expected}")
    checked: set[str] = set()  # IRIs already found template-safe
    for observation, group in itertools.groupby(solutions, key=lambda solution: solution[0]):
        yield _row(observation, list(group), table_columns, checked)


def _row(observation, group: list, table_columns: list[Column], checked: set[str]) -> list[str]:
    if len(group) == 1:  # the common case: every column single-valued
        solution = group[0]
        return [
            _cell(observation, column, solution[i], checked)
            for i, column in enumerate(table_columns)
        ]
    row = []
    for i, column in enumerate(table_columns):
        values = sorted({_cell(observation, column, solution[i], checked) for solution in group})
        values = [value for value in values if value]
        if len(values) > 1 and column.separator is None:
            raise ValueError(
                f"{observation.value}: {len(values)} values for column {column.name}, which "
                f"holds one: {values}"
            )
        row.append((column.separator or "").join(values))
    return row


def _cell(observation, column: Column, term, checked: set[str]) -> str:
    """The cell for one term (``""`` for none), after checking that converting the cell back
    gives the same term."""
    if term is None:
        return ""
    if column.iri:
        if not isinstance(term, ox.NamedNode):
            raise ValueError(f"{observation.value}: column {column.name} holds IRIs, not {term}")
        if term.value not in checked:
            if not _TEMPLATE_SAFE.fullmatch(term.value):
                raise ValueError(
                    f"{observation.value}: column {column.name}: {term.value} has characters "
                    "that URI-template expansion would percent-encode"
                )
            checked.add(term.value)
        return term.value
    value = term.value
    if column.output:
        _check_literal(observation, column, term)
    return value


def _check_literal(observation, column: Column, term) -> None:
    problem = None
    if not isinstance(term, ox.Literal):
        problem = "is not a literal"
    elif column.lang is not None and term.language != column.lang:
        problem = f"is not in language {column.lang}"
    elif column.lang is None and (
        term.language is not None or term.datatype.value != column.datatype
    ):
        problem = f"is not an {column.datatype}"
    elif term.value == "":
        problem = "is empty, which the table cannot tell from no value"
    elif column.separator and column.separator in term.value:
        problem = f"contains the separator {column.separator!r}"
    if problem:
        raise ValueError(f"{observation.value}: column {column.name}: {term} {problem}")


def _write_csv_gz(handle, table_columns: list[Column], rows: Iterable[list[str]]) -> None:
    with (
        gzip.GzipFile(
            filename="", mode="wb", fileobj=handle, mtime=0, compresslevel=6
        ) as compressed,
        io.TextIOWrapper(compressed, encoding="utf-8", newline="") as text,
    ):
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([column.name for column in table_columns])
        writer.writerows(rows)


@contextlib.contextmanager
def _replacing(path: Path):
    """A binary handle on a temporary file next to ``path``, renamed over it on success."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
