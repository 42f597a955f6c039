"""RDF namespaces used by the code. ``ontology/*.ttl`` is the source of truth for their IRIs;
``tests/test_ontology.py`` checks that the two agree."""
from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD

MIG = Namespace("https://w3id.org/migkg/def#")
QB = Namespace("http://purl.org/linked-data/cube#")
SDMX_DIMENSION = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
SDMX_MEASURE = Namespace("http://purl.org/linked-data/sdmx/2009/measure#")
SDMX_ATTRIBUTE = Namespace("http://purl.org/linked-data/sdmx/2009/attribute#")
SDMX_CODE = Namespace("http://purl.org/linked-data/sdmx/2009/code#")
SDMX_CONCEPT = Namespace("http://purl.org/linked-data/sdmx/2009/concept#")
ORG = Namespace("http://www.w3.org/ns/org#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
UNIT = Namespace("http://qudt.org/vocab/unit/")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SH = Namespace("http://www.w3.org/ns/shacl#")
DCT = DCTERMS

#: Prefixes bound on every graph the service serialises, in this order.
PREFIXES: dict[str, Namespace] = {
    "mig": MIG, "qb": QB, "sdmx-dimension": SDMX_DIMENSION, "sdmx-measure": SDMX_MEASURE,
    "sdmx-attribute": SDMX_ATTRIBUTE, "sdmx-code": SDMX_CODE, "sdmx-concept": SDMX_CONCEPT,
    "prov": Namespace(str(PROV)), "org": ORG, "eli": ELI, "time": Namespace(str(TIME)),
    "dcat": Namespace(str(DCAT)), "dct": Namespace(str(DCTERMS)), "skos": Namespace(str(SKOS)),
    "owl": Namespace(str(OWL)), "rdf": Namespace(str(RDF)), "rdfs": Namespace(str(RDFS)),
    "xsd": Namespace(str(XSD)), "unit": UNIT, "void": VOID, "sd": SD,
}


def bind_prefixes(graph) -> None:
    """Bind the project prefixes on an rdflib graph or dataset (for readable output)."""
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
