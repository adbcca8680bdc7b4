"""What ``curate flag`` found for one task: counts, the classifier used, its summary line.

Also the kind of a flag's reason, which the dashboard groups flagged items by.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from workbench.core.settings.curation import DEFAULT_FILTER_BY
from workbench.curation.choose import Choice


@dataclass
class TaskOutcome:
    """What flagging found for one task."""

    task: str
    kind: str
    n_items: int
    n_issues: int = 0
    issues_by_label: dict[str, int] = field(default_factory=dict)
    n_multi: int = 0
    n_adjudicated: int = 0
    n_gate_excluded: int = 0
    n_duplicate_conflicts: int = 0
    skipped: str | None = None
    classifier: str | None = None
    choice: Choice | None = None
    rule_weight: float | None = None
    channel_weight: float | None = None  # the channel prior's pooling weight (None: not run)
    repeats: int | None = None  # draws of the folds averaged (None: classifier not run)
    folds: int | None = None  # K the folds used (None: classifier not run)
    folds_asked: int | None = None  # K the settings ask for
    #: Labels that lowered K (fewer items than the folds asked for), else those given once.
    rare_labels: dict[str, int] = field(default_factory=dict)
    #: Share of items whose label (adjudicated, consensus or the single answer) is the
    #: classifier's out-of-fold suggestion, the whole label set for multi-label tasks: the
    #: accuracy a team reads "how good is the classifier on our labels" from (None: not run).
    accuracy: float | None = None
    filter_by: str = DEFAULT_FILTER_BY  # the cleanlab method that flagged the task

    def line(self) -> str:
        """One summary line."""
        share = self.n_issues / self.n_items if self.n_items else 0.0
        by = ", ".join(f"{k} {v}" for k, v in sorted(self.issues_by_label.items(),
                                                        key=lambda kv: -kv[1]))
        extras = []
        if self.skipped:
            extras.append(f"classifier not run: {self.skipped}")
        if self.n_multi:
            extras.append(f"{self.n_multi} multi-annotator")
        if self.n_adjudicated:
            extras.append(f"{self.n_adjudicated} adjudicated")
        if self.n_duplicate_conflicts:
            extras.append(f"{self.n_duplicate_conflicts} duplicate conflicts")
        if self.n_gate_excluded:
            extras.append(f"{self.n_gate_excluded} answers ignored: gate closed")
        if self.accuracy is not None:
            what = "exact-set accuracy" if self.kind == "multi" else "accuracy"
            extras.append(f"{self.classifier} out-of-fold {what} {self.accuracy:.3f}")
        if self.repeats is not None and self.repeats > 1:
            extras.append(f"{self.repeats} draws of the folds averaged")
        if self.rule_weight is not None:
            extras.append(f"rules pooled at weight {self.rule_weight:g}")
        if self.channel_weight is not None:
            extras.append(f"channel labels pooled at weight {self.channel_weight:g}")
        if self.filter_by != DEFAULT_FILTER_BY and not self.skipped:
            extras.append(f"flagged by {self.filter_by}")
        if self.rare_labels and self.folds is not None:
            rare = ", ".join(f"'{k}' {v}" for k, v in sorted(self.rare_labels.items(),
                                                             key=lambda kv: (kv[1], kv[0])))
            if self.folds_asked is not None and self.folds < self.folds_asked:
                extras.append(f"{self.folds} folds, not {self.folds_asked}: label(s) with fewer "
                              f"than {self.folds_asked} items: {rare}")
            else:  # given once: no model can learn such a label and predict it unseen
                extras.append(f"label(s) given once, a typo?: {rare}")
        more = f" [{'; '.join(extras)}]" if extras else ""
        return (f"{self.task}: {self.n_issues} issue(s) in {self.n_items} item(s) ({share:.1%})"
                f"{': ' + by if by else ''}{more}")


def format_labels(labels: Sequence[str] | None) -> str:
    """A label set for a summary line: ``a|b``, ``(none)`` for an empty set, ``-`` for None."""
    if labels is None:
        return "-"
    return "|".join(labels) if len(labels) else "(none)"


def reason_kind(reason: str | None) -> str:
    """The kind of a flag's reason, without the item's own figures.

    A reason reads "classifier disagrees: P(Ad)=0.99, P(Non-Ad)=0.01", parts joined by "; ":
    grouped as written, every item was its own group (the dashboard groups by kind).

    Examples
    --------
    >>> reason_kind("classifier disagrees: P(Ad)=0.99, P(Non-Ad)=0.01")
    'classifier disagrees'
    >>> reason_kind("annotators disagree: 1 of 2 chose Ad (consensus quality 0.40); "
    ...             "near-duplicate conflict: cluster 7 has Ad×2, Non-Ad×1")
    'annotators disagree + near-duplicate conflict'
    """
    kinds = [part.split(":", 1)[0].strip() for part in (reason or "").split("; ") if part.strip()]
    return " + ".join(dict.fromkeys(kinds)) or "(no reason given)"


def count_issues(outcome: TaskOutcome, rows: pl.DataFrame) -> None:
    """Set ``outcome``'s issue count, issues per label and accuracy from its ``label_issues`` rows."""
    scored = rows.filter(pl.col("suggested").is_not_null())
    outcome.accuracy = None if not scored.height else float(
        (scored.get_column("suggested").list.sort() == scored.get_column("label").list.sort()).mean())
    issues = rows.filter(pl.col("is_issue"))
    outcome.n_issues = issues.height
    labels = issues.get_column("label").to_list()
    # Multi-label: count each label of a flagged set (and "(none)" for empty sets).
    outcome.issues_by_label = dict(Counter(
        lab for v in labels for lab in ((v or ["(none)"]) if outcome.kind == "multi" else [format_labels(v)])))
