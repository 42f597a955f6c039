"""Shared helpers for the knowledge-graph tests: the real sources, loaded once per session,
and copies of them with one mutation applied."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from rdflib import Dataset, URIRef

from service.build.sources import LoadedSources, load
from service.config import load_config
from service.namespaces import MIG, MIGKG, PROV, RDFS, SDMX_DIMENSION, SDMX_MEASURE

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
MPL_TEXT = SEEDS / "000_0338c7585608927b.txt"
WEB_TEXT = SEEDS / "004_f40a5742e82f877e.txt"
BASE = MIGKG  # the persistent namespace: the same wherever the service runs


def config(**overrides) -> dict:
    return load_config({**overrides}, environ={})


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


@functools.lru_cache(maxsize=1)
def built_generations() -> Path:
    """Run the real build (``migkg build``) once per session; its generations folder."""
    import tempfile

    from service.build.generation import build_generation

    root = Path(tempfile.mkdtemp(prefix="migkg-build-")) / "generations"
    build_generation(config(GENERATIONS_DIR=str(root)))
    return root


@functools.lru_cache(maxsize=1)
def built_dataset_dir() -> Path:
    """A folder holding the real build's ``dataset.nq`` (its published dump, uncompressed):
    what tests read the dataset from, and the "dataset folder" the app fixtures accept as
    ``DATASET_DIR`` (:func:`generations_for`)."""
    import gzip

    root = built_generations()
    folder = root.parent / "dataset"
    folder.mkdir(exist_ok=True)
    dump = root / "current" / "dumps" / "dataset.nq.gz"
    (folder / "dataset.nq").write_bytes(gzip.decompress(dump.read_bytes()))
    _GENERATIONS[str(folder.resolve())] = root
    return folder


_GENERATIONS: dict[str, Path] = {}


def generations_for(dataset_dir: Path | str) -> Path:
    """A generations folder serving the N-Quads of a test "dataset folder" (``dataset.nq``:
    a fixture, or a dataset a test wrote), published once per folder and session with the
    build's own :func:`service.build.generation.publish`."""
    import tempfile

    from service.build.generation import publish

    key = str(Path(dataset_dir).resolve())
    root = _GENERATIONS.get(key)
    if root is None:
        root = Path(tempfile.mkdtemp(prefix="migkg-gen-")) / "generations"
        publish((Path(dataset_dir) / "dataset.nq").read_bytes(), root)
        _GENERATIONS[key] = root
    return root


