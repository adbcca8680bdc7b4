"""The gate's learned part: a text classifier fitted on labeled posts that ship with the rules.

The hand-written signals of ``rules.yaml`` read a post by kind (verb roots, a listing's layout,
price phrases), and each new blind writer still found ads they miss: every signal was written
against some writer's posts. A character n-gram model fitted on all those labeled posts at once
(``labeling/gate_posts.tsv``: ads and hard non-ads written for the project by several writers,
none of them a user's) carries what they share without a pattern per phrase. It does not replace
the signals: the gate's score is ``(1 - weight) * noisy-OR + weight * P(ad)``, so the model can
lift a post the signals half-believe or damp one they believe weakly, and neither can pass a
post alone at the default weight 0.3 unless the other agrees somewhat. Chosen by leaving each
labeled round out in turn (README, "Rule pre-annotations").

Fitting takes about a second on the ~1,500 shipped posts; a fitted model is kept per posts file
(its sha256) and cleaning, so a push or a curation run fits it once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from workbench.core.errors import ConfigError
from workbench.core.io import sha256_file
from workbench.core.strict_model import StrictModel

#: Header of a gate posts file.
POSTS_HEADER = "label\ttext"


class LearnedGate(StrictModel):
    """``gate.learned`` in rules.yaml: the labeled posts and how much the model's opinion counts."""

    posts: str = Field(description="TSV of labeled posts (label<TAB>text, \\n for a line "
                       "break; labels: the gate's positive and negative), relative to rules.yaml.")
    weight: float = Field(default=0.3, gt=0.0, lt=1.0,
                          description="The model's share of the gate score (the signals' noisy-OR "
                          "has the rest).")
    c: float = Field(default=4.0, gt=0.0, description="Inverse L2 strength of the logistic "
                     "regression over char 2-4 TF-IDF.")


def read_gate_posts(path: Path, positive: str, negative: str) -> tuple[list[str], np.ndarray]:
    """The texts of a gate posts file and whether each is ``positive`` (1) or ``negative`` (0).

    Raises
    ------
    ConfigError
        Missing file, wrong header, a line without a tab, an unknown label, or one class only.
    """
    if not path.is_file():
        msg = f"gate.learned.posts: {path} does not exist"
        raise ConfigError(msg)
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != POSTS_HEADER:
        msg = f"{path}: the first line must be the header {POSTS_HEADER!r}"
        raise ConfigError(msg)
    texts, labels = [], []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        label, sep, text = line.partition("\t")
        if not sep or label not in (positive, negative):
            msg = (f"{path}, line {number}: expected '{positive}' or '{negative}', a tab, then "
                   "the text")
            raise ConfigError(msg)
        texts.append(text.replace("\\n", "\n"))
        labels.append(int(label == positive))
    y = np.array(labels, dtype=int)
    if np.unique(y).size < 2:
        msg = f"{path}: the posts need both '{positive}' and '{negative}' examples"
        raise ConfigError(msg)
    return texts, y


def fitted_model(texts_norm: Sequence[str], y: np.ndarray, c: float) -> Any:
    """Char_wb 2-4 TF-IDF (sublinear) + logistic regression fitted on normalised texts."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4),
                                          sublinear_tf=True),
                          LogisticRegression(C=c, max_iter=2000))
    return model.fit(list(texts_norm), y)


#: Fitted models by (posts file, its sha256, cleaning): a push or curation run fits once.
_MODELS: dict[tuple[str, str, str], Any] = {}


def model_for(path: Path, cleaning_key: str, build: Callable[[], Any]) -> Any:
    """The fitted model of ``path`` under a cleaning (``cleaning_key``), kept or ``build()``."""
    key = (str(path.resolve()), sha256_file(path), cleaning_key)
    if key not in _MODELS:
        if len(_MODELS) >= 4:
            _MODELS.pop(next(iter(_MODELS)))
        _MODELS[key] = build()
    return _MODELS[key]


def ad_probability(model: Any, texts_norm: Sequence[str]) -> np.ndarray:
    """``P(positive)`` of each normalised text (an empty list gives an empty array)."""
    if not texts_norm:
        return np.zeros(0)
    return np.asarray(model.predict_proba(list(texts_norm))[:, 1], dtype=float)
