"""Grid specs: expansion order and count, defaults, random draws, dedupe, JSON = TOML, the size limit."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import pytest

from core.errors import SettingError, UserError
from model.config import TrainConfig
from scheduler.spec import DEFAULT_MAX_RUNS, expand, load_spec, resolve_max_runs
from scheduler.spec_errors import SpecError

BRIEF_SPEC = """
name = "seed-replication"
[fixed]
dataset = "mnist-5k"
epochs = 20
[grid]
engine = ["numpy", "sklearn"]
hidden = [[256, 128, 64, 32, 16], [128, 64, 64, 32, 32]]
learning_rate = [0.01, 0.05, 0.1]
seed = [0, 1, 2]
"""

RANDOM_SPEC = """
[grid]
engine = ["numpy", "sklearn"]
[random]
samples = 5
seed = 3
learning_rate = {loguniform = [0.001, 0.1]}
l2 = {uniform = [0.0, 0.01]}
batch_size = {choice = [16, 32, 64]}
epochs = {int = [2, 4]}
"""

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_grid_is_a_product_over_sorted_keys_last_key_fastest(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, BRIEF_SPEC))
    assert len(spec.configs) == 2 * 2 * 3 * 3
    expected = [
        (engine, tuple(hidden), lr, seed)
        for engine, hidden, lr, seed in itertools.product(
            ["numpy", "sklearn"],
            [[256, 128, 64, 32, 16], [128, 64, 64, 32, 32]],
            [0.01, 0.05, 0.1],
            [0, 1, 2],
        )
    ]
    assert [(c.engine, c.hidden, c.learning_rate, c.seed) for c in spec.configs] == expected


def test_grid_order_does_not_depend_on_the_order_keys_are_written(tmp_path: Path) -> None:
    shuffled = "[grid]\nseed = [0, 1]\nengine = ['numpy', 'sklearn']\nlearning_rate = [0.01, 0.1]\n"
    ordered = "[grid]\nengine = ['numpy', 'sklearn']\nlearning_rate = [0.01, 0.1]\nseed = [0, 1]\n"
    a = load_spec(write(tmp_path, shuffled, "a.toml")).configs
    b = load_spec(write(tmp_path, ordered, "b.toml")).configs
    assert a == b
    assert [c.seed for c in a[:2]] == [0, 1]  # seed sorts last, so it varies fastest


def test_fixed_values_apply_to_every_run_over_the_defaults(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, BRIEF_SPEC))
    defaults = TrainConfig()
    for config in spec.configs:
        assert config.epochs == 20
        assert config.dataset == "mnist-5k"
        assert config.batch_size == defaults.batch_size
        assert config.optimizer == defaults.optimizer
        assert config.val_fraction == defaults.val_fraction


def test_fixed_only_spec_is_one_run(tmp_path: Path) -> None:
    (config,) = load_spec(write(tmp_path, "[fixed]\nepochs = 3\n")).configs
    assert config == TrainConfig(epochs=3)


@pytest.mark.parametrize("text", ["", 'name = "x"\n', 'name = "x"\ndescription = "defaults"\n[fixed]\n', "[grid]\n"])
def test_a_spec_file_that_sets_no_config_key_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(SpecError, match=r"empty\.toml: the spec sets no config key: expected a \[fixed\]"):
        load_spec(write(tmp_path, text, "empty.toml"))


def test_a_stored_empty_spec_still_expands_to_the_defaults() -> None:
    """Only spec files are refused: a sweep stored from an empty spec re-expands as it did."""
    assert expand({"name": "old"}, "stored") == (TrainConfig(),)


def test_sweep_spec_records_name_source_and_a_storable_spec(tmp_path: Path) -> None:
    path = write(tmp_path, BRIEF_SPEC)
    spec = load_spec(path)
    assert spec.name == "seed-replication"
    assert spec.source == str(path)
    assert spec.duplicates == 0
    stored = json.loads(json.dumps(spec.spec, allow_nan=False))
    assert expand(stored, "stored") == spec.configs  # the stored spec rebuilds the same sweep
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "other"  # type: ignore[misc]


def test_missing_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, "[grid]\nseed = [0, 1]\n", "lr-sweep.toml"))
    assert spec.name == "lr-sweep"
    assert spec.spec["name"] == "lr-sweep"


def test_json_spec_equals_the_toml_spec(tmp_path: Path) -> None:
    as_json = {
        "name": "seed-replication",
        "fixed": {"dataset": "mnist-5k", "epochs": 20},
        "grid": {
            "engine": ["numpy", "sklearn"],
            "hidden": [[256, 128, 64, 32, 16], [128, 64, 64, 32, 32]],
            "learning_rate": [0.01, 0.05, 0.1],
            "seed": [0, 1, 2],
        },
    }
    from_json = load_spec(write(tmp_path, json.dumps(as_json), "s.json"))
    from_toml = load_spec(write(tmp_path, BRIEF_SPEC, "s.toml"))
    assert from_json.configs == from_toml.configs
    assert from_json.spec == from_toml.spec


def test_identical_configs_are_kept_once_and_counted(tmp_path: Path) -> None:
    # a repeated value, and a grid crossing optimizers with momenta: plain SGD canonicalises the momenta away,
    # 2 x 2 x 2 points, 3 distinct configs
    text = "[grid]\nlearning_rate = [0.1, 0.1]\noptimizer = ['momentum', 'sgd']\nmomentum = [0.5, 0.9]\n"
    spec = load_spec(write(tmp_path, text))
    assert spec.duplicates == 5
    heavy_ball = TrainConfig.from_dict({"learning_rate": 0.1, "optimizer": "momentum", "momentum": 0.5})
    sgd = TrainConfig(learning_rate=0.1)
    assert spec.configs == (heavy_ball, sgd, heavy_ball.replace(momentum=0.9))


def test_dedupe_keeps_the_first_occurrence_in_order(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, "[grid]\nseed = [2, 1, 2, 0, 1]\n"))
    assert [c.seed for c in spec.configs] == [2, 1, 0]
    assert spec.duplicates == 2


# ----- [random] ---------------------------------------------------------------------------------------------


def test_random_draws_are_reproducible_from_the_seed(tmp_path: Path) -> None:
    first = load_spec(write(tmp_path, RANDOM_SPEC, "a.toml")).configs
    again = load_spec(write(tmp_path, RANDOM_SPEC, "b.toml")).configs
    other = load_spec(write(tmp_path, RANDOM_SPEC.replace("seed = 3", "seed = 4"), "c.toml")).configs
    assert first == again
    assert [c.learning_rate for c in first] != [c.learning_rate for c in other]


def drawn(c: TrainConfig) -> tuple[float, float, int, int]:
    return (c.learning_rate, c.l2, c.batch_size, c.epochs)


def test_each_grid_point_draws_its_own_values(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, RANDOM_SPEC))
    assert spec.spec["random"]["draws"] == "per-point"  # stored with the sweep
    configs = spec.configs
    assert len(configs) == 2 * 5
    assert [c.engine for c in configs] == ["numpy"] * 5 + ["sklearn"] * 5
    assert len({drawn(c) for c in configs}) == 10


def test_random_search_draws_distinct_values_at_every_grid_point(tmp_path: Path) -> None:
    """36 grid points x 4 samples: 144 runs, 144 different l2 values (shared draws gave 4)."""
    text = "[grid]\nseed = [0, 1, 2, 3, 4, 5]\nbatch_size = [8, 16, 32, 64, 128, 256]\n" + (
        "[random]\nsamples = 4\nseed = 1\nl2 = {loguniform = [1e-6, 1e-2]}\n"
    )
    configs = load_spec(write(tmp_path, text)).configs
    assert len(configs) == 144
    assert len({c.l2 for c in configs}) == 144
    assert len({c.l2 for c in load_spec(write(tmp_path, text.replace("l2 =", 'draws = "shared"\nl2 ='))).configs}) == 4


def test_shared_draws_combine_every_grid_point_with_the_same_draws(tmp_path: Path) -> None:
    text = RANDOM_SPEC.replace("samples = 5", 'samples = 5\ndraws = "shared"')
    configs = load_spec(write(tmp_path, text)).configs
    assert [drawn(c) for c in configs[:5]] == [drawn(c) for c in configs[5:]]
    assert len({drawn(c) for c in configs[:5]}) == 5  # the samples really differ


# RANDOM_SPEC's runs as this mnistq expanded them before draw modes existed: (engine, learning_rate, l2,
# batch_size, epochs), the same five draws for both engines
BEFORE_DRAW_MODES = [
    (0.00549427, 0.00544229, 16, 4),
    (0.00135225, 0.0062572, 64, 3),
    (0.00294213, 0.00259354, 16, 3),
    (0.0125679, 0.00540974, 64, 3),
    (0.00290967, 0.00861022, 32, 4),
]


def test_a_stored_spec_from_before_draw_modes_re_expands_exactly_as_it_did() -> None:
    stored = {
        "name": "old",
        "grid": {"engine": ["numpy", "sklearn"]},
        "random": {
            "samples": 5,
            "seed": 3,
            "learning_rate": {"loguniform": [0.001, 0.1]},
            "l2": {"uniform": [0.0, 0.01]},
            "batch_size": {"choice": [16, 32, 64]},
            "epochs": {"int": [2, 4]},
        },
    }
    configs = expand(stored, "stored")
    assert [(c.engine, *drawn(c)) for c in configs] == [
        (engine, *values) for engine in ("numpy", "sklearn") for values in BEFORE_DRAW_MODES
    ]


def test_a_stored_per_point_spec_re_expands_to_the_same_configs(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, RANDOM_SPEC))
    stored = json.loads(json.dumps(spec.spec, allow_nan=False))
    assert expand(stored, "stored") == spec.configs


def test_extending_with_a_wider_grid_keeps_each_points_draws(tmp_path: Path) -> None:
    """`submit --extend` with more grid values (and more samples, and keys written differently) draws the same
    values at the points both specs share, so their runs are reused rather than trained again."""
    first = load_spec(write(tmp_path, RANDOM_SPEC, "first.toml")).configs
    wider = RANDOM_SPEC.replace('engine = ["numpy", "sklearn"]', 'engine = ["sklearn", "numpy"]\npatience = [0, 2]')
    wider = "[fixed]\nval_fraction = 0.1\n" + wider.replace("samples = 5", "samples = 7")
    second = load_spec(write(tmp_path, wider, "second.toml")).configs
    assert len(second) == 2 * 2 * 7
    assert set(first) <= set(second)  # patience = 0 and val_fraction = 0.1 are the defaults: the same points


def test_a_point_draws_the_same_values_whichever_section_sets_its_keys(tmp_path: Path) -> None:
    draws = "[random]\nsamples = 3\nl2 = {uniform = [0.0, 0.01]}\n"
    as_fixed = load_spec(write(tmp_path, "[fixed]\nbatch_size = 32\nepochs = 20\n" + draws, "a.toml"))
    as_grid = load_spec(write(tmp_path, "[grid]\nbatch_size = [32]\n" + draws, "b.toml"))
    assert as_fixed.configs == as_grid.configs  # epochs = 20 is the default: the same point


def test_random_draws_respect_each_distribution(tmp_path: Path) -> None:
    text = RANDOM_SPEC.replace("samples = 5", "samples = 200")
    configs = load_spec(write(tmp_path, text), max_runs=400).configs
    assert all(0.001 <= c.learning_rate <= 0.1 for c in configs)
    assert all(0.0 <= c.l2 <= 0.01 for c in configs)
    assert {c.batch_size for c in configs} == {16, 32, 64}
    assert {c.epochs for c in configs} == {2, 3, 4}  # int bounds are inclusive
    small = sum(c.learning_rate < 0.01 for c in configs)
    assert 0.3 < small / len(configs) < 0.7  # loguniform: half the mass lies below the geometric mean 0.01


def test_random_choice_can_draw_layer_lists(tmp_path: Path) -> None:
    text = "[random]\nsamples = 20\nhidden = {choice = [[64, 32], [16]]}\n"
    configs = load_spec(write(tmp_path, text)).configs
    assert {c.hidden for c in configs} == {(64, 32), (16,)}


def test_random_without_a_seed_uses_seed_zero(tmp_path: Path) -> None:
    implicit = load_spec(write(tmp_path, RANDOM_SPEC.replace("seed = 3\n", ""), "a.toml")).configs
    explicit = load_spec(write(tmp_path, RANDOM_SPEC.replace("seed = 3", "seed = 0"), "b.toml")).configs
    assert implicit == explicit


# ----- size limit ---------------------------------------------------------------------------------------------


def grid_of(n: int) -> str:
    return f"[grid]\nseed = {list(range(n))}\n"


def test_grid_beyond_the_default_limit_is_refused_before_expanding(tmp_path: Path) -> None:
    text = f"[grid]\nseed = {list(range(101))}\nbatch_size = {list(range(1, 101))}\n"  # 10,100 runs
    with pytest.raises(SpecError) as caught:
        load_spec(write(tmp_path, text, "big.toml"))
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'big.toml'}: ")
    assert "10,100 runs" in message and "at most 10,000" in message and "--max-runs" in message
    assert DEFAULT_MAX_RUNS == 10_000


def test_max_runs_argument_lowers_and_raises_the_limit(tmp_path: Path) -> None:
    path = write(tmp_path, grid_of(6))
    assert len(load_spec(path, max_runs=6).configs) == 6
    with pytest.raises(SpecError, match="6 runs: expected at most 5"):
        load_spec(path, max_runs=5)


def test_limit_counts_random_samples(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="10 runs: expected at most 9"):
        load_spec(write(tmp_path, RANDOM_SPEC), max_runs=9)


def test_environment_sets_the_limit_and_the_argument_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, grid_of(6))
    monkeypatch.setenv("MNISTQ_MAX_GRID", "5")
    with pytest.raises(SpecError, match="at most 5 .*MNISTQ_MAX_GRID"):
        load_spec(path)
    assert len(load_spec(path, max_runs=100).configs) == 6


@pytest.mark.parametrize("raw", ["many", "0", "-3", "1.5"])
def test_bad_limit_environment_names_the_variable(raw: str) -> None:
    with pytest.raises(SettingError) as caught:
        resolve_max_runs(None, {"MNISTQ_MAX_GRID": raw})
    assert str(caught.value) == f"environment MNISTQ_MAX_GRID = {raw!r}: expected a positive integer"


def test_bad_max_runs_argument_is_refused() -> None:
    with pytest.raises(SpecError, match="max_runs = 0"):
        resolve_max_runs(0, {})
    assert resolve_max_runs(None, {}) == DEFAULT_MAX_RUNS
    assert resolve_max_runs(None, {"MNISTQ_MAX_GRID": " 50 "}) == 50


# ----- shipped examples ---------------------------------------------------------------------------------------


def test_example_specs_load_with_their_documented_sizes() -> None:
    seed = load_spec(EXAMPLES / "seed.toml")
    assert len(seed.configs) == 8
    assert {c.engine for c in seed.configs} == {"numpy", "sklearn"}
    assert {c.hidden for c in seed.configs} == {(256, 128, 64, 32, 16)}
    assert {c.dataset for c in seed.configs} == {"mnist-5k"}
    tiny = load_spec(EXAMPLES / "tiny.toml")
    assert len(tiny.configs) == 12 and {c.dataset for c in tiny.configs} == {"digits"}
    assert len(load_spec(EXAMPLES / "random.toml").configs) == 12


def test_spec_error_is_a_user_error() -> None:
    assert issubclass(SpecError, UserError)
    assert isinstance(SpecError("x"), UserError)
