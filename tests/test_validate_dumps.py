"""`migkg validate` on what the service publishes: every dump, fetched from a running server,
conforms; the same dump with one thing broken is caught and the broken node named; a copy
whose IRIs were moved to another namespace validates the same way; unreadable input is one
line ``file:line: reason`` and exit 2.

The validations are real CLI runs (pySHACL over ~15,000 triples, 8-10 s each); they are
started together, two at a time, by one module fixture, and each test reads its result.
"""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from kgsupport import ROOT, built_dataset_dir

from service.namespaces import MIGKG

CLI = [sys.executable, "-m", "service.cli", "validate"]
XSD = "http://www.w3.org/2001/XMLSchema#"
OBS = f"<{MIGKG}id/observation/web-gi-immigration-flow-statkz-2024q3>"  # 20 383 persons
PCT = f"<{MIGKG}id/observation/web-gi-unemployment-wb-2022>"  # 4.9 %
INDICATOR = f"<{MIGKG}id/indicator/immigration-flow>"
VALUE = "<http://purl.org/linked-data/sdmx/2009/measure#obsValue>"
COPY = "http://copy.example.net/kg/"  # a mirror that re-hosted the data under its own names


def drop(*predicates: str, subject: str = OBS):
    def apply(lines: list[str]) -> list[str]:
        return [
            line
            for line in lines
            if not (line.startswith(subject + " ") and line.split(" ", 2)[1] in predicates)
        ]

    return apply


def replace(old: str, new: str, subject: str = OBS):
    def apply(lines: list[str]) -> list[str]:
        out = [line.replace(old, new) if line.startswith(subject + " ") else line for line in lines]
        assert out != lines, f"{old} not found on {subject}"
        return out

    return apply


def drop_line(prefix: str):
    def apply(lines: list[str]) -> list[str]:
        out = [line for line in lines if not line.startswith(prefix + " ")]
        assert len(out) < len(lines), prefix
        return out

    return apply


def add_second_value(lines: list[str]) -> list[str]:
    (line,) = [x for x in lines if x.startswith(f"{OBS} {VALUE} ")]
    return lines + [line.replace('"20383"', '"20384"')]


TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
SKOS_CONCEPT = "<http://www.w3.org/2004/02/skos/core#Concept>"
#: name -> (edit of the N-Quads lines, the node the report must name)
MUTATIONS = {
    "missing-obsValue": (drop(VALUE), OBS),
    "value-as-plain-string": (replace(f'"20383"^^<{XSD}integer>', '"20383"'), OBS),
    "second-value": (add_second_value, OBS),
    "removed-refPeriod": (drop("<http://purl.org/linked-data/sdmx/2009/dimension#refPeriod>"), OBS),
    "removed-provenance": (
        drop(
            "<http://www.w3.org/ns/prov#wasDerivedFrom>",
            "<http://www.w3.org/ns/prov#hadPrimarySource>",
        ),
        OBS,
    ),
    "negative-count": (replace('"20383"', '"-20383"'), OBS),
    "percentage-of-140": (replace(f'"4.9"^^<{XSD}decimal>', f'"140.0"^^<{XSD}decimal>', PCT), PCT),
    "removed-standard-type": (drop_line(f"{INDICATOR} {TYPE} {SKOS_CONCEPT}"), INDICATOR),
}


def fetch(url: str, target: Path) -> Path:
    with urllib.request.urlopen(url, timeout=60) as response:
        assert response.status == 200
        target.write_bytes(response.read())
    return target


def moved(text: str) -> str:
    """The dump with its instance and graph IRIs under another namespace (the ontology's
    terms stay: they are the shared vocabulary)."""
    return text.replace(MIGKG + "id/", COPY + "id/").replace(MIGKG + "graph/", COPY + "graph/")


@pytest.fixture(scope="module")
def runs(
    start_module_server, tmp_path_factory
) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    """Fetch every dump from a running server, write the mutated copies, validate all."""
    folder = tmp_path_factory.mktemp("dumps")
    server = start_module_server(DATASET_DIR=str(built_dataset_dir()))
    sums = urllib.request.urlopen(server.url + "downloads/SHA256SUMS", timeout=120).read().decode()
    names = [line.split()[-1].lstrip("*") for line in sums.splitlines() if line.strip()]
    assert {"dataset.trig.gz", "dataset.nq.gz", "dataset.ttl.gz", "links.nt.gz"} <= set(names)
    files = {name: fetch(server.url + "downloads/" + name, folder / name) for name in names}
    void = urllib.request.urlopen(server.url + ".well-known/void", timeout=120).read().decode()
    assert server.url + "downloads/dataset.nq.gz" in void  # VoID's void:dataDump: these files
    lines = gzip.decompress(files["dataset.nq.gz"].read_bytes()).decode("utf-8").splitlines()
    for name, (edit, _) in MUTATIONS.items():
        path = folder / f"mutated-{name}.nq"
        path.write_text("\n".join(edit(list(lines))) + "\n", encoding="utf-8")
        files[f"mutated-{name}"] = path
    copy = folder / "copy-elsewhere.nq.gz"
    copy.write_bytes(gzip.compress(moved("\n".join(lines) + "\n").encode("utf-8")))
    files["copy"] = copy
    broken_copy = folder / "copy-elsewhere-mutated.nq"
    broken_copy.write_text(
        moved("\n".join(MUTATIONS["missing-obsValue"][0](list(lines))) + "\n"), encoding="utf-8"
    )
    files["copy-mutated"] = broken_copy

    def validate(path: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*CLI, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=600
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(files, pool.map(validate, files.values()), strict=True))
    return {key: (files[key], results[key]) for key in files}


