"""The ``curation:`` section of ``workbench.yaml``, one model per concern.

Every field is optional; command-line flags override the matching field for one run.

Examples
--------
>>> cfg = CurationConfig()
>>> (cfg.flag.classifier, cfg.flag.folds, cfg.flag.repeats, cfg.flag.filter_by)
({'single': 'tfidf_nb_svm', 'multi': 'tfidf_lr'}, 5, None, 'low_self_confidence')
>>> (cfg.flag.classifier_for("single"), FlagConfig(classifier="tfidf_lr").classifier_for("multi"))
('tfidf_nb_svm', 'tfidf_lr')
>>> cfg.split.ratios
(0.8, 0.1, 0.1)
>>> try:
...     SplitConfig(ratios=(0.5, 0.4, 0.2))
... except ValueError as exc:
...     print("sum to 1" in str(exc))
True
"""

from __future__ import annotations

import math
from typing import Literal, TypeVar

from pydantic import BaseModel, Field, model_validator

from workbench.core.settings.rag import TfidfConfig
from workbench.core.strict_model import StrictModel

FilterBy = Literal[
    "low_self_confidence", "low_normalized_margin", "prune_by_noise_rate", "prune_by_class", "both",
    "confident_learning", "predicted_neq_given",
]

SplitBy = Literal["random", "channel", "time"]

TaskKind = Literal["single", "multi"]

# Measured (README, curation benchmark): the tuned NB + SVM blend is the most accurate, with the
# best probabilities, on both real single-choice sets; on multi-label tags naive Bayes lowered flag
# precision, so LR stays there.
DEFAULT_CLASSIFIERS: dict[str, str] = {"single": "tfidf_nb_svm", "multi": "tfidf_lr"}

#: Fold draws of a single-choice task under ``REPEATS_BELOW`` labels when ``flag.repeats`` is
#: unset: averaging 10 draws lifted flag precision on SIB-200 by 0.06 and recall by 0.02
#: (README, flag operating points); a larger task draws once, for the time it would take.
DEFAULT_REPEATS = 10
REPEATS_BELOW = 10_000

#: The cleanlab method of a task ``flag.filter_by`` does not name: the most precise on SIB-200
#: and AfriSenti (README, flag operating points).
DEFAULT_FILTER_BY = "low_self_confidence"

OutlierReason = Literal["empty", "non_amharic", "flood", "repetitive"]

DedupMethod = Literal["minhash", "embedding"]

NeighbourSearch = Literal["exact", "ann"]

M = TypeVar("M", bound=BaseModel)


