"""Reliability under load, faults and hostile input: the fair share between clients (shared by
every worker), clean refusals of queries that would crash the parser, a read retried once
when its query process dies, a memory cap per query process, and the acceptance run: six
runaway queries from one client do not delay another client's ASK."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from kgsupport import built_dataset_dir
from netsupport import NGINX, Nginx, client_address, gunicorn_workers, session_from

from service.errors import TooManyRequests
from service.web.fairshare import FairShare, client_identity

JSON = {"Accept": "application/json"}
ASK = "ASK { ?s ?p ?o }"
RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
    "?m ?n1 ?o . ?p ?q ?r }"
)
# ~1.5 s on the 81-triple fixture dataset: long enough to kill its process mid-run
SLOW = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . "
    "VALUES ?x { 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 } }"
)


# -- the fair share itself: two instances on one file are two gunicorn workers -------------------


@pytest.fixture
def workers(tmp_path):
    def make(**limits):
        settings = {"max_concurrent": 2, "seconds": 60.0, "window": 60.0, **limits}
        return FairShare(tmp_path / "fairshare.sqlite", **settings), FairShare(
            tmp_path / "fairshare.sqlite", **settings
        )

    return make


def _open_fair_share(path: str, start: float) -> str:
    time.sleep(max(0.0, start - time.time()))
    try:
        FairShare(path, max_concurrent=2, seconds=60.0)
    except Exception as exc:  # reported to the test, which fails on it
        return repr(exc)
    return ""


def test_workers_booting_at_once_all_open_a_new_fair_share_file(tmp_path):
    """Gunicorn boots its workers together; each opens the new fair-share file and switches it
    to WAL. SQLite answered the second "database is locked" at once (a worker failed to boot in
    a fresh-clone run): every one of four processes, started at the same instant, opens it."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("fork")) as pool:
        for attempt in range(10):
            path = str(tmp_path / f"fairshare-{attempt}.sqlite")
            start = time.time() + 0.2
            errors = list(pool.map(_open_fair_share, [path] * 4, [start] * 4))
            assert errors == [""] * 4


def test_concurrency_is_counted_across_workers_and_per_client(workers):
    one, two = workers()
    first, _ = one.admit("127.0.0.2")
    second, usage = two.admit("127.0.0.2")
    assert usage.concurrent == 2
    with pytest.raises(TooManyRequests) as refused:
        one.admit("127.0.0.2")
    assert refused.value.code == "RATE_LIMITED" and refused.value.headers()["Retry-After"] == "1"
    other, _ = two.admit("127.0.0.3")  # another client is not held back
    one.release(first, "127.0.0.2", 0.1)
    again, _ = two.admit("127.0.0.2")
    for ticket, client in ((second, "127.0.0.2"), (other, "127.0.0.3"), (again, "127.0.0.2")):
        one.release(ticket, client, 0.1)
    assert one.usage("127.0.0.2").concurrent == 0


def test_query_time_per_window_is_limited_and_recovers(workers):
    one, two = workers(seconds=1.0, window=1.0)
    ticket, _ = one.admit("127.0.0.2")
    one.release(ticket, "127.0.0.2", 1.5)
    with pytest.raises(TooManyRequests) as refused:
        two.admit("127.0.0.2")
    headers = refused.value.headers()
    assert headers["RateLimit-Remaining"] == "0" and int(headers["Retry-After"]) >= 1
    assert "1.5 s of query time" in refused.value.message
    time.sleep(1.1)
    ticket, usage = two.admit("127.0.0.2")
    assert usage.seconds_used == 0
    two.release(ticket, "127.0.0.2", 0.0)


def test_queries_of_a_dead_worker_stop_counting(workers):
    one, _ = workers(stale_after=0.2)
    one.admit("127.0.0.2")
    one.admit("127.0.0.2")  # never released: their worker was killed
    time.sleep(0.3)
    ticket, usage = one.admit("127.0.0.2")
    assert usage.concurrent == 1
    one.release(ticket, "127.0.0.2", 0)


@pytest.mark.parametrize(
    "peer, forwarded, trusted, client",
    [
        ("127.0.0.2", None, [], "127.0.0.2"),
        ("127.0.0.2", "203.0.113.5", [], "127.0.0.2"),  # not from a proxy: ignored
        ("10.0.0.1", "203.0.113.5", ["10.0.0.1"], "203.0.113.5"),
        ("10.0.0.1", "198.51.100.9, 203.0.113.5", ["10.0.0.1"], "203.0.113.5"),  # right-most hop
        ("10.0.0.1", "203.0.113.5, 10.0.0.2", ["10.0.0.1", "10.0.0.2"], "203.0.113.5"),
        ("10.0.0.1", "10.0.0.2", ["10.0.0.1", "10.0.0.2"], "10.0.0.1"),
    ],
)
def test_the_client_is_the_peer_or_what_a_trusted_proxy_forwards(peer, forwarded, trusted, client):
    assert client_identity(peer, forwarded, trusted) == client


