"""``Layout(DIR)`` from the Python API, as the README shows it."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.errors import InputFileError
from workbench.core.layout import Layout


def test_a_data_dir_given_as_a_string_is_a_path() -> None:
    lay = Layout("data")  # type: ignore[arg-type]
    assert lay.root == Path("data")
    assert lay.splits == Path("data") / "curated" / "splits"
    assert lay.run("cpt") == Path("data") / "runs" / "cpt"
    assert lay == Layout(Path("data"))
    with pytest.raises(InputFileError):
        lay.run("../elsewhere")
