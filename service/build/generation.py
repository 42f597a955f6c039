"""``migkg build``: sources → validation → a complete generation → the ``current`` switch.

The build is the only writer of ``GENERATIONS_DIR`` (layout: :mod:`service.generations`).
Steps, each into ``.build-<ns>/`` until the last:

1. read the sources and validate them (:mod:`.sources`, :mod:`.validation`); a violation stops
   the build before anything is written (:func:`prepare`). The producers graph of ``migkg
   update`` (:data:`PRODUCERS_GRAPH`) is published with them: carried from the current
   generation by a build, new from an update, whose changes :func:`validate_update` checked;
2. serialise the dataset (N-Quads, sorted: its SHA-256 prefix is the dataset version) and
   bulk-load it into a RocksDB store with the default-graph merge (:mod:`.store_loader`),
   compacted, with the statistics VoID and the service description publish;
3. the pages' catalogue (:mod:`.catalogue`) and, in the background meanwhile, the rows of
   the observation and country pages' queries (:mod:`.page_rows`, written into it), the
   gzipped dumps with ``SHA256SUMS`` (:mod:`.dumps`), the figures table with its CSVW
   metadata (:mod:`.figures_table`) and the VoID, DCAT and service descriptions
   (:mod:`.descriptions`);
4. ``meta.json`` last, listing the size and SHA-256 of every file; the folder is renamed to
   ``gen-<version>-<ns>`` and ``current`` switched to it (rename of a symlink), then old
   generations are pruned to ``KEEP_GENERATIONS``.

One build at a time holds ``GENERATIONS_DIR/.build.lock`` (flock). A build that fails or is
killed leaves ``current`` untouched; the next build removes its leftovers. When the dataset
version equals the current generation's, nothing is published (``--force`` builds anyway).
"""

from __future__ import annotations

import fcntl
import gc
import gzip
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rdflib import Graph

from .. import generations as gens
from ..config import PROJECT_ROOT
from ..namespaces import GRAPH, MIGKG, bind_prefixes
from . import datacube
from .catalogue import write_catalogue
from .changes_validation import validate_changes
from .descriptions import write_descriptions
from .dumps import write_dumps
from .figures_table import write_figures_table
from .page_rows import PageRows
from .sources import LoadedSources, load
from .store_loader import load_store
from .validation import (
    Finding,
    ValidationReport,
    graph_description_findings,
    ic_findings,
    validate_loaded,
)

log = logging.getLogger("migkg.build")

#: The named graph of every figure `migkg update` fetched from the producers (service/update/).
PRODUCERS_GRAPH = GRAPH["producers"]

__all__ = ["BuildError", "BuildResult", "build_generation", "publish"]


class BuildError(Exception):
    """Validation failed; the report says why."""

    def __init__(self, report: ValidationReport):
        self.report = report
        super().__init__(f"{len(report.violations)} violations\n{report.text()}")


@dataclass
class BuildResult:
    generation: Path
    version: str
    triples: int
    graphs: list[str]
    report: ValidationReport
    published: bool
    seconds: float

    def summary(self) -> str:
        warnings = f"{len(self.report.warnings)} consistency warnings (see `migkg validate`)"
        if not self.published:
            return (
                f"dataset {self.version} unchanged: {self.generation} stays current "
                f"({warnings}; --force publishes it again)"
            )
        return (
            f"published {self.generation} in {self.seconds:.1f} s: {self.triples} triples in "
            f"{len(self.graphs)} named graphs, version {self.version}; {warnings}"
        )


