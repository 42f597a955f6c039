"""Stateless replicas (issue 14, point 4): N ``migkg serve`` processes behind a load balancer
answer every request the same way, with the same validators, and write nothing a request
could leave behind except their own admission bookkeeping (the fair-share SQLite file in
``STATE_DIR``, per replica). deploy/README.md describes the shape.

Two shapes, each with two real ``migkg serve`` processes (gunicorn, 2 workers each, as users
run them) on their own loopback ports:

* **one engine**: Oxigraph's own server (``oxigraph serve``) with the real built generation
  published into it by ``migkg publish --to``; both replicas have ``MIGKG_STORE`` = its query
  URL and read the same local generation folder (catalogue, dumps, descriptions);
* **a copy each**: two copies of the same generations folder (``shutil.copytree``, symlinks
  kept; one keeping the files' mtimes, one not), each replica opening its own with the
  embedded store.

For a mix of requests (SPARQL SELECT as JSON and CSV, ASK, CONSTRUCT, DESCRIBE, entity pages
as HTML and Turtle, search JSON, a download, the downloads' DCAT, VoID, the Service
Description, the home page) both replicas answer byte-identical bodies with the same
``ETag``, ``Last-Modified``, ``Content-Type`` and ``X-Dataset-Version``, and each answers 304
to the other's ``ETag``. Requests carry one ``Host`` header, as behind the load balancer
(``deploy/nginx/replicas.conf`` passes the client's); nginx with that file in front of the
engine replicas spreads requests over both.

Nothing is written by serving: every file and folder of the generations (size, mtime,
SHA-256, link target) is unchanged after the mix, and in the folder the replicas were given
(``var/``: the generation copies, every ``STATE_DIR`` and the copy replicas' ``TMPDIR``) only
``STATE_DIR`` changed, holding the fair-share database and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from kgsupport import built_generations
from netsupport import Nginx, free_port
from oxigraph_server import OxigraphServer, publish_cli

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent
HOST = "migkg.example.org"  # one public host for every replica, as a load balancer sends it
KZ = "https://w3id.org/migkg/id/area/kz"
SELECT = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s ?label LIMIT 200"
)
ASK = "ASK { ?obs a <http://purl.org/linked-data/cube#Observation> }"
CONSTRUCT = f"CONSTRUCT {{ <{KZ}> ?p ?o }} WHERE {{ <{KZ}> ?p ?o }}"
DESCRIBE = "DESCRIBE <https://w3id.org/migkg/id/authority/border-service>"

RESULTS_JSON = "application/sparql-results+json"
# (label, path, query string, Accept)
MIX = [
    ("select-json", "/sparql", {"query": SELECT}, RESULTS_JSON),
    ("select-csv", "/sparql", {"query": SELECT}, "text/csv"),
    ("ask", "/sparql", {"query": ASK}, RESULTS_JSON),
    ("construct", "/sparql", {"query": CONSTRUCT}, "text/turtle"),
    ("describe", "/sparql", {"query": DESCRIBE}, "application/n-triples"),
    ("country-html", "/id/area/kz", None, "text/html"),
    ("country-turtle", "/id/area/kz", None, "text/turtle"),
    ("authority-html", "/id/authority/border-service", None, "text/html"),
    ("observation-turtle", "/id/observation/mpl-s11-border-cn", None, "text/turtle"),
    ("source-html", "/id/source/cia-world-factbook", None, "text/html"),
    ("search-json", "/search.json", {"q": "kazakh"}, "application/json"),
    ("download", "/downloads/dataset.nq.gz", None, "*/*"),
    ("downloads-dcat", "/downloads.ttl", None, "text/turtle"),
    ("void", "/.well-known/void", None, "text/turtle"),
    ("service-description", "/sparql", None, "text/turtle"),
    ("home", "/", None, "text/html"),
]
IDS = [label for label, *_ in MIX]
VALIDATORS = ("ETag", "Last-Modified", "Content-Type", "X-Dataset-Version")


def get(server_url: str, path: str, params, accept: str, **headers) -> requests.Response:
    return requests.get(
        server_url.rstrip("/") + path,
        params=params,
        headers={"Host": HOST, "Accept": accept, **headers},
        timeout=60,
    )


def manifest(folder: Path) -> dict[str, tuple]:
    """Every entry under ``folder`` (itself included), by relative path: (kind, size,
    mtime in ns, SHA-256 or link target). A folder's mtime changes when an entry is created
    or removed in it, even one removed again."""
    entries: dict[str, tuple] = {}
    for top, dirs, files in os.walk(folder):
        entries[str(Path(top).relative_to(folder))] = ("dir", Path(top).lstat().st_mtime_ns)
        for name in (*dirs, *files):
            path = Path(top, name)
            relative = str(path.relative_to(folder))
            if path.is_symlink():
                entries[relative] = ("link", os.readlink(path))
            elif not path.is_dir():
                info = path.lstat()
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                entries[relative] = ("file", info.st_size, info.st_mtime_ns, digest)
    return entries


def differences(before: dict, after: dict) -> set[str]:
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def publish(engine: OxigraphServer, root: Path) -> None:
    """``migkg publish --to`` the engine's Graph Store URL, as a user runs it."""
    done = publish_cli(engine.gsp_url, root, "--quiet")
    assert done.returncode == 0, done.stderr


