"""Dataset generations: the one artefact the build publishes and the server opens.

Layout of ``GENERATIONS_DIR`` (written only by ``migkg build``; the server never writes it)::

    GENERATIONS_DIR/
      current -> gen-<version>-<ns>      symlink, switched with rename(2) (atomic)
      gen-<version>-<ns>/                one complete generation, immutable once named
        meta.json                        version, build time, source commit, counts,
                                         statistics, and the size + SHA-256 of every file below
        store/                           RocksDB: every named graph + the default-graph merge
        catalogue.sqlite                 labels, kinds, periods, FTS5 name index, page counts
        dumps/dataset.trig.gz            the downloads, gzipped, with SHA256SUMS
        dumps/dataset.nq.gz, dataset.ttl.gz, links.nt.gz, SHA256SUMS
        figures.csv.gz                   one row per figure (CSV on the Web table)
        figures.csv-metadata.json        its CSVW metadata
        producers.nq.gz                  the producers graph (service/update/): every figure
                                         `migkg update` ever published, with its history; the
                                         next build or update starts from it (absent until
                                         the first update)
        descriptions/void.ttl            VoID, DCAT and SPARQL Service Description, with the
        descriptions/dcat.ttl            service's own addresses as relative IRIs (resolved
        descriptions/sd.ttl              against the deployment's URL when served)
      .build-<ns>/                       a build in progress (never opened; removed by the
                                         next build)

A build writes everything into ``.build-<ns>``, writes ``meta.json`` last, renames the folder to
its generation name, and only then renames a fresh symlink over ``current``. A build killed at
any moment therefore leaves ``current`` and what it points at untouched. :func:`verify`
refuses a generation whose files do not match ``meta.json`` (missing store, truncated
catalogue, changed dump), so a server never switches to a damaged one.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "FORMAT",
    "Generation",
    "GenerationError",
    "META",
    "PRODUCERS",
    "current",
    "switch_current",
    "prune",
    "verify",
    "sha256_file",
    "new_build_dir",
    "remove_stale_builds",
]

#: The layout and file formats of a generation; raised whenever what the build writes changes
#: (a table added to the catalogue, a file renamed), so that a server refuses a generation it
#: cannot read and the build does not take an older one for "unchanged".
FORMAT = 3  # 2: the catalogue's note table; 3: its page_rows table

META = "meta.json"
STORE = "store"
CATALOGUE = "catalogue.sqlite"
DUMPS = "dumps"
DESCRIPTIONS = "descriptions"
FIGURES = "figures.csv.gz"
FIGURES_METADATA = "figures.csv-metadata.json"
PRODUCERS = "producers.nq.gz"
CURRENT = "current"
_PREFIX = "gen-"
_BUILDING = ".build-"


class GenerationError(Exception):
    """A generation is missing, incomplete or does not match its ``meta.json``."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Generation:
    """One opened (verified) generation folder and its ``meta.json``."""

    path: Path
    meta: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def version(self) -> str:
        return str(self.meta["version"])

    @property
    def store_dir(self) -> Path:
        return self.path / STORE

    @property
    def catalogue(self) -> Path:
        return self.path / CATALOGUE

    @property
    def dumps_dir(self) -> Path:
        return self.path / DUMPS

    @property
    def descriptions_dir(self) -> Path:
        return self.path / DESCRIPTIONS

    def checksum(self, relative: str) -> str:
        return self.meta["files"][relative]["sha256"]

    def producers(self) -> bytes:
        """The producers graph as N-Quads (empty when no update has published one)."""
        path = self.path / PRODUCERS
        if PRODUCERS not in self.meta["files"]:
            return b""
        with gzip.open(path, "rb") as handle:
            return handle.read()


def _read_meta(folder: Path) -> dict[str, Any]:
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GenerationError(f"{folder}: no {META} (an incomplete generation)") from None
    except (OSError, ValueError) as exc:
        raise GenerationError(f"{folder}/{META}: unreadable: {exc}") from None
    if not isinstance(meta, dict) or "version" not in meta or "files" not in meta:
        raise GenerationError(f"{folder}/{META}: no version or file list")
    if meta.get("format") != FORMAT:
        raise GenerationError(
            f"{folder}: generation format {meta.get('format')}, this migkg reads format "
            f"{FORMAT}: run `migkg build`"
        )
    return meta


def verify(folder: Path, *, checksums: bool = True) -> Generation:
    """Open ``folder`` as a generation after checking it is complete.

    Every file listed in ``meta.json`` must exist with its size (and, with ``checksums``, its
    SHA-256); the store folder must hold the files listed for it.

    :raises GenerationError: one line saying what is wrong.
    """
    folder = Path(folder)
    meta = _read_meta(folder)
    for relative, expected in meta["files"].items():
        path = folder / relative
        try:
            size = path.stat().st_size
        except OSError:
            raise GenerationError(f"{folder}: {relative} is missing") from None
        if size != expected["size"]:
            raise GenerationError(
                f"{folder}: {relative} has {size} bytes, {META} says {expected['size']}"
            )
        if checksums and "sha256" in expected and sha256_file(path) != expected["sha256"]:
            raise GenerationError(f"{folder}: {relative} does not match its SHA-256 in {META}")
    if not (folder / STORE).is_dir():
        raise GenerationError(f"{folder}: the store folder is missing")
    return Generation(folder, meta)


def current(root: Path) -> str | None:
    """The name ``root/current`` points at, or None when nothing was published."""
    try:
        return os.readlink(Path(root) / CURRENT)
    except OSError:
        return None


def switch_current(root: Path, name: str) -> None:
    """Point ``root/current`` at ``name`` atomically (a new symlink renamed over the old)."""
    root = Path(root)
    link_tmp = root / f".current-{os.getpid()}-{time.time_ns()}"
    os.symlink(name, link_tmp)
    try:
        os.replace(link_tmp, root / CURRENT)
    except BaseException:
        link_tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(root)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _built_at(path: Path) -> int:
    try:
        return int(path.name.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return 0


def generations(root: Path) -> list[Path]:
    """The named generations in ``root``, newest first."""
    found = [p for p in Path(root).glob(f"{_PREFIX}*") if p.is_dir()]
    return sorted(found, key=_built_at, reverse=True)


def prune(root: Path, keep: int) -> list[str]:
    """Remove all but the ``keep`` newest generations, never the one ``current`` names.

    Kept generations let a server finish the requests it started on one it just left.
    """
    in_use = current(root)
    removed = []
    for old in generations(root)[max(1, keep) :]:
        if old.name != in_use:
            shutil.rmtree(old, ignore_errors=True)
            removed.append(old.name)
    return removed


def new_build_dir(root: Path) -> Path:
    """A fresh, empty folder for a build in progress."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"{_BUILDING}{time.time_ns()}"
    folder.mkdir()
    return folder


def remove_stale_builds(root: Path) -> None:
    """Remove what killed builds left behind (``.build-*`` folders, stray ``.current-*`` links)."""
    for leftover in Path(root).glob(f"{_BUILDING}*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for link in Path(root).glob(".current-*"):
        link.unlink(missing_ok=True)


def generation_name(version: str) -> str:
    return f"{_PREFIX}{version}-{time.time_ns()}"
