"""The generation's VoID, DCAT and service descriptions as this deployment serves them.

The build wrote them with the service's own addresses below
:data:`service.build.descriptions.SERVICE_BASE`; here every such IRI is rebased onto the
deployment's root URL (``PUBLIC_URL``, else the request's host and script root), once per
generation and root, and the service description gets what the server's configuration decides
(federated query when ``SERVICE_ALLOWLIST`` is set, the limits).
"""

from __future__ import annotations

from flask import current_app, request
from rdflib import Graph, Literal, URIRef

from ..build.descriptions import SERVICE_BASE
from ..namespaces import DCT, SD, bind_prefixes
from .app import served

__all__ = ["description_graph", "root_url"]


def root_url() -> str:
    """The absolute URL of this deployment's root, ending in ``/``."""
    public = current_app.config.get("PUBLIC_URL")
    return public if public else request.url_root


def _rebase(term, root: str):
    if isinstance(term, URIRef) and str(term).startswith(SERVICE_BASE):
        return URIRef(root + str(term)[len(SERVICE_BASE) :])
    return term


def _limits() -> str:
    config = current_app.config
    return (
        "Read-only SPARQL 1.1 endpoint of migkg. The default graph is the union of all named "
        "graphs (one per source document); address a single graph with GRAPH or "
        f"named-graph-uri. Limits: query time {config['QUERY_TIMEOUT']:g} s, query size "
        f"{config['MAX_QUERY_BYTES']} bytes, {config['MAX_RESULT_ROWS']} result rows."
    )


def description_graph(name: str) -> Graph:
    """``void``, ``dcat`` or ``sd`` of the request's generation, for this deployment (empty
    when nothing is published)."""
    pinned = served()
    root = root_url()
    key = ("description", name, root)
    graph = pinned.cache.get(key)
    if graph is None:
        graph = Graph()
        bind_prefixes(graph)
        if pinned.generation is not None:
            source = Graph().parse(
                pinned.generation.descriptions_dir / f"{name}.ttl", format="turtle"
            )
            for prefix, namespace in source.namespaces():
                graph.bind(prefix, namespace, override=False)
            for s, p, o in source:
                graph.add((_rebase(s, root), p, _rebase(o, root)))
        if name == "sd":
            service = URIRef(root + "sparql")
            graph.add((service, DCT.description, Literal(_limits(), lang="en")))
            if current_app.config["SERVICE_ALLOWLIST"]:
                graph.add((service, SD.feature, SD.BasicFederatedQuery))
        pinned.cache[key] = graph
    return graph
