"""Debian's Virtuoso (``virtuoso-opensource``, ``virtuoso-t``) on free loopback ports over a
temporary directory, for the second-engine tests and the benchmarks (which add ``tests/`` to
``sys.path``). Never the system service: a generated ``virtuoso.ini`` puts the database, its
logs and the HTTP server root in ``directory``.

``VirtuosoServer(directory).start()`` → ``.query_url`` (``/sparql``), ``.gsp_url``
(``/sparql-graph-crud-auth``, HTTP Digest as ``dba``), ``.user`` / ``.password``; ``stop()``
kills its process group; ``start()`` again reopens the same database (the engine "coming
back"). :func:`start_with_generation` starts one and publishes a generation folder into it
(``migkg publish --union-default-graph``), for a benchmark: ``server.query_url`` is then what
``MIGKG_STORE`` names.

Set up once per database, with ``isql-vt`` on the SQL port (:data:`SETUP`): Virtuoso's own
graphs (its RDF views' schema ``virtrdf#``, ``ldp#``, the URIQA graph) go into its group of
private graphs, unreadable by the anonymous SPARQL user, so that its union default graph and
``GRAPH ?g`` hold only what was published; and ``DESCRIBE`` answers the Concise Bounded
Description, as Oxigraph does.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import requests
from netsupport import free_port, stop_group
from oxigraph_server import sparql_count

VIRTUOSO = shutil.which("virtuoso-t") or "/usr/bin/virtuoso-t"
ISQL = shutil.which("isql-vt") or "/usr/bin/isql-vt"
#: A fresh database's administrator (loopback only; the tests never change it).
DBA = ("dba", "dba")
#: Above migkg's row cap (MAX_RESULT_ROWS, 10,000), which the remote store asks for as
#: ``LIMIT cap+1``: Virtuoso cuts every answer at ResultSetMaxRows without an error (a lower
#: value would pass a cut answer as whole), and refuses ``ORDER BY`` with a LIMIT above
#: MaxSortedTopRows (error SR353; 10,000 by default, so every ordered query failed).
RESULT_SET_MAX_ROWS = 1_000_000

_PRIVATE = "http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs"
_SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/ns/ldp#",
    "http://localuriqaserver/sparql",
)
SETUP = (
    [f"DB.DBA.RDF_GRAPH_GROUP_CREATE ('{_PRIVATE}', 1);"]
    + [f"DB.DBA.RDF_GRAPH_GROUP_INS ('{_PRIVATE}', '{graph}');" for graph in _SYSTEM_GRAPHS]
    # anonymous SPARQL ('nobody'): read the public graphs, not the private ones
    + ["DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 1, 0);"]
    + ["DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0, 1);"]
    # DESCRIBE as the Concise Bounded Description, as Oxigraph answers it (SPARQL 1.1 leaves
    # its form to the engine; Virtuoso's default adds the triples pointing at the resource
    # and leaves out its owl:sameAs): a define every /sparql request on any Host gets
    + [
        "INSERT INTO DB.DBA.SYS_SPARQL_HOST (SH_HOST, SH_DEFINES) "
        """VALUES ('%', 'define sql:describe-mode "CBD"');"""
    ]
)

INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = {sql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 10
CheckpointInterval = 60
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
MaxSortedTopRows = {max_rows}
AllowOSCalls = 0
DirsAllowed = ., {d}
ThreadCleanupInterval = 0
ThreadThreshold = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize = 100000
SingleCPU = 0
PrefixResultNames = 0
RdfFreeTextRulesSize = 100
IndexTreeMaps = 64
MaxMemPoolSize = 40000000
MaxQueryMem = 256M
VectorSize = 1000
MaxVectorSize = 1000000
AdjustVectorSize = 0
ThreadsPerQuery = 2
AsyncQueueMaxThreads = 4
; 8 kB pages: about 80 MB of buffers, plenty for some 17,000 triples
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000

[HTTPServer]
ServerPort = {http_port}
ServerRoot = {d}
MaxClientConnections = 10
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
HTTPThreadSize = 280000
HttpPrintWarningsInOutput = 0
Charset = UTF-8
EnabledGzipContent = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = {timeout_s}
DeferInferenceRulesInit = 0
"""


