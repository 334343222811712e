"""The installed ``pmkg`` console script as a shell, a Makefile or CI meets it: a subprocess,
its exit status and its one-line message, for every class of error (README: exit codes).

CliRunner calls ``app`` directly and cannot see what ``main()`` hands the shell, so
nothing here uses it.  The projects are the kitchen-sink fixture (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT, make_project

PMKG = str(Path(sys.executable).with_name("pmkg"))
HEAVY = ("matplotlib", "pyshacl", "owlready2", "networkx", "jinja2", "rdflib", "pyoxigraph", "SPARQLWrapper")


def pmkg(*args: str, root: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    argv = [PMKG, *args] + (["--root", str(root)] if root else [])
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False,
                          stdin=subprocess.DEVNULL)


def error_lines(out: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in out.stderr, out.stderr
    return [line for line in out.stderr.splitlines() if line.startswith("error: ")]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kitchen sink, built once through the console script."""
    root = make_project(tmp_path_factory.mktemp("cli") / "proj", FIXTURES / "kitchen_sink")
    out = pmkg("build", root=root)
    assert out.returncode == 0, out.stderr
    return root


@pytest.fixture
def fresh(tmp_path: Path, built: Path) -> Path:
    """A copy of the built project that a test may break."""
    root = tmp_path / "proj"
    shutil.copytree(built, root, symlinks=True)
    return root


def digest(dist: Path) -> dict[str, bytes]:
    return {str(p.relative_to(dist)): p.read_bytes() for p in sorted(dist.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- exit 0


def test_build_exits_0_with_a_short_summary(built: Path):
    out = pmkg("build", root=built)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) <= 25, out.stdout
    assert lines[0].startswith("pmkg build: 35 records")
    assert any("changed since the build of" in line and line.endswith(": nothing") for line in lines)
    assert out.stderr == ""  # no progress display when stderr is not a terminal


def test_quiet_build_prints_nothing(built: Path):
    out = pmkg("build", "-q", root=built)
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "")


def test_help_exits_0():
    out = pmkg("--help")
    assert out.returncode == 0 and "Exit codes: 0 ok, 1 data violates shapes" in out.stdout


# ---------------------------------------------------------------- exit 2: input and runtime errors


def test_unknown_query_name_exits_2(built: Path):
    out = pmkg("query", "nosuch", root=built)
    assert out.returncode == 2
    assert error_lines(out) == ["error: no canned query 'nosuch' (hint: `pmkg query --list` shows the catalogue)"]


@pytest.mark.parametrize(("param", "message"), [
    ("nosuch=1", "error: query 'actor-counts' has no parameter 'nosuch'"),
    ("by=zzz", "error: --param by: 'zzz' is not one of region, country, type, country-and-type"),
    ("by", "error: --param 'by' must be NAME=VALUE"),
])
def test_bad_parameter_exits_2(built: Path, param: str, message: str):
    out = pmkg("query", "actor-counts", "--param", param, root=built)
    assert out.returncode == 2
    lines = error_lines(out)
    assert len(lines) == 1 and lines[0].startswith(message), out.stderr


def test_missing_import_file_exits_2(built: Path, tmp_path: Path):
    missing = tmp_path / "no-such-file.txt"
    out = pmkg("import", "wos", str(missing), root=built)
    assert out.returncode == 2
    assert error_lines(out) == [f"error: {missing}: no such file"]


def test_sparql_syntax_error_exits_2(built: Path):
    out = pmkg("sparql", "SELECT WHERE {", root=built)
    assert out.returncode == 2
    lines = error_lines(out)
    assert len(lines) == 1 and lines[0].startswith("error: SPARQL syntax error: "), out.stderr


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


def test_unreachable_endpoint_exits_2(built: Path):
    url = f"http://127.0.0.1:{_closed_port()}/query"
    out = pmkg("query", "actors", "--endpoint", url, root=built)
    assert out.returncode == 2
    lines = error_lines(out)
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot reach endpoint {url}: "), out.stderr


