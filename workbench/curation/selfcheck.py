"""``workbench curate flag --self-check``: how good the flags are on the user's own data.

The flagger's precision on a benchmark says little about a team's own posts (0.87 on a news-topic
set, 0.20 on tweets). The self-check measures it on the user's labels: it takes the confidently
labeled part of each single-choice task (one annotator, not adjudicated, not flagged, and the
out-of-fold classifier's top class is the label), flips a known share of that part to another
class, re-runs the flagger on the altered labels (in memory: nothing under ``curated/`` changes)
and counts how many flips it finds.

Precision and recall are counted inside the confident part only: outside it, an item's true label
is unknown, so a flag there is neither right nor wrong. The flip share applies to that part, so
the noise among the items counted is the rate asked for (10%), as in the curation benchmark. The
confident part holds the items the classifier finds easier than the rest, so the figures are an
optimistic estimate of the flagger on the whole data (the README's benchmark measures the gap). Besides the current operating point
(``flag.filter_by``), it reports the cut the user can move by hand: flag every item whose
``label_quality`` (in ``label_issues.parquet``) is below a threshold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from workbench.core.progress import step
from workbench.core.settings.curation import FlagConfig
from workbench.curation.flag import FlagResult, check_filter_by_tasks, flag_labels
from workbench.curation.inputs import CurationInputs
from workbench.curation.rule_prior import RuleEvidence, project_rule_priors

if TYPE_CHECKING:
    from workbench.core.config import ProjectConfig

#: ``label_quality`` thresholds reported besides the current operating point.
THRESHOLDS = (0.05, 0.1, 0.2, 0.3, 0.5)

#: cleanlab methods reported besides the current one (``curation.flag.filter_by``), from the
#: same out-of-fold probabilities (bench/flags.py compares them on the real sets).
FILTERS = ("low_self_confidence", "low_normalized_margin", "prune_by_noise_rate", "both")


@dataclass(frozen=True)
class OperatingPoint:
    """Precision and recall of one way of flagging, on the injected flips."""

    name: str
    flagged: int
    precision: float
    recall: float
    method: str | None = None  # the cleanlab method, None for a label_quality threshold


@dataclass
class TaskCheck:
    """Self-check of one task."""

    task: str
    n_confident: int = 0
    n_flipped: int = 0
    points: list[OperatingPoint] | None = None
    skipped: str | None = None

    def lines(self) -> list[str]:
        """A header line and one line per operating point."""
        if self.skipped:
            return [f"{self.task}: not checked: {self.skipped}"]
        out = [f"{self.task}: {self.n_flipped} known flip(s) injected among {self.n_confident} "
               "confidently labeled item(s)"]
        out += [f"    {p.name:<40} flags {p.flagged:>6}  precision {p.precision:.3f}  "
                f"recall {p.recall:.3f}" for p in self.points or []]
        return out


def _points(rows: pl.DataFrame, flipped: set[str], filter_by: str) -> list[OperatingPoint]:
    def point(name: str, flagged: set[str], method: str | None = None) -> OperatingPoint:
        tp = len(flagged & flipped)
        return OperatingPoint(name, len(flagged), tp / len(flagged) if flagged else 0.0,
                              tp / len(flipped) if flipped else 0.0, method)

    uids = rows.get_column("uid")
    quality = rows.get_column("label_quality").fill_null(1.0)
    points = [point(f"current (filter_by={filter_by})",
                    set(uids.filter(rows.get_column("is_issue")).to_list()), filter_by)]
    points += [point(f"label_quality < {t}", set(uids.filter(quality < t).to_list()))
               for t in THRESHOLDS]
    return points


def _filter_points(noisy: FlagResult, task: str, inputs: CurationInputs, counted: set[str],
                   flipped: set[str], current: str) -> list[OperatingPoint]:
    """The other cleanlab methods on the noisy run's own probabilities, counted as ``_points``."""
    from workbench.curation.cleanlab_issues import cleanlab_single

    if task not in noisy.probabilities:
        return []
    classes, probs_all = noisy.probabilities[task]
    rows = noisy.label_issues.filter(pl.col("task") == task)
    row_of = {u: i for i, u in enumerate(inputs.texts.get_column("uid").to_list())}
    uids = rows.get_column("uid").to_list()
    labels = np.array([classes.index(v[0]) for v in rows.get_column("label").to_list()])
    probs = probs_all[[row_of[u] for u in uids]]
    points = []
    for method in FILTERS:
        if method == current:
            continue
        mask, _ = cleanlab_single(labels, probs, method)
        flagged = {u for u, m in zip(uids, mask, strict=True) if m} & counted
        tp = len(flagged & flipped)
        points.append(OperatingPoint(f"filter_by={method}", len(flagged),
                                     tp / len(flagged) if flagged else 0.0,
                                     tp / len(flipped) if flipped else 0.0, method))
    return points


