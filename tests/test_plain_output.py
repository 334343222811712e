"""`pmkg query` output as users meet it: plain aligned text through a pipe (no rich, whose import and
rendering cost more than the query), rich's table on a terminal; cells escaped either way."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from pmkg.catalogue import parse_query_file
from pmkg.plaintext import escape, plain_table, width
from tests.conftest import FIXTURES, make_project

PMKG = str(Path(sys.executable).with_name("pmkg"))


def test_plain_table_aligns_wide_and_combining_characters():
    text = plain_table(["name", "n"], [["中国科学院", "1"], ["e\u0301cole", "22"], ["bgi", "333"]], "Title")
    lines = text.splitlines()
    assert lines[0] == "Title"
    assert lines[1] == "name        n"
    assert lines[2] == "----------  ---"
    assert lines[3] == "中国科学院  1"  # five wide characters: ten columns
    assert lines[4] == "e\u0301cole       22"  # the combining accent takes no column
    assert lines[5] == "bgi         333"
    assert [width(line) for line in lines[2:]] == [15, 13, 14, 15]  # trailing spaces trimmed


def test_plain_table_escapes_what_a_terminal_would_act_on():
    """A newline would break the row, ESC starts a terminal sequence, U+202E reverses what follows."""
    assert escape("a\nb\tc\rd") == "a\\nb\\tc\\rd"
    assert escape("\x1b[31mred") == "\\x1b[31mred"
    assert escape("abc\u202edef") == "abc\\u202edef"
    assert escape("[bold]x[/]") == "[bold]x[/]"  # not markup: shown as written
    text = plain_table(["c"], [["one\ntwo"], ["\x1b]0;title\x07"]])
    assert text.splitlines() == ["c", "-" * 16, "one\\ntwo", "\\x1b]0;title\\x07"]


def test_plain_table_without_rows():
    assert plain_table(["a", "bb"], []) == "a  bb\n-  --\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("plain") / "proj", FIXTURES / "kitchen_sink")
    out = subprocess.run([PMKG, "build", "-q", "--root", str(root)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return root


def _piped(*args: str, root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PMKG, *args, "--root", str(root)], capture_output=True, text=True, check=False,
                          stdin=subprocess.DEVNULL)


def test_piped_query_is_plain_aligned_text(built: Path):
    out = _piped("query", "actors", root=built)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert not any(ch in out.stdout for ch in "┃│━─┏")  # no box drawing
    header, rule = lines[1], lines[2]
    columns = parse_query_file(built / "queries" / "actors.rq").columns
    assert lines[0] == parse_query_file(built / "queries" / "actors.rq").summary
    assert header.split() == list(columns)
    starts = [i for i, ch in enumerate(rule) if ch == "-" and (i == 0 or rule[i - 1] == " ")]
    for line in lines[3:]:  # every row's cells start under the header's columns
        for start in starts[1:]:
            assert line[start - 2:start] == "  " or len(line) < start, (line, start)
    assert out.stderr.strip().endswith("row(s)")
    listing = _piped("query", "--list", root=built)
    assert listing.returncode == 0 and listing.stdout.splitlines()[1].split() == ["name", "summary", "parameters"]


def test_piped_query_and_list_import_no_rich(built: Path):
    code = ("import sys; from pmkg.cli import run; code = run(sys.argv[1:]); "
            "print('MODULES', sorted(sys.modules), file=sys.stderr); sys.exit(code)")
    for args in (["query", "--list"], ["query", "actors"]):
        out = subprocess.run([sys.executable, "-c", code, *args, "--root", str(built)], capture_output=True,
                             text=True, check=False)
        assert out.returncode == 0, out.stderr
        modules = out.stderr.split("MODULES ", 1)[1]
        assert "'rich" not in modules, args


def _on_a_terminal(argv: list[str]) -> str:
    """Run ``argv`` with stdout on a pseudo-terminal; what it printed."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(argv, stdout=follower, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                            env={**os.environ, "COLUMNS": "120"})
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_query_on_a_terminal_is_rich_table(built: Path):
    text = _on_a_terminal([PMKG, "query", "actors", "--root", str(built)])
    assert "┃" in text and "actor" in text
