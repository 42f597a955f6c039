"""`migkg validate` and `migkg build` as a user runs them: exit codes, one-line errors with
file and line, and a build that never damages the previous dataset."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from kgsupport import ROOT, copy_sources

MIGKG = [sys.executable, "-m", "service.cli"]


def run(*args, env=None, cwd=ROOT):
    environ = {**os.environ, **(env or {})}
    return subprocess.run(
        [*MIGKG, *args], capture_output=True, text=True, cwd=cwd, env=environ, timeout=300
    )


@pytest.fixture(scope="module")
def data_copy(tmp_path_factory) -> Path:
    """A private copy of ontology/, graph_data/ and shapes/ that tests may break."""
    return copy_sources(tmp_path_factory.mktemp("project"))


def env_for(root: Path, dataset: Path | None = None) -> dict:
    env = {
        "MIGKG_ONTOLOGY_DIR": str(root / "ontology"),
        "MIGKG_GRAPH_DATA_DIR": str(root / "graph_data"),
        "MIGKG_SHAPES_DIR": str(root / "shapes"),
    }
    if dataset:
        env["MIGKG_GENERATIONS_DIR"] = str(dataset)
    return env


def test_validate_real_data_exits_0_and_reports_the_consistency_warnings():
    result = run("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "conforms (0 violations" in result.stdout
    assert "Warning:" in result.stdout
    assert "The percentages of this breakdown add up to 94.0" in result.stdout  # Table 3, Arrived
    assert "The parts add up to 13393.0, the published whole is 13200.0" in result.stdout  # borders
    assert "Published change -40.0 % does not match its figures" in result.stdout  # "40% lower"


def test_validate_a_file_with_a_violation_exits_1(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("""@prefix qb: <http://purl.org/linked-data/cube#> .
<id/observation/broken> a qb:Observation .
""")
    result = run("validate", str(bad))
    assert result.returncode == 1
    assert "does NOT conform" in result.stdout
    assert "/id/observation/broken" in result.stdout
    assert "exactly one primary source" in result.stdout
    assert str(bad) in result.stdout  # the report names the file


def test_turtle_syntax_error_names_file_and_line_without_traceback(data_copy):
    target = data_copy / "graph_data" / "profile-2024" / "laws.ttl"
    original = target.read_text()
    lines = original.split("\n")
    lines[30] = lines[30] + " this is not turtle ;;"
    target.write_text("\n".join(lines))
    try:
        result = run("validate", env=env_for(data_copy))
    finally:
        target.write_text(original)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert f"{target}:31:" in result.stderr


def test_missing_file_exits_2(tmp_path):
    result = run("validate", str(tmp_path / "nope.ttl"))
    assert result.returncode == 2
    assert "nope.ttl: no such file" in result.stderr
    assert "Traceback" not in result.stderr


def _generation_files(root: Path) -> set[str]:
    folder = root / "current"
    found = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    return {name for name in found if not name.startswith("store/")}


def test_build_publishes_one_generation_and_switches_current(tmp_path):
    out = tmp_path / "generations"
    result = run("build", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "published" in result.stdout
    generations = [p.name for p in out.iterdir() if p.name.startswith("gen-")]
    assert len(generations) == 1 and os.readlink(out / "current") == generations[0]
    assert _generation_files(out) == {
        "meta.json",
        "catalogue.sqlite",
        "dumps/dataset.trig.gz",
        "dumps/dataset.nq.gz",
        "dumps/dataset.ttl.gz",
        "dumps/links.nt.gz",
        "dumps/SHA256SUMS",
        "figures.csv.gz",
        "figures.csv-metadata.json",
        "descriptions/void.ttl",
        "descriptions/dcat.ttl",
        "descriptions/sd.ttl",
    }
    meta = json.loads((out / "current" / "meta.json").read_text())
    nquads = gzip.decompress((out / "current" / "dumps" / "dataset.nq.gz").read_bytes())
    assert meta["version"] == hashlib.sha256(nquads).hexdigest()[:16]
    assert len(meta["graphs"]) == 5  # ontology, reference, mpl-2015, profile-2024, links
    assert meta["source_commit"] and meta["built"]
    assert (out / "current" / "store").is_dir()
    # the same sources again: nothing new is published; --force publishes anyway
    again = run("build", "--out", str(out))
    assert again.returncode == 0 and "unchanged" in again.stdout
    assert os.readlink(out / "current") == generations[0]
    forced = run("build", "--out", str(out), "--force")
    assert forced.returncode == 0 and os.readlink(out / "current") != generations[0]


def _published(root: Path) -> tuple:
    """What a server would see: the generation ``current`` names and its meta.json."""
    target = os.readlink(root / "current")
    return target, (root / target / "meta.json").read_bytes()


def _rebuild_with(data_copy: Path, out: Path, relative: str, edit) -> tuple:
    """Build once, then build again with one source file edited; the file is restored after.
    Returns (second build's result, what was published before, what is published after)."""
    assert run("build", env=env_for(data_copy, out)).returncode == 0
    before = _published(out)
    target = data_copy / relative
    original = target.read_text()
    target.write_text(edit(original))
    try:
        result = run("build", env=env_for(data_copy, out))
    finally:
        target.write_text(original)
    assert not list(out.glob(".build-*")), "a failed build leaves no half-made generation"
    return result, before, _published(out)


def test_failed_build_keeps_the_previous_dataset(data_copy, tmp_path):
    # a violation: a role assignment without its role
    failed, before, after = _rebuild_with(
        data_copy,
        tmp_path / "generations",
        "graph_data/mpl-2015/roles.ttl",
        lambda text: text.replace("org:role role:policy-shaping-body ;", ""),
    )
    assert failed.returncode == 1
    assert "previous dataset kept" in failed.stderr
    assert after == before


def test_build_with_a_syntax_error_keeps_the_previous_dataset(data_copy, tmp_path):
    failed, before, after = _rebuild_with(
        data_copy,
        tmp_path / "generations",
        "graph_data/reference/areas.ttl",
        lambda text: text + "\n<unterminated",
    )
    assert failed.returncode == 2
    assert str(data_copy / "graph_data/reference/areas.ttl") in failed.stderr
    assert after == before
