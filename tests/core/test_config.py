"""TrainConfig: validation messages, canonical form and the content hash."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from model.config import Limits, TrainConfig, config_keys


def test_defaults_follow_the_seed_network() -> None:
    config = TrainConfig()
    assert config.hidden == (256, 128, 64, 32, 16)
    assert config.activation == "relu"
    assert config.dataset == "mnist-5k"
    assert config.depth == 5


def test_round_trip_through_dict_keeps_hash() -> None:
    config = TrainConfig.from_dict({"hidden": [64, 32], "optimizer": "adam", "learning_rate": 1e-3})
    rebuilt = TrainConfig.from_dict(config.to_dict())
    assert rebuilt == config
    assert rebuilt.config_hash() == config.config_hash()
    assert set(config.to_dict()) == set(config_keys())


def test_hash_covers_dataset_and_every_default() -> None:
    base = TrainConfig()
    assert base.config_hash() != base.replace(dataset="digits").config_hash()
    assert base.config_hash() != base.replace(val_fraction=0.2).config_hash()
    assert base.config_hash() == TrainConfig.from_dict({}).config_hash()
    assert len(base.config_hash()) == 64


def test_irrelevant_options_are_canonicalised() -> None:
    """momentum means nothing to plain SGD, so it must not split the hash."""
    a = TrainConfig.from_dict({"optimizer": "sgd", "momentum": 0.5})
    b = TrainConfig.from_dict({"optimizer": "sgd"})
    assert a.config_hash() == b.config_hash()
    assert TrainConfig.from_dict({"optimizer": "momentum"}).momentum == 0.9
    step = TrainConfig.from_dict({"lr_schedule": "step"})
    assert (step.lr_step_epochs, step.lr_gamma) == (10, 0.1)


def test_hidden_accepts_comma_string() -> None:
    assert TrainConfig.from_dict({"hidden": "128, 64,32"}).hidden == (128, 64, 32)


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"lerning_rate": 0.1}, "unknown key 'lerning_rate' (did you mean 'learning_rate'?)"),
        ({"learning_rate": -0.1}, "learning_rate = -0.1: expected a number in (0, 10]"),
        ({"epochs": 0}, "epochs = 0: expected an integer from 1"),
        ({"epochs": 2.5}, "epochs = 2.5: expected an integer"),
        ({"hidden": []}, "hidden = []: expected at least one hidden layer"),
        ({"hidden": [64, 0]}, "hidden = [64, 0]: expected widths from 1"),
        ({"hidden": "64,x"}, "expected comma-separated integer widths"),
        ({"engine": "torch"}, 'engine = "torch": expected one of numpy, sklearn'),
        ({"activation": "relux"}, "(did you mean 'relu'?)"),
        ({"nesterov": "yes"}, "nesterov = \"yes\": expected true or false"),
        ({"learning_rate": True}, "learning_rate = true: expected a number"),
        ({"val_fraction": 0.5, "test_fraction": 0.5}, "val_fraction + test_fraction < 0.95"),
        ({"patience": 3, "val_fraction": 0.0}, "early stopping needs a validation split"),
        ({"engine": "sklearn", "dropout": 0.2}, "dropout = 0.2 is not available with engine = 'sklearn'"),
        ({"engine": "sklearn", "activation": "leaky_relu"}, "not available with engine = 'sklearn'"),
        ({"engine": "sklearn", "lr_schedule": "cosine"}, "lr_schedule"),
        ({"engine": "sklearn", "augment_shift": 2}, "augment_shift"),
        ({"label_column": "digit"}, "label_column"),
    ],
)
def test_bad_values_name_source_key_and_value(values: dict, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict(values, source="grid.toml [fixed]")
    message = str(info.value)
    assert message.startswith("grid.toml [fixed]: ")
    assert fragment in message
    assert "\n" not in message


def test_limits_bound_resources_and_can_be_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="MNISTQ_MAX_WIDTH"):
        TrainConfig.from_dict({"hidden": [5000]})
    monkeypatch.setenv("MNISTQ_MAX_WIDTH", "8192")
    assert TrainConfig.from_dict({"hidden": [5000]}).hidden == (5000,)
    assert TrainConfig.from_dict({"hidden": [8]}, limits=Limits(max_width=8)).hidden == (8,)
    monkeypatch.setenv("MNISTQ_MAX_DEPTH", "lots")
    with pytest.raises(ConfigError, match="MNISTQ_MAX_DEPTH"):
        TrainConfig.from_dict({})


def test_config_module_does_not_import_numpy() -> None:
    """The scheduler validates configs without pulling in the numerics."""
    import subprocess
    import sys

    code = "import sys, model.config; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("dataset", ["mnist5k", "idx:", "csv:  ", "", "imagenet"])
def test_dataset_spec_syntax_is_checked_up_front(dataset: str) -> None:
    with pytest.raises(ConfigError, match="dataset = .*: expected one of mnist-5k, digits, mnist, fashion-mnist"):
        TrainConfig.from_dict({"dataset": dataset})


def test_dataset_names_match_the_loaders() -> None:
    from model.config import BUILTIN_DATASETS
    from model.data.specs import BUILTIN_NAMES

    assert set(BUILTIN_DATASETS) == set(BUILTIN_NAMES)
