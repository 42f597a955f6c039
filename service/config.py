"""Configuration: documented defaults, overridden by ``MIGKG_*`` environment variables,
overridden in turn by whatever mapping the caller (a test, the CLI) passes in.

Nothing here holds state; :func:`load_config` returns a fresh dict every time so that two
apps in one process (as the tests create) never share settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, Any] = {
    # The public URL of this deployment, used where a response needs an absolute address of
    # the service itself (VoID's endpoint and dumps, the Service Description, DCAT download
    # URLs), e.g. "https://migkg.example.org/" behind a proxy. Empty: the request's own host.
    # The data's IRIs never depend on it: they are persistent (service.namespaces.MIGKG).
    "PUBLIC_URL": "",
    # Source folders (data as data).
    "ONTOLOGY_DIR": str(PROJECT_ROOT / "ontology"),
    "GRAPH_DATA_DIR": str(PROJECT_ROOT / "graph_data"),
    "SHAPES_DIR": str(PROJECT_ROOT / "shapes"),
    # The published dataset generations (service/generations.py): `migkg build` writes a new
    # folder and switches the `current` symlink; the server only reads.
    "GENERATIONS_DIR": str(PROJECT_ROOT / "var" / "generations"),
    # Generations the build keeps (the newest; never the one `current` names). The previous
    # one stays so that requests started on it can finish after a switch.
    "KEEP_GENERATIONS": 3,
    # Seconds between a server worker's looks at `current` (a readlink); a new generation is
    # verified and served within this delay. 0: only at startup (and on SIGHUP).
    "GENERATION_POLL_SECONDS": 1.0,
    # Producer updates (`migkg update`, service/update/): the raw responses each run used,
    # gzipped and named by their SHA-256, and the update lock. The figures themselves live in
    # the generations (the producers graph, carried from one generation to the next).
    "PRODUCERS_DIR": str(PROJECT_ROOT / "var" / "producers"),
    # The producers' APIs (MIGKG_WORLDBANK_API, MIGKG_UNHCR_API): tests and mirrors point them
    # elsewhere. MIGKG_UNDESA_URL is the folder the International Migrant Stock workbooks are
    # downloaded from (their file names are fixed); empty: pass the workbooks with --file.
    # The workbooks' location on the UN DESA site is not verified here, so there is no default.
    "WORLDBANK_API": "https://api.worldbank.org/v2",
    "UNHCR_API": "https://api.unhcr.org/population/v1",
    "UNDESA_URL": "",
    # Per-request timeout and attempts (429 and 5xx are retried, honouring Retry-After up to
    # UPDATE_MAX_RETRY_AFTER seconds).
    "UPDATE_TIMEOUT": 60.0,
    "UPDATE_ATTEMPTS": 4,
    "UPDATE_MAX_RETRY_AFTER": 120.0,
    # Processes that validate an update's new observations (pySHACL, ~3 ms each in one
    # process: service/build/changes_validation.py); one per core.
    "VALIDATION_PROCESSES": 2,
    # What the server itself writes at run time (the fair-share database), never inside
    # GENERATIONS_DIR.
    "STATE_DIR": str(PROJECT_ROOT / "var" / "state"),
    # Serving.
    "HOST": "127.0.0.1",
    "PORT": 8080,
    "WORKERS": 2,
    # Query limits (seconds, bytes, rows).
    "QUERY_TIMEOUT": 30.0,
    "MAX_QUERY_BYTES": 100_000,
    "MAX_RESULT_ROWS": 10_000,
    # SERVICE endpoints a federated query may contact; empty = SERVICE refused.
    "SERVICE_ALLOWLIST": [],
    # Store backend, chosen once at startup: "embedded" (pyoxigraph over GENERATIONS_DIR).
    "STORE_BACKEND": "embedded",
    # The query engine: "embedded" (STORE_BACKEND above), or a remote SPARQL 1.1 Protocol
    # query endpoint URL, e.g. Oxigraph server's "http://host:7878/query" (service/store/
    # remote.py), loaded with `migkg publish --to`; pages, search and downloads still read the
    # local generation. STORE_UPDATE and STORE_GSP: its update and Graph Store Protocol URLs
    # (empty: none). STORE_USER / STORE_PASSWORD: HTTP Basic credentials for all three (set
    # them in the environment; never logged, never shown).
    "STORE": "embedded",
    "STORE_UPDATE": "",
    "STORE_GSP": "",
    "STORE_USER": "",
    "STORE_PASSWORD": "",
    # Query child processes per server worker for the SPARQL endpoint (each opens the store
    # read-only; one running past QUERY_TIMEOUT is killed and replaced). With
    # CLIENT_MAX_CONCURRENT = 2, a third lane per worker stays free for other clients.
    "QUERY_PROCESSES": 3,
    # Query child processes per server worker for the pages, search and /healthz: a lane of
    # their own that no amount of SPARQL load can take.
    "PAGE_QUERY_PROCESSES": 1,
    # Address-space cap of a query process, in MiB (0: none). A query that needs more is
    # stopped (503 QUERY_MEMORY_LIMIT); a child needs ~600 MiB of address space to start.
    "QUERY_MEMORY_LIMIT_MB": 2048,
    # Seconds after which a still-running SPARQL query's process drops to nice 19 (0: never):
    # long queries then take the CPU only when no short request wants it.
    "QUERY_DEMOTE_AFTER": 1.0,
    # CPU niceness of the SPARQL lane's query processes (0: the same priority as the pages).
    # Measured (bench/RESULTS.md, "Reliability"): 5 did not lower the well-behaved clients'
    # p99 under abuse on 2 cores (74 ms against 59 ms at 0), so it is off by default.
    "QUERY_NICENESS": 0,
    # A request (query text, dataset, formats) a query process answered within this many
    # milliseconds, with a body of at most QUERY_INPROCESS_MAX_BYTES, is answered in the web
    # worker itself the next times on the same generation (service/store/inprocess.py): no
    # pipe round trip. Anything not yet proven fast runs in a query process under the hard
    # time limit. 0: every query in a query process.
    "QUERY_INPROCESS_MS": 20.0,
    "QUERY_INPROCESS_MAX_BYTES": 1_000_000,
    # Deepest nesting of { }, ( ) or [ ] a query may have (400 beyond: Oxigraph's parser
    # overflows its stack past ~2,000 levels).
    "MAX_QUERY_DEPTH": 128,
    # Fair share per client (service/web/fairshare.py): queries at once, and seconds of query
    # time per rolling window of CLIENT_WINDOW seconds; 429 with Retry-After beyond.
    "CLIENT_MAX_CONCURRENT": 2,
    "CLIENT_QUERY_SECONDS": 60.0,
    "CLIENT_WINDOW": 60.0,
    # Reverse proxies whose X-Forwarded-For names the client (comma-separated addresses);
    # from anyone else the header is ignored.
    "TRUSTED_PROXIES": [],
    # The fair-share state shared by the workers (empty: fairshare.sqlite in STATE_DIR).
    "FAIRSHARE_DB": "",
    # Query children copy the store into memory when it has at most this many triples
    # (index lookups 4-5x faster than on RocksDB; ~0.1 s and a few MB per child for the real
    # dataset). 0 = always query the RocksDB store read-only.
    "MEMORY_COPY_MAX_TRIPLES": 250_000,
    # Threads per gunicorn worker: 1 = sync workers, more = gthread workers (the default, so
    # that a worker waiting on a slow query still answers pages and other clients).
    "WORKER_THREADS": 4,
    # Cache-Control max-age (seconds) for GET query results; ETag/Last-Modified come from
    # the dataset version.
    "CACHE_MAX_AGE": 300,
    # Built YASGUI assets (npm @zazuko/yasgui, installed by `make install`); when the folder
    # is missing the query editor falls back to a plain HTML form.
    "YASGUI_DIR": str(PROJECT_ROOT / "node_modules" / "@zazuko" / "yasgui" / "build"),
    # A new worker answers one request of each kind itself before it takes any from a client
    # (service/web/warmup.py: templates compiled, modules imported, query processes used).
    "WARMUP": True,
    # One JSON line per request on the "migkg.access" logger (query time, result size).
    "ACCESS_LOG": True,
    # Entity pages: rendered responses memoised per dataset version and worker (entries;
    # 0 renders every request).
    "PAGE_CACHE_SIZE": 2048,
    # Observation pages read their statements, references and provenance from the rows the
    # build materialised in the catalogue (service/build/page_rows.py) rather than asking the
    # store (False: ask the store, as every other page does; the tests compare both).
    "PAGE_MATERIALISED": True,
    # Indicator and country pages with more figures than this are faceted: an index of their
    # areas (sections) and the figures of one of them, chosen by ?area= (?section=).
    "PAGE_MAX_FIGURES": 500,
    # Entity pages list at most this many rows of each part below (more: the page says that it
    # shows the first ones). The real dataset's largest lists are far smaller (measured in
    # service/web/pages/limits.py). The other page queries are capped by the store at
    # MAX_RESULT_ROWS (an indicator's or a country's figures then say "capped").
    # References listed under "Referenced by".
    "PAGE_INCOMING_LIMIT": 1000,
    # Figures listed on a primary source's page (or PAGE_MAX_FIGURES if lower), with links to
    # a query listing every one.
    "PAGE_SOURCE_FIGURES": 200,
    # On an authority's page, the figures whose primary source it publishes.
    "PAGE_PUBLISHER_FIGURES": 200,
    # On a publication's page, the rows of the figures read from it.
    "PAGE_PUBLICATION_FIGURES": 2000,
    # On an authority's page, its function assignments and its role assignments.
    "PAGE_AUTHORITY_FUNCTIONS": 2000,
    "PAGE_AUTHORITY_ROLES": 500,
    # On a country's page, the role assignments and the rows of key laws stated about it.
    "PAGE_COUNTRY_ROLES": 1000,
    "PAGE_COUNTRY_LAWS": 1000,
}

_INT_KEYS = {
    "PORT",
    "WORKERS",
    "MAX_QUERY_BYTES",
    "MAX_RESULT_ROWS",
    "QUERY_PROCESSES",
    "WORKER_THREADS",
    "CACHE_MAX_AGE",
    "MEMORY_COPY_MAX_TRIPLES",
    "PAGE_MAX_FIGURES",
    "PAGE_INCOMING_LIMIT",
    "PAGE_SOURCE_FIGURES",
    "PAGE_PUBLISHER_FIGURES",
    "PAGE_PUBLICATION_FIGURES",
    "PAGE_AUTHORITY_FUNCTIONS",
    "PAGE_AUTHORITY_ROLES",
    "PAGE_COUNTRY_ROLES",
    "PAGE_COUNTRY_LAWS",
    "PAGE_QUERY_PROCESSES",
    "QUERY_MEMORY_LIMIT_MB",
    "QUERY_INPROCESS_MAX_BYTES",
    "MAX_QUERY_DEPTH",
    "CLIENT_MAX_CONCURRENT",
    "QUERY_NICENESS",
    "KEEP_GENERATIONS",
    "UPDATE_ATTEMPTS",
    "VALIDATION_PROCESSES",
}
_BOOL_KEYS = {"ACCESS_LOG", "WARMUP", "PAGE_MATERIALISED"}
_FLOAT_KEYS = {
    "QUERY_TIMEOUT",
    "CLIENT_QUERY_SECONDS",
    "CLIENT_WINDOW",
    "QUERY_DEMOTE_AFTER",
    "QUERY_INPROCESS_MS",
    "GENERATION_POLL_SECONDS",
    "UPDATE_TIMEOUT",
    "UPDATE_MAX_RETRY_AFTER",
}
_LIST_KEYS = {"SERVICE_ALLOWLIST", "TRUSTED_PROXIES"}


def _coerce(key: str, raw: str) -> Any:
    if key in _INT_KEYS:
        return int(raw)
    if key in _FLOAT_KEYS:
        return float(raw)
    if key in _BOOL_KEYS:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if key in _LIST_KEYS:
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Defaults, then ``MIGKG_<KEY>`` environment variables, then ``overrides``."""
    environ = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    for key in DEFAULTS:
        raw = environ.get(f"MIGKG_{key}")
        if raw is not None:
            config[key] = _coerce(key, raw)
    if overrides:
        config.update(overrides)
    if config["PUBLIC_URL"] and not str(config["PUBLIC_URL"]).endswith("/"):
        config["PUBLIC_URL"] = str(config["PUBLIC_URL"]) + "/"
    return config
