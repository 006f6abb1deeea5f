"""Grid spec validation: every mistake is ONE SpecError line naming the file, section, key and value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scheduler.spec import load_spec
from scheduler.spec_errors import SpecError


def error_for(tmp_path: Path, text: str, name: str = "seed.toml") -> str:
    """Load `text` as `name` and return the SpecError message, checking it is one line naming the file."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: "), message
    return message.removeprefix(f"{path}: ")


# (spec text, exact message after "path: ")
CASES = {
    "negative learning rate in the grid": (
        "[grid]\nlearning_rate = [0.1, -0.1]\n",
        "[grid]: learning_rate = -0.1: expected a number in (0, 10]",
    ),
    "zero epochs in fixed": (
        "[fixed]\nepochs = 0\n",
        "[fixed]: epochs = 0: expected an integer from 1 to 1000 (raise MNISTQ_MAX_EPOCHS)",
    ),
    "no hidden layers": (
        "[fixed]\nhidden = []\n",
        "[fixed]: hidden = []: expected at least one hidden layer width, e.g. [256, 128]",
    ),
    "zero-width layer in the grid": (
        "[grid]\nhidden = [[256, 128], [64, 0]]\n",
        "[grid]: hidden = [64, 0]: expected widths from 1 to 4096 (raise MNISTQ_MAX_WIDTH)",
    ),
    "grid hidden written as one flat list": (
        "[grid]\nhidden = [256, 128]\n",
        "[grid] hidden = [256, 128]: expected a list of layer-width lists, e.g. hidden = [[256, 128], [128, 64]]",
    ),
    "unknown engine": (
        "[grid]\nengine = ['numpy', 'sklern']\n",
        "[grid]: engine = \"sklern\": expected one of numpy, sklearn (did you mean 'sklearn'?)",
    ),
    "empty dataset": (
        "[fixed]\ndataset = ''\n",
        '[fixed]: dataset = "": expected one of mnist-5k, digits, mnist, fashion-mnist, idx:DIR or csv:PATH',
    ),
    "dataset of the wrong type": ("[fixed]\ndataset = 5\n", "[fixed]: dataset = 5: expected a string"),
    "wrong type in the grid": ("[grid]\nseed = [0, 'one']\n", '[grid]: seed = "one": expected an integer'),
    "sklearn with dropout": (
        "[fixed]\ndropout = 0.5\n[grid]\nengine = ['numpy', 'sklearn']\n",
        "[fixed]: dropout = 0.5 is not available with engine = 'sklearn': expected 0 (MLPClassifier has no dropout)",
    ),
    "combination failing on a default key": (
        "[grid]\ntest_fraction = [0.2, 0.88]\n",
        "with test_fraction = 0.88: val_fraction = 0.1: expected val_fraction + test_fraction < 0.95 "
        "(test_fraction = 0.88)",
    ),
    "grid value that is not a list": (
        "[grid]\nlearning_rate = 0.1\n",
        "[grid] learning_rate = 0.1: expected a list of values, e.g. learning_rate = [0.1] "
        "(a constant goes in [fixed])",
    ),
    "empty grid list": (
        "[grid]\nseed = []\n",
        "[grid] seed = []: expected at least one value (an empty list gives no runs)",
    ),
    "key in fixed and grid": (
        "[fixed]\nseed = 1\n[grid]\nseed = [0, 1]\n",
        "seed is set in both [fixed] and [grid]: expected it in one section only",
    ),
    "key in grid and random": (
        "[grid]\nepochs = [1]\n[random]\nsamples = 2\nepochs = {int = [1, 3]}\n",
        "epochs is set in both [grid] and [random]: expected it in one section only",
    ),
    "unknown config key": (
        "[fixed]\nlearning_rat = 0.1\n",
        "[fixed] unknown key 'learning_rat' (did you mean 'learning_rate'?)",
    ),
    "unknown grid key": ("[grid]\nsed = [0]\n", "[grid] unknown key 'sed' (did you mean 'seed'?)"),
    "unknown top-level key": (
        "nmae = 'x'\n",
        "unknown top-level key 'nmae' (did you mean 'name'?): expected name, description, fixed, grid, random, search",
    ),
    "unknown section": (
        "[grids]\nseed = [0]\n",
        "unknown top-level key 'grids' (did you mean 'grid'?): expected name, description, fixed, grid, random, search",
    ),
    "config key at the top level": (
        "epochs = 5\n",
        "top-level key epochs = 5: expected it inside [fixed] or [grid]",
    ),
    "section that is not a table": ("fixed = 3\n", "fixed = 3: expected a [fixed] table of config keys"),
    "name that is not a string": (
        "name = 7\n",
        "name = 7: expected a non-empty one-line string of at most 200 characters",
    ),
    "description that is not a string": ("description = [1]\n", "description = [1]: expected a string"),
    "name with a terminal title sequence": (
        'name = "\\u001b]0;owned\\u0007"\n[fixed]\nepochs = 2\n',
        'name = "\\u001b]0;owned\\u0007": expected a non-empty one-line string of at most 200 characters, '
        "without control characters (found \\x1b, \\x07)",
    ),
    "name with a clipboard sequence": (
        'name = "x\\u001b]52;c;cm0gLXJmIH4=\\u0007"\n[fixed]\nepochs = 2\n',
        'name = "x\\u001b]52;c;cm0gLXJmIH4=\\u0007": expected a non-empty one-line string of at most 200 '
        "characters, without control characters (found \\x1b, \\x07)",
    ),
    "name with a carriage return": (
        'name = "ok\\rfake"\n[fixed]\nepochs = 2\n',
        'name = "ok\\rfake": expected a non-empty one-line string of at most 200 characters, without control '
        "characters (found \\x0d)",
    ),
    "name with NUL": (
        'name = "a\\u0000b"\n[fixed]\nepochs = 2\n',
        'name = "a\\u0000b": expected a non-empty one-line string of at most 200 characters, without control '
        "characters (found \\x00)",
    ),
    "name with a newline": (
        'name = "two\\nlines"\n[fixed]\nepochs = 2\n',
        'name = "two\\nlines": expected a non-empty one-line string of at most 200 characters, without control '
        "characters (found \\x0a)",
    ),
    "description with an escape sequence": (
        'description = "see \\u001b[2J"\n[fixed]\nepochs = 2\n',
        'description = "see \\u001b[2J": expected text without control characters (found \\x1b)',
    ),
    "empty spec": (
        "",
        "the spec sets no config key: expected a [fixed], [grid] or [random] section, e.g. [fixed] epochs = 10 "
        "(an empty spec would train the defaults by accident)",
    ),
    "momentum with plain SGD": (
        "[fixed]\nmomentum = 0.9\n",
        "[fixed]: momentum = 0.9 has no effect with optimizer = 'sgd' "
        "(momentum applies only with optimizer = 'momentum')",
    ),
    "nesterov with adam": (
        "[fixed]\noptimizer = 'adam'\nnesterov = true\n",
        "[fixed]: nesterov = true has no effect with optimizer = 'adam' "
        "(nesterov applies only with optimizer = 'momentum')",
    ),
    "momenta in a grid of optimizers without momentum": (
        "[grid]\noptimizer = ['sgd', 'adam']\nmomentum = [0.5, 0.9]\n",
        "[grid]: momentum = [0.5, 0.9] has no effect with optimizer = 'adam' or 'sgd' "
        "(momentum applies only with optimizer = 'momentum')",
    ),
    "step decay without the step schedule": (
        "[fixed]\nlr_schedule = 'cosine'\nlr_gamma = 0.5\n[grid]\nlr_step_epochs = [5, 10]\n",
        "[fixed]: lr_gamma = 0.5 has no effect with lr_schedule = 'cosine' "
        "(lr_gamma applies only with lr_schedule = 'step')",
    ),
    "momentum drawn at random for plain SGD": (
        "[random]\nsamples = 2\nmomentum = {uniform = [0.8, 0.99]}\n",
        '[random]: momentum = {"uniform": [0.8, 0.99]} has no effect with optimizer = \'sgd\' '
        "(momentum applies only with optimizer = 'momentum')",
    ),
    "TOML nested thousands deep": (
        "[fixed]\nhidden = " + "[" * 2000 + "]" * 2000 + "\n",
        "tables and lists nested more than 16 levels deep: expected at most 16 (a spec holds sections of values, "
        "lists of values and lists of layer widths)",
    ),
    "TOML nested past the limit": (
        "[fixed]\nhidden = " + "[" * 20 + "]" * 20 + "\n",
        "tables and lists nested more than 16 levels deep: expected at most 16 (a spec holds sections of values, "
        "lists of values and lists of layer widths)",
    ),
    "TOML syntax error with its location": (
        'name = "x"\n[grid]\nseed = [0, 1,, 2]\n',
        "invalid TOML: Invalid value (at line 3, column 14)",
    ),
}

