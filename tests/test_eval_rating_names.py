"""The rating push's summary names a trained model as every other output does."""

from __future__ import annotations

from workbench.core.runs import model_display_name
from workbench.evaluation.ratings import Excluded, PushResult


def test_excluded_candidates_are_counted_under_the_model_name_people_read() -> None:
    excluded = Excluded()
    for _ in range(2):
        excluded.add("tiny-run", "empty")
    excluded.add("template", "failed")
    excluded.pairs = 9
    names = {"tiny-run": model_display_name("run:tiny-cpu-20261204-162850-3a67")}
    pushed = PushResult(url="http://127.0.0.1:8080", likert_project=8, pairwise_project=9,
                        likert_tasks=30, pairwise_tasks=42, items=8,
                        systems=["base", "template", "tiny-run"], excluded=excluded)
    line = pushed.line(names)
    assert ("excluded empty or failed candidates: template 1 failed; "
            "tiny-cpu (trained 2026-12-04 16:28 UTC) 2 empty (9 pairs)") in line
    assert "tiny-run" not in line
    # Without names (a system that is no run), the suite's own name.
    assert "tiny-run 2 empty" in pushed.line()