@contextmanager
def _build_lock(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_leftovers(root: Path) -> None:
    """Remove what a killed build left (``.build-*``), unless a build is running now."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".build.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        try:
            gens.remove_stale_builds(root)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=PROJECT_ROOT, text=True, capture_output=True, timeout=10, check=True
    ).stdout.strip()


def _source_commit() -> str | None:
    """The checkout's commit (with ``-dirty`` when it has changes), None outside git."""
    try:
        head = _git("rev-parse", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty else "")


def _file_list(folder: Path) -> dict[str, dict[str, Any]]:
    """Size and SHA-256 of every file of the generation; size only inside the store."""
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        entry: dict[str, Any] = {"size": path.stat().st_size}
        if not relative.startswith(gens.STORE + "/"):
            entry["sha256"] = gens.sha256_file(path)
        files[relative] = entry
    return files


def _step(progress: Callable[[str], None] | None, message: str) -> None:
    log.info("build: %s", message)
    if progress:
        progress(message)


@dataclass
class Prepared:
    """A dataset ready to publish: what :func:`prepare` computes from the sources."""

    nquads: bytes  # canonical, every quad in a named graph
    trig: bytes | None
    graphs: list[str]
    report: ValidationReport
    project_version: str
    has_producers: bool


def prepare(
    config: dict,
    *,
    progress: Callable[[str], None] | None = None,
    producers: bytes | None = None,
    validated: list[Finding] | None = None,
) -> Prepared:
    """Read and validate the sources, and serialise the dataset to publish (see
    :func:`build_generation`). Raises nothing on violations: the report says."""
    root = Path(config["GENERATIONS_DIR"])
    if producers is None:
        producers = current_producers(root)
    _step(progress, "reading and validating the sources")
    sources = load(config)
    dataset = sources.dataset
    bind_prefixes(dataset)
    project = canonical_nquads(dataset.serialize(format="nquads", encoding="utf-8"))
    project_version = _version(project)
    if validated is None:
        report = validate_loaded(config, sources)
    else:
        report = ValidationReport(findings=list(validated), files=len(sources.files))
    nquads = _merged(project, producers) if producers else project
    del project
    if producers:  # the Data Cube constraints over all that is published, on Oxigraph
        report.ic_results = datacube.check_nquads(nquads)
        report.findings += ic_findings(report.ic_results)
        report.triples = nquads.count(b"\n")
    # rdflib's TriG (with the project's prefixes) for the project alone; with a producers
    # graph, Oxigraph's (service/build/dumps.py): rdflib takes ~10 s per 100,000 triples.
    trig = None if producers else dataset.serialize(format="trig").encode("utf-8")
    graphs = sorted(str(g.identifier) for g in dataset.graphs() if len(g))
    if producers:
        graphs.append(str(PRODUCERS_GRAPH))
    return Prepared(nquads, trig, graphs, report, project_version, bool(producers))


def build_generation(
    config: dict,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    producers: bytes | None = None,
    validated: list[Finding] | None = None,
    prepared: Prepared | None = None,
) -> BuildResult:
    """Validate the sources and publish them as a new generation (see the module docstring).

    The producers graph (``producers``, N-Quads of :data:`PRODUCERS_GRAPH`) is published with
    the project's graphs; None carries the current generation's forward unchanged (it was
    validated when an update published it). ``migkg update`` passes the new one and, as
    ``validated``, the findings of :func:`validate_update` about what it adds (the project's
    own graphs are then not validated again here); the Data Cube constraints run over the
    whole dataset in both cases. ``prepared`` is :func:`prepare`'s result computed elsewhere
    (the update computes it in a process of its own, for memory).

    :raises BuildError: validation failed (nothing written).
    :raises SourceError: unreadable input (nothing written).
    """
    started = time.perf_counter()
    if prepared is None:
        prepared = prepare(config, progress=progress, producers=producers, validated=validated)
    if not prepared.report.conforms:
        raise BuildError(prepared.report)
    nquads = prepared.nquads
    generation, published = publish(
        nquads,
        Path(config["GENERATIONS_DIR"]),
        trig=prepared.trig,
        force=force,
        progress=progress,
        keep=int(config.get("KEEP_GENERATIONS", 3)),
        producers=_graph_lines(nquads, PRODUCERS_GRAPH) if prepared.has_producers else b"",
        meta={"project_version": prepared.project_version},
    )
    return BuildResult(
        generation.path,
        generation.version,
        nquads.count(b"\n"),
        prepared.graphs,
        prepared.report,
        published,
        time.perf_counter() - started,
    )


def validate_update(
    config: dict, sources: LoadedSources, changes: tuple[Graph, Graph, list[Graph]]
) -> list[Finding]:
    """The SHACL findings about an update's changes with the project's shapes (in parallel
    processes: :mod:`.changes_validation`; the project's own graphs again only when they
    changed since the current generation), and about the named graphs' descriptions."""
    root = Path(config["GENERATIONS_DIR"])
    bind_prefixes(sources.dataset)
    project = canonical_nquads(sources.dataset.serialize(format="nquads", encoding="utf-8"))
    name = gens.current(root)
    try:
        previous = gens.verify(root / name, checksums=False).meta if name else {}
    except gens.GenerationError:
        previous = {}
    project_changed = previous.get("project_version") != _version(project)
    findings = validate_changes(config, sources, *changes, project_changed=project_changed)
    return findings + graph_description_findings(sources, sources.union())


def _version(nquads: bytes) -> str:
    return hashlib.sha256(nquads).hexdigest()[:16]


def current_producers(root: Path) -> bytes:
    """The producers graph of the current generation (N-Quads; empty before any update)."""
    name = gens.current(root)
    if name is None:
        return b""
    try:
        return gens.verify(root / name, checksums=False).producers()
    except gens.GenerationError:
        return b""


def _graph_lines(nquads: bytes, graph: str) -> bytes:
    """The quads of one named graph of canonical N-Quads, as they are there (with the
    dataset's blank-node labels). Every quad of the dataset is in a named graph, which is its
    line's last term: the line ends with `` <graph> .``."""
    end = b" <" + str(graph).encode() + b"> ."
    return b"".join(
        line for line in nquads.splitlines(keepends=True) if line.rstrip().endswith(end)
    )


def _merged(project: bytes, producers: bytes) -> bytes:
    """The canonical N-Quads of the project's graphs and the producers graph. The update writes
    no blank node into the producers graph (its checksums are IRIs), and its lines are in the
    one form Oxigraph writes any quad in, so the merge is a sort (5 s less than canonicalising
    330,000 quads); a producers graph with a blank node is canonicalised with the rest."""
    if b"_:" in producers:
        return canonical_nquads(project + producers)
    return b"".join(sorted(project.splitlines(keepends=True) + producers.splitlines(keepends=True)))


def canonical_nquads(data: bytes) -> bytes:
    """The N-Quads with canonical blank-node labels (Oxigraph's canonicalisation), one quad
    per line, sorted: the same dataset always gives the same bytes, so its SHA-256 (the
    dataset version) changes exactly when the data does. (rdflib labels blank nodes anew in
    every run.)"""
    import pyoxigraph as ox

    dataset = ox.Dataset(ox.parse(data, format=ox.RdfFormat.N_QUADS))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    lines = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS).splitlines(keepends=True)
    return b"".join(sorted(lines))


