"""Project config: defaults, strict keys, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.config import ProjectConfig, load_config
from workbench.core.errors import ConfigError


def test_defaults_without_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = load_config()
    assert cfg == ProjectConfig()
    assert cfg.data_dir == Path("data")
    assert len(cfg.annotator_groups) == 6
    assert cfg.annotator_groups[1].slices[0].first_id == 15001


def test_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "workbench.yaml"
    path.write_text(
        "data_dir: /tmp/x\ncleaning:\n  remove_emojis: false\n  tsa_series_target: ጸ\n"
        "annotator_groups:\n  - id: 1\n    channels: [Sheger Press]\n",
        encoding="utf-8",
    )
    cfg = load_config(path)
    assert cfg.data_dir == Path("/tmp/x")
    assert cfg.cleaning.remove_emojis is False
    assert cfg.cleaning.tsa_series_target == "ጸ"
    assert cfg.annotator_groups[0].channels == ["Sheger Press"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cleaning:\n  remove_emoji: false\n", "unknown key 'cleaning.remove_emoji' (did you mean 'remove_emojis'?)"),
        ("dta_dir: x\n", "unknown key 'dta_dir' (did you mean 'data_dir'?)"),
        ("cleaning:\n  tsa_series_target: X\n", "cleaning.tsa_series_target"),
        ("annotator_groups:\n  - id: 1\n    slices: [{channel: a, first_id: 5, last_id: 1}]\n",
         "last_id (1) is smaller than first_id (5)"),
        ("annotator_groups:\n  - id: 1\n  - id: 1\n", "unique"),
        ("- a\n- b\n", "expected a mapping"),
        ("a: [\n", "invalid YAML"),
    ],
)
def test_bad_config_is_one_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "workbench.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert expected in message
    assert "\n" not in message


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("seed: " + "9" * 5000 + "\n", "invalid YAML: Exceeds the limit"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", "invalid YAML: nested too deeply"),
    ],
)
def test_yaml_the_reader_cannot_hold_is_one_line(tmp_path: Path, text: str, expected: str) -> None:
    """A number past Python's int-string limit or nesting past the recursion limit is a bad file."""
    path = tmp_path / "workbench.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
