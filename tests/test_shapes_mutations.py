"""Mutation tests for the shapes: take a valid node of the real graph, break it in one way,
and check that validation reports that specific problem for that node.

Each case names the node shape it exercises; ``test_every_shape_is_exercised`` makes sure no
shape of shapes/ goes untested.
"""

from __future__ import annotations

import pytest
from kgsupport import ROOT, config, iri, mutated
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, TIME, XSD

from service.build.validation import validate_loaded
from service.namespaces import (
    ELI,
    MIG,
    ORG,
    SDMX_ATTRIBUTE,
    SDMX_DIMENSION,
    SDMX_MEASURE,
    UNIT,
    VOID,
)

OBS = iri("id/observation/web-gi-population-wb-2024")
SHARE = iri("id/observation/mpl-t1-immigration-share-cis-2009")
CATEGORICAL = iri("id/observation/web-gi-citizenship-by-birth")
RANGE = iri("id/observation/web-n8-kazakhs-in-korea")
DATASET = iri("id/dataset/profile-2024--general-information--world-bank-wdi")
INDICATOR = iri("id/indicator/population")
PERIOD = iri("id/period/2024")
SOURCE = iri("id/source/world-bank-wdi")
PUBLICATION = iri("id/publication/mpl-2015")
MINISTRY = iri("id/authority/ministry-of-national-economy")
FUNCTION = iri("id/function/refugee-status-determination")
FN_ASSIGNMENT = iri("id/assignment/mpl-2015/migration-police/refugee-status-determination")
ROLE_ASSIGNMENT = iri(
    "id/role-assignment/profile-2024/ministry-of-labour-and-social-protection/responsible-body"
)
LAW = iri("id/law/on-population-migration")
AMENDMENT = iri("id/law/on-population-migration/amendment-2018")
GRAPH = iri("graph/mpl-2015")
BREAKDOWN = iri("id/breakdown/mpl-t1-immigrants-2009-by-origin")
PART = iri("id/observation/mpl-t1-immigrants-cis-2009")
SUB_ORG = iri("id/authority/migration-police")
CONCEPT = iri("id/topic/refugees")
LINKSET = iri("id/linkset/geonames")
ACTIVITY = iri("id/activity/manual-link-review-2026-11-22")
ASSERTION = iri("id/link/test/1")
UZ_SHARE = iri("id/observation/mpl-s63-oralmans-share-uz-2016")
CHANGE = iri("id/observation/web-n3-arrivals-change-2022-2023")
KAZAKHS_TR = iri("id/observation/web-n7-diaspora-tr")
EMIGRANTS = iri("id/observation/web-gi-emigrant-stock-undesa-2024")
ORALMANS = iri("id/observation/mpl-s63-oralmans-2016")
LABOUR_CN = iri("id/observation/mpl-s33-labour-migrants-cn")
DATING = iri("id/dating/mpl-2015-s3-3-l625")
STATEMENT = iri("id/statement/mpl-s63-oralman-status-since-1997")
# producer updates (service/update/history.py): nodes added by the mutation itself
RELEASE = iri("id/dataset/world-bank-wdi--2026-07-13")
RESPONSE = iri("id/response/" + "0" * 64)
RUN = iri("id/update/20261130T090000000000Z")
DCAT3 = "http://www.w3.org/ns/dcat#"

