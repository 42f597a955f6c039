"""The w3id.org redirect rules (``deploy/w3id/.htaccess``) in a real Apache httpd, as w3id.org
runs them: ``/migkg/id/...`` and ``/migkg/graph/...`` answer 303 to the deployment, ``/migkg/def``
to its ontology document, and a client following the redirect with its Accept header gets HTML
or RDF from a real migkg server: the persistent IRIs dereference end to end, negotiation kept.

Apache is Debian's ``apache2`` (``make test`` installs it); it runs unprivileged on a loopback
port with a configuration written here, loading only mod_rewrite and what it needs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import requests
from kgsupport import ROOT, built_dataset_dir
from rdflib import Graph
from rdflib.namespace import RDF, RDFS, SKOS

from service.namespaces import ID, MIG

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODULES = Path("/usr/lib/apache2/modules")
HTACCESS = ROOT / "deploy" / "w3id" / ".htaccess"
PLACEHOLDER = "https://migkg.example.org"


def _httpd_conf(root: Path, port: int) -> str:
    user = "" if os.getuid() else "User www-data\nGroup www-data\n"  # workers drop root
    return f"""ServerRoot {root}
Listen 127.0.0.1:{port}
ServerName 127.0.0.1
PidFile {root}/httpd.pid
ErrorLog {root}/error.log
LogLevel warn
Mutex file:{root}
{user}LoadModule mpm_event_module {MODULES}/mod_mpm_event.so
LoadModule authz_core_module {MODULES}/mod_authz_core.so
LoadModule rewrite_module {MODULES}/mod_rewrite.so
DocumentRoot {root}/www
<Directory {root}/www>
  AllowOverride All
  Require all granted
</Directory>
"""


class Httpd:
    def __init__(self, root: Path, port: int, deployment: str):
        self.root, self.url = root, f"http://127.0.0.1:{port}/"
        (root / "www" / "migkg").mkdir(parents=True)
        rules = HTACCESS.read_text(encoding="utf-8")
        assert rules.count(PLACEHOLDER) == 1, "the deployment is named on one line"
        (root / "www" / "migkg" / ".htaccess").write_text(rules.replace(PLACEHOLDER, deployment))
        (root / "httpd.conf").write_text(_httpd_conf(root, port))
        os.chmod(root, 0o755)
        self.process = subprocess.Popen(
            [APACHE, "-f", str(root / "httpd.conf"), "-DFOREGROUND"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url, timeout=2)
                return
            except urllib.error.HTTPError:
                return  # answering (404 for the empty root is fine)
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError(f"apache2 did not start: {(root / 'error.log').read_text()}")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=20)


@pytest.fixture(scope="module")
def migkg(start_module_server):
    return start_module_server(DATASET_DIR=str(built_dataset_dir()))


@pytest.fixture(scope="module")
def w3id(migkg, free_port):
    if not os.path.exists(APACHE):
        pytest.fail(f"Apache httpd not found at {APACHE}: `make test` installs Debian's apache2")
    # Apache's workers drop root for an unprivileged user, who must be able to read the rules:
    # a world-readable folder of its own (pytest's are private to the user running it)
    root = Path(tempfile.mkdtemp(prefix="migkg-httpd-"))
    try:
        httpd = Httpd(root, free_port(), migkg.url.rstrip("/"))
        yield httpd
        httpd.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize(
    "path, target",
    [
        ("id/area/kz", "id/area/kz"),
        ("id/law/on-population-migration/en", "id/law/on-population-migration/en"),
        ("graph/mpl-2015", "graph/mpl-2015"),
        ("def", "def"),
    ],
)
def test_identifiers_answer_303_to_the_deployment(w3id, migkg, path, target):
    response = requests.get(w3id.url + "migkg/" + path, allow_redirects=False, timeout=10)
    assert response.status_code == 303
    assert response.headers["Location"] == migkg.url + target


def test_a_thing_dereferences_through_w3id_as_rdf_and_as_html(w3id):
    iri = w3id.url + "migkg/id/area/kz"
    rdf = requests.get(iri, headers={"Accept": "text/turtle"}, timeout=30)
    assert rdf.status_code == 200 and rdf.headers["Content-Type"].startswith("text/turtle")
    assert [r.status_code for r in rdf.history] == [303]
    graph = Graph().parse(data=rdf.text, format="turtle")
    assert (ID["area/kz"], RDF.type, MIG.Country) in graph
    html = requests.get(iri, headers={"Accept": "text/html"}, timeout=30)
    assert html.status_code == 200 and "text/html" in html.headers["Content-Type"]
    assert str(ID["area/kz"]) in html.text


def test_the_ontology_dereferences_through_w3id(w3id):
    response = requests.get(w3id.url + "migkg/def", headers={"Accept": "text/turtle"}, timeout=30)
    graph = Graph().parse(data=response.text, format="turtle")
    assert (MIG.Indicator, RDFS.subClassOf, SKOS.Concept) in graph
    page = requests.get(w3id.url + "migkg/def", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and [r.status_code for r in page.history] == [303, 303]
    assert "https://w3id.org/migkg/def" in page.text


def test_outside_the_identifiers_nothing_is_redirected(w3id):
    response = requests.get(w3id.url + "migkg/other/thing", allow_redirects=False, timeout=10)
    assert response.status_code == 404
