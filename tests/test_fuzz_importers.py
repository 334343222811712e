"""Property-based fuzzing of every importer's parser (issue 10), bounded for CI:
generated records must be read exactly or reported; damaged files never crash."""

from __future__ import annotations

from fuzz_support import (
    GOOD,
    check_import_file,
    damaged,
    medline_files,
    openalex_files,
    tmp_dir,
    wos_files,
    wos_tab_files,
)
from hypothesis import HealthCheck, given, settings

FUZZ = settings(max_examples=80, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TMP = tmp_dir()


@FUZZ
@given(damaged(wos_files()))
def test_fuzz_wos_plain(case) -> None:
    assert check_import_file(case, TMP) in GOOD, case


@FUZZ
@given(damaged(wos_tab_files()))
def test_fuzz_wos_tab(case) -> None:
    assert check_import_file(case, TMP) in GOOD, case


@FUZZ
@given(damaged(medline_files()))
def test_fuzz_medline(case) -> None:
    assert check_import_file(case, TMP) in GOOD, case


@FUZZ
@given(damaged(openalex_files()))
def test_fuzz_openalex(case) -> None:
    assert check_import_file(case, TMP) in GOOD, case