def start_pair(start_module_server, settings: list[dict]) -> list:
    """Two servers started at once (their warm-ups overlap)."""
    with ThreadPoolExecutor(len(settings)) as pool:
        return list(pool.map(lambda config: start_module_server(**config), settings))


@pytest.fixture(scope="module")
def root() -> Path:
    return built_generations()


@pytest.fixture(scope="module")
def version(root) -> str:
    return json.loads((root / "current" / "meta.json").read_text(encoding="utf-8"))["version"]


@pytest.fixture(scope="module")
def var(tmp_path_factory) -> Path:
    """The folder every replica is given: generation copies and state directories."""
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="module")
def engine(tmp_path_factory, root):
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph") / "db").start()
    publish(server, root)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def engine_replicas(start_module_server, engine, root, var):
    """Two replicas over the one engine, reading the same local generations folder."""
    return start_pair(
        start_module_server,
        [
            {
                "GENERATIONS_DIR": str(root),
                "STORE": engine.query_url,
                "STATE_DIR": str(var / f"engine-state-{name}"),
            }
            for name in "ab"
        ],
    )


@pytest.fixture(scope="module")
def copy_replicas(start_module_server, root, var):
    """Two replicas with the embedded store, each over its own copy of the generations: one
    copied with the files' mtimes (``cp -a``, ``rsync -a``), one without (``cp -r``, ``scp``)."""
    for name, copy in (("a", shutil.copy2), ("b", shutil.copy)):
        shutil.copytree(root, var / f"generations-{name}", symlinks=True, copy_function=copy)
    # their temporary files too, to see that requests leave none
    (var / "tmp").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(var / "tmp"))
        return start_pair(
            start_module_server,
            [
                {
                    "GENERATIONS_DIR": str(var / f"generations-{name}"),
                    "STATE_DIR": str(var / f"copy-state-{name}"),
                }
                for name in "ab"
            ],
        )


def assert_same_answers(replicas, version: str, label: str, path, params, accept) -> None:
    a, b = (get(server.url, path, params, accept) for server in replicas)
    assert (a.status_code, b.status_code) == (200, 200), label
    assert a.content and a.content == b.content, label
    for header in VALIDATORS:
        assert a.headers.get(header) == b.headers.get(header), (label, header)
    assert a.headers["X-Dataset-Version"] == version
    etag = a.headers.get("ETag")
    assert etag, f"{label}: no ETag"
    if label != "download":  # a file's ETag is its SHA-256 (from meta.json)
        assert etag.removeprefix("W/").strip('"').startswith(version), (label, etag)
    # a cache that got A's answer revalidates it at B, and the other way round
    for server, theirs in ((replicas[1], a), (replicas[0], b)):
        again = get(server.url, path, params, accept, **{"If-None-Match": theirs.headers["ETag"]})
        assert again.status_code == 304, (label, server.url)
        assert again.headers["ETag"] == etag and not again.content


