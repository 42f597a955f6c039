"""The W3C SPARQL 1.1 Protocol test suite (tests/conformance/sparql11-protocol/manifest.ttl).

Every test of the manifest runs, through Flask's test client and against a real gunicorn
server. ``data1.nt``–``data3.nt`` are loaded as named graphs under the IRIs the manifest
gives them (``http://kasei.us/2009/09/sparql/data/dataN.rdf``); nothing is fetched.

The query, content-type, dataset and negative tests must pass as written. This endpoint is
read-only, so every update test (``update_*``, which expect 2xx) must instead be refused with a
4xx; the follow-up requests of those tests check the update's effect and are not sent.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from rdflib import Graph, Namespace
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

SUITE = Path(__file__).resolve().parent / "conformance" / "sparql11-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SRX = "{http://www.w3.org/2005/sparql-results#}"

TABULAR = {
    "application/sparql-results+xml",
    "application/sparql-results+json",
    "text/csv",
    "text/tab-separated-values",
}
BOOLEAN = {"application/sparql-results+xml", "application/sparql-results+json"}
RDF_TYPES = {"application/rdf+xml": "xml", "text/turtle": "turtle", "application/n-triples": "nt"}


@dataclass
class ProtocolRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[int]  # acceptable status classes: 2, 3, 4, 5
    expected_boolean: bool | None
    expected_format: str | None


@dataclass
class ProtocolTest:
    name: str
    label: str
    graphs: dict[str, str] = field(default_factory=dict)  # file name -> graph IRI
    requests: list[ProtocolRequest] = field(default_factory=list)

    @property
    def is_update(self) -> bool:
        return self.name.startswith("update_")


def _status_classes(graph, response) -> set[int]:
    classes = set()
    for status in graph.objects(response, MF.expectedStatus):
        name = str(status).rsplit("#", 1)[1]  # StatusCode2xx
        classes.add(int(name[len("StatusCode")]))
    return classes


def load_manifest() -> list[ProtocolTest]:
    graph = Graph().parse(SUITE / "manifest.ttl", format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        test = ProtocolTest(str(entry).rsplit("#", 1)[1], str(graph.value(entry, MF.name)))
        for data in graph.objects(entry, UT.graphData):
            test.graphs[str(graph.value(data, UT.graph)).rsplit("/", 1)[1]] = str(
                graph.value(data, RDFS.label)
            )
        action = graph.value(entry, MF.action)
        for request in Collection(graph, graph.value(action, HT.requests)):
            headers = {}
            header_list = graph.value(request, HT.headers)
            if header_list is not None:
                for header in Collection(graph, header_list):
                    headers[str(graph.value(header, HT.fieldName))] = str(
                        graph.value(header, HT.fieldValue)
                    )
            body = graph.value(request, HT.body)
            payload = None
            if body is not None:
                encoding = str(graph.value(body, CNT.characterEncoding) or "UTF-8")
                payload = str(graph.value(body, CNT.chars)).encode(encoding)
            response = graph.value(request, HT.resp)
            boolean = graph.value(response, MF.expectedBoolean)
            fmt = graph.value(response, MF.expectedFormat)
            test.requests.append(
                ProtocolRequest(
                    method=str(graph.value(request, HT.methodName)),
                    path=str(graph.value(request, HT.absolutePath)),
                    headers=headers,
                    body=payload,
                    statuses=_status_classes(graph, response),
                    expected_boolean=None if boolean is None else boolean.toPython(),
                    expected_format=None if fmt is None else str(fmt),
                )
            )
        tests.append(test)
    return tests


TESTS = load_manifest()


def test_manifest_is_read_completely():
    assert len(TESTS) == 34
    assert sum(t.is_update for t in TESTS) == 7
    assert {"data1.nt", "data2.nt", "data3.nt"} <= {f for t in TESTS for f in t.graphs}


def write_suite_dataset(folder: Path) -> None:
    """data1-3.nt as named graphs under the manifest's IRIs, in the `migkg build` layout."""
    graphs = {}
    for test in TESTS:
        graphs.update(test.graphs)
    lines = []
    for file_name, iri in sorted(graphs.items()):
        for line in (SUITE / file_name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                lines.append(line.rstrip().rstrip(".").rstrip() + f" <{iri}> .")
    nquads = "\n".join(lines) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataset.nq").write_text(nquads, encoding="utf-8")
    (folder / "dataset.trig").write_text("", encoding="utf-8")
    (folder / "version.json").write_text(
        json.dumps(
            {
                "version": hashlib.sha256(nquads.encode("utf-8")).hexdigest()[:16],
                "built": "2026-01-01T00:00:00+00:00",
                "triples": len(lines),
                "graphs": sorted(graphs.values()),
            }
        ),
        encoding="utf-8",
    )


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes


@pytest.fixture(scope="module")
def suite_dataset(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("protocol-suite") / "dataset"
    write_suite_dataset(folder)
    return folder


@pytest.fixture(scope="module", params=["test-client", "gunicorn"])
def send(request, suite_dataset, make_module_app, start_module_server):
    """A function sending one manifest request to the endpoint, returning a :class:`Reply`."""
    if request.param == "test-client":
        client = make_module_app(DATASET_DIR=str(suite_dataset)).test_client()

        def via_client(req: ProtocolRequest) -> Reply:
            response = client.open(
                _endpoint_path(req.path), method=req.method, headers=req.headers, data=req.body
            )
            return Reply(response.status_code, response.mimetype, response.data)

        return via_client

    server = start_module_server(DATASET_DIR=str(suite_dataset), WORKERS=1)

    def via_http(req: ProtocolRequest) -> Reply:
        response = requests.request(
            req.method,
            server.url.rstrip("/") + _endpoint_path(req.path),
            headers=req.headers,
            data=req.body,
            timeout=30,
        )
        mimetype = response.headers.get("Content-Type", "").split(";")[0].strip()
        return Reply(response.status_code, mimetype, response.content)

    return via_http


def _endpoint_path(absolute_path: str) -> str:
    assert absolute_path.startswith("/sparql/")
    return "/sparql" + absolute_path[len("/sparql/") :]


def _boolean(reply: Reply) -> bool:
    if reply.content_type == "application/sparql-results+json":
        return json.loads(reply.body)["boolean"]
    return ET.fromstring(reply.body).find(f"{SRX}boolean").text == "true"


def check_reply(req: ProtocolRequest, reply: Reply) -> None:
    assert reply.status // 100 in req.statuses, (reply.status, reply.body[:300])
    if req.expected_format == "boolean":
        assert reply.content_type in BOOLEAN
    elif req.expected_format == "tabular":
        assert reply.content_type in TABULAR
        if reply.content_type == "application/sparql-results+json":
            assert json.loads(reply.body)["head"]["vars"] == ["value"]
        elif reply.content_type == "text/csv":
            assert next(csv.reader(io.StringIO(reply.body.decode())))[0] == "value"
    elif req.expected_format == "RDF":
        assert reply.content_type in RDF_TYPES
        Graph().parse(data=reply.body, format=RDF_TYPES[reply.content_type])
    if req.expected_boolean is not None:
        assert _boolean(reply) is req.expected_boolean


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_protocol(test: ProtocolTest, send):
    if test.is_update:
        reply = send(test.requests[0])
        assert 400 <= reply.status < 500, (reply.status, reply.body[:300])
        assert b"read-only" in reply.body
        return
    for req in test.requests:
        check_reply(req, send(req))
