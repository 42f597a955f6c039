"""The ontology: a proper OWL document, every term labelled and defined, project terms
anchored in the standard vocabularies, and every project term the data uses declared."""

from __future__ import annotations

from kgsupport import ROOT, real_sources
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from service.namespaces import MIG, PREFIXES

ONTOLOGY = Graph().parse(ROOT / "ontology" / "migkg.ttl")
ONT_IRI = URIRef("https://w3id.org/migkg/def")
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, RDFS.Datatype)


def project_terms():
    return sorted(
        {
            s
            for t in TERM_TYPES
            for s in ONTOLOGY.subjects(RDF.type, t)
            if isinstance(s, URIRef) and str(s).startswith(str(MIG))
        }
    )


def test_ontology_header():
    assert (ONT_IRI, RDF.type, OWL.Ontology) in ONTOLOGY
    assert ONTOLOGY.value(ONT_IRI, OWL.versionIRI) == URIRef("https://w3id.org/migkg/def/0.1.0")
    assert ONTOLOGY.value(ONT_IRI, DCTERMS.license) is not None
    assert len(str(ONTOLOGY.value(ONT_IRI, DCTERMS.description))) > 100


def test_every_term_has_a_label_and_a_definition():
    terms = project_terms()
    assert len(terms) > 50
    for term in terms:
        assert ONTOLOGY.value(term, RDFS.label) is not None, term
        assert (
            ONTOLOGY.value(term, SKOS.definition) or ONTOLOGY.value(term, RDFS.comment)
        ) is not None, term


def test_object_properties_have_a_range():
    for prop in ONTOLOGY.subjects(RDF.type, OWL.ObjectProperty):
        assert ONTOLOGY.value(prop, RDFS.range) is not None, prop


def test_every_project_class_specialises_a_standard_class():
    for cls in ONTOLOGY.subjects(RDF.type, OWL.Class):
        supers = set(ONTOLOGY.transitive_objects(cls, RDFS.subClassOf)) - {cls}
        assert any(not str(s).startswith(str(MIG)) for s in supers), f"{cls} stands alone"


def test_namespaces_module_agrees_with_the_ontology_prefixes():
    declared = dict(ONTOLOGY.namespaces())
    for prefix, namespace in PREFIXES.items():
        if prefix in declared:
            assert str(declared[prefix]) == str(namespace), prefix


def test_the_data_uses_only_declared_project_terms():
    union = real_sources().union()
    declared = {s for s in union.subjects() if str(s).startswith(str(MIG))}
    used = {p for p in union.predicates() if str(p).startswith(str(MIG))}
    used |= {o for o in union.objects(None, RDF.type) if str(o).startswith(str(MIG))}
    assert used - declared == set()