class FlagConfig(StrictModel):
    """``workbench curate flag``: classifier, folds and the cleanlab method."""

    classifier: str | dict[TaskKind, str] = Field(
        default_factory=lambda: dict(DEFAULT_CLASSIFIERS),
        description="Text classifier by registry name (see workbench.curation.classifiers), or "
        "'auto': per task, the entry with the lowest out-of-fold log loss on the task's labels; "
        "one name for every task, or one per task kind: {single: NAME, multi: NAME} (a kind "
        "left out keeps its default).",
    )
    encoder: str | None = Field(
        default=None,
        description="Local encoder folder for the embed_lr classifier (a sentence-transformers "
        "model, or a Hugging Face model mean-pooled, e.g. a training run's merged model); with "
        "'auto', embed_lr is a candidate only when this is set.",
    )
    rule_prior: bool = Field(
        default=True,
        description="Pool the labeling rules' evidence (the gate's score for is_ad, the keyword "
        "lexicons for vertical) into the classifier's probabilities, with a weight chosen per "
        "task by out-of-fold log loss on its labels (0 where the rules do not help).",
    )
    channel_prior: bool = Field(
        default=True,
        description="Pool the labels of each post's other labeled posts in the same channel "
        "(read from the uid, '<channel_id>:<message_id>') into a single-choice task's "
        "probabilities, with a weight chosen per task by out-of-fold log loss on its labels "
        "(0 where a channel's labels do not predict the next one's).",
    )
    self_check_rate: float = Field(
        default=0.1, gt=0.0, lt=0.5,
        description="Share of the confidently labeled items whose label `curate flag "
        "--self-check` flips to measure the flagger.",
    )
    folds: int = Field(default=5, ge=2, le=20, description="K of the K-fold out-of-fold probabilities.")
    repeats: int | None = Field(
        default=None, ge=1, le=20,
        description="Times a single-choice task's K folds are drawn (other fold seeds), the "
        "out-of-fold probabilities averaged: steadier probabilities, more precise flags, "
        f"repeats x the fits. Default (unset): {DEFAULT_REPEATS} for a task under "
        f"{REPEATS_BELOW:,} labels, 1 from there (the time a large task would take).",
    )
    seed: int = Field(default=0, description="Seed of the fold assignment and the classifier.")
    filter_by: FilterBy | dict[str, FilterBy] = Field(
        default=DEFAULT_FILTER_BY,
        description="cleanlab find_label_issues method: one for every task, or one per task "
        f"name ({{is_ad: prune_by_noise_rate}}; a task left out uses {DEFAULT_FILTER_BY}). "
        f"{DEFAULT_FILTER_BY} is the most precise on the real sets; on ad-or-not labels "
        "prune_by_noise_rate finds more flips (README, flags on ad labels); --self-check "
        "measures every method on your labels.",
    )
    text_column: str = Field(
        default="text_norm",
        description="Column the classifier reads (text_norm: homophones unified, for scoring).",
    )
    min_labeled: int = Field(
        default=10, ge=2, description="A task with fewer labeled items is reported, not flagged."
    )
    min_consensus_quality: float = Field(
        default=0.5, ge=0.0, le=1.0,
        description="Multi-annotator items whose consensus quality (Dawid-Skene or CROWDLAB posterior) is lower are issues.",
    )
    duplicate_conflicts: bool = Field(
        default=True, description="Flag near-duplicates whose labels disagree with their cluster.",
    )
    n_jobs: int = Field(default=1, ge=1, description="Folds fitted in parallel (processes).")

    @model_validator(mode="before")
    @classmethod
    def _known_kinds(cls, data: object) -> object:
        """Name unknown task kinds in one line; fill a kind left out with its default."""
        if isinstance(data, dict) and isinstance(data.get("classifier"), dict):
            given = data["classifier"]
            unknown = sorted(str(k) for k in given if k not in DEFAULT_CLASSIFIERS)
            if unknown:
                msg = (f"unknown task kind(s) {', '.join(unknown)}; use "
                       f"{', '.join(DEFAULT_CLASSIFIERS)}")
                raise ValueError(msg)
            data = {**data, "classifier": {**DEFAULT_CLASSIFIERS, **given}}
        return data

    def repeats_for(self, n_labels: int) -> int:
        """Fold draws for a single-choice task of ``n_labels`` items: the setting, else by size.

        Examples
        --------
        >>> FlagConfig().repeats_for(1_000), FlagConfig().repeats_for(46_000)
        (10, 1)
        >>> FlagConfig(repeats=2).repeats_for(46_000)
        2
        """
        if self.repeats is not None:
            return self.repeats
        return DEFAULT_REPEATS if n_labels < REPEATS_BELOW else 1

    def classifier_for(self, kind: str) -> str:
        """The classifier name (or ``auto``) for a task of this kind (``single`` or ``multi``)."""
        if isinstance(self.classifier, str):
            return self.classifier
        return self.classifier.get(kind, DEFAULT_CLASSIFIERS.get(kind, "tfidf_lr"))  # type: ignore[call-overload]

    def filter_by_for(self, task: str) -> str:
        """The cleanlab method that flags ``task``'s labels."""
        if isinstance(self.filter_by, str):
            return self.filter_by
        return self.filter_by.get(task, DEFAULT_FILTER_BY)

    def classifier_names(self) -> list[str]:
        """Every distinct name the setting holds, in kind order (for validation up front)."""
        return list(dict.fromkeys(self.classifier_for(k) for k in DEFAULT_CLASSIFIERS))

    def classifier_label(self) -> str:
        """One short string for the setting (model versions, reports): ``NAME`` or ``single=A,multi=B``."""
        names = {k: self.classifier_for(k) for k in DEFAULT_CLASSIFIERS}
        if len(set(names.values())) == 1:
            return next(iter(names.values()))
        return ",".join(f"{k}={v}" for k, v in names.items())


