"""A small real SPARQL 1.1 endpoint on a loopback port, backed by pyoxigraph, for the link-
discovery and federation tests. Behaviour switches reproduce what public endpoints do on a
bad day: 429 with Retry-After, 5xx, answers slower than the client's timeout, malformed JSON.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyoxigraph as ox


class Endpoint:
    def __init__(self, turtle: str):
        self.store = ox.Store()
        self.store.load(turtle.encode("utf-8"), ox.RdfFormat.TURTLE)
        self.requests: list[dict] = []
        self.fail_next: list[tuple[int, dict]] = []  # (status, headers) to answer next, in order
        self.delay = 0.0  # seconds to wait before answering
        self.malformed = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/sparql"

    def start(self) -> Endpoint:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _query_text(self) -> str:
                if self.command == "GET":
                    params = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                else:
                    body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode(
                        "utf-8"
                    )
                    if self.headers.get("Content-Type", "").startswith("application/sparql-query"):
                        return body
                    params = urllib.parse.parse_qs(body)
                return params.get("query", [""])[0]

            def _answer(self):
                query = self._query_text()
                endpoint.requests.append(
                    {
                        "at": time.monotonic(),
                        "query": query,
                        "user_agent": self.headers.get("User-Agent", ""),
                    }
                )
                if endpoint.fail_next:
                    status, headers = endpoint.fail_next.pop(0)
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if endpoint.delay:
                    time.sleep(endpoint.delay)
                if endpoint.malformed:
                    body = b'{"head": {"vars": ["item"]}, "results": {"bindings": [ {"item": '
                else:
                    try:
                        result = endpoint.store.query(query)
                        body = result.serialize(format=ox.QueryResultsFormat.JSON)
                    except SyntaxError as exc:
                        body = str(exc).encode()
                        self.send_response(400)
                        self.send_header("Content-Type", "text/plain")
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                        return
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = _answer
            do_POST = _answer

        return Handler