@pytest.mark.parametrize(
    "name",
    [
        "dataset.trig.gz",
        "dataset.nq.gz",
        "dataset.ttl.gz",
        "links.nt.gz",
    ],
)
def test_every_published_dump_validates(runs, name):
    _, result = runs[name]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "conforms (0 violations" in result.stdout


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_broken_dump_is_caught_and_the_node_named(runs, mutation):
    _, result = runs[f"mutated-{mutation}"]
    node = MUTATIONS[mutation][1]
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr
    violations = [line for line in result.stdout.splitlines() if line.startswith("Violation:")]
    assert any(node in line for line in violations), "\n".join(violations)


def test_a_copy_under_another_namespace_validates_the_same_way(runs):
    _, result = runs["copy"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    _, broken = runs["copy-mutated"]
    assert broken.returncode == 1
    assert any(
        OBS.replace(MIGKG, COPY) in line
        for line in broken.stdout.splitlines()
        if line.startswith("Violation:")
    )


def test_the_turtle_dump_is_the_merge_and_the_trig_dump_keeps_the_graphs(runs):
    from service.build.rdf_files import read

    trig = read(runs["dataset.trig.gz"][0])
    merged = read(runs["dataset.ttl.gz"][0])
    names = {str(g.identifier) for g in trig.graphs() if len(g)}
    assert {
        MIGKG + "graph/ontology",
        MIGKG + "graph/reference",
        MIGKG + "graph/mpl-2015",
        MIGKG + "graph/profile-2024",
        MIGKG + "graph/links",
    } <= names
    assert len(merged.default_graph) > 14_000


# -- any syntax, by extension or --format; unreadable input -----------------------------------


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


ONE_LINE = re.compile(r"^error: (?P<file>[^\n]+?):(?P<line>\d+|\?): (?P<reason>.+)\n$")


@pytest.mark.parametrize(
    "name, content, line",
    [
        (
            "garbage.ttl",
            "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nthis is not turtle\n",
            3,
        ),
        ("relative.nt", '<http://example.org/a> <http://example.org/b> "c" .\n<a> <b> <c> .\n', 2),
        ("broken.jsonld", '{\n  "@id": "http://example.org/a",\n  "http://example.org/b": [\n', 4),
        (
            "broken.rdf",
            "<?xml version='1.0'?>\n<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>\n<oops\n",
            3,
        ),
        (
            "broken.trig",
            "<http://example.org/g> {\n <http://example.org/a> <http://example.org/b> .\n}\n",
            2,
        ),
    ],
)
def test_a_file_that_is_not_rdf_is_one_line_with_file_and_line_and_exit_2(
    tmp_path, name, content, line
):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = run(str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    match = ONE_LINE.match(result.stderr)
    assert match, result.stderr
    assert match["file"] == str(path) and match["line"] == str(line)


def test_an_unknown_extension_asks_for_format_and_format_is_honoured(tmp_path):
    path = tmp_path / "observations.txt"
    path.write_text('<http://example.org/a> <http://example.org/b> "c" .\n', encoding="utf-8")
    result = run(str(path))
    assert result.returncode == 2 and "--format" in result.stderr
    assert ONE_LINE.match(result.stderr) and ONE_LINE.match(result.stderr)["line"] == "1"
    wrong = run("--format", "jsonld", str(path))
    assert wrong.returncode == 2 and ONE_LINE.match(wrong.stderr), wrong.stderr


def test_a_truncated_gzip_dump_is_refused(runs, tmp_path):
    data = runs["dataset.nq.gz"][0].read_bytes()
    path = tmp_path / "truncated.nq.gz"
    path.write_bytes(data[: len(data) // 2])
    result = run(str(path))
    assert result.returncode == 2 and ONE_LINE.match(result.stderr)
    assert ONE_LINE.match(result.stderr)["file"] == str(path)
