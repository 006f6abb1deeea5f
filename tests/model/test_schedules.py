"""Learning-rate schedules give their documented values."""

from __future__ import annotations

import pytest

from model.nn.schedules import make_schedule


def test_constant() -> None:
    schedule = make_schedule("constant", 0.1, epochs=5)
    assert [schedule(e) for e in range(5)] == [0.1] * 5


def test_step_multiplies_by_gamma_every_step_epochs() -> None:
    schedule = make_schedule("step", 0.1, epochs=9, step_epochs=3, gamma=0.5)
    assert [schedule(e) for e in range(9)] == pytest.approx([0.1] * 3 + [0.05] * 3 + [0.025] * 3)


def test_cosine_runs_from_lr_towards_zero() -> None:
    schedule = make_schedule("cosine", 0.2, epochs=4)
    assert [schedule(e) for e in range(5)] == pytest.approx([0.2, 0.2 * (0.5 + 0.5**1.5), 0.1, 0.2 * (0.5 - 0.5**1.5), 0.0])


def test_unknown_schedule_is_named() -> None:
    with pytest.raises(ValueError, match="'linear'"):
        make_schedule("linear", 0.1, epochs=3)
