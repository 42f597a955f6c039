"""Dataset generations (service/generations.py): what the build publishes, what a server refuses,
and the switch to a new generation under load without a failed or mixed-version response.

The build runs for real (``python -m service.cli build``) on a private copy of the sources; the
server is gunicorn (``migkg serve``) on a loopback port; the faults are real ones (kill -9 of
the build, bytes changed on disk).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from kgsupport import ROOT, copy_sources
from netsupport import client_address, session_from

from service import generations as gens

MIGKG = [sys.executable, "-m", "service.cli"]
KZ = "https://w3id.org/migkg/id/area/kz"
ALT_LABEL = 'skos:altLabel "Republic of Kazakhstan"@en'


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    """A private copy of ontology/, graph_data/ and shapes/ whose data the tests change."""
    return copy_sources(tmp_path_factory.mktemp("sources"))


def build_env(sources: Path, generations: Path, **extra) -> dict:
    return {
        **os.environ,
        "MIGKG_ONTOLOGY_DIR": str(sources / "ontology"),
        "MIGKG_GRAPH_DATA_DIR": str(sources / "graph_data"),
        "MIGKG_SHAPES_DIR": str(sources / "shapes"),
        "MIGKG_GENERATIONS_DIR": str(generations),
        **extra,
    }


def label_build(sources: Path, n: int) -> None:
    """Mark Kazakhstan's alternative name with build number ``n`` (0: as published)."""
    areas = sources / "graph_data" / "reference" / "states.ttl"
    text = areas.read_text()
    start = text.index('skos:altLabel "Republic of Kazakhstan')
    end = text.index('"@en', start) + 4
    marked = ALT_LABEL if n == 0 else ALT_LABEL.replace('"@en', f' (build {n})"@en')
    areas.write_text(text[:start] + marked + text[end:])


def build(sources: Path, generations: Path, *args, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*MIGKG, "build", *args],
        env=build_env(sources, generations, **extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def published(sources, tmp_path_factory) -> Path:
    """A generations folder with one generation built from the unchanged sources."""
    root = tmp_path_factory.mktemp("published") / "generations"
    label_build(sources, 0)
    result = build(sources, root)
    assert result.returncode == 0, result.stderr
    return root


def copy_generations(published: Path, target: Path) -> Path:
    shutil.copytree(published, target, symlinks=True)
    return target


# -- what a generation is, and what is refused -------------------------------------------------


def test_a_published_generation_verifies_and_lists_every_file(published):
    generation = gens.verify(published / gens.current(published))
    files = generation.meta["files"]
    assert all("sha256" in entry for name, entry in files.items() if not name.startswith("store/"))
    assert any(name.startswith("store/") for name in files)
    sums = (generation.dumps_dir / "SHA256SUMS").read_text().splitlines()
    for line in sums:
        digest, name = line.split("  ")
        assert files[f"dumps/{name}"]["sha256"] == digest


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda g: shutil.rmtree(g / "store"), "missing"),
        (lambda g: (g / "meta.json").unlink(), "no meta.json"),
        (lambda g: _flip_byte(g / "dumps" / "dataset.nq.gz"), "SHA-256"),
        (lambda g: _truncate(g / "catalogue.sqlite"), "bytes"),
        (lambda g: (g / "figures.csv.gz").unlink(), "figures.csv.gz is missing"),
        (lambda g: _older_format(g / "meta.json"), "generation format 0"),
    ],
    ids=[
        "store removed",
        "meta.json removed",
        "dump changed",
        "catalogue truncated",
        "figures table removed",
        "written by an older migkg",
    ],
)
def test_a_damaged_generation_is_refused_with_one_line(published, tmp_path, damage, reason):
    root = copy_generations(published, tmp_path / "generations")
    folder = root / gens.current(root)
    damage(folder)
    with pytest.raises(gens.GenerationError) as refused:
        gens.verify(folder)
    assert reason in str(refused.value) and "\n" not in str(refused.value)


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _older_format(meta: Path) -> None:
    data = json.loads(meta.read_text())
    meta.write_text(json.dumps(dict(data, format=0)))


