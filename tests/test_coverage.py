"""Coverage: every figure of both documents is in the graph, exactly as published.

graph_data/figures.csv lists each figure with its place in the source document (line and a
verbatim quote). These tests check the list against the documents, and the graph against
the list, in both directions.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal

import pytest
from kgsupport import BASE, MPL_TEXT, ROOT, WEB_TEXT, select

with open(ROOT / "graph_data" / "figures.csv", encoding="utf-8") as _handle:
    ROWS = list(csv.DictReader(_handle))
DOCS = {
    "mpl-2015": MPL_TEXT.read_text("utf-8").split("\n"),
    "profile-2024": WEB_TEXT.read_text("utf-8").split("\n"),
}
UNITS = {
    "persons": BASE + "id/code/unit-persons",
    "families": BASE + "id/code/unit-families",
    "permits": BASE + "id/code/unit-permits",
    "companies": BASE + "id/code/unit-companies",
    "employers": BASE + "id/code/unit-employers",
    "jobs": BASE + "id/code/unit-jobs",
    "agreements": BASE + "id/code/unit-agreements",
    "countries": BASE + "id/code/unit-countries",
    "cities": BASE + "id/code/unit-cities",
    "regions": BASE + "id/code/unit-regions",
    "rooms": BASE + "id/code/unit-rooms",
    "apartments": BASE + "id/code/unit-apartments",
    "rank": BASE + "id/code/unit-rank",
    "working-days": BASE + "id/code/unit-working-days",
    "ratio": BASE + "id/code/unit-ratio",
    "coded-value": BASE + "id/code/unit-coded-value",
    "percent": "http://qudt.org/vocab/unit/PERCENT",
    "km2": "http://qudt.org/vocab/unit/KiloM2",
    "km": "http://qudt.org/vocab/unit/KiloM",
    "usd": "http://qudt.org/vocab/unit/CCY_USD",
    "kzt": "http://qudt.org/vocab/unit/CCY_KZT",
    "days": "http://qudt.org/vocab/unit/DAY",
    "calendar-days": "http://qudt.org/vocab/unit/DAY",
    "months": "http://qudt.org/vocab/unit/MO",
    "years": "http://qudt.org/vocab/unit/YR",
}
MULTIPLIERS = {"thousand": 1000, "million": 10**6, "mln": 10**6, "billion": 10**9}


def test_the_list_is_complete_and_unique():
    assert len(ROWS) >= 380
    assert len({r["figure"] for r in ROWS}) == len(ROWS)
    assert {r["doc"] for r in ROWS} == {"mpl-2015", "profile-2024"}


@pytest.mark.parametrize("row", ROWS, ids=[r["figure"] for r in ROWS])
def test_quote_is_on_its_line_and_holds_the_published_figure(row):
    line = DOCS[row["doc"]][int(row["line"]) - 1]
    assert row["quote"] in line
    assert row["published"] in row["quote"]


# Figures written in words, in the order they are tried (longest phrase first).
WORDS = [
    ("twice", Decimal(2)),
    ("doubling", Decimal(2)),
    ("the highest", Decimal(1)),
    ("first place", Decimal(1)),
    ("the leader", Decimal(1)),
    ("half a million", Decimal(500000)),
    ("a million", Decimal(1000000)),
    ("one third", Decimal("33.33")),
    ("a quarter", Decimal(25)),
    ("sixfold", Decimal(6)),
    ("half", Decimal(50)),
    ("no facts", Decimal(0)),
    ("twelve", Decimal(12)),
    ("five", Decimal(5)),
    ("three", Decimal(3)),
    ("one year", Decimal(1)),
    ("a month", Decimal(1)),
]


def _published_number(published: str):
    """The number a published string states, in base units."""
    text = published.replace("**", "")
    match = re.search(r"\d[\d ,]*(?:\.\d+)?", text)
    if not match:
        return next(value for phrase, value in WORDS if phrase in text)
    number = Decimal(match.group(0).replace(" ", "").replace(",", "").rstrip("."))
    words = re.findall(r"thousand|million|mln|billion", text)
    return number * MULTIPLIERS[words[0]] if words else number


# Figures whose unit word is printed on the next line of the document (the quote must stay
# on one line): the scale comes from the note, checked here by hand.
NEXT_LINE_SCALE = {"mpl-s33-labour-quota-2015": 1000, "mpl-s33-household-permits-tj-2015": 1000}


@pytest.mark.parametrize(
    "row", [r for r in ROWS if r["datatype"] != "concept"], ids=lambda r: r["figure"]
)
def test_value_is_the_published_figure_in_base_units(row):
    stated = _published_number(row["published"])
    stated *= NEXT_LINE_SCALE.get(row["figure"], 1)
    assert abs(Decimal(row["value"])) == stated


GRAPH = {}


def _graph_rows():
    if not GRAPH:
        for r in select("""
            SELECT ?obs ?value ?indicator ?period ?area ?unit ?source ?pub ?sex ?cp ?eth ?perm ?off ?reg ?fac ?published
                   (GROUP_CONCAT(?loc; separator="|") AS ?locators) WHERE {
                ?obs a qb:Observation ; sdmx-measure:obsValue ?value ; mig:indicator ?indicator ;
                     sdmx-dimension:refPeriod ?period ; sdmx-dimension:refArea ?area ;
                     sdmx-attribute:unitMeasure ?unit ; prov:hadPrimarySource ?source ;
                     prov:wasDerivedFrom ?pub ; sdmx-dimension:sex ?sex ; mig:counterpartArea ?cp ;
                     mig:ethnicGroup ?eth ; mig:permitCategory ?perm ; mig:offenceType ?off ;
                     mig:region ?reg ; mig:facility ?fac ; mig:publishedValue ?published ; mig:locator ?loc .
                ?pub a mig:Publication .
            } GROUP BY ?obs ?value ?indicator ?period ?area ?unit ?source ?pub ?sex ?cp ?eth ?perm ?off ?reg ?fac ?published"""):
            GRAPH[r["obs"]] = r
    return GRAPH


@pytest.mark.parametrize("row", ROWS, ids=[r["figure"] for r in ROWS])
def test_graph_has_the_figure(row):
    graph = _graph_rows()
    obs = graph.get(f"{BASE}id/observation/{row['observation']}")
    assert obs is not None, f"no observation for {row['figure']}"
    if row["datatype"] == "concept":
        assert obs["value"] == f"{BASE}id/code/value-{row['value']}"
    else:
        assert Decimal(obs["value"]) == Decimal(row["value"])
    assert obs["indicator"].endswith("/id/indicator/" + row["indicator"])
    assert obs["period"] == f"{BASE}id/period/{row['period']}"
    assert obs["area"] == f"{BASE}id/area/{row['area']}"
    assert obs["unit"] == UNITS[row["unit"]]
    assert obs["source"] == f"{BASE}id/source/{row['primary_source']}"
    assert obs["pub"] == f"{BASE}id/publication/{row['doc']}"
    assert obs["sex"].endswith("sex-" + (row["sex"] or "T"))
    assert obs["cp"] == f"{BASE}id/area/{row['counterpart'] or 'world'}"
    assert obs["eth"].endswith("ethnic-group-" + (row["ethnic_group"] or "all"))
    assert obs["perm"].endswith("permit-category-" + (row["permit_category"] or "all"))
    assert obs["off"].endswith("offence-type-" + (row["offence_type"] or "all"))
    assert obs["reg"] == f"{BASE}id/area/{row['region'] or 'all-regions'}"
    assert obs["fac"].endswith("facility-" + (row["facility"] or "all"))
    locators = obs["locators"].split("|")
    assert row["locator"] in locators
    if len(locators) == 1:
        assert obs["published"] == row["published"].replace("**", "")
    else:  # one figure stated twice in a block: one observation, the first wording kept
        assert obs["published"] in row["published"].replace("**", "")


def test_every_observation_is_in_the_list():
    listed = {f"{BASE}id/observation/{r['observation']}" for r in ROWS}
    assert set(_graph_rows()) == listed


def test_flagged_typos_are_kept_as_published():
    rows = {r["figure"]: r for r in ROWS}
    assert rows["mpl-t1-emigrants-cis-2009"]["published"] == "31 ,727"
    assert rows["mpl-t3-immigration-share-kazakhs-2015-01-09"]["value"] == "53.3"
    assert rows["mpl-t3-immigration-share-kazakhs-2015-01-09"]["suspected_error"]
