"""Shared helpers for the knowledge-graph tests: the real sources, loaded once per session,
and copies of them with one mutation applied."""
from __future__ import annotations

import functools
from pathlib import Path

from rdflib import Dataset, URIRef

from service.config import load_config
from service.sources import LoadedSources, load

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
MPL_TEXT = SEEDS / "000_0338c7585608927b.txt"
WEB_TEXT = SEEDS / "004_f40a5742e82f877e.txt"
BASE = "http://127.0.0.1:8080/"


def config(**overrides) -> dict:
    return load_config({"BASE_IRI": BASE, **overrides}, environ={})


@functools.lru_cache(maxsize=1)
def real_sources() -> LoadedSources:
    return load(config())


def iri(path: str) -> URIRef:
    return URIRef(BASE + path)


def mutated(remove=(), add=()) -> LoadedSources:
    """A copy of the real sources with triples removed from and added to every graph
    (``None`` in a removal pattern is a wildcard), so each test breaks one thing."""
    original = real_sources()
    dataset = Dataset()
    for ctx in original.dataset.graphs():
        copy = dataset.graph(ctx.identifier)
        copy += ctx
        for pattern in remove:
            copy.remove(pattern)
    if add:
        target = dataset.graph(URIRef(BASE + "graph/mpl-2015"))
        for triple in add:
            target.add(triple)
    return LoadedSources(dataset, original.files, original.origin)
