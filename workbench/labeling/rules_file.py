"""``labeling/rules.yaml``: its schema (the gate's signals and weights, lexicons, patterns) and loader.

:func:`load_rules` validates the file against the taxonomy and checks every declared regex, so
a typo fails at load in one line rather than in the middle of a push. What the rules predict is
:mod:`workbench.labeling.rules`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from pydantic import Field, model_validator

from workbench.core.config import load_yaml_model
from workbench.core.errors import ConfigError
from workbench.core.resources import default_file, user_path
from workbench.core.strict_model import StrictModel
from workbench.core.taxonomy import Taxonomy
from workbench.labeling.learned_gate import LearnedGate, read_gate_posts


def rules_path(explicit: Path | None = None) -> Path:
    """The rules file: ``explicit``, else the project's ``labeling/rules.yaml``, else the default."""
    return user_path(explicit) if explicit is not None else default_file("labeling/rules.yaml")


#: Signals computed from the cleaned columns and the core price patterns; rules.yaml may declare
#: more under ``gate.signals`` (named regex patterns).
BUILTIN_SIGNALS = ("phone", "price", "scaled_amount", "per_area", "negotiable", "link", "mention",
                   "call_to_action")



class Signal(StrictModel):
    """A declared signal in its long form: patterns, how many matches it needs, where it looks.

    The short form in rules.yaml is the list of patterns alone (``min_count: 1``, in ``text_norm``).
    """

    patterns: list[str] = Field(min_length=1, description="Regex patterns, any of which counts.")
    min_count: int = Field(default=1, ge=1, description="Matches (or lines) needed for the signal.")
    per_line: bool = Field(
        default=False,
        description="Match line by line in the post as written (spelt like text_norm, line breaks "
        "kept; `^` and `$` are the ends of a line) and count the lines with a match.",
    )


class Gate(StrictModel):
    """The yes/no task decided by weighted signals (is_ad by default).

    Score: the noisy-OR of the ``weights`` of the signals present, times ``1 - w`` for each
    ``against`` signal present (news and chat language: evidence that a post is not an ad, so a
    news post quoting prices does not pass), unless one of the ``overrides`` signals is present.
    """

    task: str = Field(description="Taxonomy task the signals decide.")
    positive: str = Field(description="Label predicted at or above the threshold.")
    negative: str = Field(description="Label predicted below the threshold.")
    threshold: float = Field(default=0.5, gt=0.0, lt=1.0, description="Noisy-OR cut-off.")
    weights: dict[str, float] = Field(description="Evidence weight of each signal, in [0, 1).")
    against: dict[str, float] = Field(
        default_factory=dict, description="Evidence against, in [0, 1): the score is multiplied by 1 - w.")
    signals: dict[str, list[str] | Signal] = Field(
        default_factory=dict,
        description="Declared signals: name -> regex patterns matched in text_norm, or a Signal.")
    overrides: list[str] = Field(
        default_factory=list, description="Signals that, present, leave the score undamped by every "
        "`against` signal (a paid-post marker: the channel says the post is an ad).")
    call_to_action: list[str] = Field(default_factory=list, description="Call-to-action keywords.")
    learned: LearnedGate | None = Field(
        default=None, description="A classifier fitted on labeled posts, mixed into the score: "
        "(1 - weight) * noisy-OR + weight * P(positive) (workbench.labeling.learned_gate).")

    @model_validator(mode="after")
    def _weights_in_range(self) -> Gate:
        both = {**self.weights, **{f"against.{k}": v for k, v in self.against.items()}}
        bad = {k: v for k, v in both.items() if not 0.0 <= v < 1.0}
        if bad:
            msg = f"gate weights must lie in [0, 1), got {bad}"
            raise ValueError(msg)
        clash = sorted(set(self.signals) & set(BUILTIN_SIGNALS))
        if clash:
            msg = f"gate.signals may not redefine built-in signal(s) {clash}"
            raise ValueError(msg)
        known = set(BUILTIN_SIGNALS) | set(self.signals)
        unknown = sorted((set(self.weights) | set(self.against) | set(self.overrides)) - known)
        if unknown:
            msg = (f"gate weights name unknown signal(s) {unknown}; built-in: {list(BUILTIN_SIGNALS)}, "
                   f"declared under gate.signals: {sorted(self.signals)}")
            raise ValueError(msg)
        return self

    def signal(self, name: str) -> Signal:
        """The declared signal ``name`` in its long form."""
        spec = self.signals[name]
        return spec if isinstance(spec, Signal) else Signal(patterns=spec)


