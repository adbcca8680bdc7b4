"""The labeled ads of ``bench/verticals.py``, as ``curate flag`` would see them, and a row's scores.

Kept apart from the benchmark's rows and tables so both stay readable; see ``bench/verticals.py``.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.curation import text_norm_of  # noqa: E402
from tests.rules_fixtures import round3_dev  # noqa: E402
from workbench.curation.classifiers import ClassifierSpec, fold_count, log_loss_of  # noqa: E402


@dataclass(frozen=True)
class LabeledAds:
    """Posts of a labeled file and which of them are ads with a vertical.

    Attributes
    ----------
    texts
        Every post (ads and non-ads): the texts a team's file would hold.
    ad_rows
        Row of each ad in ``texts``.
    verticals
        The writer's vertical of each ad, aligned with ``ad_rows``.
    rounds
        The file each ad came from (``dev`` / ``heldout``), aligned with ``ad_rows``.
    """

    texts: list[str]
    ad_rows: np.ndarray
    verticals: list[str]
    rounds: list[str]

    @property
    def ad_texts(self) -> list[str]:
        """The ads' texts."""
        return [self.texts[i] for i in self.ad_rows]


def load_ads(files: Sequence[tuple[str, Path]]) -> LabeledAds:
    """The posts of round-3-format TSV files (``label``, ``vertical``, ``text``), ads marked."""
    texts, rows, verticals, rounds = [], [], [], []
    for name, path in files:
        for post in round3_dev(path):
            if post.label == "Ad" and post.vertical:
                rows.append(len(texts))
                verticals.append(post.vertical)
                rounds.append(name)
            texts.append(post.text)
    return LabeledAds(texts, np.array(rows, dtype=np.int64), verticals, rounds)


def encode(verticals: Sequence[str], order: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Classes in ``order`` (the taxonomy's, as ``flag`` orders them; unknown ones last) and ``y``."""
    used = set(verticals)
    classes = [v for v in order if v in used] + sorted(used - set(order))
    index = {c: i for i, c in enumerate(classes)}
    return classes, np.array([index[v] for v in verticals], dtype=np.int64)


def fold_splits(y: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The stratified folds :func:`out_of_fold_probs` uses for ``(y, folds, seed)``."""
    from sklearn.model_selection import StratifiedKFold

    k = fold_count(y, int(y.max()) + 1, folds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        return list(StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(
            np.zeros(y.size), y))


@dataclass(frozen=True)
class Setup:
    """The labeled ads as ``flag`` would see them, and the run's settings."""

    ads: LabeledAds
    classes: list[str]
    y: np.ndarray
    specs: list[ClassifierSpec]
    features: dict[str, Any]
    default: str
    folds: int
    seeds: list[int]

    @property
    def n_classes(self) -> int:
        """K, the number of verticals."""
        return len(self.classes)


def prepare(files: Sequence[tuple[str, Path]], folds: int, seeds: list[int]) -> Setup:
    """Read the ads, compute ``text_norm`` and every candidate's features as ``flag`` does."""
    from workbench.core.settings.curation import FlagConfig
    from workbench.core.taxonomy import load_taxonomy
    from workbench.curation.choose import featurize_all
    from workbench.curation.classifiers import auto_candidates

    ads = load_ads(files)
    vertical_order = [lab.value for lab in load_taxonomy().task("vertical").labels]
    classes, y = encode(ads.verticals, vertical_order)
    specs = auto_candidates(None)
    corpus = text_norm_of(ads.texts)  # what flag reads for a user's texts file
    # Fitted on every post of the file, labeled or not, as flag fits it; then the ads' rows.
    features = {name: x[ads.ad_rows] for name, x in featurize_all(corpus, specs).items()}
    return Setup(ads, classes, y, specs, features, FlagConfig().classifier_for("single"), folds,
                 seeds)


def most_common_spec(featurizer: Any) -> ClassifierSpec:
    """Always the training part's most common vertical (probabilities: its class frequencies)."""
    from sklearn.dummy import DummyClassifier

    return ClassifierSpec("most common vertical", "class prior", featurizer,
                          lambda _seed: DummyClassifier(strategy="prior"))


@dataclass
class Scores:
    """Accuracy and log loss of one row, one value per fold seed."""

    name: str
    accuracy: list[float] = field(default_factory=list)
    log_loss: list[float] = field(default_factory=list)
    #: Each seed's predicted class per ad (argmax of the out-of-fold probabilities).
    predicted: list[np.ndarray] = field(default_factory=list)
    #: Each seed's out-of-fold probabilities.
    probs: list[np.ndarray] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""

    def add(self, y: np.ndarray, probs: np.ndarray) -> None:
        """Record one seed's out-of-fold probabilities."""
        self.accuracy.append(float((probs.argmax(axis=1) == y).mean()))
        self.log_loss.append(log_loss_of(y, probs))
        self.predicted.append(probs.argmax(axis=1))
        self.probs.append(probs)

    def accuracy_on(self, y: np.ndarray, rows: np.ndarray) -> list[float]:
        """Each seed's accuracy on the ads at ``rows`` only."""
        return [float((p[rows] == y[rows]).mean()) for p in self.predicted]

    def as_dict(self, heldout: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Any]:
        """JSON-ready summary (mean, min, max and every seed's value)."""
        out: dict[str, Any] = {"classifier": self.name, "seconds": round(self.seconds, 1),
                               "note": self.note}
        if heldout is not None:
            out["heldout_accuracy"] = [round(v, 4) for v in self.accuracy_on(*heldout)]
        for key, vals in (("accuracy", self.accuracy), ("log_loss", self.log_loss)):
            if vals:
                out[key] = {"mean": round(float(np.mean(vals)), 4), "min": round(min(vals), 4),
                            "max": round(max(vals), 4), "per_seed": [round(v, 4) for v in vals]}
        return out