@pytest.mark.parametrize(("label", "path", "params", "accept"), MIX, ids=IDS)
def test_replicas_over_one_engine_answer_alike(
    engine_replicas, version, label, path, params, accept
):
    assert_same_answers(engine_replicas, version, label, path, params, accept)


@pytest.mark.parametrize(("label", "path", "params", "accept"), MIX, ids=IDS)
def test_replicas_over_copies_of_the_generation_answer_alike(
    copy_replicas, version, label, path, params, accept
):
    assert_same_answers(copy_replicas, version, label, path, params, accept)


def test_the_engine_replicas_query_the_engine(engine_replicas, engine):
    for server in engine_replicas:
        health = requests.get(server.url + "healthz", timeout=30).json()
        assert health["ok"] and health["engine"] == engine.query_url


def test_serving_writes_nothing_but_the_fair_share_state(
    engine_replicas, copy_replicas, root, var, version
):
    """A second round of the whole mix (pages past the memo, each replica's every worker
    likely hit), plus a POSTed query and a 404: the generations are byte-identical with the
    same mtimes, and under ``var/`` only the four STATE_DIRs changed, each holding only the
    fair-share database (SQLite and its WAL files)."""
    generations = manifest(root)
    everything = manifest(var)
    replicas = [*engine_replicas, *copy_replicas]
    for server in replicas:
        for _, path, params, accept in MIX:
            for kind in ("text/html", accept):
                assert get(server.url, path, params, kind).status_code in (200, 406)
        posted = requests.post(
            server.url + "sparql",
            data={"query": SELECT},
            headers={"Host": HOST, "Accept": RESULTS_JSON},
            timeout=60,
        )
        assert posted.status_code == 200
        assert get(server.url, "/id/area/nowhere", None, "text/html").status_code == 404
    assert differences(generations, manifest(root)) == set()
    changed = differences(everything, manifest(var))
    states = {p.name for p in var.iterdir() if p.name.endswith(("state-a", "state-b"))}
    assert len(states) == 4
    assert changed, "the fair share keeps its state in STATE_DIR"
    assert {path.split("/", 1)[0] for path in changed} <= states, sorted(changed)
    for state in states:
        names = {p.name for p in (var / state).iterdir()}
        assert "fairshare.sqlite" in names
        assert names <= {"fairshare.sqlite", "fairshare.sqlite-wal", "fairshare.sqlite-shm"}


def test_nginx_with_the_replicas_configuration_spreads_requests_over_both(
    engine_replicas, tmp_path, version
):
    """``deploy/nginx/replicas.conf`` with the two engine replicas as its upstreams: every
    answer through it is the same, and both replicas' access logs show the requests."""
    upstreams = [server.url.split("//", 1)[1].rstrip("/") for server in engine_replicas]
    port = free_port()
    marker = "/id/indicator/administrative-liability-migration-offences"
    logged = [server.log().count(f'"path":"{marker}"') for server in engine_replicas]
    proxy = Nginx(
        None,
        port,
        tmp_path / "nginx",
        template="replicas.conf",
        placeholders={"@REPLICA_1@": upstreams[0], "@REPLICA_2@": upstreams[1]},
    )
    try:
        answers = [get(proxy.url, marker, None, "text/turtle") for _ in range(8)]
    finally:
        proxy.stop()
    assert {a.status_code for a in answers} == {200}
    assert len({(a.content, a.headers["ETag"]) for a in answers}) == 1
    assert {a.headers["X-Dataset-Version"] for a in answers} == {version}
    now = [server.log().count(f'"path":"{marker}"') for server in engine_replicas]
    served = [n - before for n, before in zip(now, logged, strict=True)]
    assert sum(served) == 8 and min(served) >= 1, served
