"""Rule pre-annotations from the cleaned extractions (phones, prices, links, mentions) and keywords.

The rules live in ``labeling/rules.yaml`` (validated here against the taxonomy); the output has the
same shape as the curation classifier's ``curated/predictions.parquet``, so ``label push`` treats
both alike.

Examples
--------
>>> import polars as pl
>>> from workbench.core.config import CleaningConfig
>>> from workbench.core.taxonomy import load_taxonomy
>>> tax = load_taxonomy()
>>> rules = load_rules(taxonomy=tax)
>>> msgs = pl.DataFrame({
...     "uid": ["1:1", "1:2"],
...     "text_norm": ["ቅናሽ! ሶፋ በተመጣጣኝ ዋጋ ይደውሉ", "ዛሬ ዝናብ ይጥላል"],
...     "phones": [["+251911234567"], []], "prices": [[1500.0], []],
...     "links": [[], []], "mentions": [[], []],
... })
>>> preds = rule_predictions(msgs, rules, tax, cleaning=CleaningConfig())
>>> preds.filter(pl.col("uid") == "1:1").select("task", "value").rows()
[('is_ad', ['Ad']), ('vertical', ['Retail']), ('tags', [])]
>>> preds.filter(pl.col("uid") == "1:2").select("task", "value").rows()
[('is_ad', ['Non-Ad'])]
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import Field, model_validator

from workbench.core.amharic.strings import normalize
from workbench.core.config import CleaningConfig, load_yaml_model
from workbench.core.errors import ConfigError
from workbench.core.resources import default_file, user_path
from workbench.core.schemas import PREDICTIONS_SCHEMA, require_columns
from workbench.core.strict_model import StrictModel
from workbench.core.taxonomy import Taxonomy


def rules_path(explicit: Path | None = None) -> Path:
    """The rules file: ``explicit``, else the project's ``labeling/rules.yaml``, else the default."""
    return user_path(explicit) if explicit is not None else default_file("labeling/rules.yaml")


Signal = Literal["phone", "price", "call_to_action", "link", "mention"]

#: Cleaned columns the rules read.
RULE_COLUMNS = ("uid", "text_norm", "phones", "prices", "links", "mentions")

_LATIN_ONLY = re.compile(r"^[\x00-\x7f]+$")


class Gate(StrictModel):
    """The yes/no task decided by weighted signals (is_ad by default)."""

    task: str = Field(description="Taxonomy task the signals decide.")
    positive: str = Field(description="Label predicted at or above the threshold.")
    negative: str = Field(description="Label predicted below the threshold.")
    threshold: float = Field(default=0.5, gt=0.0, lt=1.0, description="Noisy-OR cut-off.")
    weights: dict[Signal, float] = Field(description="Evidence weight of each signal, in [0, 1).")
    call_to_action: list[str] = Field(default_factory=list, description="Call-to-action keywords.")

    @model_validator(mode="after")
    def _weights_in_range(self) -> Gate:
        bad = {k: v for k, v in self.weights.items() if not 0.0 <= v < 1.0}
        if bad:
            msg = f"gate weights must lie in [0, 1), got {bad}"
            raise ValueError(msg)
        return self


class Rules(StrictModel):
    """``labeling/rules.yaml``."""

    model_version: str = Field(default="rules-v1", min_length=1, description="Shown with each prediction.")
    max_score: float = Field(default=0.9, gt=0.0, le=1.0, description="Ceiling of any rule score.")
    gate: Gate
    keywords: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict, description="task -> label -> keywords."
    )


def load_rules(path: Path | None = None, *, taxonomy: Taxonomy) -> Rules:
    """Load the rules and check every task and label they name against ``taxonomy``."""
    source = rules_path(path)
    rules = load_yaml_model(source, Rules)
    named = {rules.gate.task: [rules.gate.positive, rules.gate.negative]}
    named |= {task: list(labels) for task, labels in rules.keywords.items()}
    for task, labels in named.items():
        if task not in taxonomy.names:
            taxonomy.task(task)  # raises the "did you mean" error
        unknown = [lab for lab in labels if lab not in taxonomy.task(task).values]
        if unknown:
            msg = (f"{source}: task '{task}' has no label(s) {unknown}; "
                   f"the taxonomy has: {taxonomy.task(task).values}")
            raise ConfigError(msg)
    if taxonomy.task(rules.gate.task).kind != "single":
        msg = f"{source}: gate task '{rules.gate.task}' must be a single-choice task"
        raise ConfigError(msg)
    return rules


def _pattern(words: list[str], cleaning: CleaningConfig) -> str | None:
    """One regex for ``words`` as ``text_norm`` spells them (Latin: whole words only)."""
    latin, other = [], []
    for word in words:
        norm = normalize(word, cleaning)
        if not norm:
            continue
        (latin if _LATIN_ONLY.match(norm) else other).append(re.escape(norm))
    parts = []
    if latin:
        # ASCII word boundaries: Unicode-aware \b makes the regex engine ~10x slower here.
        parts.append(r"(?-u:\b)(?:" + "|".join(sorted(latin, key=len, reverse=True)) + r")(?-u:\b)")
    if other:
        parts.append("(?:" + "|".join(sorted(other, key=len, reverse=True)) + ")")
    return "|".join(parts) or None


