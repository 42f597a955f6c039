"""Generic fixtures: an app factory on temporary directories, a free loopback port, and a real
gunicorn server. Nothing is built at import time and ``os.environ`` is never changed here.

* ``built_dataset`` → the real dataset, built once per session by ``migkg build --out <tmp>``.
* ``make_app(**config)`` → a Flask app over the tiny fixture dataset (``tests/fixtures/dataset``)
  unless ``DATASET_DIR`` names another "dataset folder" (one holding ``dataset.nq``): the
  fixtures publish it as a generation (``kgsupport.generations_for``) and pass the app its
  ``GENERATIONS_DIR``; runtime state (the fair share) lives in a fresh temporary directory.
* ``app`` / ``client`` → the default app and its test client.
* ``built_app`` / ``built_client`` → an app over the real built dataset (one per module).
* ``free_port()`` → an unused TCP port on 127.0.0.1.
* ``start_server(**config)`` → a ``Server`` (``.url``, ``.process``) running ``migkg serve``
  under gunicorn on a free loopback port; stopped at teardown.
* ``make_module_app`` / ``start_module_server`` → the same, shared by one module's tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from netsupport import free_port as free_port_number
from netsupport import stop_group

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_DATASET = FIXTURES / "dataset"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fixture_dataset() -> Path:
    return FIXTURE_DATASET


@pytest.fixture(scope="session")
def built_dataset() -> Path:
    """The real dataset, built once per session (the same build the knowledge-graph tests
    query, see ``kgsupport.built_dataset_dir``; ``migkg build --out`` itself is tested in
    test_cli.py)."""
    from kgsupport import built_dataset_dir

    out = built_dataset_dir()
    assert (out / "dataset.nq").is_file()
    return out


def _served_settings(settings: dict) -> dict:
    """``DATASET_DIR`` (a test's dataset folder) → ``GENERATIONS_DIR`` publishing it."""
    from kgsupport import generations_for

    dataset = settings.pop("DATASET_DIR", None)
    if dataset is not None and "GENERATIONS_DIR" not in settings:
        settings["GENERATIONS_DIR"] = str(generations_for(dataset))
    return settings


class AppFactory:
    """``factory(**config)`` → a Flask app over its own temporary store; ``close()`` them all."""

    def __init__(self, tmp_path_factory):
        self._tmp = tmp_path_factory
        self._apps = []

    def __call__(self, **config):
        from service import create_app

        settings = {
            "TESTING": True,
            "DATASET_DIR": str(FIXTURE_DATASET),
            "STATE_DIR": str(self._tmp.mktemp("state")),
            "ACCESS_LOG": False,
            "QUERY_TIMEOUT": 20.0,
            # in-process apps start cold, so that tests count exactly their own requests
            # (tests/test_generations.py checks the warm-up; servers keep the default, on)
            "WARMUP": False,
        }
        settings.update(config)
        app = create_app(_served_settings(settings))
        self._apps.append(app)
        return app

    def close(self) -> None:
        for app in self._apps:
            app.extensions["kg_current"].close()
            app.extensions["kg_engine"].close()
        self._apps.clear()


@pytest.fixture
def make_app(tmp_path_factory):
    """Factory: ``make_app(**config)`` → app; every store is closed at teardown."""
    factory = AppFactory(tmp_path_factory)
    yield factory
    factory.close()


@pytest.fixture(scope="module")
def make_module_app(tmp_path_factory):
    """Like ``make_app``, for apps shared by the tests of one module."""
    factory = AppFactory(tmp_path_factory)
    yield factory
    factory.close()


@pytest.fixture(scope="module")
def built_app(make_module_app, built_dataset, tmp_path_factory):
    """An app over the real built dataset with a downloads folder of its own, one per module."""
    return make_module_app(DATASET_DIR=str(built_dataset))


@pytest.fixture(scope="module")
def built_client(built_app):
    return built_app.test_client()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def free_port():
    return free_port_number


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _wait_ready(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after {timeout} s")


class ServerFactory:
    """``factory(**config)`` → a running gunicorn :class:`Server`; ``close()`` stops them."""

    def __init__(self, tmp_path_factory):
        self._tmp = tmp_path_factory
        self._servers: list[Server] = []

    def __call__(self, **config) -> Server:
        port = free_port_number()
        workdir = self._tmp.mktemp("server")
        settings = {
            "DATASET_DIR": str(FIXTURE_DATASET),
            "STATE_DIR": str(workdir / "state"),
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WORKERS": "2",
        }
        settings.update(config)
        settings = {
            k: (",".join(v) if isinstance(v, list) else str(v))
            for k, v in _served_settings(settings).items()
        }
        env = dict(os.environ)
        env.update({f"MIGKG_{key}": value for key, value in settings.items()})
        log_path = workdir / "server.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "service.cli", "serve"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(f"http://127.0.0.1:{port}/", process, log_path)
        self._servers.append(server)
        try:
            _wait_ready(server.url, process)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{server.log()}") from None
        return server

    def close(self) -> None:
        for server in self._servers:
            stop_group(server.process)
        self._servers.clear()


@pytest.fixture
def start_server(tmp_path_factory):
    """Factory: ``start_server(**config)`` → a running gunicorn ``Server``, stopped at teardown."""
    factory = ServerFactory(tmp_path_factory)
    yield factory
    factory.close()


@pytest.fixture(scope="module")
def start_module_server(tmp_path_factory):
    """Like ``start_server``, for a server shared by the tests of one module."""
    factory = ServerFactory(tmp_path_factory)
    yield factory
    factory.close()


CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright (``make test`` installs it; a missing
    browser fails the browser tests instead of skipping them)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"headless Chromium not found at {CHROMIUM}: `make test` installs Debian's "
            "chromium (or set CHROMIUM=/path/to/chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()
