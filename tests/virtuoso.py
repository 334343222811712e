"""A real Virtuoso (Debian's ``virtuoso-opensource`` 7.2, ``virtuoso-t``) for the tests and benchmarks.

:func:`virtuoso` writes a ``virtuoso.ini`` into a fresh folder (database, log and temp files there),
starts ``virtuoso-t +foreground`` on 127.0.0.1 and two free ports (SQL/isql and HTTP), waits until
``/sparql`` answers (a new database takes ~20 s to initialise), and stops it on exit.

Settings that matter for comparing answers with the embedded store:

- ``[SPARQL] MaxQueryExecutionTime = 0``: with a limit, Virtuoso returns *partial* ("anytime")
  results when the limit is hit, with HTTP 200; ``MaxQueryCostEstimationTime = 0`` switches off its
  refusal of queries whose *estimated* cost is high ("cost-estimate refusals" seen with the Debian
  defaults of 400 s / 60 s); ``ResultSetMaxRows`` large enough that no answer is cut at 10,000 rows.
- The Graph Store Protocol is ``/sparql-graph-crud`` (anonymous, as the ``SPARQL`` user) and
  ``/sparql-graph-crud-auth`` (HTTP digest).  ``pmkg publish`` sends no credentials, so
  :meth:`Virtuoso.allow_anonymous_writes` grants the anonymous user ``SPARQL_UPDATE`` and write
  permission on every graph - acceptable on a loopback server made for one test, never on a shared one.

Without ``FROM``/``default-graph-uri`` Virtuoso's default graph is the union of *all* graphs it holds,
its own system graphs included (``virtrdf#`` quad-map metadata, ``ldp#``, the service description);
:meth:`Virtuoso.select` can name the dataset (``default-graph-uri`` and ``named-graph-uri`` for each
graph) to leave them out.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from pmkg.safety import die_with_parent
from pmkg.server import answers_ask, free_port

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
SERVER = "virtuoso-t"
ISQL = "isql-vt"  # Debian's name for Virtuoso's isql (plain `isql` is unixODBC's)
# per request, the client's limit: set when the slowest local case (external-ids, 26 dataset IRIs) took 62-88 s
# on a loaded 2-core machine (0.05 s since its rewrite; the slowest is now provenance entity=bgi, 2.5-5.5 s);
# a request Virtuoso 7.2.5 will never answer fails after this instead of blocking
REQUEST_TIMEOUT = 240.0
DBA_PASSWORD = "dba"  # a fresh database's; the server listens on loopback only
INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = {host}:{sql_port}
DisableUnixSocket = 1
DirsAllowed = ., {dir}, {load_dir}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
CheckpointInterval = 60
ThreadsPerQuery = 1
; (one thread per query: with 2, Virtuoso 7.2 wedged after the first queries on a quiet machine -- no CPU,
;  neither HTTP nor SQL answering -- in 3 of 3 runs)

[HTTPServer]
ServerPort = {host}:{http_port}
ServerThreads = 16
MaxClientConnections = 16

[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 0
"""


def available() -> bool:
    return shutil.which(SERVER) is not None and shutil.which(ISQL) is not None


class VirtuosoError(RuntimeError):
    pass