def _truncate(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def test_a_server_keeps_serving_when_the_new_generation_is_damaged(
    published, tmp_path, make_app, caplog
):
    root = copy_generations(published, tmp_path / "generations")
    app = make_app(GENERATIONS_DIR=str(root), GENERATION_POLL_SECONDS=0)
    current = app.extensions["kg_current"]
    before = current.served().version
    # a "new" generation: a copy of the current one with a changed dump, made current
    damaged = root / gens.generation_name("0000000000000000")
    shutil.copytree(root / gens.current(root), damaged)
    _flip_byte(damaged / "dumps" / "links.nt.gz")
    gens.switch_current(root, damaged.name)
    with caplog.at_level("ERROR", logger="migkg.serving"):
        assert current.check() is False
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1 and damaged.name in refusals[0].getMessage()
    client = app.test_client()
    response = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert response.status_code == 200 and response.headers["X-Dataset-Version"] == before
    assert current.check() is False and len(caplog.records) == len(refusals)  # logged once


def test_serve_without_a_generation_says_how_to_build_one(tmp_path):
    result = subprocess.run(
        [*MIGKG, "serve"],
        env={**os.environ, "MIGKG_GENERATIONS_DIR": str(tmp_path / "nothing")},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "migkg build" in result.stderr and "Traceback" not in result.stderr


# -- kill -9 of the build ------------------------------------------------------------------------


@pytest.mark.parametrize("point", ["store", "files", "switch"])
def test_a_build_killed_at_any_point_leaves_the_served_generation(
    sources, published, tmp_path, point
):
    """MIGKG_BUILD_HOLD stops the build at ``point`` (store loaded; every file written;
    generation folder named but ``current`` not yet switched) until it is killed."""
    root = copy_generations(published, tmp_path / "generations")
    served = gens.current(root)
    meta_before = (root / served / "meta.json").read_bytes()
    label_build(sources, 9)
    try:
        process = subprocess.Popen(
            [*MIGKG, "build", "--force"],
            env=build_env(sources, root, MIGKG_BUILD_HOLD=point),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            for line in process.stderr:
                if f"build holding at {point}" in line:
                    break
            else:
                pytest.fail(f"the build never reached {point}")
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            process.stderr.close()
        assert gens.current(root) == served
        assert (root / served / "meta.json").read_bytes() == meta_before
        gens.verify(root / served)  # every file intact
        # the next build cleans up after the killed one and publishes
        result = build(sources, root)
        assert result.returncode == 0, result.stderr
        assert gens.current(root) != served
        assert not list(root.glob(".build-*"))
        assert len(gens.generations(root)) <= 3
    finally:
        label_build(sources, 0)


# -- switching under load ------------------------------------------------------------------------

ALT_QUERY = f"SELECT ?alt WHERE {{ <{KZ}> <http://www.w3.org/2004/02/skos/core#altLabel> ?alt }}"


def _build_number(text: str) -> int:
    marker = text.find("Republic of Kazakhstan (build ")
    if marker < 0:
        return 0
    return int(text[marker + len("Republic of Kazakhstan (build ") :].split(")", 1)[0])


class Load:
    """Clients looping over mixed requests, recording what each response says it is."""

    def __init__(self, url: str, clients: int = 4):
        self.url = url
        self.stop = threading.Event()
        self.records: list[tuple] = []
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._loop, args=(n,), daemon=True) for n in range(clients)
        ]

    def _request(self, session, kind: str):
        if kind == "sparql":
            response = session.get(
                self.url + "sparql",
                params={"query": ALT_QUERY},
                headers={"Accept": "application/sparql-results+json"},
                timeout=30,
            )
            content = (
                " ".join(b["alt"]["value"] for b in response.json()["results"]["bindings"])
                if response.status_code == 200
                else ""
            )
        elif kind == "page":
            response = session.get(
                self.url + "id/area/kz", headers={"Accept": "text/html"}, timeout=30
            )
            content = response.text
        else:
            response = session.get(self.url + "downloads/SHA256SUMS", timeout=30)
            content = response.headers.get("ETag", "").strip('"')
        return response, content

    def _loop(self, n: int) -> None:
        session = session_from(client_address(n))  # each client its own fair share
        kinds = ("sparql", "page", "download")
        i = n
        while not self.stop.is_set():
            kind = kinds[i % 3]
            i += 1
            try:
                response, content = self._request(session, kind)
            except requests.RequestException as exc:
                with self.lock:
                    self.failures.append(f"{kind}: {exc}")
                continue
            with self.lock:
                if response.status_code != 200:
                    self.failures.append(f"{kind}: HTTP {response.status_code}")
                else:
                    self.records.append(
                        (time.monotonic(), kind, response.headers.get("X-Dataset-Version"), content)
                    )

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def test_a_running_server_switches_generations_without_a_failed_or_mixed_response(
    sources, published, tmp_path, start_server
):
    root = copy_generations(published, tmp_path / "generations")
    server = start_server(GENERATIONS_DIR=str(root), WORKERS=2, CLIENT_QUERY_SECONDS=100000)
    versions = {json.loads((root / gens.current(root) / "meta.json").read_text())["version"]: 0}
    switched_at = {}
    try:
        with Load(server.url) as load:
            time.sleep(2)
            for n in (1, 2):
                label_build(sources, n)
                result = build(sources, root)
                assert result.returncode == 0, result.stderr
                finished = time.monotonic()
                meta = json.loads((root / gens.current(root) / "meta.json").read_text())
                versions[meta["version"]] = n
                switched_at[n] = finished
                deadline = finished + 5.0
                while time.monotonic() < deadline:
                    with load.lock:
                        seen = [
                            r for r in load.records if r[0] > finished and r[2] == meta["version"]
                        ]
                    if len({r[1] for r in seen}) == 3:
                        break
                    time.sleep(0.1)
                time.sleep(1)
    finally:
        label_build(sources, 0)
    assert load.failures == []
    kinds = Counter(r[1] for r in load.records)
    assert min(kinds.values()) > 10, kinds
    # every response is of one generation: its content is that generation's
    sums_etag = {}
    for version in versions:
        folder = next(p for p in gens.generations(root) if p.name.split("-")[1] == version)
        meta = json.loads((folder / "meta.json").read_text())
        sums_etag[version] = meta["files"]["dumps/SHA256SUMS"]["sha256"]
    for _at, kind, version, content in load.records:
        assert version in versions, (kind, version)
        if kind == "download":
            assert content == sums_etag[version], (kind, version)
        else:
            assert _build_number(content) == versions[version], (kind, version)
    # each new version was served, by every kind of request, within 5 s of its build
    for n, finished in switched_at.items():
        version = next(v for v, m in versions.items() if m == n)
        for kind in ("sparql", "page", "download"):
            first = min(r[0] for r in load.records if r[2] == version and r[1] == kind)
            assert first - finished < 5.0, (n, kind, first - finished)


# -- SIGHUP ----------------------------------------------------------------------------------


def _healthz_version(url: str) -> str | None:
    try:
        return requests.get(url + "healthz", timeout=10).json()["version"]
    except (requests.RequestException, ValueError):
        return None


def test_sighup_moves_a_server_that_does_not_poll_to_the_new_generation(
    published, tmp_path, start_server
):
    """With polling off (GENERATION_POLL_SECONDS=0), SIGHUP to gunicorn's master restarts the
    workers gracefully and they open the generation ``current`` names."""
    from service.build.generation import publish

    root = copy_generations(published, tmp_path / "generations")
    server = start_server(GENERATIONS_DIR=str(root), WORKERS=2, GENERATION_POLL_SECONDS=0)
    before = _healthz_version(server.url)
    fixture = ROOT / "tests" / "fixtures" / "dataset" / "dataset.nq"
    generation, published_now = publish(fixture.read_bytes(), root)
    assert published_now and generation.version != before
    time.sleep(2)
    assert _healthz_version(server.url) == before  # no polling: still the old one
    os.kill(server.process.pid, signal.SIGHUP)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _healthz_version(server.url) != generation.version:
        time.sleep(0.2)
    assert _healthz_version(server.url) == generation.version


# -- a fresh worker --------------------------------------------------------------------------


def test_a_new_worker_warms_up_before_its_first_request_and_logs_none_of_it(make_app, caplog):
    with caplog.at_level("INFO", logger="migkg.access"):
        app = make_app(WARMUP=True, ACCESS_LOG=True)
    templates = set(app.jinja_env.cache or {})
    compiled = {
        name for _, name in (key if isinstance(key, tuple) else (None, key) for key in templates)
    }
    assert any("pages/entity" in str(name) for name in compiled), compiled
    assert not [r for r in caplog.records if r.name == "migkg.access"]
    engine = app.extensions["kg_engine"]
    assert engine.pool._children and engine.page_pool._children  # started, and used
    with caplog.at_level("INFO", logger="migkg.access"):
        assert app.test_client().get("/healthz").status_code == 200
    assert len([r for r in caplog.records if r.name == "migkg.access"]) == 1


@pytest.mark.server
def test_a_gunicorn_worker_also_warms_through_its_own_request_path_unlogged(start_server):
    """Before taking connections each worker sends a few requests through gunicorn's own
    handler (parser, WSGI environ, response writer: what the test-client warm-up cannot reach);
    none of them reaches the access log, which logs the readiness probe only."""
    server = start_server(ACCESS_LOG=True, WORKERS=2)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.log().count("warmed through gunicorn") < 2:
        time.sleep(0.2)
    assert server.log().count("warmed through gunicorn: 4 of 4 requests answered") == 2
    paths = [
        json.loads(line)["path"]
        for line in server.log().splitlines()
        if line.startswith("{") and '"path"' in line
    ]
    assert paths and set(paths) == {"/healthz"}, paths
