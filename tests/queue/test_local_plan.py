"""How many local worker processes, and BLAS threads each."""

from __future__ import annotations

import pytest

from core.errors import SettingError
from scheduler.local import LocalPlan


def test_processes_share_the_cores_unless_blas_threads_are_set() -> None:
    assert LocalPlan.for_machine(cores=8, env={}) == LocalPlan(workers=8, blas_threads=1)
    assert LocalPlan.for_machine(2, cores=8, env={}) == LocalPlan(workers=2, blas_threads=4)
    assert LocalPlan.for_machine(3, cores=2, env={}) == LocalPlan(workers=3, blas_threads=1)
    assert LocalPlan.for_machine(2, cores=8, env={"MNISTQ_BLAS_THREADS": "3"}) == LocalPlan(workers=2, blas_threads=3)
    assert LocalPlan.for_machine(2, cores=8, env={"MNISTQ_BLAS_THREADS": " "}) == LocalPlan(workers=2, blas_threads=4)


def test_never_more_processes_than_runs_to_train() -> None:
    assert LocalPlan.for_machine(cores=8, runs=2, env={}) == LocalPlan(workers=2, blas_threads=4)
    assert LocalPlan.for_machine(4, cores=8, runs=1, env={}) == LocalPlan(workers=1, blas_threads=8)
    assert LocalPlan.for_machine(4, cores=8, runs=10, env={}) == LocalPlan(workers=4, blas_threads=2)


def test_a_bad_blas_thread_count_is_a_setting_error() -> None:
    with pytest.raises(SettingError, match="MNISTQ_BLAS_THREADS"):
        LocalPlan.for_machine(cores=2, env={"MNISTQ_BLAS_THREADS": "0"})
