"""The VoID, DCAT and SPARQL Service Description graphs of a generation.

Their fixed parts are Turtle data files (``service/build/descriptions/*.ttl``); this module adds
what the build knows only once the store is loaded — sizes, partitions, subsets, linksets,
versions, the downloads' sizes and checksums — and writes each as Turtle into the generation's
``descriptions/`` folder. The service's own addresses are IRIs below :data:`SERVICE_BASE`
(``https://service.invalid/``, a name reserved never to resolve, RFC 6761); the web side
rebases them onto the deployment's URL when it serves a description
(:func:`service.web.descriptions.rebased`).
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

from ..generations import sha256_file
from ..namespaces import DATASET, SD, VOID, bind_prefixes
from ..queries import load_query
from .dumps import DOWNLOADS

__all__ = ["SERVICE_BASE", "write_descriptions"]

SERVICE_BASE = "https://service.invalid/"
SPDX = Namespace("http://spdx.org/rdf/terms#")
_LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
_MEDIA = "https://www.iana.org/assignments/media-types/"


def _static(name: str) -> Graph:
    graph = Graph()
    bind_prefixes(graph)
    text = resources.files(__package__).joinpath(f"descriptions/{name}.ttl").read_text("utf-8")
    return graph.parse(data=text, format="turtle")


def _integer(value: int) -> Literal:
    return Literal(int(value), datatype=XSD.integer)


def _void(store: ox.Store, meta: dict[str, Any]) -> Graph:
    graph = _static("void")
    dataset = DATASET
    graph.add((dataset, VOID.triples, _integer(meta["triples"])))
    graph.add((dataset, VOID.entities, _integer(meta["entities"])))
    graph.add((dataset, VOID.properties, _integer(meta["properties"])))
    graph.add((dataset, VOID.classes, _integer(len(meta["classes"]))))
    graph.add((dataset, DCTERMS.hasVersion, Literal(meta["version"])))
    graph.add((dataset, DCTERMS.modified, Literal(meta["built"], datatype=XSD.dateTime)))
    for vocabulary in meta["vocabularies"]:
        graph.add((dataset, VOID.vocabulary, URIRef(vocabulary)))
    for example in meta["examples"]:
        graph.add((dataset, VOID.exampleResource, URIRef(example)))
    for item in meta["graphs"]:
        subset = URIRef(item["iri"])
        graph.add((dataset, VOID.subset, subset))
        graph.add((subset, RDF.type, VOID.Dataset))
        graph.add((subset, VOID.triples, _integer(item["triples"])))
    # the linksets of the links graph, as subsets, with their provenance; the links themselves
    # are a separate download
    linksets = Graph()
    linksets.parse(
        data=ox.serialize(
            store.query(load_query("descriptions/linksets")), format=ox.RdfFormat.N_TRIPLES
        ),
        format="nt",
    )
    graph += linksets
    for linkset in linksets.subjects(RDF.type, VOID.Linkset):
        graph.add((dataset, VOID.subset, linkset))
        graph.add((linkset, VOID.dataDump, URIRef(SERVICE_BASE + "downloads/links.nt.gz")))
    for item in meta["classes"]:
        partition = BNode(f"class-{hashlib.sha1(item['iri'].encode()).hexdigest()[:10]}")
        graph.add((dataset, VOID.classPartition, partition))
        graph.add((partition, VOID["class"], URIRef(item["iri"])))
        graph.add((partition, VOID.entities, _integer(item["entities"])))
    return graph


def _dcat(store: ox.Store, meta: dict[str, Any], dumps: Path) -> Graph:
    graph = _static("dcat")
    graph.bind("spdx", SPDX)
    dataset = DATASET
    graph.add((dataset, DCTERMS.identifier, Literal(meta["version"])))
    issued = sorted(row["issued"].value for row in store.query(load_query("descriptions/issued")))
    if issued:
        graph.add((dataset, DCTERMS.issued, Literal(issued[0], datatype=XSD.date)))
    graph.add((dataset, DCTERMS.modified, Literal(meta["built"], datatype=XSD.dateTime)))
    for item in DOWNLOADS:
        path = dumps / item.name
        distribution = URIRef(f"{SERVICE_BASE}downloads/{item.name}")
        graph.add((dataset, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCTERMS.title, Literal(item.title, lang="en")))
        graph.add((distribution, DCAT.downloadURL, distribution))
        graph.add((distribution, DCAT.mediaType, URIRef(_MEDIA + item.media_type)))
        graph.add((distribution, DCAT.compressFormat, URIRef(_MEDIA + "application/gzip")))
        graph.add(
            (
                distribution,
                DCAT.byteSize,
                Literal(path.stat().st_size, datatype=XSD.nonNegativeInteger),
            )
        )
        graph.add((distribution, DCTERMS.license, _LICENSE))
        checksum = BNode(f"sha256-{item.name.replace('.', '-')}")
        graph.add((distribution, SPDX.checksum, checksum))
        graph.add((checksum, RDF.type, SPDX.Checksum))
        graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        graph.add(
            (checksum, SPDX.checksumValue, Literal(sha256_file(path), datatype=XSD.hexBinary))
        )
    return graph


def _sd(meta: dict[str, Any]) -> Graph:
    graph = _static("sd")
    service = URIRef(SERVICE_BASE + "sparql")
    dataset = BNode("defaultDataset")
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    default_graph = BNode("defaultGraph")
    graph.add((dataset, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    graph.add((default_graph, VOID.triples, _integer(meta["triples"])))
    for index, item in enumerate(meta["graphs"]):
        named = BNode(f"namedGraph{index}")
        described = BNode(f"graph{index}")
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(item["iri"])))
        graph.add((named, SD.graph, described))
        graph.add((described, RDF.type, SD.Graph))
        graph.add((described, VOID.triples, _integer(item["triples"])))
    return graph


def write_descriptions(store: ox.Store, folder: Path, meta: dict[str, Any], dumps: Path) -> None:
    """Write ``void.ttl``, ``dcat.ttl`` and ``sd.ttl`` into ``folder`` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, graph in (
        ("void", _void(store, meta)),
        ("dcat", _dcat(store, meta, dumps)),
        ("sd", _sd(meta)),
    ):
        graph.serialize(destination=str(folder / f"{name}.ttl"), format="turtle")
