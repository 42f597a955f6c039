"""``migkg build``: validate the sources, then publish the dataset.

Output (in config["DATASET_DIR"]): ``dataset.trig`` and ``dataset.nq`` (every triple in its
named graph) and ``version.json`` (content hash, build time, triple count, graph names).
Each file is written to a temporary file in the same folder and renamed over the old one,
``version.json`` last: a failed or interrupted build leaves the previous dataset in place.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..namespaces import MIGKG, bind_prefixes
from .sources import load
from .validation import ValidationReport, validate_loaded


class BuildError(Exception):
    """Validation failed; the report says why."""

    def __init__(self, report: ValidationReport):
        self.report = report
        super().__init__(f"{len(report.violations)} violations\n{report.text()}")


@dataclass
class BuildResult:
    out_dir: Path
    version: str
    triples: int
    graphs: list[str]
    report: ValidationReport

    def summary(self) -> str:
        return (
            f"built {self.out_dir}: {self.triples} triples in {len(self.graphs)} named graphs, "
            f"version {self.version}; {len(self.report.warnings)} consistency warnings "
            f"(see `migkg validate`)"
        )


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_dataset(config: dict) -> BuildResult:
    sources = load(config)
    report = validate_loaded(config, sources)
    if not report.conforms:
        raise BuildError(report)
    dataset = sources.dataset
    bind_prefixes(dataset)
    nquads = "".join(sorted(dataset.serialize(format="nquads").splitlines(keepends=True))).encode(
        "utf-8"
    )
    trig = dataset.serialize(format="trig").encode("utf-8")
    graphs = sorted(str(ctx.identifier) for ctx in dataset.graphs() if len(ctx))
    version = hashlib.sha256(nquads).hexdigest()[:16]
    out = Path(config["DATASET_DIR"])
    out.mkdir(parents=True, exist_ok=True)
    _atomic_write(out / "dataset.nq", nquads)
    _atomic_write(out / "dataset.trig", trig)
    triples = nquads.count(b"\n")
    meta = {
        "version": version,
        "built": datetime.now(UTC).isoformat(timespec="seconds"),
        "triples": triples,
        "graphs": graphs,
        "namespace": MIGKG,
    }
    _atomic_write(out / "version.json", (json.dumps(meta, indent=2) + "\n").encode("utf-8"))
    return BuildResult(out, version, triples, graphs, report)
