"""Property-based fuzzing of the loader (issue 10), with a bounded budget for CI.

``scripts/fuzz_table.py`` runs the same properties with thousands of cases and
prints the table of the closing note."""

from __future__ import annotations

from fuzz_support import GOOD, check_mutated_file, check_scalar_case, mutated_files, scalar_cases, tmp_dir
from hypothesis import HealthCheck, given, settings

FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TMP = tmp_dir()


@FUZZ
@given(scalar_cases())
def test_fuzz_loader_field_values_refused_or_read_exactly(case) -> None:
    assert check_scalar_case(case, TMP) in GOOD, case[0]


@FUZZ
@given(mutated_files())
def test_fuzz_loader_mutated_files_never_crash_or_lose_a_key(case) -> None:
    assert check_mutated_file(case, TMP) in GOOD, case[:2]
