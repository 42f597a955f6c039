"""Oxigraph's own SPARQL server (``oxigraph serve``, the Rust binary of the ``oxigraph`` package
on PyPI, a test extra) on a free loopback port over a temporary location, for the remote-engine
tests. ``OxigraphServer(location).start()`` → ``.query_url``, ``.update_url``, ``.gsp_url``;
``stop()`` kills its process group; ``start()`` again reopens the same location (the engine
"coming back")."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests
from netsupport import free_port, stop_group


def oxigraph_binary() -> str:
    """The ``oxigraph`` command installed beside this Python (or on PATH)."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        raise RuntimeError(
            "the oxigraph server binary is missing: `pip install -e '.[test]'` installs it"
        )
    return found


class OxigraphServer:
    """One ``oxigraph serve`` process (read-write: the tests publish into it)."""

    def __init__(
        self,
        location: Path,
        port: int | None = None,
        timeout_s: int | None = None,
        union_default_graph: bool = False,
    ):
        self.location = Path(location)
        self.port = port or free_port()
        self.timeout_s = timeout_s
        self.union_default_graph = union_default_graph
        self.process: subprocess.Popen | None = None
        self.log_path = self.location.parent / f"oxigraph-{self.port}.log"
        base = f"http://127.0.0.1:{self.port}"
        self.query_url, self.update_url, self.gsp_url = (
            f"{base}/query",
            f"{base}/update",
            f"{base}/store",
        )

    def start(self, wait: float = 30.0) -> OxigraphServer:
        command = [
            oxigraph_binary(),
            "serve",
            "--location",
            str(self.location),
            "--bind",
            f"127.0.0.1:{self.port}",
        ]
        if self.timeout_s:
            command += ["--timeout-s", str(self.timeout_s)]
        if self.union_default_graph:
            command.append("--union-default-graph")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"oxigraph exited with {self.process.returncode}: {self.log()}")
            try:
                answer = requests.post(
                    self.query_url,
                    data={"query": "ASK {}"},
                    headers={"Accept": "application/sparql-results+json"},
                    timeout=2,
                )
                if answer.status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"oxigraph not ready after {wait} s: {self.log()}")

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)
            self.process = None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def count(self, graph: str | None = None) -> int:
        """Triples of ``graph`` (None: the default graph), asked of the server itself."""
        return sparql_count(self.query_url, graph)


def sparql_count(query_url: str, graph: str | None = None) -> int:
    """Triples of ``graph`` (None: the default graph) as the endpoint at ``query_url`` counts."""
    pattern = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
    answer = requests.post(
        query_url,
        data={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    answer.raise_for_status()
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def publish_cli(
    gsp_url: str, root: Path, *extra: str, credentials: tuple[str, str] | None = None
) -> subprocess.CompletedProcess:
    """``migkg publish --to gsp_url --generations root *extra``, as a user runs it, with none
    of the ``MIGKG_STORE*`` settings of this environment (``credentials``: user, password)."""
    env = environment_without(("MIGKG_STORE", "MIGKG_STORE_GSP", "MIGKG_STORE_UPDATE"))
    if credentials:
        env.update({"MIGKG_STORE_USER": credentials[0], "MIGKG_STORE_PASSWORD": credentials[1]})
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "publish", "--to", gsp_url]
        + ["--generations", str(root), *extra],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def environment_without(names: tuple[str, ...]) -> dict[str, str]:
    """``os.environ`` without ``names`` (for subprocesses that must not inherit them)."""
    return {k: v for k, v in os.environ.items() if k not in names}
