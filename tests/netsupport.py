"""Network helpers for tests and benchmarks: HTTP clients with a source address of their own
(127.0.0.2, 127.0.0.3, ... are distinct loopback addresses, so one test can be several clients
to the fair share), nginx with the reference configuration in front of a server, and the
worker processes of a gunicorn master."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter


class _SourceAddressAdapter(HTTPAdapter):
    def __init__(self, address: str, **kwargs):
        self._address = address
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kwargs)


ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def session_from(address: str) -> requests.Session:
    """A ``requests`` session whose connections come from ``address``."""
    session = requests.Session()
    adapter = _SourceAddressAdapter(address)
    session.mount("http://", adapter)
    return session


def client_address(n: int) -> str:
    """The n-th test client's loopback address (n = 0 -> 127.0.0.2)."""
    return f"127.0.0.{2 + n}"


def nginx_config(template: str, values: dict[str, str]) -> str:
    """``deploy/nginx/<template>`` with its ``@PLACEHOLDERS@`` replaced by ``values``; every
    placeholder must be given one."""
    text = (ROOT / "deploy" / "nginx" / template).read_text(encoding="utf-8")
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    left = sorted(set(re.findall(r"@[A-Z0-9_]+@", text)))
    if left:
        raise ValueError(f"{template}: no value for {', '.join(left)}")
    return text


class Nginx:
    """nginx with a reference configuration in front of a server, listening on
    ``127.0.0.1:port``: ``deploy/nginx/migkg.conf`` with ``upstream`` (``host:port``) as its
    upstream, or another template of ``deploy/nginx/`` with ``placeholders`` filled in."""

    def __init__(
        self,
        upstream: str | None,
        port: int,
        runtime: Path,
        template: str = "migkg.conf",
        placeholders: dict[str, str] | None = None,
    ):
        runtime.mkdir(parents=True, exist_ok=True)
        values = {"@LISTEN@": f"127.0.0.1:{port}", "@RUNTIME@": str(runtime)}
        if upstream is not None:
            values["@UPSTREAM@"] = upstream
        conf = nginx_config(template, {**values, **(placeholders or {})})
        (runtime / "nginx.conf").write_text(conf, encoding="utf-8")
        self.url = f"http://127.0.0.1:{port}/"
        self.runtime = runtime
        self.process = subprocess.Popen(
            [NGINX, "-c", str(runtime / "nginx.conf"), "-p", str(runtime)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError(
            "nginx did not start: " + (runtime / "error.log").read_text()
            if (runtime / "error.log").exists()
            else "nginx did not start"
        )

    def stop(self) -> None:
        stop_group(self.process)


def stop_group(process, timeout: float = 20.0) -> None:
    """Stop a process started with ``start_new_session=True`` and its children: SIGTERM to
    its group, SIGKILL if it is still there after ``timeout`` seconds."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of() -> dict[int, list[int]]:
    """Every process's children, read from /proc (parent pid -> child pids)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    return children


def command_of(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def gunicorn_workers(master: int) -> list[int]:
    """The worker processes of the gunicorn master ``master`` (not their query processes)."""
    return [
        pid for pid in children_of().get(master, []) if "multiprocessing" not in command_of(pid)
    ]
