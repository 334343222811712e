"""Regression tests for issue 10 ("nothing lost, nothing crashes"): the import progress display.

The fuzz rerun of session 5 (benchmarks/results/fuzz-session5.md, 28,500 cases) found no crash, silent
wrong value or data loss, so the cases here come from the other measurements of that issue."""

from __future__ import annotations

import io
import time

from rich.console import Console

from pmkg.cli.import_cmds import ImportBar
from pmkg.importers.run import COMMITTING


def _terminal() -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=120, record=True)


def _rendered(bar: ImportBar) -> str:
    out = _terminal()
    out.print(bar.progress.get_renderable())
    return out.export_text()


def test_import_progress_bar_shows_nothing_after_100_percent():
    """Issue 10: "the import progress bar shows nothing for ~25 s after 100 %" (session 5, 100k records
    on a terminal: 86 s between 100 % and the summary under load, the finished bar's clock frozen). The
    commit gets a line of its own whose clock keeps running."""
    bar = ImportBar(1000, COMMITTING, console=_terminal())
    assert "opening the store and indexes" in _rendered(bar)  # registry indexes: the first ~20 s
    for done in range(1, 1001):
        bar.step(done)
    reading = bar.progress.tasks[bar.task]
    assert reading.finished and "importing" in _rendered(bar) and "1,000/1,000" in _rendered(bar)
    frozen = reading.finished_time  # what its clock column shows from now on
    bar.step(COMMITTING)
    bar.step(COMMITTING)  # a second call adds no second line
    assert len(bar.progress.tasks) == 2
    commit = bar.progress.tasks[bar.commit_task]
    assert commit.total is None and not commit.finished  # a pulsing bar, its clock running
    time.sleep(0.05)
    assert commit.elapsed > 0 and reading.finished_time == frozen
    text = _rendered(bar)
    assert "writing imports/ and loading dist/store" in text and "1,000 records read" in text


def test_import_progress_without_an_estimate_counts_records():
    bar = ImportBar(0, COMMITTING, console=_terminal())
    bar.step(400)
    assert "400" in _rendered(bar) and "/0" not in _rendered(bar)