# (shape, focus node, triples to remove, triples to add, severity, message fragment)
CASES = [
    (
        "ReplacedObservationShape",
        OBS,
        [],
        [
            (OBS, DCTERMS.isReplacedBy, CHANGE),
            (OBS, PROV.invalidatedAtTime, Literal("2026-11-30T09:00:00", datatype=XSD.dateTime)),
        ],
        "Violation",
        "must be a revision of this one",
    ),
    (
        "ReplacedObservationShape",
        OBS,
        [],
        [(OBS, DCTERMS.isReplacedBy, CHANGE), (CHANGE, PROV.wasRevisionOf, OBS)],
        "Violation",
        "says when it was replaced",
    ),
    (
        "ReleaseShape",
        RELEASE,
        [],
        [
            (RELEASE, RDFS.label, Literal("World Bank, release 2026-07-13", lang="en")),
            (RELEASE, URIRef(DCAT3 + "isVersionOf"), SOURCE),
            (RELEASE, PROV.wasGeneratedBy, RUN),
            (RUN, RDF.type, PROV.Activity),
            (RUN, RDFS.label, Literal("a run", lang="en")),
        ],
        "Violation",
        "states its version",
    ),
    (
        "ProducerResponseShape",
        RESPONSE,
        [],
        [
            (RESPONSE, RDF.type, MIG.ProducerResponse),
            (RESPONSE, RDFS.label, Literal("a response", lang="en")),
            (RESPONSE, URIRef("http://purl.org/pav/retrievedFrom"), URIRef("https://x.test/")),
        ],
        "Violation",
        "says when it was retrieved",
    ),
    (
        "UpdateRunShape",
        RUN,
        [],
        [
            (RUN, RDF.type, PROV.Activity),
            (RUN, RDFS.label, Literal("a run", lang="en")),
            (RUN, PROV.used, RESPONSE),
            (RESPONSE, RDF.type, MIG.ProducerResponse),
        ],
        "Violation",
        "says when it started",
    ),
    (
        "ObservationShape",
        OBS,
        [(OBS, PROV.hadPrimarySource, None)],
        [],
        "Violation",
        "exactly one primary source",
    ),
    (
        "ObservationShape",
        OBS,
        [(OBS, PROV.wasDerivedFrom, None)],
        [],
        "Violation",
        "names the publication it was read from",
    ),
    (
        "ObservationShape",
        OBS,
        [],
        [(OBS, SDMX_MEASURE.obsValue, Literal(1, datatype=XSD.integer))],
        "Violation",
        "exactly one value",
    ),
    (
        "ObservationShape",
        OBS,
        [(OBS, SDMX_DIMENSION.refArea, None)],
        [],
        "Violation",
        "exactly one reference area",
    ),
    (
        "ObservationShape",
        OBS,
        [(OBS, SDMX_DIMENSION.refPeriod, None)],
        [],
        "Violation",
        "exactly one reference period",
    ),
    (
        "ObservationShape",
        OBS,
        [(OBS, MIG.indicator, None)],
        [],
        "Violation",
        "exactly one indicator",
    ),
    (
        "ObservationShape",
        OBS,
        [(OBS, SDMX_ATTRIBUTE.unitMeasure, None)],
        [],
        "Violation",
        "exactly one unit of measure",
    ),
    (
        "ObservationShape",
        OBS,
        [(OBS, SDMX_ATTRIBUTE.unitMeasure, None)],
        [(OBS, SDMX_ATTRIBUTE.unitMeasure, UNIT.FURLONG)],
        "Violation",
        "declared as a count, measure or coded-value unit",
    ),
    (
        "ObservationShape",
        OBS,
        [(OBS, MIG.locator, None)],
        [],
        "Violation",
        "where in the publication",
    ),
    (
        "ObservationShape",
        OBS,
        [(OBS, RDFS.label, None)],
        [],
        "Violation",
        "An observation needs a label",
    ),
    (
        "CountValueShape",
        OBS,
        [(OBS, SDMX_MEASURE.obsValue, None)],
        [(OBS, SDMX_MEASURE.obsValue, Literal("20592571"))],
        "Violation",
        "must be an xsd:integer",
    ),
    (
        "MeasureValueShape",
        SHARE,
        [(SHARE, SDMX_MEASURE.obsValue, None)],
        [(SHARE, SDMX_MEASURE.obsValue, Literal("77%"))],
        "Violation",
        "xsd:decimal or xsd:integer",
    ),
    (
        "CodedValueShape",
        CATEGORICAL,
        [(CATEGORICAL, SDMX_MEASURE.obsValue, None)],
        [(CATEGORICAL, SDMX_MEASURE.obsValue, Literal("No"))],
        "Violation",
        "coded mig:CategoricalValue",
    ),
    (
        "PercentShareShape",
        SHARE,
        [(SHARE, SDMX_MEASURE.obsValue, None)],
        [(SHARE, SDMX_MEASURE.obsValue, Literal("140.0", datatype=XSD.decimal))],
        "Violation",
        "between 0 and 100",
    ),
    (
        "NonNegativeShape",
        OBS,
        [(OBS, SDMX_MEASURE.obsValue, None)],
        [(OBS, SDMX_MEASURE.obsValue, Literal(-5, datatype=XSD.integer))],
        "Violation",
        "non-negative",
    ),
    (
        "RangeShape",
        RANGE,
        [(RANGE, MIG.upperBound, None)],
        [(RANGE, MIG.upperBound, Literal(5000, datatype=XSD.integer))],
        "Violation",
        "lower bound must be below its upper bound",
    ),
    (
        "DataSetShape",
        DATASET,
        [(DATASET, PROV.hadPrimarySource, None)],
        [],
        "Violation",
        "exactly one primary source",
    ),
    (
        "IndicatorShape",
        INDICATOR,
        [(INDICATOR, MIG.statisticType, None)],
        [],
        "Violation",
        "stock, flow, share",
    ),
    (
        "ReferencePeriodShape",
        PERIOD,
        [(PERIOD, TIME.hasBeginning, None)],
        [],
        "Violation",
        "exactly one beginning",
    ),
    (
        "ReferencePeriodShape",
        PERIOD,
        [(PERIOD, TIME.hasEnd, None)],
        [(PERIOD, TIME.hasEnd, URIRef("urn:x-test:end"))],
        "Violation",
        "exactly one end",
    ),
    (
        "InstantShape",
        PERIOD,
        [(None, TIME.inXSDDate, Literal("2024-12-31", datatype=XSD.date))],
        [],
        "Violation",
        "exactly one end",
    ),
    (
        "PrimarySourceShape",
        SOURCE,
        [(SOURCE, DCTERMS.publisher, None)],
        [],
        "Violation",
        "exactly one publisher",
    ),
    (
        "OrganisationShape",
        SUB_ORG,
        [],
        [(SUB_ORG, ORG.subOrganizationOf, PERIOD)],
        "Violation",
        "points to an organisation",
    ),
    (
        "PublisherShape",
        iri("id/organisation/world-bank"),
        [(iri("id/organisation/world-bank"), SKOS.prefLabel, None)],
        [],
        "Violation",
        "publisher of figures needs a skos:prefLabel",
    ),
    (
        "PublicationShape",
        PUBLICATION,
        [(PUBLICATION, DCTERMS.title, None)],
        [],
        "Violation",
        "A publication needs a title",
    ),
    (
        "StateAuthorityShape",
        MINISTRY,
        [(MINISTRY, SKOS.prefLabel, None)],
        [],
        "Violation",
        "exactly one preferred name",
    ),
    (
        "StateAuthorityShape",
        MINISTRY,
        [(MINISTRY, DCTERMS.description, None)],
        [],
        "Violation",
        "short description",
    ),
    (
        "MigrationFunctionShape",
        FUNCTION,
        [(FUNCTION, SKOS.definition, None)],
        [],
        "Violation",
        "A migration function needs a definition",
    ),
    (
        "FunctionAssignmentShape",
        FN_ASSIGNMENT,
        [(FN_ASSIGNMENT, MIG.validDuring, None)],
        [],
        "Violation",
        "exactly one period",
    ),
    (
        "FunctionAssignmentShape",
        FN_ASSIGNMENT,
        [(FN_ASSIGNMENT, PROV.wasDerivedFrom, None)],
        [],
        "Violation",
        "names the publication that states it",
    ),
    (
        "RoleAssignmentShape",
        ROLE_ASSIGNMENT,
        [(ROLE_ASSIGNMENT, ORG.role, None)],
        [],
        "Violation",
        "exactly one governance role",
    ),
    (
        "LegalResourceShape",
        LAW,
        [(LAW, ELI.type_document, None)],
        [],
        "Violation",
        "exactly one document type",
    ),
    (
        "LegalResourceShape",
        LAW,
        [],
        [(LAW, ELI.date_document, Literal("22 July 2011"))],
        "Violation",
        "one xsd:date",
    ),
    (
        "MainLegalResourceShape",
        LAW,
        [(LAW, ELI.is_about, None)],
        [],
        "Violation",
        "at least one topic",
    ),
    (
        "LegalExpressionShape",
        LAW,
        [(None, ELI.title, None)],
        [],
        "Violation",
        "English expression with its title",
    ),
    (
        "AmendmentShape",
        AMENDMENT,
        [(AMENDMENT, ELI.amends, None)],
        [],
        "Violation",
        "names what it amends",
    ),
    (
        "SourceGraphShape",
        GRAPH,
        [(GRAPH, DCTERMS.issued, None)],
        [],
        "Violation",
        "one dct:issued date",
    ),
    (
        "LabelledConceptShape",
        CONCEPT,
        [(CONCEPT, SKOS.prefLabel, None)],
        [],
        "Violation",
        "needs a skos:prefLabel",
    ),
    (
        "EnglishLabelShape",
        MINISTRY,
        [(MINISTRY, RDFS.label, None)],
        [(MINISTRY, RDFS.label, Literal("Министерство", lang="ru"))],
        "Violation",
        "English rdfs:label",
    ),
    (
        "BreakdownCountShape",
        BREAKDOWN,
        [(PART, SDMX_MEASURE.obsValue, None)],
        [(PART, SDMX_MEASURE.obsValue, Literal(32000, datatype=XSD.integer))],
        "Warning",
        "The parts add up to 41429",
    ),
    (
        "BreakdownShareShape",
        iri("id/breakdown/mpl-s63-oralmans-2016-shares-by-origin"),
        [(UZ_SHARE, SDMX_MEASURE.obsValue, None)],
        [(UZ_SHARE, SDMX_MEASURE.obsValue, Literal("70.0", datatype=XSD.decimal))],
        "Warning",
        "percentages of this breakdown add up to 91.7",
    ),
    (
        "ShareOfCountShape",
        SHARE,
        [(SHARE, SDMX_MEASURE.obsValue, None)],
        [(SHARE, SDMX_MEASURE.obsValue, Literal("50.0", datatype=XSD.decimal))],
        "Warning",
        "Published share 50.0 % does not match its count",
    ),
    (
        "ChangeShape",
        CHANGE,
        [],
        [
            (CHANGE, MIG.changeFrom, iri("id/observation/web-n3-trp-2022")),
            (CHANGE, MIG.changeTo, iri("id/observation/web-n3-trp-2023")),
        ],
        "Warning",
        "does not match its figures: 530000 to 713000 is 34.5 %",
    ),
    (
        "LinksetShape",
        LINKSET,
        [(LINKSET, VOID.linkPredicate, None)],
        [],
        "Violation",
        "exactly one link predicate",
    ),
    (
        "LinksetShape",
        LINKSET,
        [(LINKSET, VOID.triples, None)],
        [(LINKSET, VOID.triples, Literal(3, datatype=XSD.integer))],
        "Violation",
        "state 3 links in all, but the data holds 11",
    ),
    (
        "LinkActivityShape",
        ACTIVITY,
        [(ACTIVITY, MIG.linkMethod, None)],
        [],
        "Violation",
        "states its method",
    ),
    (
        "LinkAssertionShape",
        ASSERTION,
        [],
        [
            (ASSERTION, RDF.type, MIG.LinkAssertion),
            (ASSERTION, RDFS.label, Literal("test", lang="en")),
            (ASSERTION, MIG.linkSubject, MINISTRY),
            (ASSERTION, MIG.linkObject, URIRef("http://www.wikidata.org/entity/Q1")),
            (ASSERTION, PROV.wasDerivedFrom, LINKSET),
        ],
        "Violation",
        "one score between 0 and 1",
    ),
    (
        "SuspectedErrorShape",
        OBS,
        [],
        [(OBS, MIG.suspectedError, Literal("test note"))],
        "Warning",
        "Suspected error in the source, kept as published: test note",
    ),
    (
        "DirectionShape",
        PART,
        [(PART, MIG.counterpartArea, None)],
        [(PART, MIG.counterpartArea, iri("id/area/kz"))],
        "Violation",
        "Reference area and counterpart area are the same",
    ),
    (
        "KinStateShape",
        KAZAKHS_TR,
        [(KAZAKHS_TR, SDMX_DIMENSION.refArea, None), (KAZAKHS_TR, MIG.counterpartArea, None)],
        [
            (KAZAKHS_TR, SDMX_DIMENSION.refArea, iri("id/area/kz")),
            (KAZAKHS_TR, MIG.counterpartArea, iri("id/area/tr")),
        ],
        "Violation",
        "has https://w3id.org/migkg/id/area/kz as counterpart area",
    ),
    (
        "OriginNamedShape",
        EMIGRANTS,
        [(EMIGRANTS, SDMX_DIMENSION.refArea, None), (EMIGRANTS, MIG.counterpartArea, None)],
        [
            (EMIGRANTS, SDMX_DIMENSION.refArea, iri("id/area/kz")),
            (EMIGRANTS, MIG.counterpartArea, iri("id/area/world")),
        ],
        "Violation",
        "never the world total",
    ),
    (
        "FlowPeriodShape",
        ORALMANS,
        [(ORALMANS, SDMX_DIMENSION.refPeriod, None)],
        [(ORALMANS, SDMX_DIMENSION.refPeriod, iri("id/period/asof-2016-01-01"))],
        "Violation",
        "has no duration",
    ),
    (
        "DatedByShape",
        LABOUR_CN,
        [(LABOUR_CN, SDMX_DIMENSION.refPeriod, None)],
        [(LABOUR_CN, SDMX_DIMENSION.refPeriod, iri("id/period/undated-mpl-2015"))],
        "Violation",
        "Governed by the dating phrase",
    ),
    ("DatingPhraseShape", DATING, [(DATING, MIG.quote, None)], [], "Violation", "quotes its words"),
    (
        "StatementShape",
        STATEMENT,
        [(STATEMENT, MIG.interpretation, None)],
        [],
        "Violation",
        "says how it was read",
    ),
    (
        "ExplicitStandardTypes",
        INDICATOR,
        [(INDICATOR, RDF.type, SKOS.Concept)],
        [],
        "Violation",
        "but not http://www.w3.org/2004/02/skos/core#Concept",
    ),
    (
        "ExplicitStandardTypes",
        MINISTRY,
        [(MINISTRY, RDF.type, ORG.Organization)],
        [],
        "Violation",
        "but not http://www.w3.org/ns/org#Organization",
    ),
    (
        "ExplicitStandardTypes",
        LAW,
        [(LAW, RDF.type, ELI.LegalResource)],
        [],
        "Violation",
        "but not http://data.europa.eu/eli/ontology#LegalResource",
    ),
    (
        "ExplicitStandardTypes",
        PERIOD,
        [(PERIOD, RDF.type, TIME.Interval)],
        [],
        "Violation",
        "but not http://www.w3.org/2006/time#Interval",
    ),
]


