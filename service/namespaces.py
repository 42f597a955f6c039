"""RDF namespaces used by the code. ``ontology/*.ttl`` is the source of truth for their IRIs;
``tests/test_ontology.py`` checks that the two agree.

Everything migkg names lives under one persistent namespace, :data:`MIGKG`
(``https://w3id.org/migkg/``, a w3id.org permanent identifier; the redirect rules to register
are in ``deploy/w3id/.htaccess``): the ontology ``def#``, things ``id/<kind>/<slug>`` and named
graphs ``graph/<name>``. The data files state these IRIs in full, so an IRI never depends on
where the service runs; the server maps its own ``/id/...`` and ``/graph/...`` paths to them
(:mod:`service.iris`).
"""

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD

#: The persistent namespace of the project's IRIs.
MIGKG = "https://w3id.org/migkg/"
#: Things: ``id/<kind>/<slug>``.
ID = Namespace(MIGKG + "id/")
#: Named graphs: ``graph/<name>``.
GRAPH = Namespace(MIGKG + "graph/")
#: The dataset as a whole (described in graph_data/links/, by VoID and by DCAT).
DATASET = ID["void/migkg"]

MIG = Namespace(MIGKG + "def#")
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
#: Provenance, Authoring and Versioning: pav:retrievedFrom / pav:retrievedOn on the raw
#: responses an update read (service/update/history.py).
PAV = Namespace("http://purl.org/pav/")
#: SPDX checksums, as DCAT 3 uses them (spdx:checksum on a distribution): the SHA-256 of
#: each raw response.
SPDX = Namespace("http://spdx.org/rdf/terms#")
DCT = DCTERMS

#: Prefixes bound on every graph the service serialises, in this order.
PREFIXES: dict[str, Namespace] = {
    "mig": MIG,
    "qb": QB,
    "sdmx-dimension": SDMX_DIMENSION,
    "sdmx-measure": SDMX_MEASURE,
    "sdmx-attribute": SDMX_ATTRIBUTE,
    "sdmx-code": SDMX_CODE,
    "sdmx-concept": SDMX_CONCEPT,
    "prov": Namespace(str(PROV)),
    "org": ORG,
    "eli": ELI,
    "time": Namespace(str(TIME)),
    "dcat": Namespace(str(DCAT)),
    "dct": Namespace(str(DCTERMS)),
    "skos": Namespace(str(SKOS)),
    "owl": Namespace(str(OWL)),
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "xsd": Namespace(str(XSD)),
    "unit": UNIT,
    "void": VOID,
    "sd": SD,
    "pav": PAV,
    "spdx": SPDX,
}


def bind_prefixes(graph) -> None:
    """Bind the project prefixes on an rdflib graph or dataset (for readable output)."""
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