# -- the endpoint -----------------------------------------------------------------------------


def test_responses_say_the_limits_and_the_callers_usage(client):
    response = client.get("/sparql", query_string={"query": ASK}, headers=JSON)
    assert response.status_code == 200
    assert response.headers["RateLimit-Limit"] == "60"
    assert 0 < int(response.headers["RateLimit-Remaining"]) <= 60
    assert response.headers["X-Concurrent-Queries"] == "1/2"
    assert "RateLimit-Policy" in response.headers


def test_over_its_query_time_a_client_gets_429_in_the_error_shape(make_app):
    app = make_app(CLIENT_QUERY_SECONDS=0.000001)
    client = app.test_client()
    first = client.get(
        "/sparql",
        query_string={"query": ASK},
        headers=JSON,
        environ_base={"REMOTE_ADDR": "127.0.0.2"},
    )
    assert first.status_code == 200
    refused = client.get(
        "/sparql",
        query_string={"query": ASK},
        headers=JSON,
        environ_base={"REMOTE_ADDR": "127.0.0.2"},
    )
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["ok"] is False and body["code"] == "RATE_LIMITED" and body["status"] == 429
    assert (
        int(refused.headers["Retry-After"]) >= 1 and refused.headers["RateLimit-Remaining"] == "0"
    )
    other = client.get(
        "/sparql",
        query_string={"query": ASK},
        headers=JSON,
        environ_base={"REMOTE_ADDR": "127.0.0.3"},
    )
    assert other.status_code == 200
    assert client.get("/id/country/KZ", environ_base={"REMOTE_ADDR": "127.0.0.2"}).status_code in (
        200,
        404,
    ), "pages are not rationed"


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(make_app):
    app = make_app(CLIENT_QUERY_SECONDS=0.000001, TRUSTED_PROXIES=["127.0.0.1"])
    client = app.test_client()

    def ask(forwarded, peer="127.0.0.1"):
        return client.get(
            "/sparql",
            query_string={"query": ASK},
            headers={**JSON, "X-Forwarded-For": forwarded},
            environ_base={"REMOTE_ADDR": peer},
        ).status_code

    assert ask("203.0.113.5") == 200 and ask("203.0.113.5") == 429
    assert ask("203.0.113.6") == 200, "another client behind the same proxy"
    assert (
        ask("203.0.113.7", peer="127.0.0.9") == 200 and ask("203.0.113.8", peer="127.0.0.9") == 429
    ), "an untrusted peer is itself the client"


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000,
        "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
        "SELECT * WHERE { ?s ?p " + "[ <http://example.org/p> " * 3000 + "?o" + " ]" * 3000 + " }",
        "ASK " + "{" * 129 + "}" * 129,
    ],
)
def test_queries_nested_too_deep_are_refused_before_the_parser(client, query):
    response = client.post("/sparql", data={"query": query}, headers=JSON)
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "MALFORMED_QUERY" and "levels deep" in body["error"]


def test_ordinary_nesting_is_fine(client):
    query = "ASK " + "{" * 50 + " ?s ?p ?o " + "}" * 50
    assert client.post("/sparql", data={"query": query}, headers=JSON).status_code == 200


# -- faults inside the store ------------------------------------------------------------------


def test_a_read_whose_query_process_is_killed_is_answered_by_a_fresh_one(make_app):
    app = make_app(QUERY_PROCESSES=1)
    store = app.extensions["kg_current"].served().store
    store.query(ASK, lane="sparql")  # start the child
    outcome = {}

    def run():
        outcome["result"] = store.query(SLOW, format="json", lane="sparql")

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.4)
    (child,) = store.pool._children
    os.kill(child.process.pid, signal.SIGKILL)
    thread.join(timeout=60)
    assert '"value":"10628820"' in outcome["result"].body.decode()
    assert store.pool.died == 1


def test_a_query_past_the_memory_cap_is_stopped_with_503(make_app):
    app = make_app(
        DATASET_DIR=str(built_dataset_dir()), QUERY_MEMORY_LIMIT_MB=1024, MEMORY_COPY_MAX_TRIPLES=0
    )
    client = app.test_client()
    huge = "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?d LIMIT 3"
    response = client.get("/sparql", query_string={"query": huge}, headers=JSON)
    assert response.status_code == 503
    body = response.get_json()
    assert body["code"] == "QUERY_MEMORY_LIMIT" and body["limit_mb"] == 1024
    assert client.get("/sparql", query_string={"query": ASK}, headers=JSON).status_code == 200


# -- acceptance: two clients on a real gunicorn server -------------------------------------------


