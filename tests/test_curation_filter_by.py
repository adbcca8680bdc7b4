"""``curation.flag.filter_by`` per task: each task flagged by the cleanlab method named for it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from pydantic import ValidationError

from synthetic.corpus import annotations_from_labels, flip_labels, make_corpus
from tests.curation_helpers import in_memory, write_stage
from workbench.core.settings.curation import DEFAULT_FILTER_BY, FlagConfig
from workbench.curation.flag import flag_labels


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, in ``cwd`` (where its workbench.yaml is)."""
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True,
                          stdin=subprocess.DEVNULL, text=True, cwd=cwd, timeout=300, check=False)


@pytest.fixture(scope="module")
def noisy():
    corpus = make_corpus(400, seed=5, difficulty=0.3)
    labels, _ = flip_labels(corpus.truth, rate=0.1, seed=3, tasks=("is_ad", "vertical"))
    return corpus, annotations_from_labels(labels, annotator="a")


def issues_by_task(result) -> dict[str, set[str]]:
    rows = result.label_issues.filter(pl.col("is_issue"))
    return {t: set(rows.filter(pl.col("task") == t).get_column("uid").to_list())
            for t in ("is_ad", "vertical")}


def test_a_task_left_out_keeps_the_default() -> None:
    cfg = FlagConfig(filter_by={"is_ad": "prune_by_noise_rate"})
    assert cfg.filter_by_for("is_ad") == "prune_by_noise_rate"
    assert cfg.filter_by_for("vertical") == DEFAULT_FILTER_BY
    assert FlagConfig(filter_by="both").filter_by_for("vertical") == "both"
    with pytest.raises(ValidationError):
        FlagConfig(filter_by={"is_ad": "prune_by_noise"})


def test_each_task_is_flagged_as_its_own_method_would_flag_it(noisy) -> None:
    corpus, annotations = noisy
    inputs = in_memory(corpus.messages, annotations)
    base = dict(folds=3, repeats=1)
    default = flag_labels(inputs, cfg=FlagConfig(**base))
    prune = flag_labels(inputs, cfg=FlagConfig(**base, filter_by="prune_by_noise_rate"))
    mixed = flag_labels(inputs, cfg=FlagConfig(**base, filter_by={"is_ad": "prune_by_noise_rate"}))
    # The two methods differ on these labels, so the comparison below can tell them apart.
    assert issues_by_task(prune)["is_ad"] != issues_by_task(default)["is_ad"]
    assert issues_by_task(mixed)["is_ad"] == issues_by_task(prune)["is_ad"]
    assert issues_by_task(mixed)["vertical"] == issues_by_task(default)["vertical"]
    lines = {o.task: o.line() for o in mixed.outcomes}
    assert "flagged by prune_by_noise_rate" in lines["is_ad"]
    assert "flagged by" not in lines["vertical"]


def test_the_method_per_task_is_kept_in_the_manifest(tmp_path: Path, noisy) -> None:
    corpus, annotations = noisy
    root = write_stage(tmp_path / "d", corpus.messages, annotations)
    (tmp_path / "workbench.yaml").write_text(
        "curation:\n  flag:\n    repeats: 1\n    filter_by: {is_ad: both}\n", encoding="utf-8")
    out = run("curate", "flag", "--data-dir", str(root), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "flagged by both" in out.stdout
    manifest = json.loads((root / "curated" / "manifest.json").read_text(encoding="utf-8"))
    tasks = manifest["runs"]["flag"]["tasks"]
    assert (tasks["is_ad"]["filter_by"], tasks["vertical"]["filter_by"]) == (
        "both", DEFAULT_FILTER_BY)


def test_a_misspelt_task_is_refused_in_one_line(tmp_path: Path) -> None:
    corpus = make_corpus(40, seed=1)
    root = write_stage(tmp_path / "d", corpus.messages,
                       annotations_from_labels(corpus.truth, annotator="a"))
    (tmp_path / "workbench.yaml").write_text(
        "curation:\n  flag:\n    filter_by: {is-ad: both}\n", encoding="utf-8")
    for cmd in (["flag"], ["flag", "--self-check"]):
        out = run("curate", *cmd, "--data-dir", str(root), cwd=tmp_path)
        assert out.returncode == 2, (cmd, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert "filter_by names unknown task(s): is-ad; tasks:" in lines[0]
        assert "is_ad" in lines[0]