def publish(
    nquads: bytes,
    root: Path,
    *,
    trig: bytes | None = None,
    force: bool = False,
    keep: int = 3,
    progress: Callable[[str], None] | None = None,
    producers: bytes = b"",
    meta: dict | None = None,
) -> tuple[gens.Generation, bool]:
    """Write ``nquads`` (every triple in a named graph) as a new generation in ``root`` and
    switch ``current`` to it; the generation and whether it was published (False: the current
    generation already holds this version and ``force`` is false).

    The build calls this after validation; tests call it to publish fixture datasets.

    :raises SyntaxError: unparsable N-Quads (nothing published).
    """
    root = Path(root)
    version = hashlib.sha256(nquads).hexdigest()[:16]
    with _build_lock(root):
        gens.remove_stale_builds(root)
        in_use = gens.current(root)
        if in_use and not force:
            try:
                existing = gens.verify(root / in_use, checksums=False)
            except gens.GenerationError:
                existing = None
            if existing is not None and existing.version == version:
                return existing, False
        work = gens.new_build_dir(root)
        try:
            _step(progress, f"loading the store of version {version}")
            store, statistics = load_store(nquads, work / gens.STORE)
            _hold("store")
            _step(progress, "writing the catalogue")
            catalogue = write_catalogue(store, work / gens.CATALOGUE)
            _step(progress, "writing the pages' rows, the dumps, the figures table")
            page_rows = PageRows(store, work / gens.CATALOGUE)  # in the background
            try:
                write_dumps(work / gens.DUMPS, nquads=nquads, trig=trig)
                write_figures_table(store, work)
            except BaseException:
                page_rows.abandon()
                raise
            catalogue["materialised_pages"] = page_rows.finish()
            if producers:
                _gzip_file(work / gens.PRODUCERS, producers)
            _hold("files")
            meta = {
                "format": gens.FORMAT,
                "version": version,
                "built": datetime.now(UTC).isoformat(timespec="seconds"),
                "source_commit": _source_commit(),
                "namespace": MIGKG,
                "catalogue": catalogue,
                **statistics,
                **(meta or {}),
            }
            write_descriptions(store, work / gens.DESCRIPTIONS, meta, work / gens.DUMPS)
            del store
            gc.collect()
            meta["files"] = _file_list(work)
            _write_json(work / gens.META, meta)
            name = gens.generation_name(version)
            os.replace(work, root / name)
            _hold("switch")
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        _step(progress, f"switching current to {name}")
        gens.switch_current(root, name)
        gens.prune(root, keep)
    return gens.verify(root / name, checksums=False), True


def _hold(point: str) -> None:
    """Fault injection for the tests (``MIGKG_BUILD_HOLD=<point>``): announce ``point`` on
    stderr and wait, so that a test can kill the build exactly there."""
    if os.environ.get("MIGKG_BUILD_HOLD") == point:
        print(f"build holding at {point}", file=sys.stderr, flush=True)
        time.sleep(600)


def _gzip_file(path: Path, data: bytes) -> None:
    # mtime 0: the same graph gives the same bytes
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) as handle,
    ):
        handle.write(data)


def _write_json(path: Path, data: dict) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