@pytest.mark.server
def test_six_runaway_queries_from_one_client_do_not_delay_another(start_server):
    server = start_server(DATASET_DIR=str(built_dataset_dir()), QUERY_TIMEOUT=6)
    abuser, polite = session_from(client_address(0)), session_from(client_address(1))
    endpoint = server.url + "sparql"
    for session in (abuser, polite):  # warm both lanes of both workers
        assert session.get(endpoint, params={"query": ASK}, timeout=30).status_code == 200

    def runaway(_):
        return abuser.get(endpoint, params={"query": RUNAWAY}, headers=JSON, timeout=60)

    asks, pages = [], []
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(runaway, n) for n in range(6)]
        time.sleep(0.5)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = polite.get(endpoint, params={"query": ASK}, headers=JSON, timeout=30)
            asks.append((response.status_code, time.perf_counter() - started))
            page = polite.get(
                server.url + "id/area/kz", headers={"Accept": "text/turtle"}, timeout=30
            )
            pages.append(page.status_code)
            time.sleep(0.2)
        statuses = [f.result().status_code for f in futures]
    # two admitted (stopped at the 6 s limit: 503), four refused at once (429)
    assert sorted(statuses) == [429] * 4 + [503] * 2, statuses
    assert asks and all(status == 200 for status, _ in asks), asks
    assert max(seconds for _, seconds in asks) < 1.0, asks
    assert set(pages) == {200}
    assert session_from(client_address(1)).get(server.url + "healthz", timeout=10).json()["ok"]


def test_user_queries_run_at_a_lower_cpu_priority_than_pages(make_app):
    app = make_app(QUERY_PROCESSES=1, QUERY_NICENESS=5)
    store = app.extensions["kg_current"].served().store
    store.query(ASK, lane="sparql")
    store.query(ASK)  # the page lane
    base = os.getpriority(os.PRIO_PROCESS, 0)
    (user,) = store.pool._children
    (page,) = app.extensions["kg_engine"].page_pool._children
    assert os.getpriority(os.PRIO_PROCESS, user.process.pid) == base + 5
    assert os.getpriority(os.PRIO_PROCESS, page.process.pid) == base


@pytest.mark.server
def test_behind_the_reference_nginx_a_killed_worker_loses_no_read(
    start_server, free_port, tmp_path
):
    """deploy/nginx/migkg.conf in front: reads in flight on a worker killed with -9 are sent
    again to the server's other worker; the clients' addresses reach the fair share through
    X-Forwarded-For from the trusted proxy (four clients, one query each: no 429)."""
    if not os.path.exists(NGINX):
        pytest.fail(f"nginx not found at {NGINX}: `make test` installs Debian's nginx-light")
    server = start_server(TRUSTED_PROXIES="127.0.0.1", QUERY_TIMEOUT=30)
    proxy = Nginx(server.url[len("http://") :].rstrip("/"), free_port(), tmp_path / "nginx")
    try:
        for n in range(4):
            assert (
                session_from(client_address(n))
                .get(proxy.url + "sparql", params={"query": ASK}, timeout=30)
                .status_code
                == 200
            )

        def slow(n):
            return session_from(client_address(n)).get(
                proxy.url + "sparql", params={"query": SLOW}, headers=JSON, timeout=120
            )

        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = [pool.submit(slow, n) for n in range(4)]
            time.sleep(0.6)
            workers = gunicorn_workers(server.process.pid)
            assert len(workers) == 2
            os.kill(workers[0], signal.SIGKILL)
            responses = [f.result() for f in futures]
        assert [r.status_code for r in responses] == [200] * 4, [r.text[:200] for r in responses]
        assert all("10628820" in r.text for r in responses)
        assert workers[0] not in gunicorn_workers(server.process.pid)
        # the kill did hit reads in flight: nginx saw their connections close and retried
        assert "prematurely closed" in (tmp_path / "nginx" / "error.log").read_text()
    finally:
        proxy.stop()


def test_a_long_query_drops_to_the_lowest_cpu_priority_and_its_process_is_replaced(make_app):
    app = make_app(QUERY_PROCESSES=1, QUERY_DEMOTE_AFTER=0.3)
    store = app.extensions["kg_current"].served().store
    store.query(ASK, lane="sparql")
    (child,) = store.pool._children
    base = os.getpriority(os.PRIO_PROCESS, child.process.pid)
    outcome = {}
    thread = threading.Thread(
        target=lambda: outcome.update(result=store.query(SLOW, format="json", lane="sparql"))
    )
    thread.start()
    time.sleep(0.8)
    assert os.getpriority(os.PRIO_PROCESS, child.process.pid) == 19
    thread.join(timeout=60)
    assert "10628820" in outcome["result"].body.decode() and store.pool.demoted == 1
    (fresh,) = store.pool._children
    assert fresh is not child and os.getpriority(os.PRIO_PROCESS, fresh.process.pid) == base
    store.query(ASK, lane="sparql")  # a short query is not demoted
    assert store.pool.demoted == 1
