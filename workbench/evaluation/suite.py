"""Evaluation suites: ``eval/suites/*.yaml``, validated like the training recipes.

A suite says which systems to compare, on which held-out items, with which tasks and metrics,
under which seed::

    name: demo
    systems: [retrieval, template, base, "run:latest"]   # registry names (see systems.py)
    items: {split: test, n: 24}                          # sampled with the seed
    tasks:
      - name: brief_to_ad
        metrics: [chrf, chrf++, bleu, rouge_l, brief_coverage, ethiopic_share, length]
      - name: half_continuation
        metrics: [chrf, bleu, perplexity]
    seed: 1234

The brief_to_ad prompt (template, system prompt, past ads shown and their length) is not set
here: it is the prompt spec of the suite's training runs (saved in each run folder), or the
``generation:`` section's when the suite has no run, so a run is scored on the prompt it was
trained on and served with.

Unknown keys fail with a "did you mean"; a suite is found by name under ``eval/suites/`` or by
path. Every field is described below and in the example suites.

Examples
--------
>>> s = Suite.model_validate({"name": "x", "systems": ["template"],
...                           "tasks": [{"name": "brief_to_ad", "metrics": ["chrf"]}]})
>>> (s.items.split, s.seed, s.system_entries()[0].name)
('test', 1234, 'template')
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from workbench.core.config import load_yaml_model
from workbench.core.errors import ConfigError
from workbench.core.resources import available_names, named_file, project_dir
from workbench.core.strict_model import StrictModel
from workbench.evaluation.bootstrap import order_index

#: Where suites are looked up by name (project folder, then packaged defaults).
SUITES_FOLDER = "eval/suites"

TASKS = ("brief_to_ad", "half_continuation")
TaskName = Literal["brief_to_ad", "half_continuation"]


class SystemEntry(StrictModel):
    """One system to evaluate."""

    name: str = Field(description="Display name in scores and the report (default: the ref).")
    ref: str = Field(
        description="Registry name: retrieval, template, base, run:<run_id>, run:latest, or a "
        "local model / peft adapter folder."
    )
    optional: bool = Field(
        default=False,
        description="Skip this system (with a note) when it cannot be resolved, e.g. no run yet.",
    )


class ItemsConfig(StrictModel):
    """Which held-out messages become evaluation items."""

    split: Literal["test", "val"] = Field(default="test", description="The held-out split.")
    ads_only: bool = Field(
        default=True,
        description="half_continuation: only messages labelled Ad (brief_to_ad always takes ads).",
    )
    min_chars: int = Field(
        default=20, ge=1,
        description="Shorter texts are skipped (held-out items, and train ads as past ads).",
    )
    n: int | None = Field(
        default=None, ge=1, description="Items per task, sampled with the seed (None: all)."
    )


class DecodingConfig(StrictModel):
    """Sampling for local models (baselines are deterministic)."""

    temperature: float = Field(default=0.7, ge=0.0, le=5.0, description="0: greedy decoding.")
    top_p: float = Field(default=0.9, gt=0.0, le=1.0, description="Nucleus sampling mass.")
    repetition_penalty: float = Field(
        default=1.1, ge=1.0, le=3.0, description="Above 1 discourages repeats."
    )


class MetricEntry(StrictModel):
    """A registered metric under another name with other arguments (e.g. chrF with order 4)."""

    name: str = Field(description="Name used in scores and the report.")
    metric: str = Field(description="Registered metric it is based on (see metrics.py).")
    args: dict[str, Any] = Field(
        default_factory=dict, description="Extra keyword arguments for the metric's compute."
    )


class TaskConfig(StrictModel):
    """One task and its metrics."""

    name: TaskName = Field(description="brief_to_ad or half_continuation.")
    metrics: list[str | MetricEntry] = Field(
        min_length=1, description="Registered metric names (or entries with arguments)."
    )
    max_new_tokens: int = Field(default=160, ge=1, le=4096, description="Tokens per generation.")
    brief_words: int = Field(
        default=6, ge=0, le=30, description="brief_to_ad: product/brand words taken into the brief."
    )
    min_tokens: int = Field(
        default=6, ge=2, description="half_continuation: texts with fewer words are skipped."
    )


class BootstrapConfig(StrictModel):
    """Confidence intervals and paired tests."""

    n_resamples: int = Field(default=1000, ge=100, le=100_000, description="Bootstrap resamples.")
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0, description="CI level.")

    @model_validator(mode="after")
    def _enough_resamples(self) -> BootstrapConfig:
        # The interval's ends are order statistics of the resamples: too few for the level and
        # no interval could exclude anything (bootstrap.order_index raises then).
        order_index(self.n_resamples, 1.0 - self.confidence)
        return self


class GateConfig(StrictModel):
    """The verdict rule of ``workbench eval compare``: when a challenger beats the champion."""

    metric: str | None = Field(
        default=None,
        description="Metric of the headline task the challenger must improve (None: the copy-aware "
        "ranking metric, e.g. `chrf@checked`, so a challenger cannot win by copying).",
    )
    min_delta: float = Field(
        default=0.0,
        description="The improvement's CI lower bound must be above this (in the metric's units; "
        "for a lower-is-better metric the improvement is champion minus challenger).",
    )
    max_check_drop_points: float = Field(
        default=2.0, ge=0.0, le=100.0,
        description="The challenger's check pass rate may be at most this many percentage points "
        "below the champion's (not measured: the condition is reported as such and passes).",
    )
    min_human_win_rate: float = Field(
        default=0.5, ge=0.0, le=1.0,
        description="When pairwise ratings exist, the CI of the challenger's human win rate over "
        "the champion must not lie wholly below this (its upper bound >= it).",
    )


class RankingConfig(StrictModel):
    """What ranks the leaderboard: a metric a copy cannot win."""

    metric: str | None = Field(
        default=None,
        description="Plain metric the ranking is built on (None: the suite's headline).",
    )
    failed_checks_score: float = Field(
        default=0.0,
        description="Score of a generation that fails an output check (copy, no contact, ...); "
        "the ranking metric is '<metric>@checked': the plain metric where the checks pass, this "
        "value where they fail, averaged per item like any metric (CIs, paired tests).",
    )
    mostly_copies: float = Field(
        default=0.5, ge=0.0, le=1.0,
        description="A system whose share of generations failing the copy check exceeds this is "
        "flagged `mostly_copies` in the summary and marked in the printed table.",
    )


class Suite(StrictModel):
    """An evaluation suite (``eval/suites/<name>.yaml``)."""

    name: str = Field(description="Suite name (part of the eval id).")
    description: str = Field(default="", description="What the suite is for.")
    systems: list[str | SystemEntry] = Field(
        min_length=1, description="Systems to compare (registry names or entries)."
    )
    items: ItemsConfig = Field(default_factory=ItemsConfig)
    tasks: list[TaskConfig] = Field(min_length=1, description="Tasks and their metrics.")
    seed: int = Field(default=1234, description="Seeds item sampling, decoding and bootstrap.")
    samples: int = Field(
        default=1, ge=1, le=32,
        description="Generations per item and system; an item's score is their mean.",
    )
    decoding: DecodingConfig = Field(default_factory=DecodingConfig)
    score_on: Literal["normalized", "original"] = Field(
        default="normalized",
        description="normalized: homophones unified and Latin lower-cased on both sides before "
        "scoring (normalise for comparison, never for training); original: as written.",
    )
    headline: str = Field(
        default="chrf", description="The plain metric shown beside the ranking metric."
    )
    ranking: RankingConfig = Field(default_factory=RankingConfig)
    cpu_threads: int | None = Field(
        default=None, ge=1,
        description="torch threads for local models on CPU (None: torch's default). Tiny models "
        "gain nothing from more threads, and on a busy machine 1 thread was 3x faster here.",
    )
    bootstrap: BootstrapConfig = Field(default_factory=BootstrapConfig)
    gate: GateConfig = Field(default_factory=GateConfig)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not value or any(c in value for c in "/\\ :"):
            msg = f"'{value}' must be one word without slashes, spaces or colons"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _unique(self) -> Suite:
        names = [e.name for e in self.system_entries()]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            msg = f"system names must be unique, repeated: {dupes} (give entries a `name`)"
            raise ValueError(msg)
        tasks = [t.name for t in self.tasks]
        if len(set(tasks)) != len(tasks):
            msg = f"each task may appear once, got {tasks}"
            raise ValueError(msg)
        return self

    @property
    def ranking_metric(self) -> str:
        """Name of the metric that ranks: ``<metric>@checked`` (e.g. ``chrf@checked``)."""
        return f"{self.ranking.metric or self.headline}@checked"

    @property
    def ranking_base(self) -> str:
        """The plain metric the ranking metric is built on."""
        return self.ranking.metric or self.headline

    def system_entries(self) -> list[SystemEntry]:
        """Systems as entries (a bare string is its own name and ref)."""
        return [SystemEntry(name=s, ref=s) if isinstance(s, str) else s for s in self.systems]


def suite_names() -> list[str]:
    """Suites in the project folder's ``eval/suites`` and the packaged defaults."""
    return available_names(SUITES_FOLDER)


def find_suite(ref: str | Path) -> Path:
    """A suite file from a path or a name under ``eval/suites`` (unknown: did-you-mean)."""
    path = Path(ref).expanduser()
    if path.is_file():
        return path
    by_name = named_file(SUITES_FOLDER, str(ref))
    if by_name is not None:
        return by_name
    known = suite_names()
    hint = difflib.get_close_matches(str(ref), known, n=1)
    did = f" (did you mean '{hint[0]}'?)" if hint else ""
    msg = (f"suite '{ref}' not found{did}; suites in {project_dir() / SUITES_FOLDER} and the "
           f"packaged defaults: {', '.join(known) or 'none'}")
    raise ConfigError(msg)


def load_suite(ref: str | Path) -> tuple[Suite, Path]:
    """Find and validate a suite; every problem is a one-line ConfigError."""
    path = find_suite(ref)
    return load_yaml_model(path, Suite), path
