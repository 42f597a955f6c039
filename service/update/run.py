"""``migkg update``: fetch every source, compare, validate, publish — in one step or not at all.

A run (issue 12, "Atomic and safe"):

1. takes ``PRODUCERS_DIR/update.lock`` without waiting (a second run at once fails at once:
   safe from cron or a systemd timer);
2. fetches everything first (:mod:`.worldbank`, :mod:`.unhcr`, :mod:`.undesa`); any failure —
   network, HTTP status, a 200-status error envelope, malformed JSON, a changed shape, a
   workbook with unexpected headers — raises :class:`UpdateError` before anything is written;
3. compares the figures with the current generation's producers graph (:mod:`.history`) and
   validates what changed with the project's shapes
   (:func:`service.build.generation.validate_update`), in a forked process; nothing new:
   done, nothing written;
4. reads the sources and serialises the whole dataset, with the Data Cube checks over it
   (:func:`service.build.generation.prepare`), in another; then stages the raw responses
   (``PRODUCERS_DIR/responses/.staging-<ns>/``) and publishes the new generation
   (:func:`service.build.generation.build_generation`), switching ``current`` to it: the one
   step that publishes. A violation, an interruption or a crash before the switch leaves
   ``current`` and the served data exactly as they were, and the next run removes the staged
   responses. (The two processes are for memory: the rdflib graphs of 15,000 new observations
   are ~0.5 GB that Python keeps after freeing them; a process that ends returns it. A first
   update of all 49 states peaks at ~0.9 GB instead of 1.4 GB: bench/RESULTS.md.)
5. moves the staged responses to ``PRODUCERS_DIR/responses/<sha256>.gz`` (content-addressed:
   a response kept twice is one file).

Exit codes of the command (:mod:`service.cli`): 0 when the run published new figures or found
nothing new (the summary says which), 1 when it failed (one line saying why; nothing changed),
2 for a usage error.
"""

from __future__ import annotations

import fcntl
import gzip
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDFS, SKOS

from ..build.generation import (
    BuildError,
    BuildResult,
    Prepared,
    build_generation,
    current_producers,
    prepare,
    remove_leftovers,
    validate_update,
)
from ..build.rdf_files import SourceError
from ..build.sources import load
from ..build.validation import Finding
from . import undesa, unhcr, worldbank
from .errors import UpdateError
from .fetched import Fetched
from .history import SOURCES, Changes, apply_releases
from .http import ProducerClient
from .records import Response
from .states import State, all_states

__all__ = ["UpdateOptions", "UpdateResult", "run_update", "SOURCE_NAMES"]

SOURCE_NAMES = tuple(SOURCES)  # worldbank, unhcr, undesa
FIRST_YEAR, LAST_YEAR = 1990, 2024


@dataclass
class UpdateOptions:
    sources: tuple[str, ...] = SOURCE_NAMES
    states: tuple[State, ...] = ()  # () = every Prague Process state
    years: tuple[int, int] = (FIRST_YEAR, LAST_YEAR)
    #: UN DESA workbooks already downloaded (else downloaded from UNDESA_URL)
    files: tuple[Path, ...] = ()
    dry_run: bool = False


@dataclass
class UpdateResult:
    changes: Changes
    build: BuildResult | None
    dry_run: bool
    seconds: float
    lines: list[str] = field(default_factory=list)

    @property
    def published(self) -> bool:
        return self.build is not None and self.build.published

    def summary(self) -> str:
        lines = [
            self.changes.stats[name].line(SOURCES[name].name)
            for name in SOURCE_NAMES
            if name in self.changes.stats
        ]
        if self.dry_run:
            verdict = (
                f"dry run: would publish {len(self.changes.releases)} release(s)"
                if self.changes.changed
                else "dry run: nothing new"
            )
        elif self.published:
            verdict = f"published {len(self.changes.releases)} release(s): {self.build.summary()}"
        else:
            verdict = "nothing new: the served data is unchanged"
        return "\n".join([*lines, f"{verdict} ({self.seconds:.1f} s)"])