class Virtuoso:
    """One running ``virtuoso-t`` on loopback; see :func:`virtuoso`."""

    def __init__(self, folder: Path, *, load_dir: Path | None = None, buffers: int = 20000) -> None:
        self.folder = folder
        self.load_dir = load_dir or folder
        self.sql_port = free_port(HOST)
        self.http_port = free_port(HOST)
        self.buffers = buffers
        self.process: subprocess.Popen[bytes] | None = None
        self.hung = False  # a request was not answered in time

    @property
    def sparql_url(self) -> str:
        return f"http://{HOST}:{self.http_port}/sparql"

    @property
    def graph_store_url(self) -> str:
        return f"http://{HOST}:{self.http_port}/sparql-graph-crud"

    def start(self, wait: float = 300.0) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        ini = self.folder / "virtuoso.ini"
        ini.write_text(INI.format(dir=self.folder, load_dir=self.load_dir, host=HOST, sql_port=self.sql_port,
                                  http_port=self.http_port, buffers=self.buffers, dirty=self.buffers * 3 // 4),
                       encoding="utf-8")
        log = (self.folder / "stdout.log").open("wb")
        self.process = subprocess.Popen([SERVER, "+foreground", "+configfile", str(ini)], cwd=self.folder,
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        preexec_fn=die_with_parent)
        log.close()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise VirtuosoError(f"virtuoso-t exited ({self.process.returncode}): {self.last_log_line()}")
            # probe only once the server says it is online: a probe that times out during start-up can
            # leave an HTTP thread of Virtuoso 7.2 stuck on its closed connection (seen: the server then
            # stopped answering)
            if "Server online at" in self.log_text() and self._answers():
                return
            time.sleep(0.5)
        raise VirtuosoError(f"virtuoso-t did not answer within {wait:g} s: {self.last_log_line()}")

    def log_text(self) -> str:
        log = self.folder / "virtuoso.log"
        return log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""

    def _answers(self) -> bool:
        return answers_ask(self.sparql_url, timeout=30)

    def last_log_line(self) -> str:
        lines = self.log_text().splitlines()
        return lines[-1] if lines else ""

    def isql(self, statements: str, timeout: float = 3600) -> str:
        """Run SQL through isql; its output, or VirtuosoError with isql's error lines."""
        done = subprocess.run([ISQL, f"{HOST}:{self.sql_port}", "dba", DBA_PASSWORD, "VERBOSE=OFF",
                               "BANNER=OFF", "PROMPT=OFF", "ERRORS=STDOUT"], input=statements + "\n",
                              capture_output=True, encoding="utf-8", errors="replace",  # EXPLAIN prints raw bytes
                              timeout=timeout, check=False)
        errors = [ln for ln in done.stdout.splitlines() if "*** Error" in ln or ln.startswith(("SQL Error", "*** "))]
        if done.returncode != 0 or errors:
            raise VirtuosoError(f"isql failed ({done.returncode}): {' '.join(errors) or done.stderr.strip()}")
        return done.stdout

    def allow_anonymous_writes(self) -> None:
        """Let `pmkg publish` (no credentials) write through ``/sparql-graph-crud`` (loopback test servers only)."""
        self.isql("GRANT SPARQL_UPDATE TO \"SPARQL\";\nDB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);")

    def bulk_load(self, folder: Path, pattern: str) -> None:
        """Virtuoso's bulk loader: ``ld_dir`` (files named by ``pattern`` in ``folder``), ``rdf_loader_run``,
        then a checkpoint.  N-Quads keep their graphs; the loader's graph argument is for triples files."""
        self.isql(f"ld_dir ('{folder}', '{pattern}', 'urn:pmkg:bulk-default');\nrdf_loader_run ();\n"
                  "checkpoint;")
        failed = self.isql("SELECT ll_file || ': ' || ll_error FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;")
        lines = [ln.strip() for ln in failed.splitlines() if ": " in ln]
        if lines:
            raise VirtuosoError(f"bulk load failed: {'; '.join(lines)}")

    def select(self, text: str, graphs: list[str] | None = None, timeout: float = REQUEST_TIMEOUT,
               virtuoso_timeout: float | None = None) -> dict:
        """SPARQL JSON results of ``text``; with ``graphs``, the dataset is those graphs (default graph: their
        merge, named graphs: each of them), as the SPARQL protocol's ``default-graph-uri``/``named-graph-uri``.

        The limit is the client's: past ``timeout`` seconds without an answer, VirtuosoError ("no answer
        within").  Virtuoso's own ``timeout`` parameter is sent only with ``virtuoso_timeout`` (seconds; for
        benchmarks/engines.py's hang count): with it, one request that Virtuoso never answered took the
        whole server with it (docs/engines.md, "The hang").  Each request is on a new connection."""
        form = [("query", text)]
        if virtuoso_timeout is not None:
            form.append(("timeout", str(int(virtuoso_timeout * 1000))))
        for graph in graphs or []:
            form += [("default-graph-uri", graph), ("named-graph-uri", graph)]
        request = urllib.request.Request(self.sparql_url, data=urllib.parse.urlencode(form).encode("utf-8"),
                                         method="POST", headers={"Accept": "application/sparql-results+json",
                                                                 "Connection": "close"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                if response.headers.get("X-SQL-State"):  # an "anytime" (partial) answer
                    raise VirtuosoError(f"no complete answer ({response.headers.get('X-SQL-Message', '')})")
                return json.loads(response.read())
        except TimeoutError as exc:
            self.hung = True
            raise VirtuosoError(f"no answer within {timeout:g} s") from exc
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace").strip().splitlines()
            raise VirtuosoError(f"HTTP {exc.code}: {' '.join(detail[:3])[:300]}") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                self.hung = True
                raise VirtuosoError(f"no answer within {timeout:g} s") from exc
            raise

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # Virtuoso shuts down cleanly on SIGTERM (not with a request stuck in it)
            try:
                self.process.wait(timeout=10 if self.hung else 60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@contextlib.contextmanager
def virtuoso(folder: Path, *, load_dir: Path | None = None, buffers: int = 20000) -> Iterator[Virtuoso]:
    """A fresh Virtuoso database in ``folder``, served on loopback while the block runs."""
    server = Virtuoso(folder, load_dir=load_dir, buffers=buffers)
    try:
        server.start()
        yield server
    finally:
        server.stop()


# case -> why it is not sent: Virtuoso 7.2.5 never answers it (docs/engines.md, "The hang"); the tests and
# benchmarks/engines.py leave it out
NOT_SENT: dict[str, str] = {
    "chinese-partners-of-eu-clusters cluster=BioLAGO":
        "never answered (no CPU; the worker in a futex wait): 12 of 12 requests, on 7 fresh servers",
}


# --- comparing answers with the embedded store (the rules of tests/test_jena.py) ----------------------------

def local_cases(backend: object) -> list[tuple[str, str]]:
    """(case, rendered text) for every local canned query with its defaults and each example, as `pmkg query`
    renders it (SERVICE queries need the network and are left out)."""
    from pmkg.catalogue import load_catalogue
    from pmkg.query import rendered_examples
    return [(c.case, c.text) for c in rendered_examples(load_catalogue(ROOT / "queries"), backend)
            if "SERVICE" not in c.text]


def _empty_concat_unbound(row: tuple) -> tuple:
    """Virtuoso gives GROUP_CONCAT over no values as "", Oxigraph and Jena leave it unbound (docs/engines.md)."""
    return tuple(None if v is not None and v[0] == "parts" and not v[1] else v for v in row)


def differences(text: str, res: dict | str, store: object) -> str | None:
    """Why an engine's SPARQL JSON answer to ``text`` is not the embedded store's rows, or None when it is."""
    from tests.test_jena import from_json, from_ox, normalised
    if isinstance(res, str):
        return res
    ours = store.query(text, use_default_graph_as_union=True)
    columns = [v.value for v in ours.variables]
    mine = [_empty_concat_unbound(r) for r in normalised([[from_ox(s[c]) for c in columns] for s in ours],
                                                         columns, text)]
    theirs = [_empty_concat_unbound(r) for r in
              normalised([[from_json(b.get(c)) for c in columns] for b in res["results"]["bindings"]], columns, text)]
    if Counter(mine) != Counter(theirs):
        only_ours = list((Counter(mine) - Counter(theirs)).elements())[:2]
        only_theirs = list((Counter(theirs) - Counter(mine)).elements())[:2]
        return f"{len(mine)} vs {len(theirs)} rows; only embedded {only_ours}; only the other engine {only_theirs}"
    if re.search(r"\bORDER\s+BY\b", text, re.IGNORECASE) and mine != theirs:
        return "same rows, different order (ORDER BY is not a total order)"
    return None
