"""The generated reference files (``states.ttl``, ``years.ttl``) are what their generators write
now, and the states' codes are pycountry's (issue 12, point 6: "All 49 states everywhere")."""

from __future__ import annotations

import json

import pycountry
import pytest
from rdflib import RDF, SKOS, Graph, Literal, URIRef

from service.build import states, years
from service.build.generated_turtle import turtle
from service.namespaces import MIG, MIGKG

STATES = states.load_states()


@pytest.mark.parametrize(
    ("graph", "heading", "path", "module"),
    [
        (states.states_graph(STATES), states.HEADING, states.OUTPUT, "service.build.states"),
        (years.years_graph(), years.HEADING, years.OUTPUT, "service.build.years"),
    ],
    ids=["states", "years"],
)
def test_the_committed_file_is_what_the_generator_writes(graph, heading, path, module):
    assert path.read_text(encoding="utf-8") == turtle(graph, heading), (
        f"{path.name} is stale: run python -m {module}"
    )


def test_the_check_option_reports_a_stale_file(tmp_path, capsys):
    stale = tmp_path / "states.ttl"
    stale.write_text("# edited by hand\n", encoding="utf-8")
    assert states.main(["--check", "--out", str(stale)]) == 1
    assert "stale" in capsys.readouterr().err
    assert states.main(["--out", str(stale)]) == 0
    assert states.main(["--check", "--out", str(stale)]) == 0


def test_the_data_file_names_the_49_states_once_each():
    document = json.loads(states.STATES_FILE.read_text(encoding="utf-8"))
    keys = [entry.get("iso3") or entry["area"] for entry in document["states"]]
    assert len(keys) == 49 == len(set(keys))
    assert len({s.iri for s in STATES}) == 49


@pytest.mark.parametrize("state", [s for s in STATES if s.iso3], ids=lambda s: s.iso3)
def test_every_state_has_the_iso_codes_pycountry_gives(state):
    graph = Graph().parse(states.OUTPUT)
    country = pycountry.countries.get(alpha_3=state.iso3)
    iri = URIRef(f"{MIGKG}id/area/{country.alpha_2.lower()}")
    assert (iri, RDF.type, MIG.Country) in graph
    assert graph.value(iri, MIG.isoAlpha2) == Literal(country.alpha_2, datatype=MIG.ISO3166Alpha2)
    assert graph.value(iri, MIG.isoAlpha3) == Literal(country.alpha_3, datatype=MIG.ISO3166Alpha3)
    assert graph.value(iri, MIG.unM49) == Literal(country.numeric, datatype=MIG.UNM49Code)
    assert (states.COLLECTION, SKOS.member, iri) in graph


def test_one_preferred_label_per_language_and_the_hand_written_english_names_kept():
    graph = Graph().parse(states.OUTPUT)
    for state in STATES:
        languages = [label.language for label in graph.objects(state.iri, SKOS.prefLabel)]
        assert len(languages) == len(set(languages)), state.slug
    area = f"{MIGKG}id/area/"
    assert graph.value(URIRef(area + "ru"), SKOS.prefLabel) is not None
    english = {
        str(o) for o in graph.objects(URIRef(area + "ru"), SKOS.prefLabel) if o.language == "en"
    }
    assert english == {"Russia"}
    assert Literal("Russian Federation", lang="en") in set(
        graph.objects(URIRef(area + "ru"), SKOS.altLabel)
    )
    assert Literal("Moldau", lang="de") in set(graph.objects(URIRef(area + "md"), SKOS.prefLabel))
    assert Literal("Moldova", lang="en") in set(graph.objects(URIRef(area + "md"), SKOS.prefLabel))


def test_kosovo_has_no_code_and_keeps_its_footnote():
    graph = Graph().parse(states.OUTPUT)
    kosovo = URIRef(f"{MIGKG}id/area/kosovo")
    assert graph.value(kosovo, SKOS.prefLabel) == Literal("Kosovo*", lang="en")
    assert "UNSCR 1244/1999" in str(graph.value(kosovo, SKOS.scopeNote))
    assert graph.value(kosovo, MIG.isoAlpha2) is None
    assert graph.value(kosovo, MIG.unM49) is None


def test_the_collection_says_49_named_50_stated():
    graph = Graph().parse(states.OUTPUT)
    assert "49 named, 50 stated in 2018" in str(graph.value(states.COLLECTION, SKOS.prefLabel))
    assert len(set(graph.objects(states.COLLECTION, SKOS.member))) == 49


def test_every_year_from_1990_to_2025_is_defined_once_in_the_reference_graph():
    from kgsupport import real_sources

    reference = real_sources().dataset.graph(URIRef(MIGKG + "graph/reference"))
    for year in range(1990, 2026):
        period = URIRef(f"{MIGKG}id/period/{year}")
        assert (period, RDF.type, MIG.ReferencePeriod) in reference
        assert (
            len(set(reference.objects(period, URIRef("http://www.w3.org/2006/time#hasBeginning"))))
            == 1
        )
