"""The search plan: decision epochs and its stored form."""

from __future__ import annotations

import json

import pytest

from adaptive import SearchPlan


@pytest.mark.parametrize(
    "plan, epochs, expected",
    [
        (SearchPlan("asha", min_epochs=1, eta=3), 27, (1, 3, 9)),
        (SearchPlan("asha", min_epochs=1, eta=3), 28, (1, 3, 9, 27)),
        (SearchPlan("asha", min_epochs=1, eta=3), 1, ()),
        (SearchPlan("asha", min_epochs=5, eta=3), 5, ()),  # min_epochs == epochs: never judged
        (SearchPlan("asha", min_epochs=2, eta=2.5), 100, (2, 5, 13, 32, 79)),  # 12.5 -> 13, 31.25 -> 32
        (SearchPlan("asha", min_epochs=1, eta=1.5), 7, (1, 2, 3, 4, 6)),  # 1.5 -> 2, 2.25 -> 3, 3.375 -> 4, 5.06 -> 6
        (SearchPlan("asha", min_epochs=10, eta=1.1), 13, (10, 11)),  # 10 * 1.1 is 11, not 11.000000000000002
        (SearchPlan("asha", min_epochs=2, eta=1e300), 100, (2,)),
        (SearchPlan("asha", min_epochs=1, eta=1.01), 4, (1, 2, 3)),  # many k per rung
        (SearchPlan("median", min_epochs=1), 5, (2, 3, 4)),
        (SearchPlan("median", min_epochs=5), 5, ()),
        (SearchPlan("median", min_epochs=4), 5, ()),
        (SearchPlan(), 10, ()),
    ],
)
def test_decision_epochs(plan: SearchPlan, epochs: int, expected: tuple[int, ...]) -> None:
    assert plan.decision_epochs(epochs) == expected


def test_eta_just_above_one_judges_every_epoch_without_looping_for_ever() -> None:
    assert SearchPlan("asha", min_epochs=1, eta=1.0000001).decision_epochs(1000) == tuple(range(1, 1000))


def test_mode_follows_the_metric() -> None:
    assert (SearchPlan(metric="val_loss").mode, SearchPlan(metric="val_acc").mode) == ("min", "max")
    assert (SearchPlan().adaptive, SearchPlan("asha").adaptive, SearchPlan("median").adaptive) == (False, True, True)


@pytest.mark.parametrize(
    "plan",
    [SearchPlan(), SearchPlan("asha"), SearchPlan("asha", "val_acc", 2, 2.5), SearchPlan("median", min_epochs=3)],
)
def test_to_dict_round_trips_through_json(plan: SearchPlan) -> None:
    assert SearchPlan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan


def test_stored_forms() -> None:
    assert SearchPlan().to_dict() == {"strategy": "grid"}
    assert SearchPlan("asha", eta=3.0).to_dict() == {"strategy": "asha", "metric": "val_loss", "min_epochs": 1, "eta": 3}
    assert SearchPlan.from_dict(None) == SearchPlan.from_dict({}) == SearchPlan()


def test_describe() -> None:
    asha = SearchPlan("asha", min_epochs=1, eta=3)
    assert asha.describe(27) == "search: asha on val_loss, min_epochs 1, eta 3 (rungs at epochs 1, 3, 9 of 27)"
    assert SearchPlan("asha", "val_acc", 2, 2.5).describe(2) == "search: asha on val_acc, min_epochs 2, eta 2.5 (no rung of 2)"
    assert SearchPlan("median", min_epochs=1).describe(5) == "search: median on val_loss, min_epochs 1 (judged at epochs 2 to 4 of 5)"
    assert SearchPlan().describe(5) == "search: grid (every run trains all its epochs)"
