"""Crawler (issue 4, §6): from the home page, follow every internal link of every HTML page;
every page answers 200 (or the documented 301 of ``/resource?iri=<local IRI>``), none a server
error, and every typed entity of the graph is reached."""

from __future__ import annotations

from collections import deque
from urllib.parse import urljoin, urlsplit, urlunsplit

import pytest
from bs4 import BeautifulSoup
from kgsupport import BASE, select

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def client(built_client):
    return built_client


def _internal(href: str, current: str) -> str | None:
    url = urlsplit(urljoin("http://localhost" + current, href))
    if url.netloc != "localhost" or url.scheme not in ("http", ""):
        return None
    return urlunsplit(("", "", url.path, url.query, ""))


def test_crawl_reaches_every_entity_without_broken_pages(client):
    seen: dict[str, int] = {}
    queue = deque(["/"])
    broken = []
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        with client.get(url, headers=HTML) as response:  # downloads are files: close them
            response.get_data()
        seen[url] = response.status_code
        if response.status_code not in (200, 301):
            broken.append((url, response.status_code))
            continue
        if response.status_code == 301:
            queue.append(_internal(response.headers["Location"], url))
            continue
        if response.mimetype != "text/html" or url.startswith("/sparql"):
            continue  # documents, dumps, query results: fetched, not parsed
        soup = BeautifulSoup(response.data, "html.parser")
        for element in soup.select("a[href], link[rel=alternate][href]"):
            target = _internal(element["href"], url)
            if target and target not in seen and not target.startswith("/static/"):
                queue.append(target)
    assert not broken, broken[:20]
    typed = {row["s"] for row in select("SELECT DISTINCT ?s WHERE { ?s a ?t FILTER(isIRI(?s)) }")}
    local = {
        "/" + iri[len(BASE) :] for iri in typed if iri.startswith((BASE + "id/", BASE + "graph/"))
    }
    missing = sorted(local - set(seen))
    assert not missing, f"{len(missing)} entities not reachable, e.g. {missing[:10]}"
    documents = [u for u in seen if u.endswith((".ttl", ".jsonld", ".nt", ".rdf"))]
    assert len(documents) >= 4 * len(local)
    assert len(seen) > 5 * len(local)