class Rules(StrictModel):
    """``labeling/rules.yaml``."""

    model_version: str = Field(default="rules-v8", min_length=1, description="Shown with each prediction.")
    max_score: float = Field(default=0.9, gt=0.0, le=1.0, description="Ceiling of any rule score.")
    gate: Gate
    keywords: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict, description="task -> label -> keywords."
    )
    patterns: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict,
        description="task -> label -> regex patterns matched in text_norm (Ge'ez spelt as "
        "text_norm spells it, as gate signals are), each match counted as a keyword hit: for "
        "a word that counts only in company (Latin 'bet' is ቤት, a house, unless a bonus or "
        "odds are near).")
    fallback: dict[str, str] = Field(
        default_factory=dict,
        description="Single-choice task -> label predicted when none of its keywords hits, so "
        "every task that applies is pre-filled (at fallback_score).",
    )
    fallback_score: float = Field(
        default=0.2, gt=0.0, lt=1.0, description="Score of a fallback prediction (a guess).")


def load_rules(path: Path | None = None, *, taxonomy: Taxonomy) -> Rules:
    """Load the rules and check every task and label they name against ``taxonomy``."""
    source = rules_path(path)
    rules = load_yaml_model(source, Rules)
    named = {rules.gate.task: [rules.gate.positive, rules.gate.negative]}
    for lexicon in (rules.keywords, rules.patterns):
        for task, labels in lexicon.items():
            named.setdefault(task, []).extend(lab for lab in labels if lab not in named.get(task, []))
    for task, label in rules.fallback.items():
        named.setdefault(task, []).append(label)
        if task in taxonomy.names and taxonomy.task(task).kind != "single":
            msg = f"{source}: fallback for '{task}': only single-choice tasks have one"
            raise ConfigError(msg)
    for task, labels in named.items():
        if task not in taxonomy.names:
            taxonomy.task(task)  # raises the "did you mean" error
        unknown = [lab for lab in labels if lab not in taxonomy.task(task).values]
        if unknown:
            msg = (f"{source}: task '{task}' has no label(s) {unknown}; "
                   f"the taxonomy has: {taxonomy.task(task).values}")
            raise ConfigError(msg)
    declared = {f"gate.signals.{name}": rules.gate.signal(name).patterns for name in rules.gate.signals}
    declared |= {f"patterns.{task}.{label}": patterns
                 for task, labels in rules.patterns.items() for label, patterns in labels.items()}
    for where, patterns in declared.items():
        for pattern in patterns:
            try:
                pl.select(pl.lit("").str.contains(pattern))
            except pl.exceptions.PolarsError as exc:
                msg = f"{source}: {where}: bad pattern {pattern!r}: {str(exc).splitlines()[0]}"
                raise ConfigError(msg) from None
    if taxonomy.task(rules.gate.task).kind != "single":
        msg = f"{source}: gate task '{rules.gate.task}' must be a single-choice task"
        raise ConfigError(msg)
    learned = rules.gate.learned
    if learned is not None:
        # Relative to the rules file, so a project folder's copy reads its own posts.
        posts = Path(learned.posts).expanduser()
        posts = posts if posts.is_absolute() else source.parent / posts
        read_gate_posts(posts, rules.gate.positive, rules.gate.negative)  # fails now, in one line
        gate = rules.gate.model_copy(update={"learned": learned.model_copy(
            update={"posts": str(posts)})})
        rules = rules.model_copy(update={"gate": gate})
    return rules
