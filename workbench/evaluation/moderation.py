"""Moderation: the taxonomy's ``tags`` (Gambling, Politics, ...) predicted on every output.

Curation keeps no fitted tag model (its out-of-fold probabilities are for the labeled items
only), so one model per tag is fitted here on the train split's tag labels with curation's
default classifier (:func:`workbench.curation.classifiers.get_classifier`, ``tfidf_lr``): the
featurizer on every train text, one binary model per tag on the messages with a tags answer
(``[]`` is an answer: "no tag"; null is no answer). An output is flagged for a tag when the
model's probability reaches :data:`THRESHOLD`.

A tag with too few labels (under :data:`MIN_LABELED` answered messages, or under
:data:`MIN_POSITIVES` carrying the tag, or every answer carrying it) is "not measured", with the
reason; the evaluation never fails on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from workbench.core.taxonomy import load_taxonomy

CLASSIFIER = "tfidf_lr"
THRESHOLD = 0.5
MIN_LABELED = 20
MIN_POSITIVES = 3

#: Columns moderation adds to ``generations.parquet``: flagged tags and every tag's probability
#: (a JSON object ``{tag: p}``; empty when nothing was measured).
MODERATION_SCHEMA: dict[str, pl.DataType] = {
    "moderation_flags": pl.List(pl.Utf8),
    "moderation_scores": pl.Utf8,
}


@dataclass
class TagModeration:
    """Fitted per-tag models (``models`` empty: nothing measured; ``skipped`` says why)."""

    tags: list[str]
    models: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    featurizer: Any = None
    threshold: float = THRESHOLD

    @property
    def measured(self) -> bool:
        """At least one tag has a model."""
        return bool(self.models)

    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """``{tag: probability}`` per text for the measured tags."""
        if not self.measured or not texts:
            return [{} for _ in texts]
        x = self.featurizer.transform([t or "" for t in texts])
        cols = {tag: model.predict_proba(x)[:, 1] for tag, model in self.models.items()}
        return [{tag: round(float(p[i]), 4) for tag, p in cols.items()} for i in range(len(texts))]

    def facts(self) -> dict[str, Any]:
        """What was measured and why not (for summary.json and the manifest)."""
        return {"classifier": CLASSIFIER, "threshold": self.threshold, "tags": self.tags,
                "measured": sorted(self.models), "not_measured": self.skipped}


def fit_tag_moderation(train: pl.DataFrame, *, seed: int) -> TagModeration:
    """Fit one binary tag model per taxonomy tag on the train split's tag answers."""
    from workbench.curation.classifiers import get_classifier

    tags = load_taxonomy().task("tags").values
    out = TagModeration(tags=tags)
    if "tags" not in train.columns:
        out.skipped = dict.fromkeys(tags, "the train split has no tags column")
        return out
    answered = train.filter(pl.col("tags").is_not_null() & pl.col("text").is_not_null())
    if answered.height < MIN_LABELED:
        reason = (f"{answered.height} train messages carry a tags answer "
                  f"(fewer than {MIN_LABELED})")
        out.skipped = dict.fromkeys(tags, reason)
        return out
    spec = get_classifier(CLASSIFIER)
    texts = train.filter(pl.col("text").is_not_null())["text"].to_list()
    out.featurizer = spec.featurizer().fit(texts)
    x = out.featurizer.transform(answered["text"].to_list())
    answers = answered["tags"].to_list()
    for tag in tags:
        y = np.array([tag in a for a in answers], dtype=int)
        positives = int(y.sum())
        if positives < MIN_POSITIVES or positives == y.size:
            out.skipped[tag] = (f"{positives} of {y.size} answered train messages carry it "
                                f"(a model needs {MIN_POSITIVES}+ with and some without)")
            continue
        out.models[tag] = spec.model(seed).fit(x, y)
    return out


def moderation_columns(moderation: TagModeration, texts: Sequence[str]) -> list[dict[str, Any]]:
    """The :data:`MODERATION_SCHEMA` columns of each text."""
    import json

    rows = []
    for scores in moderation.predict(texts):
        flags = [tag for tag, p in scores.items() if p >= moderation.threshold]
        rows.append({"moderation_flags": flags,
                     "moderation_scores": json.dumps(scores, ensure_ascii=False)})
    return rows