RANDOM_CASES = {
    "random without samples": (
        "[random]\nl2 = {uniform = [0, 0.1]}\n",
        "[random] has no samples: expected samples = N (the number of draws)",
    ),
    "random samples zero": (
        "[random]\nsamples = 0\nl2 = {uniform = [0, 0.1]}\n",
        "[random] samples = 0: expected an integer >= 1",
    ),
    "random without distributions": ("[random]\nsamples = 3\n", "[random] has no distributions"),
    "random constant instead of distribution": (
        "[random]\nsamples = 2\nl2 = 0.1\n",
        "[random] l2 = 0.1: expected one distribution",
    ),
    "unknown distribution": (
        "[random]\nsamples = 2\nl2 = {unifrom = [0, 0.1]}\n",
        "[random] l2 = {\"unifrom\": [0, 0.1]}: unknown distribution 'unifrom' (did you mean 'uniform'?)",
    ),
    "loguniform from zero": (
        "[random]\nsamples = 2\nl2 = {loguniform = [0, 0.1]}\n",
        '[random] l2 = {"loguniform": [0, 0.1]}: expected 0 < lo (loguniform samples the logarithm)',
    ),
    "uniform reversed bounds": (
        "[random]\nsamples = 2\nl2 = {uniform = [0.1, 0.01]}\n",
        '[random] l2 = {"uniform": [0.1, 0.01]}: expected lo < hi',
    ),
    "int with float bounds": (
        "[random]\nsamples = 2\nepochs = {int = [1, 2.5]}\n",
        '[random] epochs = {"int": [1, 2.5]}: expected [lo, hi] with integer bounds',
    ),
    "empty choice": (
        "[random]\nsamples = 2\nbatch_size = {choice = []}\n",
        '[random] batch_size = {"choice": []}: expected a non-empty list of options',
    ),
    "distribution reaching outside the valid range": (
        "[random]\nsamples = 1\nlearning_rate = {loguniform = [0.001, 20]}\n",
        '[random] learning_rate = {"loguniform": [0.001, 20]}: learning_rate = 20.0: expected a number in (0, 10]',
    ),
    "choice with an invalid option": (
        "[random]\nsamples = 1\nengine = {choice = ['numpy', 'torch']}\n",
        '[random] engine = {"choice": ["numpy", "torch"]}: engine = "torch": expected one of numpy, sklearn',
    ),
    "training seed drawn in random": (
        "[random]\nsamples = 2\nseed = {int = [0, 9]}\n",
        '[random] seed = {"int": [0, 9]}: expected an integer, the sampler\'s seed '
        "(training seeds go in [grid], e.g. seed = [0, 1, 2])",
    ),
    "unknown draw mode": (
        "[random]\nsamples = 2\ndraws = 'paired'\nl2 = {uniform = [0, 0.1]}\n",
        "[random] draws = \"paired\": expected 'per-point' (each grid point draws its own values) or 'shared' "
        "(every grid point reuses the same draws)",
    ),
    "unknown random key": (
        "[random]\nsamples = 2\nbatchsize = {choice = [1]}\n",
        "[random] unknown key 'batchsize' (did you mean 'batch_size'?)",
    ),
}


