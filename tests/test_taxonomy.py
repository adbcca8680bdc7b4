"""The annotation taxonomy: the committed file is valid and errors are precise."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.errors import ConfigError
from workbench.core.taxonomy import load_taxonomy


def test_committed_taxonomy() -> None:
    tax = load_taxonomy()
    assert tax.names == ["is_ad", "vertical", "tags"]
    assert len(tax.task("vertical").values) == 13
    assert tax.task("tags").kind == "multi"
    assert tax.applies("vertical", {"is_ad": ["Ad"]})
    assert not tax.applies("tags", {"is_ad": ["Non-Ad"]})


def test_validate_answers() -> None:
    tax = load_taxonomy()
    assert tax.validate("tags", []) is None
    assert tax.validate("tags", ["Gambling", "Religious"]) is None
    assert "exactly one" in (tax.validate("is_ad", []) or "")
    assert "unknown label" in (tax.validate("vertical", ["Sports"]) or "")
    with pytest.raises(ConfigError, match="did you mean 'vertical'"):
        tax.task("verticle")


def test_bad_taxonomy(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "tasks:\n  - name: a\n    title: A\n    kind: single\n    labels: [{value: x, hotkey: k}]\n"
        "  - name: b\n    title: B\n    kind: multi\n    labels: [{value: y, hotkey: k}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="hotkeys must be unique"):
        load_taxonomy(path)
    path.write_text("tasks:\n  - name: a\n    title: A\n    kind: several\n    labels: [{value: x}]\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="kind"):
        load_taxonomy(path)