@pytest.mark.slow
def test_registry_labels_offline_names_the_unreachable_service(tmp_path: Path):
    """Regression (issue 9): with Wikidata out of reach, `registry-labels` said "unexpected OSError"
    (Oxigraph fails while the rows are read, outside the query call).  The curated graph (its Wikidata
    links make Oxigraph call the SERVICE), with the SERVICE IRI pointed at a closed local port, as a
    machine without network meets it."""
    for name in ("kg", "ontology"):
        (tmp_path / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "queries", tmp_path / "queries")
    url = f"http://127.0.0.1:{_closed_port()}/sparql"
    rq = tmp_path / "queries" / "registry-labels.rq"
    rq.write_text(rq.read_text(encoding="utf-8").replace("https://query.wikidata.org/sparql", url),
                  encoding="utf-8")
    out = pmkg("query", "registry-labels", root=tmp_path)  # builds dist/ first
    assert out.returncode == 2, out.stderr
    lines = error_lines(out)
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith(f"error: the SPARQL endpoint <{url}> that the query calls (SERVICE) is "
                               "unreachable: "), lines[0]
    assert "unexpected" not in out.stderr


def test_port_in_use_exits_2(built: Path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        out = pmkg("serve", "--port", str(port), root=built, timeout=60)
    assert out.returncode == 2
    lines = error_lines(out)
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot listen on 127.0.0.1:{port}: "), out.stderr


def test_serve_default_port_is_the_servers():
    from pmkg.cli import server_cmds
    from pmkg.server import DEFAULT_BIND, DEFAULT_PORT
    assert (server_cmds.DEFAULT_PORT, server_cmds.DEFAULT_BIND) == (DEFAULT_PORT, DEFAULT_BIND)


BAD_YAML = "actors:\n  - id: x\n    label: [unclosed\n"


@pytest.mark.parametrize("entry", ["pmkg build", "python build.py"])
def test_malformed_yaml_exits_2_and_leaves_dist(fresh: Path, entry: str):
    before = digest(fresh / "dist")
    (fresh / "kg" / "zz-bad.yaml").write_text(BAD_YAML, encoding="utf-8")
    if entry == "pmkg build":
        out = pmkg("build", root=fresh)
    else:
        out = subprocess.run([sys.executable, str(ROOT / "build.py"), "--root", str(fresh)], capture_output=True,
                             text=True, timeout=300, check=False)
    assert out.returncode == 2, out.stderr
    lines = error_lines(out)
    assert len(lines) == 1 and lines[0].startswith("error: kg/zz-bad.yaml:4"), out.stderr
    assert digest(fresh / "dist") == before


def test_usage_error_exits_2():
    out = pmkg("validate", "--no-such-option")
    assert out.returncode == 2 and "No such option" in out.stderr and "Traceback" not in out.stderr


# ---------------------------------------------------------------- exit 1: the data violates the shapes

EXTRA_SHAPE = """
pmsh:Test-no-website a sh:NodeShape ;
    sh:targetNode <https://w3id.org/pmkg/id/actor/bgi> ;
    sh:property [ sh:path schema:url ; sh:maxCount 0 ; sh:severity sh:Violation ;
                  sh:message "An actor MUST have no website (a test shape)."@en ] .
"""


@pytest.mark.parametrize("command", ["build", "validate"])
def test_shacl_violation_exits_1(fresh: Path, command: str):
    """BGI's (preferred) website violates a test shape allowing none.  (The shape allowed one website
    and counted BGI's two disputed ones until issue 14 asserted only the preferred claim.)"""
    before = digest(fresh / "dist")
    with (fresh / "ontology" / "shapes.ttl").open("a", encoding="utf-8") as f:
        f.write(EXTRA_SHAPE)
    out = pmkg(command, root=fresh)
    assert out.returncode == 1, out.stderr
    lines = error_lines(out)
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error: kg/actors.yaml:") and " bgi: An actor MUST have no website" in lines[0]
    assert digest(fresh / "dist") == before


# ---------------------------------------------------------------- signals and pipes


def test_closed_output_pipe_exits_141_without_traceback(built: Path):
    """`pmkg sparql … | head` where the reader has gone: the shell's 128 + SIGPIPE, no traceback."""
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run([PMKG, "sparql", "SELECT * WHERE { ?s ?p ?o }", "--format", "csv", "--root",
                               str(built)], stdout=write, stderr=subprocess.PIPE, text=True, timeout=120,
                              check=False)
    finally:
        os.close(write)
    assert proc.returncode == 141, proc.stderr
    assert proc.stderr == ""


def test_ctrl_c_exits_130_and_leaves_dist(fresh: Path):
    before = digest(fresh / "dist")
    (fresh / "kg" / "extra.yaml").write_text(  # a changed record, so that HermiT runs again
        "facts:\n  - about: bgi\n    aliases: [Huada]\n    source: {doc: causio-2023, at: x}\n", encoding="utf-8")
    # SIGINT as a terminal's foreground job has it: a harness started in the background (`cmd &` in a
    # non-interactive shell) ignores SIGINT, its children inherit that, and Python then keeps it ignored
    # (the build ran to its end and exited 0 in session 8's fresh-clone CI runs).
    proc = subprocess.Popen([PMKG, "build", "-v", "--root", str(fresh)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        # -v names each stage on stderr as it starts. The signal is sent as validation starts, with HermiT's
        # thread running beside it (a fixed 0.2 s after "… map" could land after the small kitchen-sink
        # build had finished: in the interpreter's shutdown, exit 0 or death by SIGINT).
        for line in proc.stderr:
            if line.startswith("… validate"):
                break
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert digest(fresh / "dist") == before


# ---------------------------------------------------------------- start-up


def test_cli_imports_no_heavy_library():
    """`pmkg --help` and `pmkg query --list` must not pay for the build's or the reports' libraries."""
    code = "import pmkg.cli, sys; print(sorted(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in json.loads(out.stdout.replace("'", '"'))}
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    assert "rich" not in loaded  # typer's rich help is off; consoles are made on first use


def test_query_list_imports_no_store_or_rdf_library(built: Path):
    code = ("import sys; from pmkg.cli import run; code = run(['query', '--list', '--root', sys.argv[1]]); "
            "print(sorted(sys.modules), file=sys.stderr); sys.exit(code)")
    out = subprocess.run([sys.executable, "-c", code, str(built)], capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in json.loads(out.stderr.strip().replace("'", '"'))}
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    assert loaded.isdisjoint(SLOW_START), sorted(loaded & set(SLOW_START))
    assert "actor-counts" in out.stdout


# rdflib (~0.16 s) is the build's and the registries' library; the query path binds, escapes and reads
# pyoxigraph terms. pydantic (~0.09 s) came with typer 0.29's option validation (pyproject caps typer);
# importlib.metadata (~0.07 s) only the build needs, for its cache keys.
SLOW_START = ("rdflib", "pydantic", "pydantic_core", "SPARQLWrapper", "matplotlib", "pyshacl", "owlready2",
              "networkx", "jinja2", "importlib_metadata")


def _modules_after(argv: list[str]) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    code = ("import sys; from pmkg.cli import run; code = run(sys.argv[1:]); "
            "print('MODULES', sorted(sys.modules), file=sys.stderr); sys.exit(code)")
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=False)
    line = next(x for x in out.stderr.splitlines() if x.startswith("MODULES "))
    return set(json.loads(line[len("MODULES "):].replace("'", '"'))), out


def test_report_code_imports_no_matplotlib_or_rdflib():
    """The reports' charts are written as SVG directly (matplotlib cost ~2.5 s of the landscape report's 8 s)
    and read pyoxigraph terms; networkx is imported only when a network diagram is drawn."""
    code = "import pmkg.report, pmkg.report_plans, pmkg.charts, sys; print(sorted(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in json.loads(out.stdout.replace("'", '"'))}
    assert loaded.isdisjoint({"matplotlib", "rdflib", "networkx", "pydantic"}), loaded


@pytest.mark.parametrize("args", [["--help"], ["query", "--list"], ["query", "actor-counts"],
                                  ["query", "actors", "--param", "country=China"]])
def test_query_path_imports_no_rdflib_or_pydantic(built: Path, args: list[str]):
    """`pmkg query NAME` binds its parameters as pyoxigraph terms: neither rdflib nor pydantic is imported."""
    modules, out = _modules_after([*args, "--root", str(built)] if args[0] != "--help" else args)
    assert out.returncode == 0, out.stderr
    top = {name.split(".")[0] for name in modules}
    assert top.isdisjoint(SLOW_START), sorted(top & set(SLOW_START))
    assert "importlib.metadata" not in modules