@pytest.mark.parametrize("text, expected", CASES.values(), ids=CASES.keys())
def test_mistake_gives_one_line_naming_file_section_key_and_value(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert error_for(tmp_path, text) == expected


@pytest.mark.parametrize("text, expected", RANDOM_CASES.values(), ids=RANDOM_CASES.keys())
def test_random_section_mistakes(tmp_path: Path, text: str, expected: str) -> None:
    assert error_for(tmp_path, text).startswith(expected)


def test_a_rare_draw_cannot_hide_an_invalid_range(tmp_path: Path) -> None:
    """The upper bound is invalid even when none of the few draws happens to reach it."""
    message = error_for(
        tmp_path, "[random]\nsamples = 1\nseed = 5\nlearning_rate = {uniform = [0.01, 10.5]}\n"
    )
    assert "learning_rate = 10.5" in message


def test_random_option_invalid_only_with_a_grid_value_is_reported(tmp_path: Path) -> None:
    text = "[grid]\nengine = ['sklearn']\n[random]\nsamples = 1\nactivation = {choice = ['relu', 'leaky_relu']}\n"
    message = error_for(tmp_path, text)
    assert message.startswith("[random] activation = ")
    assert "leaky_relu" in message and "engine = 'sklearn'" in message


def test_whole_grid_is_checked_not_just_the_first_point(tmp_path: Path) -> None:
    text = "[grid]\nseed = [0, 1, 2, 3]\nlearning_rate = [0.1, 0.2, 11.0]\n"
    assert error_for(tmp_path, text) == "[grid]: learning_rate = 11.0: expected a number in (0, 10]"


def test_json_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    text = '{\n  "grid": {\n    "seed": [0, 1,]\n  }\n}\n'
    assert error_for(tmp_path, text, "s.json") == "invalid JSON: Expecting value (at line 3, column 19)"


def test_json_duplicate_keys_and_nan_are_refused(tmp_path: Path) -> None:
    assert error_for(tmp_path, '{"grid": {}, "grid": {}}', "a.json") == "invalid JSON: duplicate key 'grid'"
    assert (
        error_for(tmp_path, '{"fixed": {"l2": NaN}}', "b.json")
        == "invalid JSON: NaN is not a number a spec may contain"
    )
    assert error_for(tmp_path, "[1, 2]", "c.json") == "the top level is a JSON list: expected an object {...}"


def test_json_errors_are_labelled_like_toml_ones(tmp_path: Path) -> None:
    spec = {"grid": {"learning_rate": [0.1, -0.1]}}
    message = error_for(tmp_path, json.dumps(spec), "seed.json")
    assert message == "[grid]: learning_rate = -0.1: expected a number in (0, 10]"


def test_unreadable_files(tmp_path: Path) -> None:
    assert (
        error_for(tmp_path, "x = 1", "spec.yaml")
        == "unknown spec format '.yaml': expected a .toml or .json file"
    )
    (tmp_path / "dir.toml").mkdir()
    with pytest.raises(SpecError, match=r"dir\.toml: is a directory"):
        load_spec(tmp_path / "dir.toml")
    with pytest.raises(SpecError, match=r"missing\.toml: no such file"):
        load_spec(tmp_path / "missing.toml")
    (tmp_path / "latin.toml").write_bytes(b"name = '\xe9'\n")
    with pytest.raises(SpecError, match=r"latin\.toml: byte 8: not UTF-8 text"):
        load_spec(tmp_path / "latin.toml")


def test_json_nested_thousands_deep_is_one_line(tmp_path: Path) -> None:
    text = '{"fixed": {"hidden": ' + "[" * 2000 + "]" * 2000 + "}}"
    assert error_for(tmp_path, text, "deep.json").startswith("tables and lists nested more than 16 levels deep")


def test_a_nameless_spec_is_named_after_a_file_stem_that_can_name_a_sweep(tmp_path: Path) -> None:
    stem = "run\x1b]0;owned\x07"
    message = error_for(tmp_path, "[fixed]\nepochs = 2\n", f"{stem}.toml")
    assert message == (
        'the file name "run\\u001b]0;owned\\u0007" (the sweep\'s name when the spec sets none): expected a '
        "non-empty one-line string of at most 200 characters, without control characters (found \\x1b, \\x07) "
        '(or set name = "..." in the spec)'
    )
    long = error_for(tmp_path, "[fixed]\nepochs = 2\n", f"{'x' * 201}.toml")
    assert "at most 200 characters" in long


def test_a_description_may_span_lines(tmp_path: Path) -> None:
    path = tmp_path / "multi.toml"
    path.write_text('description = """two\n\tlines"""\n[fixed]\nepochs = 2\n', encoding="utf-8")
    assert load_spec(path).spec["description"] == "two\n\tlines"


def test_neutral_values_of_options_that_do_not_apply_are_accepted(tmp_path: Path) -> None:
    """momentum = 0 under plain SGD changes nothing the user meant: no error."""
    path = tmp_path / "neutral.toml"
    path.write_text("[fixed]\nmomentum = 0.0\nnesterov = false\n[grid]\nlr_gamma = [0.0]\n", encoding="utf-8")
    assert len(load_spec(path).configs) == 1
