"""The one settings table: every MNISTQ_* setting is checked by type and bound, rules tying two together hold,
`mnistq config` shows the effective values with secrets masked, and the README's table is this table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core import settings
from core.errors import SettingError

from ..data.test_cli import run  # main(argv) -> (exit code, stdout, stderr)

ROOT = Path(__file__).resolve().parents[2]
BAD_VALUES = {
    settings.INTEGER: ["abc", "1.5", "-1", ""],
    settings.NUMBER: ["soon", "nan", "-5", "inf"],
    settings.URL: ["localhost:6379", "mysql://u:pw@h/db"],
    settings.FLAG: ["maybe"],
    settings.TEXT: ["a\x1b]0;title\x07"],
}


def test_the_readme_environment_table_is_the_settings_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings.markdown_table() in readme
    documented = set(re.findall(r"^\| `(MNISTQ_[A-Z_]+)` \|", readme, flags=re.MULTILINE))
    assert documented == set(settings.BY_NAME)


def test_every_setting_read_by_the_code_is_in_the_table() -> None:
    """A runtime MNISTQ_* name in the packages' source that the table lacks would escape every check."""
    names: set[str] = set()
    for package in ("core", "model", "db", "worker", "scheduler", "report"):
        for path in (ROOT / package).rglob("*.py"):
            names |= set(re.findall(r"\b(MNISTQ_[A-Z][A-Z_]*[A-Z])\b", path.read_text(encoding="utf-8")))
    assert names - set(settings.BY_NAME) == set()


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.name)
def test_each_bad_value_names_the_variable_and_what_was_expected(setting: settings.Setting) -> None:
    for raw in BAD_VALUES.get(setting.kind, []):
        if not raw:
            continue
        with pytest.raises(SettingError) as caught:
            settings.read(setting.name, {setting.name: raw})
        message = str(caught.value)
        assert message.startswith(f"environment {setting.name} = ") and "expected" in message
        assert caught.value.key == setting.name and "\n" not in message and "\x1b" not in message


def test_unset_and_empty_mean_the_default() -> None:
    for setting in settings.SETTINGS:
        assert settings.read(setting.name, {}) == settings.read(setting.name, {setting.name: "  "})


def test_a_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(SettingError, match="a folder, not a file"):
        settings.read("MNISTQ_DATA_DIR", {"MNISTQ_DATA_DIR": str(file)})
    assert settings.read("MNISTQ_DATA_DIR", {"MNISTQ_DATA_DIR": str(tmp_path / "new")}) == tmp_path / "new"


def test_a_url_with_a_port_that_is_not_a_number_is_refused_without_its_password() -> None:
    env = {"MNISTQ_DATABASE_URL": "postgresql://u:s3cret@host:abc/db"}
    with pytest.raises(SettingError, match="numeric port") as caught:
        settings.read("MNISTQ_DATABASE_URL", env)
    assert "s3cret" not in str(caught.value)


def test_heartbeat_must_be_shorter_than_the_lease() -> None:
    with pytest.raises(SettingError, match="less than MNISTQ_LEASE_SECONDS = 10"):
        settings.check(settings.TRAINING, {"MNISTQ_LEASE_SECONDS": "10", "MNISTQ_HEARTBEAT_SECONDS": "10"})
    settings.check(settings.TRAINING, {"MNISTQ_LEASE_SECONDS": "10"})  # the default is a quarter of it


def test_a_celery_broker_url_that_disagrees_is_refused() -> None:
    ours = "redis://:s3cret@queue:6379/0"
    settings.check(settings.QUEUE, {"MNISTQ_BROKER_URL": ours, "CELERY_BROKER_URL": ours})
    for celery in ("redis://:s3cret@other:6379/0", "redis://other:6379/0"):
        with pytest.raises(SettingError, match="CELERY_BROKER_URL") as caught:
            settings.check(settings.QUEUE, {"MNISTQ_BROKER_URL": ours, "CELERY_BROKER_URL": celery})
        assert "s3cret" not in str(caught.value)


def test_config_shows_every_setting_with_its_origin_and_masks_secrets(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    for name in settings.BY_NAME:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MNISTQ_BROKER_URL", "redis://:s3cret@queue:6379/0")
    monkeypatch.setenv("MNISTQ_MAX_EPOCHS", "50")
    code, out, err = run(["config"], capfd)
    assert code == 0 and err == ""
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:]}
    assert set(lines) == set(settings.BY_NAME)
    assert lines["MNISTQ_BROKER_URL"] == ["redis://:***@queue:6379/0", "environment"]
    assert lines["MNISTQ_MAX_EPOCHS"] == ["50", "environment"]
    assert lines["MNISTQ_LEASE_SECONDS"] == ["120", "default"]
    assert "s3cret" not in out


def test_config_exits_2_naming_an_invalid_setting(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MNISTQ_BLAS_THREADS", "abc")
    code, out, err = run(["config", "--json"], capfd)
    assert code == 2 and err.count("\n") == 1 and "MNISTQ_BLAS_THREADS = 'abc'" in err
    assert '"origin": "invalid: environment MNISTQ_BLAS_THREADS' in out