@functools.lru_cache(maxsize=1)
def built_store():
    """The built dataset (N-Quads) in an in-memory Oxigraph store, with the default graph
    holding the merge (set union) of the named graphs. (Oxigraph's union-default-graph mode
    returns a triple once per graph that holds it, which is not the RDF merge.)"""
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(built_dataset_dir() / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
    return store


PREFIXES = """
PREFIX mig: <https://w3id.org/migkg/def#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX unit: <http://qudt.org/vocab/unit/>
PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX sdmx-attribute: <http://purl.org/linked-data/sdmx/2009/attribute#>
PREFIX sdmx-code: <http://purl.org/linked-data/sdmx/2009/code#>
"""


def country_figures(area: str) -> str:
    """The graph pattern of a country page's figures (``?obs``): the country as reference area,
    or as counterpart of its people abroad (indicators with ``mig:namesOrigin``), as the page
    queries read them (README, "Direction, periods and interpretations")."""
    return (
        f"{{ ?obs sdmx-dimension:refArea <{area}> }} UNION "
        f"{{ ?obs mig:counterpartArea <{area}> ; mig:indicator/mig:namesOrigin true }}"
    )


def select(query: str) -> list[dict]:
    """Run a SELECT over the built dataset (merge of the named graphs); rows as {var: value str}."""
    results = built_store().query(PREFIXES + query)
    names = [v.value for v in results.variables]
    rows = []
    for solution in results:
        row = {}
        for name in names:
            term = solution[name]
            row[name] = None if term is None else term.value
        rows.append(row)
    return rows


# -- a dataset whose labels try to break out (pages escaping, facets, browser) ----------------

PAYLOAD = '</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
QUOTES = "He said \"hello\" & 'bye' <b>bold</b>"


def nt_literal(text: str, lang: str = "en") -> str:
    """``text`` as an N-Triples literal (with ``lang``, none when empty)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def hostile_dataset(folder: Path) -> Path:
    """A tiny built dataset (dataset.nq + version.json) whose labels try to break out."""
    g = f"<{BASE}graph/reference>"
    rdfs, mig, dim, measure, prov = map(str, (RDFS, MIG, SDMX_DIMENSION, SDMX_MEASURE, PROV))
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    a, ind, obs = (
        f"<{BASE}id/authority/hostile>",
        f"<{BASE}id/indicator/hostile>",
        f"<{BASE}id/observation/hostile-1>",
    )
    area, period, src = (
        f"<{BASE}id/area/hx>",
        f"<{BASE}id/period/2024>",
        f"<{BASE}id/source/hostile>",
    )
    lines = [
        f"{a} {rdf_type} <{mig}Committee> {g} .",
        f"{a} <{rdfs}label> {nt_literal(PAYLOAD)} {g} .",
        f"{a} <{mig}shortName> {nt_literal(QUOTES)} {g} .",
        f"{a} <http://purl.org/dc/terms/description> {nt_literal('</script><!-- ' + PAYLOAD)} {g} .",
        f'{a} <http://www.w3.org/2000/01/rdf-schema#seeAlso> <http://example.org/a?b=1&c="2"> {g} .'.replace(
            '"2"', "%222%22"
        ),
        f"{a} <http://www.w3.org/2000/01/rdf-schema#seeAlso> <javascript:window.pwned=4> {g} .",
        f"{ind} {rdf_type} <{mig}Indicator> {g} .",
        f"{ind} <{rdfs}label> {nt_literal('Indicator ' + PAYLOAD)} {g} .",
        f"{area} {rdf_type} <{mig}Country> {g} .",
        f"{area} <{rdfs}label> {nt_literal('Land ' + QUOTES)} {g} .",
        f"{period} <{rdfs}label> {nt_literal('2024')} {g} .",
        f"{src} {rdf_type} <http://www.w3.org/ns/dcat#Dataset> {g} .",
        f"{src} <{rdfs}label> {nt_literal('Source ' + PAYLOAD)} {g} .",
        f"{src} <http://purl.org/dc/terms/publisher> {a} {g} .",
        f"{obs} {rdf_type} <http://purl.org/linked-data/cube#Observation> {g} .",
        f"{obs} <{rdfs}label> {nt_literal('Figure ' + PAYLOAD)} {g} .",
        f"{obs} <{mig}indicator> {ind} {g} .",
        f"{obs} <{dim}refArea> {area} {g} .",
        f"{obs} <{dim}refPeriod> {period} {g} .",
        f'{obs} <{measure}obsValue> "42"^^<http://www.w3.org/2001/XMLSchema#integer> {g} .',
        f"{obs} <{mig}publishedValue> {nt_literal('<script>window.pwned=3</script>42', '')} {g} .",
        f"{obs} <{mig}locator> {nt_literal('General Information: ' + PAYLOAD, '')} {g} .",
        f"{obs} <{prov}hadPrimarySource> {src} {g} .",
    ]
    data = ("\n".join(sorted(lines)) + "\n").encode("utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataset.nq").write_bytes(data)
    version = hashlib.sha256(data).hexdigest()[:16]
    (folder / "version.json").write_text(
        json.dumps(
            {
                "version": version,
                "built": "2026-01-01T00:00:00+00:00",
                "triples": len(lines),
                "graphs": [f"{BASE}graph/reference"],
            }
        ),
        encoding="utf-8",
    )
    return folder


def copy_sources(root: Path) -> Path:
    """A private copy of ontology/, graph_data/ and shapes/ in ``root``, for tests that change
    or break the sources (point MIGKG_ONTOLOGY_DIR etc. at it)."""
    import shutil

    for name in ("ontology", "graph_data", "shapes"):
        shutil.copytree(ROOT / name, root / name)
    return root


PRODUCERS_FIXTURE = ROOT / "tests" / "fixtures" / "producers" / "producers.ttl"
PRODUCERS_GRAPH = URIRef(BASE + "graph/producers")


@functools.lru_cache(maxsize=1)
def producers_dataset_dir() -> Path:
    """A "dataset folder" (see :func:`built_dataset_dir`): the real build's dataset plus the
    hand-made producer graph of ``tests/fixtures/producers/producers.ttl`` as the named graph
    ``graph/producers``, as the update command will add it (producer-spec.md)."""
    import tempfile

    from rdflib import Graph

    fixture = Graph().parse(PRODUCERS_FIXTURE)
    dataset = Dataset()
    dataset.graph(PRODUCERS_GRAPH).__iadd__(fixture)
    quads = dataset.serialize(format="nquads").encode("utf-8")
    folder = Path(tempfile.mkdtemp(prefix="migkg-producers-")) / "dataset"
    folder.mkdir()
    (folder / "dataset.nq").write_bytes((built_dataset_dir() / "dataset.nq").read_bytes() + quads)
    return folder