@contextmanager
def _update_lock(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "update.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UpdateError(
                f"another `migkg update` is running (it holds {folder / 'update.lock'})"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _client(config: dict, base: str) -> ProducerClient:
    return ProducerClient(
        base,
        timeout=float(config["UPDATE_TIMEOUT"]),
        attempts=int(config["UPDATE_ATTEMPTS"]),
        max_retry_after=float(config["UPDATE_MAX_RETRY_AFTER"]),
    )


def _fetch(config: dict, options: UpdateOptions, step: Callable[[str], None]) -> list[Fetched]:
    states = options.states or all_states()
    first, last = options.years
    fetched = []
    for name in options.sources:
        step(f"fetching {SOURCES[name].name}")
        if name == "worldbank":
            fetched.append(
                worldbank.fetch(_client(config, config["WORLDBANK_API"]), states, first, last)
            )
        elif name == "unhcr":
            fetched.append(unhcr.fetch(_client(config, config["UNHCR_API"]), states, first, last))
        elif name == "undesa":
            fetched.append(_undesa(config, options, states, first, last))
    return fetched


def _undesa(
    config: dict, options: UpdateOptions, states: tuple[State, ...], first: int, last: int
) -> Fetched:
    if options.files:
        return undesa.read_workbooks(options.files, states, first, last)
    if not config.get("UNDESA_URL"):
        raise UpdateError(
            "UN DESA: its workbooks are not downloadable here: pass them with --file "
            "(undesa_pd_2024_ims_stock_by_sex_and_destination.xlsx, ..._and_origin.xlsx) "
            "or set MIGKG_UNDESA_URL to the folder that serves them"
        )
    client = _client(config, config["UNDESA_URL"])
    return undesa.fetch(client, states, first, last)


def _labeller(config: dict) -> Callable[[URIRef], str]:
    """English labels of the reference data (areas, indicators) for the observations' labels."""
    graph = Graph()
    try:
        for path in sorted(Path(config["GRAPH_DATA_DIR"], "reference").glob("*.ttl")):
            graph.parse(path, format="turtle")
    except Exception as exc:  # the build reports it as file:line; here the label only
        raise UpdateError(f"reading the reference data: {exc}") from None
    labels = {}
    for prop in (RDFS.label, SKOS.prefLabel):
        for subject, value in graph.subject_objects(prop):
            if getattr(value, "language", None) == "en":
                labels.setdefault(subject, str(value))
    return lambda iri: labels.get(iri) or str(iri).rsplit("/", 1)[-1]


def _stage(folder: Path, responses: list[Response]) -> Path:
    staging = folder / f".staging-{time.time_ns()}"
    staging.mkdir(parents=True)
    for response in responses:
        target = staging / f"{response.sha256}.gz"
        with open(target, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
            out.write(response.body)
    return staging


def _keep(staging: Path, folder: Path) -> None:
    for path in staging.iterdir():
        os.replace(path, folder / path.name)
    staging.rmdir()


def _remove_stale_staging(folder: Path) -> None:
    for path in folder.glob(".staging-*"):
        shutil.rmtree(path, ignore_errors=True)


def _compare_and_validate(
    config: dict, fetched: list[Fetched], started: datetime, validate: bool
) -> tuple[Changes, bytes, list[Finding]]:
    """The run's changes (without their graphs), the new producers graph (N-Quads) and, when
    something changed and ``validate``, the SHACL findings about the changes."""
    previous = current_producers(Path(config["GENERATIONS_DIR"]))
    try:
        changes, producers = apply_releases(
            previous,
            fetched,
            started=started,
            ended=datetime.now(UTC),
            label=_labeller(config),
            parts=int(config.get("VALIDATION_PROCESSES", 2)),
        )
    except ValueError as exc:
        raise UpdateError(str(exc)) from None
    findings: list[Finding] = []
    if validate and changes.changed:
        try:
            findings = validate_update(config, load(config), changes.hand_over())
        except SourceError as exc:
            raise UpdateError(f"the project's sources: {exc}") from None
    changes.hand_over()  # rdflib graphs are not sent back
    return changes, producers, findings


def _prepare(config: dict, producers: bytes, findings: list[Finding]) -> Prepared:
    try:
        return prepare(config, producers=producers, validated=findings)
    except SourceError as exc:
        raise UpdateError(f"the project's sources: {exc}") from None


_child_call: list = []


def _call_in_child():
    function, args = _child_call[0]
    return function(*args)


def _in_child(function: Callable, *args):
    """``function(*args)`` in a forked process, its result sent back (pickled): the rdflib
    graphs of a run's changes are most of its memory (bench/RESULTS.md, "Producer update"), and
    Python keeps freed memory; a process that ends returns it all before the generation's
    store, catalogue and dumps are written."""
    _child_call[:] = [(function, args)]
    try:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
            return pool.submit(_call_in_child).result()
    finally:
        _child_call.clear()


def run_update(
    config: dict, options: UpdateOptions, progress: Callable[[str], None] | None = None
) -> UpdateResult:
    """One run (see the module docstring).

    :raises UpdateError: the run failed; the served data and the kept responses are unchanged.
    """
    clock = time.perf_counter()
    step = progress or (lambda message: None)
    unknown = [name for name in options.sources if name not in SOURCES]
    if unknown:
        raise UpdateError(f"--source: unknown {', '.join(unknown)} (one of {', '.join(SOURCES)})")
    folder = Path(config["PRODUCERS_DIR"])
    responses_dir = folder / "responses"
    with _update_lock(folder):
        responses_dir.mkdir(parents=True, exist_ok=True)
        _remove_stale_staging(responses_dir)
        remove_leftovers(Path(config["GENERATIONS_DIR"]))
        started = datetime.now(UTC)
        fetched = _fetch(config, options, step)
        step("comparing with the published figures")
        changes, producers, findings = _in_child(
            _compare_and_validate, config, fetched, started, not options.dry_run
        )
        if not options.dry_run and changes.changed:
            step("validating and publishing a new generation")
            # the whole dataset, serialised and checked in a process of its own (memory)
            prepared = _in_child(_prepare, config, producers, findings)
        if options.dry_run or not changes.changed:
            return UpdateResult(changes, None, options.dry_run, time.perf_counter() - clock)
        staging = _stage(responses_dir, changes.responses)
        try:
            build = build_generation(config, prepared=prepared, progress=progress)
        except BaseException as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(exc, BuildError):
                shown = [finding.line() for finding in exc.report.violations[:20]]
                more = len(exc.report.violations) - len(shown)
                raise UpdateError(
                    "validation failed, nothing published:\n"
                    + "\n".join(shown + ([f"... and {more} more"] if more > 0 else []))
                ) from None
            if isinstance(exc, SourceError):
                raise UpdateError(f"the project's sources: {exc}") from None
            raise
        _keep(staging, responses_dir)
        return UpdateResult(changes, build, False, time.perf_counter() - clock)
