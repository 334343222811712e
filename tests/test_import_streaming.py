"""Issue 11 item 5 / issue 10 leftovers: imports at scale (text N-Quads, faster WoS splitting, memory
that does not grow with the file), a typo'd ``--root`` for ``pmkg link``, a read-only store's message.

The fast paths are checked against the definitions they replace: the character-by-character WoS
splitters (kept here as the reference) and Oxigraph's own serialisation of literals."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_import_support import BIBLIO, ROOT, import_project, import_template  # noqa: F401

from pmkg.importers import wos
from pmkg.importers.to_rdf import nq_literal

PMKG = str(Path(sys.executable).with_name("pmkg"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def ref_split_outside_brackets(text: str, sep: str = ";") -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        if char == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def ref_strip_brackets(text: str) -> tuple[str, list[str]]:
    import re

    out, groups, depth, current = [], [], 0, []
    for char in text:
        if char == "[":
            if depth:
                current.append(char)
            depth += 1
        elif char == "]" and depth:
            depth -= 1
            if depth:
                current.append(char)
            else:
                groups.append("".join(current))
                current = []
        elif depth:
            current.append(char)
        else:
            out.append(char)
    if current:
        groups.append("".join(current))
    return re.sub(r"\s+", " ", "".join(out)).strip(" ,;"), groups


def ref_address_of(c1_item: str) -> str:
    text = c1_item.strip()
    if text.startswith("["):
        end, depth = 0, 0
        for i, char in enumerate(text):
            depth += char == "["
            depth -= char == "]"
            if depth == 0:
                end = i
                break
        text = text[end + 1:]
    return text.strip().rstrip(".").strip()


BRACKETED = st.lists(st.sampled_from([*list("[];, ab\t"), "Fdn", " [12]", "[[", "]]", "é"]), max_size=30).map("".join)


@settings(max_examples=400, deadline=None, database=None)
@given(BRACKETED)
def test_fast_wos_splitting_equals_the_character_loop(text: str) -> None:
    assert wos.split_outside_brackets(text) == ref_split_outside_brackets(text)
    assert wos.strip_brackets(text) == ref_strip_brackets(text)
    assert wos.address_of(text) == ref_address_of(text)


@settings(max_examples=400, deadline=None, database=None)
@given(st.text(st.characters(blacklist_categories=["Cs"]), max_size=40))
def test_nquads_literals_are_written_as_oxigraph_writes_them(value: str) -> None:
    assert nq_literal(value) == str(ox.Literal(value))
    year = ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")
    assert nq_literal(value, year.value) == str(ox.Literal(value, datatype=year))


def test_nquads_literal_with_a_lone_surrogate_is_refused_as_before() -> None:
    with pytest.raises(ValueError):
        nq_literal("title \ud800")


def test_hostile_values_stay_in_their_literal(import_project: Path) -> None:  # noqa: F811
    """Quotes, backslashes, angle brackets and control characters in a record end up as the same text."""
    hostile = 'A "quoted" \\ title <http://x/> . \x01 } ; # end'  # (WoS whitespace runs become one space)
    records = import_project / "hostile.txt"
    records.write_text(f"FN x\nVR 1.0\nPT J\nTI {hostile}\nFU Fund \"q\" \\ [1]\nPY 2020\nUT WOS:1\nER\nEF\n",
                       encoding="utf-8")
    done = subprocess.run([PMKG, "import", "wos", str(records), "--root", str(import_project), "--no-registries",
                           "--source-id", "hostile"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    quads = list(ox.parse(path=str(import_project / "imports" / "hostile.nq"), format=ox.RdfFormat.N_QUADS))
    titles = [q.object.value for q in quads if q.predicate.value == "http://purl.org/dc/terms/title"]
    assert titles == [hostile]
    unresolved = [q.object.value for q in quads if q.predicate.value.endswith("#unresolvedFunder")]
    assert unresolved == ['Fund "q" \\']


def test_import_keeps_no_paper_once_written(tmp_path: Path) -> None:
    """Issue 10 (a 136k-record WoS file took 2.76 GB): the duplicate check kept every Paper alive;
    now a paper is garbage once its lines are written, whatever the size of the file."""
    import weakref

    from gen_wos import generate

    from pmkg.importers.run import ImportReport, _read

    records = tmp_path / "gen.txt"
    generate(3_000, records)
    report = ImportReport("gen", "g", tmp_path / "gen.nq")
    alive = [weakref.ref(paper) for paper in _read("wos", [records], report, strict=False)]
    assert report.imported == 0 and report.read == 3_000 and not report.duplicates
    assert sum(ref() is not None for ref in alive) <= 1, "papers are kept after they are read"


def test_link_review_with_a_typo_root_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    typo = tmp_path / "projcet"
    for args in (["link", "review", "ror", "--reviewer", "me"],
                 ["link", "decide", "ror", "nsfc", "01h0zpd94", "--status", "accepted", "--reason", "r"]):
        done = subprocess.run([PMKG, *args, "--root", str(typo)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 2, done.stdout + done.stderr
        assert str(typo) in done.stderr and "no pmkg project" in done.stderr
        assert not typo.exists()


def _chattr(flag: str, paths: list[Path]) -> bool:
    if shutil.which("chattr") is None:
        return False
    return subprocess.run(["chattr", flag, *map(str, paths)], capture_output=True).returncode == 0


def test_read_only_store_says_read_only_and_names_the_path(import_project: Path) -> None:  # noqa: F811
    store = import_project / "dist" / "store"
    if not _chattr("+i", [*store.iterdir(), store]):
        # not root: a mode without write permission is what read-only means
        for path in [*store.iterdir(), store]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        if subprocess.run(["test", "-w", str(store)]).returncode == 0:
            pytest.skip("cannot make a store read-only here (root without chattr)")
    try:
        done = subprocess.run([PMKG, "import", "wos", str(BIBLIO / "wos-sample.txt"), "--root", str(import_project),
                               "--no-registries"], capture_output=True, text=True, timeout=600)
    finally:
        _chattr("-i", [*store.iterdir(), store])
        for path in [store, *store.iterdir()]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "read-only" in done.stderr and str(store) in done.stderr
    assert "another process" not in done.stderr
    assert not (import_project / "imports" / "wos-sample.nq").exists()


def test_nquads_literal_escapes_the_noncharacters_fffe_and_ffff_as_oxigraph_does() -> None:
    """Found by the hypothesis test above (value '\\ufffe'): Oxigraph writes U+FFFE and U+FFFF as \\uFFFE,
    \\uFFFF; nq_literal wrote them raw. Every code point but the surrogates is checked."""
    differing = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF
                 and nq_literal(chr(c)) != str(ox.Literal(chr(c)))]
    assert differing == []