def _focus_for(shape: str, focus):
    return focus


# Shapes without targets are reached through the shapes that use them (sh:node).
_REACHED_THROUGH = {
    "InstantShape": ["ReferencePeriodShape"],
    "LegalExpressionShape": ["MainLegalResourceShape"],
}
_NESTED = ["InstantShape", "LegalExpressionShape"]


def _shapes_for(shape: str) -> list[str]:
    return [shape, *_REACHED_THROUGH.get(shape, []), *_NESTED]


@pytest.mark.parametrize(
    "shape,focus,remove,add,severity,fragment", CASES, ids=[f"{c[0]}:{c[5][:40]}" for c in CASES]
)
def test_mutation_is_reported(shape, focus, remove, add, severity, fragment):
    focus = _focus_for(shape, focus)
    report = validate_loaded(config(), mutated(remove, add), only=_shapes_for(shape))
    hits = [f for f in report.findings if f.focus == str(focus) and fragment in f.message]
    assert hits, f"expected a {severity} containing {fragment!r} on {focus}; got:\n{report.text()}"
    assert all(h.severity == severity for h in hits)
    if severity == "Warning":
        assert report.conforms, "a consistency warning must not fail validation"
    else:
        assert not report.conforms


def test_unmutated_focus_nodes_are_clean():
    """The same focus nodes without mutation give no violation: the cases test the mutation."""
    report = validate_loaded(config(), mutated(), only=sorted({c[0] for c in CASES}))
    assert report.conforms, report.text()
    for shape, focus, *_rest, fragment in CASES:
        focus = str(_focus_for(shape, focus))
        assert not any(f.focus == focus and fragment in f.message for f in report.findings), (
            shape,
            fragment,
        )


def test_every_shape_is_exercised():
    shapes = Graph()
    for path in (ROOT / "shapes").glob("*.ttl"):
        shapes.parse(path)
    sh = "http://www.w3.org/ns/shacl#"
    node_shapes = {
        str(s).rsplit("#", 1)[1] for s in shapes.subjects(RDF.type, URIRef(sh + "NodeShape"))
    }
    exercised = {c[0] for c in CASES}
    assert node_shapes - exercised == set()