def self_check(inputs: CurationInputs, *, cfg: FlagConfig, rate: float | None = None,
               seed: int = 0,
               rule_evidence: Mapping[str, RuleEvidence] | None = None,
               base: FlagResult | None = None) -> list[TaskCheck]:
    """Inject known flips per single-choice task and measure the flagger on them.

    Parameters
    ----------
    inputs
        Validated inputs (the user's texts and labels).
    cfg
        The flag settings under test (classifier, folds, filter_by).
    rate
        Flips as a share of the task's confidently labeled items (default
        ``cfg.self_check_rate``).
    seed
        Seed of which items are flipped and to what.
    rule_evidence
        The rules' evidence pooled by the flagger, as ``curate flag`` pools it (None: none).
    base
        The flagger's result on ``inputs`` with ``cfg`` and ``rule_evidence``, when the caller
        has it already (None: computed here).

    Returns
    -------
    list[TaskCheck]
        One per task, in task order; nothing is written.
    """
    rate = cfg.self_check_rate if rate is None else rate
    rng = np.random.default_rng(seed)
    if base is None:
        base = flag_labels(inputs, cfg=cfg, rule_evidence=rule_evidence)
    checks = []
    for spec in inputs.tasks:
        check = TaskCheck(spec.name)
        checks.append(check)
        if spec.kind != "single":
            check.skipped = "the self-check covers single-choice tasks"
            continue
        rows = base.label_issues.filter(pl.col("task") == spec.name)
        outcome = next((o for o in base.outcomes if o.task == spec.name), None)
        if outcome is None or outcome.skipped:
            check.skipped = outcome.skipped if outcome else "no labels"
            continue
        confident = rows.filter(
            (pl.col("label_source") == "single") & ~pl.col("is_issue")
            & (pl.col("suggested") == pl.col("label")))
        classes = sorted({v[0] for v in rows.get_column("label").to_list() if v})
        n_flip = round(rate * confident.height)
        check.n_confident = confident.height
        if n_flip < 1 or len(classes) < 2:
            check.skipped = f"{confident.height} confidently labeled item(s): nothing to flip"
            continue
        chosen = rng.choice(confident.height, size=n_flip, replace=False)
        new_value = {}
        for i in chosen:
            uid, label = confident.item(int(i), "uid"), confident.item(int(i), "label")[0]
            others = [c for c in classes if c != label]
            new_value[uid] = [others[int(rng.integers(len(others)))]]
        flipped = set(new_value)
        anns = inputs.annotations
        is_flip = (pl.col("task") == spec.name) & pl.col("uid").is_in(list(flipped)) & ~pl.col("review")
        swapped = pl.DataFrame({"uid": list(new_value), "_new": list(new_value.values())},
                               schema={"uid": pl.Utf8, "_new": pl.List(pl.Utf8)})
        anns = (anns.join(swapped, on="uid", how="left")
                .with_columns(value=pl.when(is_flip).then(pl.col("_new")).otherwise(pl.col("value")))
                .drop("_new"))
        with step(f"self-check: {spec.name} again, with {n_flip:,} known flip(s)"):
            noisy = flag_labels(replace(inputs, annotations=anns, tasks=[spec]), cfg=cfg,
                                rule_evidence=rule_evidence)
        keep = set(confident.get_column("uid").to_list())
        noisy_rows = noisy.label_issues.filter(
            (pl.col("task") == spec.name) & pl.col("uid").is_in(list(keep)))
        check.n_flipped = n_flip
        current = cfg.filter_by_for(spec.name)
        check.points = _points(noisy_rows, flipped, current)
        check.points[1:1] = _filter_points(noisy, spec.name, inputs, keep, flipped, current)
    return checks


def summary_lines(checks: list[TaskCheck], *, rate: float) -> list[str]:
    """The self-check report (nothing under curated/ was written)."""
    lines = [f"self-check: {rate:.0%} of each task's confidently labeled items flipped; flags "
             "counted among them only (optimistic: the other items are harder); outputs untouched"]
    for c in checks:
        lines += [f"  {line}" for line in c.lines()]
    lines.append("  move the operating point: curation.flag.filter_by (one method, or one per "
                 "task: {is_ad: prune_by_noise_rate}), or keep the rows of label_issues.parquet "
                 "whose label_quality is below a threshold")
    return lines


def run_self_check(data_dir: Path, cfg: ProjectConfig, *, texts: Path | None = None,
                   annotations: Path | None = None, tasks: Sequence[str] | None = None,
                   classifier: str | None = None, folds: int | None = None,
                   encoder: Path | None = None, rate: float | None = None,
                   repeats: int | None = None) -> list[str]:
    """Read inputs as ``curate flag`` does, self-check, and return the report lines (no writes)."""
    from workbench.core.settings.curation import with_overrides
    from workbench.curation.classifiers import check_names
    from workbench.curation.inputs import load_inputs

    fcfg = with_overrides(cfg.curation.flag, classifier=classifier, folds=folds, repeats=repeats,
                          encoder=None if encoder is None else str(encoder), self_check_rate=rate)
    check_names(fcfg.classifier_names(), fcfg.encoder)
    inputs = load_inputs(data_dir, texts=texts, annotations=annotations, tasks=tasks,
                         cleaning=cfg.cleaning, max_text_chars=cfg.ingest.max_text_chars)
    check_filter_by_tasks(fcfg, inputs)
    checks = self_check(inputs, cfg=fcfg, seed=fcfg.seed,
                        rule_evidence=project_rule_priors(inputs, cfg, fcfg))
    return summary_lines(checks, rate=fcfg.self_check_rate)