def _hits(pattern: str | None) -> pl.Expr:
    if pattern is None:
        return pl.lit(0, dtype=pl.UInt32)
    return pl.col("text_norm").fill_null("").str.count_matches(pattern).cast(pl.UInt32)


def rule_predictions(
    messages: pl.DataFrame,
    rules: Rules,
    taxonomy: Taxonomy,
    *,
    cleaning: CleaningConfig,
) -> pl.DataFrame:
    """Pre-annotations for ``messages`` (cleaned rows) as a :data:`~workbench.core.schemas.PREDICTIONS_SCHEMA` frame.

    Parameters
    ----------
    messages
        Cleaned messages with at least :data:`RULE_COLUMNS`.
    rules
        From :func:`load_rules`.
    taxonomy
        Decides which tasks apply given the predicted gate answer (``when`` conditions).
    cleaning
        The project's cleaning config, so keywords are normalised like ``text_norm``.

    Returns
    -------
    pl.DataFrame
        One row per (uid, task) predicted: the gate task always, keyword tasks when they apply
        (single: the label with most hits, if any; multi: every label with a hit, possibly none).
    """
    require_columns(messages, RULE_COLUMNS, "rule pre-annotations input")
    gate = rules.gate
    signals: dict[str, pl.Expr] = {
        "phone": pl.col("phones").list.len().fill_null(0) > 0,
        "price": pl.col("prices").list.len().fill_null(0) > 0,
        "link": pl.col("links").list.len().fill_null(0) > 0,
        "mention": pl.col("mentions").list.len().fill_null(0) > 0,
        "call_to_action": _hits(_pattern(gate.call_to_action, cleaning)) > 0,
    }
    # Noisy-OR: P(ad) = 1 - prod(1 - w_s) over the signals present.
    keep = pl.lit(1.0)
    for name, weight in gate.weights.items():
        keep = keep * pl.when(signals[name]).then(1.0 - weight).otherwise(1.0)
    gate_pos = (1.0 - keep) >= gate.threshold
    p_gate = 1.0 - keep
    values: dict[str, pl.Expr] = {
        gate.task: pl.concat_list(pl.when(gate_pos).then(pl.lit(gate.positive))
                                  .otherwise(pl.lit(gate.negative)))}
    scores: dict[str, pl.Expr] = {gate.task: pl.when(gate_pos).then(p_gate).otherwise(1.0 - p_gate)}
    masks: dict[str, pl.Expr] = {gate.task: pl.lit(True)}

    def applies(task: str) -> pl.Expr:
        # The taxonomy's `when`, evaluated on the predicted answers (vectorised Taxonomy.applies).
        cond = taxonomy.task(task).when
        if cond is None:
            return pl.lit(True)
        if cond.task not in values:
            return pl.lit(False)
        return masks[cond.task] & values[cond.task].list.contains(cond.equals)

    for task in taxonomy.names:  # declaration order, so a condition sees its parent
        if task == gate.task or task not in rules.keywords:
            continue
        labels = [lab for lab in taxonomy.task(task).values if lab in rules.keywords[task]]
        counts = [_hits(_pattern(rules.keywords[task][lab], cleaning)) for lab in labels]
        if taxonomy.task(task).kind == "single":
            best = pl.max_horizontal(counts)
            tied = pl.sum_horizontal([(c == best).cast(pl.UInt32) for c in counts])
            # More hits -> more confident; a tie halves the confidence in the first label.
            scores[task] = (0.5 + 0.15 * best) / tied
            values[task] = pl.concat_list(
                pl.lit(pl.Series([labels])).list.get(pl.concat_list(counts).list.arg_max()))
            masks[task] = applies(task) & (best > 0)
        else:
            values[task] = pl.concat_list(
                [pl.when(c > 0).then(pl.lit(lab)).otherwise(pl.lit(None, dtype=pl.Utf8))
                 for lab, c in zip(labels, counts, strict=True)]).list.drop_nulls()
            scores[task] = pl.when(values[task].list.len() > 0).then(0.6).otherwise(0.5)
            masks[task] = applies(task)
    order = {t: i for i, t in enumerate(taxonomy.names)}
    parts = [
        messages.with_row_index("_row").select(
            "_row", "uid", task=pl.lit(task), _order=pl.lit(order[task]),
            value=values[task].cast(pl.List(pl.Utf8)),
            score=pl.min_horizontal(scores[task].cast(pl.Float64), pl.lit(rules.max_score)).round(4),
            _keep=masks[task],
        ).filter(pl.col("_keep"))
        for task in values
    ]
    out = pl.concat(parts).sort("_row", "_order")
    # Rule scores are not calibrated: their uncertainty is plainly 1 - score.
    return out.select(
        "uid", "task", "value", "score", model_version=pl.lit(rules.model_version),
        uncertainty=1.0 - pl.col("score"),
    ).cast(PREDICTIONS_SCHEMA)
