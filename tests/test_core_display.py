"""Names and messages shown to people: model display names, validation lines, ranking helpers.

Runs the examples in these modules' docstrings too (they are the specification).
"""

from __future__ import annotations

import doctest
import importlib

import pytest

from workbench.core.runs import model_display_name, run_display_name

MODULES = ("workbench.core.validation", "workbench.core.runs", "workbench.core.cli_options",
           "workbench.rag.ranking", "workbench.rag.filters", "workbench.rag.text",
           # A manifest's paths, a flag reason's kind, what a live refresh re-predicts.
           "workbench.core.manifests", "workbench.curation.outcome", "workbench.curation.live")


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0


def test_a_trained_model_has_one_name() -> None:
    run_id = "tiny-cpu-20261204-162850-3a67"
    assert run_display_name(run_id) == "tiny-cpu (trained 2026-12-04 16:28 UTC)"
    assert model_display_name(f"run:{run_id}") == run_display_name(run_id)
    # Names a user chose, and the other systems, are shown as they are.
    assert model_display_name("run:killed") == "killed"
    assert model_display_name("base") == "base"