def virtuoso_installed() -> bool:
    """Whether Debian's ``virtuoso-opensource`` (``virtuoso-t`` and ``isql-vt``) is there."""
    return Path(VIRTUOSO).is_file() and Path(ISQL).is_file()


class VirtuosoServer:
    """One ``virtuoso-t +foreground`` process over ``directory`` (created if missing).

    ``timeout_s``: the ini's ``MaxQueryExecutionTime`` (0: none).
    """

    def __init__(self, directory: Path, timeout_s: int = 0):
        self.directory = Path(directory)
        self.timeout_s = timeout_s
        self.http_port = free_port()
        self.sql_port = free_port()
        while self.sql_port == self.http_port:
            self.sql_port = free_port()
        self.process: subprocess.Popen | None = None
        self.user, self.password = DBA
        base = f"http://127.0.0.1:{self.http_port}"
        self.query_url = f"{base}/sparql"
        self.gsp_url = f"{base}/sparql-graph-crud-auth"
        self.ini = self.directory / "virtuoso.ini"
        self.log_path = self.directory / "stdout.log"

    def start(self, wait: float = 60.0) -> VirtuosoServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ini.write_text(
            INI.format(
                d=self.directory,
                sql_port=self.sql_port,
                http_port=self.http_port,
                max_rows=RESULT_SET_MAX_ROWS,
                timeout_s=self.timeout_s,
            ),
            encoding="utf-8",
        )
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [VIRTUOSO, "+foreground", "+configfile", str(self.ini)],
                cwd=self.directory,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"virtuoso-t exited with {self.process.returncode}: {self.log()}"
                )
            try:
                answer = requests.post(
                    self.query_url,
                    data={"query": "ASK {}"},
                    headers={"Accept": "application/sparql-results+json"},
                    timeout=2,
                )
                if answer.status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError(f"virtuoso not ready after {wait} s: {self.log()}")
        marker = self.directory / "migkg-setup.done"
        if not marker.exists():
            self.sql(*SETUP)
            marker.write_text("private system graphs, anonymous read-only\n", encoding="utf-8")
        return self

    def sql(self, *statements: str) -> str:
        """Run SQL statements with ``isql-vt`` as the administrator; its output.

        :raises RuntimeError: isql failed or reported an error.
        """
        done = subprocess.run(
            [ISQL, str(self.sql_port), *DBA, "VERBOSE=OFF", "BANNER=OFF", "ERRORS=STDOUT"],
            input="\n".join(statements) + "\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0 or "*** Error" in done.stdout:
            raise RuntimeError(f"isql-vt failed ({done.returncode}): {done.stdout}{done.stderr}")
        return done.stdout

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)
            self.process = None

    def log(self) -> str:
        parts = [self.log_path, self.directory / "virtuoso.log"]
        return "\n".join(
            p.read_text(encoding="utf-8", errors="replace")[-4000:] for p in parts if p.exists()
        )

    def count(self, graph: str | None = None) -> int:
        """Triples of ``graph`` (None: the default graph, Virtuoso's union), asked of the server."""
        return sparql_count(self.query_url, graph)


def start_with_generation(generation_dir: Path, directory: Path) -> VirtuosoServer:
    """A new Virtuoso over ``directory`` holding ``generation_dir`` (one generation folder,
    e.g. ``var/generations/<version>``), published as ``migkg publish --union-default-graph``
    does and its counts verified; ``.query_url`` is what ``MIGKG_STORE`` names. The caller
    stops it."""
    from service.store.publish import publish_generation

    server = VirtuosoServer(directory).start()
    try:
        publish_generation(
            Path(generation_dir),
            server.gsp_url,
            query_url=server.query_url,
            user=server.user,
            password=server.password,
            union_default_graph=True,
        )
    except BaseException:
        server.stop()
        raise
    return server
