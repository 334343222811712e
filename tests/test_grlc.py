"""grlc serves queries/ unchanged: a real grlc (pinned in tests/grlc-requirements.txt, installed into
.venv-grlc by scripts/setup.sh) in local-files mode over the repository's queries/ folder, against a
real Oxigraph server holding the build (dist/pmkg.nq, union default graph).

grlc reads each query's parameters from its variable names and its ``#+ defaults:`` / ``#+ enumerate:``
decorators (pmkg's ``#+ params:`` is pmkg's own), pastes the values into the text and leaves a parameter
that is not given unbound.  Every case ``pmkg query`` is tested with (defaults; each parameter at its
example) is asked of grlc with the same parameters: the values pmkg binds, as grlc's client writes them
(an entity's IRI, since grlc has no name look-up; an enum's IRI), and nothing for a parameter left at its
default, which the query must then apply itself.  The rows must be pmkg's, term for term (GROUP_CONCAT
values as sets of parts, order where the query orders).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from pmkg import grlc as grlc_module
from pmkg.catalogue import QuerySpec, load_catalogue
from pmkg.query import rendered_examples
from pmkg.server import free_port
from tests import oxserver
from tests.test_jena import from_json, from_ox, normalised

ROOT = Path(__file__).resolve().parents[1]
GRLC_PYTHON = ROOT / ".venv-grlc" / "bin" / "python"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not GRLC_PYTHON.exists(), reason="needs .venv-grlc (scripts/setup.sh installs it)")]
RESULTS_JSON = "application/sparql-results+json"


@pytest.fixture(scope="module")
def endpoint(real_build):
    """A real Oxigraph server with the real build's quads."""
    root, _ = real_build
    with oxserver.oxigraph() as server:
        request = urllib.request.Request(server.store_url, data=(root / "dist" / "pmkg.nq").read_bytes(),
                                         method="POST", headers={"Content-Type": "application/n-quads"})
        with urllib.request.urlopen(request, timeout=120) as response:
            assert response.status in (200, 201, 204)
        yield server


def _get(url: str, accept: str = "application/json", timeout: float = 300) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def grlc(endpoint, real_build, tmp_path_factory):
    """grlc's own Flask app on a free port, serving the build's queries/ folder (cwd holds its config.ini)."""
    root, _ = real_build
    folder = tmp_path_factory.mktemp("grlc")
    port = free_port("127.0.0.1")
    (folder / "config.ini").write_text(
        f"[defaults]\nsparql_endpoint = {endpoint.query_url}\nserver_name = 127.0.0.1:{port}\ndebug = False\n"
        f"[local]\nlocal_sparql_dir = {(root / 'queries').resolve()}\n", encoding="utf-8")
    log = (folder / "grlc.log").open("wb")
    process = subprocess.Popen([str(GRLC_PYTHON), "-c",
                                f"from grlc.server import app; app.run(host='127.0.0.1', port={port})"],
                               cwd=folder, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api-local"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"grlc exited: {(folder / 'grlc.log').read_text(errors='replace')[-2000:]}")
            try:
                if _get(f"http://127.0.0.1:{port}/", accept="text/html", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("grlc did not answer within 120 s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()


@pytest.fixture(scope="module")
def catalogue(real_build) -> dict[str, QuerySpec]:
    root, _ = real_build
    return load_catalogue(root / "queries")


def test_grlc_reads_every_querys_parameters_as_pmkg_declares_them(grlc, catalogue):
    status, text = _get(grlc + "/swagger")
    assert status == 200, text[:500]
    paths = json.loads(text)["paths"]
    problems = []
    for name, spec in catalogue.items():
        if f"/{name}" not in paths:
            problems.append(f"{name}: not in grlc's API")
            continue
        theirs = {p["name"]: p for p in paths[f"/{name}"]["get"].get("parameters", [])
                  if p["name"] not in ("endpoint", "page")}
        ours = {p.grlc_name: p for p in spec.params}
        if set(theirs) != set(ours):
            problems.append(f"{name}: grlc's parameters {sorted(theirs)}, pmkg's {sorted(ours)}")
            continue
        for gname, p in ours.items():
            if theirs[gname].get("required", False) != (p.required and p.default is None):
                problems.append(f"{name}: {gname} required differs")
            if (p.default is None) != ("default" not in theirs[gname]):
                problems.append(f"{name}: {gname} default differs")
            want = grlc_module.enumeration(p, grlc_module.prefixes(spec.text))
            if sorted(want or []) != sorted(theirs[gname].get("enum", [])):
                problems.append(f"{name}: {gname} grlc offers {theirs[gname].get('enum')}, pmkg {want}")
    assert not problems, "\n".join(problems)


def grlc_arguments(spec: QuerySpec, given: dict[str, str], bound: dict) -> dict[str, str]:
    """The parameters given, as grlc's client writes them: the lexical form of the term pmkg binds."""
    return {p.grlc_name: bound[p.variable].value for p in spec.params if p.name in given}


def cases(catalogue: dict[str, QuerySpec], backend) -> list[tuple[str, QuerySpec, str, dict[str, str]]]:
    """(case, spec, text pmkg runs, grlc arguments) for every local query (SERVICE ones need the internet)."""
    return [(c.case, c.spec, c.text, grlc_arguments(c.spec, c.given, c.bound))
            for c in rendered_examples(catalogue, backend) if "SERVICE" not in c.text]


def test_grlc_gives_pmkg_querys_rows_for_every_example(grlc, catalogue, backend, real_build):
    root, _ = real_build
    store = ox.Store.read_only(str(root / "dist" / "store"))
    differ, count = [], 0
    for case, spec, text, arguments in cases(catalogue, backend):
        count += 1
        try:
            status, body = _get(f"{grlc}/{spec.name}?{urllib.parse.urlencode(arguments)}", accept=RESULTS_JSON,
                                timeout=120)
        except TimeoutError:
            differ.append(f"{case} {arguments}: no answer from grlc within 120 s")
            continue
        try:
            theirs_json = json.loads(body)["results"]["bindings"]
        except (ValueError, KeyError, TypeError):
            differ.append(f"{case}: grlc answered {status}: {body[:300]!r}")
            continue
        ours = store.query(text, use_default_graph_as_union=True)
        columns = [v.value for v in ours.variables]
        mine = normalised([[from_ox(s[c]) for c in columns] for s in ours], columns, text)
        theirs = normalised([[from_json(b.get(c)) for c in columns] for b in theirs_json], columns, text)
        if Counter(mine) != Counter(theirs):
            differ.append(f"{case} {arguments}: {len(mine)} rows from pmkg, {len(theirs)} from grlc; "
                          f"only pmkg {list((Counter(mine) - Counter(theirs)).elements())[:2]}; "
                          f"only grlc {list((Counter(theirs) - Counter(mine)).elements())[:2]}")
        elif re.search(r"\bORDER\s+BY\b", text, re.IGNORECASE) and mine != theirs:
            differ.append(f"{case}: same rows, different order")
    assert count >= len(catalogue) - 1, "fewer cases than queries: the catalogue was not read"
    assert not differ, "\n".join(differ)