class DedupConfig(StrictModel):
    """``workbench curate dedup``: near-duplicate clusters of ``text_norm``, by one of two methods.

    ``minhash`` (MinHash over character shingles, banded LSH) uses ``threshold``, ``shingle``,
    ``num_perm`` and ``seed``; ``embedding`` (offline embedder, vectors in LanceDB, cosine
    neighbours) uses ``cosine_threshold``, ``embedder``, ``tfidf``, ``search`` and ``ann_k``.
    """

    method: DedupMethod = Field(
        default="minhash",
        description="minhash (measured better on reposts: bench/dedup.py) or embedding.",
    )
    threshold: float = Field(
        default=0.6, gt=0.0, le=1.0,
        description="Estimated Jaccard similarity of shingle sets at which two texts are one cluster.",
    )
    shingle: int = Field(default=5, ge=2, le=16, description="Characters per shingle.")
    num_perm: int = Field(default=128, ge=16, le=1024, description="MinHash permutations.")
    seed: int = Field(default=1, description="Seed of the MinHash permutations.")
    cosine_threshold: float = Field(
        default=0.85, gt=0.0, le=1.0,
        description="Cosine similarity of two texts' embeddings at which they are one cluster "
        "(method: embedding).",
    )
    embedder: str = Field(
        default="tfidf-svd",
        description="Embedder by registry name (see workbench.rag.embedders); it embeds text_norm.",
    )
    tfidf: TfidfConfig = Field(
        # Fewer dimensions than retrieval: dedup compares near-copies, and the SVD fit and the
        # all-pairs search both scale with the dimension.
        default_factory=lambda: TfidfConfig(dims=128),
        description="The tfidf-svd embedder's settings for dedup (fitted on the texts deduplicated).",
    )
    search: NeighbourSearch = Field(
        default="exact",
        description="exact: blocked all-pairs cosine over the vectors (no missed pair); ann: "
        "LanceDB IVF-HNSW-SQ index, ann_k neighbours per text (for corpora far beyond 46k).",
    )
    ann_k: int = Field(
        default=20, ge=2, le=1000,
        description="Neighbours fetched per text by the ann search (clusters chain beyond it).",
    )


class OutlierConfig(StrictModel):
    """What counts as an outlier; outliers are listed with a reason, never deleted."""

    min_chars: int = Field(
        default=8, ge=0, description="Texts (text_clean) shorter than this are 'empty'."
    )
    min_ethiopic_ratio: float = Field(
        default=0.3, ge=0.0, le=1.0,
        description="Texts with fewer Ethiopic letters among letters are 'non_amharic'.",
    )
    flood_copies: int = Field(
        default=5, ge=2,
        description="A near-duplicate posted this many times in one channel is a 'flood'.",
    )
    min_char_diversity: float = Field(
        default=0.08, ge=0.0, le=1.0,
        description="Texts of 40+ chars with fewer distinct chars per char are 'repetitive'.",
    )


class SplitConfig(StrictModel):
    """``workbench curate split``: ratios, grouping and hold-outs."""

    ratios: tuple[float, float, float] = Field(
        default=(0.8, 0.1, 0.1), description="Shares of train, val, test (sum to 1)."
    )
    by: SplitBy = Field(
        default="random",
        description="random: stratified by label, grouped by cluster; channel: whole channels "
        "per split; time: oldest to train, newest to test.",
    )
    holdout_channels: list[str] = Field(
        default_factory=list,
        description="Channels (name or id) sent whole to test, whatever 'by' says.",
    )
    seed: int = Field(default=0, description="Seed of the group assignment.")
    exclude_outliers: list[OutlierReason] = Field(
        default_factory=list,
        description="Outlier reasons (empty, non_amharic, flood, repetitive) whose items are left out.",
    )

    @model_validator(mode="after")
    def _ratios_sum_to_one(self) -> SplitConfig:
        if any(r < 0 for r in self.ratios) or not math.isclose(sum(self.ratios), 1.0, abs_tol=1e-6):
            msg = f"split ratios must be >= 0 and sum to 1 (train, val, test), got {self.ratios}"
            raise ValueError(msg)
        if self.ratios[0] <= 0:
            msg = "the train ratio must be > 0"
            raise ValueError(msg)
        return self


class CurationConfig(StrictModel):
    """The whole ``curation:`` section."""

    flag: FlagConfig = Field(default_factory=FlagConfig, description="Label-issue detection.")
    dedup: DedupConfig = Field(default_factory=DedupConfig, description="Near-duplicate clusters.")
    outliers: OutlierConfig = Field(default_factory=OutlierConfig, description="Outlier rules.")
    split: SplitConfig = Field(default_factory=SplitConfig, description="Train/val/test splits.")


def with_overrides(model: M, **overrides: object) -> M:
    """``model`` with the non-None ``overrides`` applied and validated (CLI flags over config).

    Raises
    ------
    ConfigError
        When an override is invalid (one line naming the field).
    """
    from pydantic import ValidationError

    from workbench.core.validation import validation_failure

    update = {k: v for k, v in overrides.items() if v is not None}
    if not update:
        return model
    try:
        return type(model).model_validate({**model.model_dump(), **update})
    except ValidationError as exc:
        raise validation_failure(exc, type(model), "invalid option") from None
