"""Benchmark the flagger's operating points on the real sets: precision and recall of known flips.

Usage::

    .venv/bin/python bench/flags.py --sib200 /path/to/sib200-amh --afrisenti /path/to/afrisenti-amh \
        [--seeds 7,8,9,10] [--only tfidf_nb_svm] [--match x10] [--json FILE]

10% of the labels are flipped at known rows (``--flip-rate``; seed 7 gives the same flips as
``bench/curation.py --compare``, ``--seeds`` runs several flip draws). For each row (classifiers,
folds, draws of the folds, prune-and-refit rounds) the out-of-fold probabilities are computed on
the flipped labels, then every cleanlab ``filter_by`` is applied to them:

* ``mean(...)`` rows average the named entries' probabilities (an ensemble of calibrated models);
* ``k=K xR``: the K folds drawn R times with fold seeds ``seed .. seed+R-1`` and the
  probabilities averaged (``out_of_fold_probs(repeats=R)``; ``curate flag`` draws 10 times by
  default for a task under 10,000 labels: ``curation.flag.repeats``);
* ``prune N``: N rounds of prune and refit: drop the items the previous round flagged
  (``low_self_confidence``) from every fold's training part, refit out of fold, flag again;
* ``syllables``: the classifier on char_wb 2-6 TF-IDF of the texts with every Ge'ez syllable
  split into its consonant and vowel order (``bench/views.py``) instead of the shared features;
  ``char+syllables``: both feature sets side by side (each row L2-normalised again);
* ``+ knn K``: the classifier's probabilities mixed with a leave-one-out K-nearest-neighbour view
  of the labels over the same TF-IDF (``bench/views.py``), at the weight whose log loss on
  the labels as given is lowest (printed as ``w``);
* ``trained on the true labels``: not a flagger (no one has the true labels) but its ceiling:
  the classifier learns the labels before the flips, then flags the flipped labels as usual; what
  removing the flips' pull on the classifier (pruning, reweighting, a second opinion) could at
  most recover;
* ``T``: the probabilities sharpened or softened by one temperature, the one whose log loss on
  the labels as given is lowest (printed as ``T``): cleanlab's ranking reads ``p(given)`` after
  renormalisation, so a temperature can reorder items across classes;
* ``rank_by_quality`` (a column): the items ranked by cleanlab's label quality, the lowest
  ``num_label_issues(estimation_method="off_diagonal_calibrated")`` flagged (cleanlab's estimate
  of the number of issues; its plain ``off_diagonal`` estimate is the ``low_self_confidence``
  count, so that rule reads the same as the first column).

Beside each row: ``P at R 0.80``, the precision of the shortest label-quality ranking prefix that
holds 80% of the flips (the best any threshold on that ranking can do at the target recall), and
the share of the *unflipped* items the classifier gets wrong, and wrong with the given label's
probability under 0.2: those are what a flag on them costs in precision. The issue's target:
precision >= 0.75 with recall >= 0.80.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.curation import load_real, score, text_norm_of  # noqa: E402

FILTERS = ("low_self_confidence", "low_normalized_margin", "prune_by_noise_rate", "both",
           "rank_by_quality")


@dataclass(frozen=True)
class Run:
    """One row: classifiers averaged, folds, draws of the folds, prune-and-refit rounds.

    The last four fields are the second views, transform and ceiling measured for issue #16, one
    of them per row (pruning refits on the shared char features).
    """

    names: tuple[str, ...]
    folds: int = 5
    repeats: int = 1
    prune: int = 0
    neighbours: int = 0
    temperature: bool = False
    true_labels: bool = False
    features: str = "char"  # "char" (shared char_wb 2-4), "syllables" or "char+syllables"

    @property
    def label(self) -> str:
        """The row's name in the printed table."""
        names = self.names[0] if len(self.names) == 1 else f"mean({', '.join(self.names)})"
        view = "" if self.features == "char" else f" {self.features}"
        return (f"{names}{view} k={self.folds} x{self.repeats}"
                + (f" prune {self.prune}" if self.prune else "")
                + (f" + knn {self.neighbours}" if self.neighbours else "")
                + (" T" if self.temperature else "")
                + (" trained on the true labels" if self.true_labels else ""))


RUNS = (
    Run(("tfidf_lr",)), Run(("tfidf_nb_cal",)), Run(("tfidf_nb_cal",), 10),
    Run(("tfidf_nb_svm",)), Run(("tfidf_nb_svm",), 10),
    Run(("tfidf_nb_cal", "tfidf_nb_svm")), Run(("tfidf_lr", "tfidf_nb_cal", "tfidf_nb_svm")),
    Run(("tfidf_nb_svm",), 5, 3), Run(("tfidf_nb_svm",), 5, 5), Run(("tfidf_nb_svm",), 10, 3),
    Run(("tfidf_nb_svm",), 5, 10), Run(("tfidf_nb_cal", "tfidf_nb_svm"), 5, 5),
    Run(("tfidf_nb_svm",), 5, 1, 1), Run(("tfidf_nb_svm",), 5, 5, 1),
    Run(("tfidf_nb_cal", "tfidf_nb_svm"), 5, 10),
    Run(("tfidf_nb_svm",), 5, 10, neighbours=10), Run(("tfidf_nb_svm",), 5, 10, neighbours=30),
    Run(("tfidf_nb_svm",), 5, 10, temperature=True), Run(("tfidf_nb_svm",), 5, 10, true_labels=True),
    Run(("tfidf_nb_svm",), 5, 10, features="syllables"),
    Run(("tfidf_nb_svm",), 5, 10, features="char+syllables"),
)

#: Temperatures a ``T`` row chooses among (1: the probabilities as they are).
TEMPERATURES = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.7, 2.0)


def flips(y: np.ndarray, n_classes: int, rate: float, seed: int) -> tuple[np.ndarray, set[int]]:
    """Labels with ``rate`` of them flipped to another class, as ``bench/curation.py`` does."""
    rng = np.random.default_rng(seed)
    flip = rng.choice(y.size, size=round(rate * y.size), replace=False)
    noisy = y.copy()
    for i in flip:
        noisy[i] = rng.choice([c for c in range(n_classes) if c != y[i]])
    return noisy, set(flip.tolist())


def refit_without(x, y: np.ndarray, flagged: np.ndarray, *, name: str, n_classes: int,
                  folds: int, repeats: int, seed: int) -> np.ndarray:
    """Out-of-fold probabilities with the ``flagged`` items left out of every training part."""
    from sklearn.model_selection import StratifiedKFold

    from workbench.curation.classifiers import REGISTRY, fit_predict, fold_count

    k = fold_count(y, n_classes, folds)
    out = np.zeros((y.size, n_classes))
    for draw in range(seed, seed + repeats):
        for train, test in StratifiedKFold(k, shuffle=True, random_state=draw).split(
                np.zeros(y.size), y):
            keep = train[~flagged[train]]
            out[test] += fit_predict(REGISTRY[name], draw, x[keep], y[keep], x[test],
                                     n_classes) / repeats
    out = np.clip(out, 1e-6, None)
    return out / out.sum(axis=1, keepdims=True)


def with_neighbours(x, noisy: np.ndarray, probs: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """``probs`` mixed with the leave-one-out k-NN view of ``noisy``; the weight chosen."""
    from bench.views import mix_by_log_loss, nearest, neighbour_view

    index, similarity = nearest(x, k)
    view = neighbour_view(index, similarity, noisy, probs.shape[1])
    mixed, weight = mix_by_log_loss(probs, view, noisy)
    return mixed / mixed.sum(axis=1, keepdims=True), weight


def feature_views(x, norm: list[str]) -> dict[str, object]:
    """The syllables-split features, alone and beside the shared char_wb 2-4 ones."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.preprocessing import normalize

    from bench.views import syllable_features

    syllables = syllable_features(norm)
    return {"syllables": syllables,
            "char+syllables": csr_matrix(normalize(hstack([x, syllables]).tocsr()))}


def with_temperature(noisy: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, float]:
    """``probs ** (1 / T)`` renormalised, T of :data:`TEMPERATURES` by log loss on ``noisy``."""
    from workbench.curation.classifiers import log_loss_of

    scaled = []
    for t in TEMPERATURES:
        p = np.clip(probs, 1e-6, None) ** (1 / t)
        scaled.append(p / p.sum(axis=1, keepdims=True))
    best = int(np.argmin([log_loss_of(noisy, p) for p in scaled]))
    return scaled[best], TEMPERATURES[best]


def flag_mask(noisy: np.ndarray, probs: np.ndarray, method: str) -> np.ndarray:
    """The items one operating point flags."""
    from workbench.curation.cleanlab_issues import cleanlab_single

    if method != "rank_by_quality":
        return cleanlab_single(noisy, probs, method)[0]
    from cleanlab.count import num_label_issues

    _, quality = cleanlab_single(noisy, probs, "low_self_confidence")
    n = int(num_label_issues(noisy, probs, estimation_method="off_diagonal_calibrated"))
    mask = np.zeros(noisy.size, dtype=bool)
    mask[np.argsort(quality, kind="stable")[:n]] = True
    return mask


def bounds(noisy: np.ndarray, probs: np.ndarray, truth: set[int]) -> dict[str, float]:
    """Precision at recall 0.80 of the label-quality ranking; how often clean items look wrong."""
    from workbench.curation.cleanlab_issues import cleanlab_single

    _, quality = cleanlab_single(noisy, probs, "low_self_confidence")
    hits = np.cumsum(np.isin(np.argsort(quality, kind="stable"), list(truth)))
    need = int(np.ceil(0.8 * len(truth)))
    clean = np.ones(noisy.size, dtype=bool)
    clean[list(truth)] = False
    wrong = probs.argmax(axis=1) != noisy
    sure = wrong & (probs[np.arange(noisy.size), noisy] < 0.2)
    return {"p_at_r80": need / (int(np.searchsorted(hits, need)) + 1),
            "clean_wrong": float(wrong[clean].mean()),
            "clean_wrong_sure": float(sure[clean].mean())}


def run(name: str, path: Path, rate: float, seed: int, runs: list[Run]) -> list[dict]:
    from workbench.curation.classifiers import REGISTRY, out_of_fold_probs

    texts, labels = load_real(name, path)
    classes = sorted(set(labels))
    k = len(classes)
    y = np.array([classes.index(v) for v in labels])
    noisy, truth = flips(y, k, rate, seed)
    norm = text_norm_of(texts)
    x = REGISTRY["tfidf_lr"].featurizer().fit_transform(norm)  # shared char_wb 2-4
    views = {"char": x}
    cache: dict[tuple[str, int, int, bool, str], tuple[np.ndarray, float]] = {}
    rows = []
    for r in runs:
        if r.features not in views:
            views.update(feature_views(x, norm))
        keys = [(n, r.folds, r.repeats, r.true_labels, r.features) for n in r.names]
        for key in keys:
            if key not in cache:
                t0 = time.perf_counter()
                probs, _ = out_of_fold_probs(views[r.features],
                                             y if r.true_labels else noisy,
                                             spec=REGISTRY[key[0]], n_classes=k, folds=r.folds,
                                             seed=seed, repeats=r.repeats)
                cache[key] = probs, time.perf_counter() - t0
        probs = np.mean([cache[key][0] for key in keys], axis=0)
        seconds = sum(cache[key][1] for key in keys)
        for _ in range(r.prune):
            t0 = time.perf_counter()
            probs = refit_without(x, noisy, flag_mask(noisy, probs, "low_self_confidence"),
                                  name=r.names[0], n_classes=k, folds=r.folds,
                                  repeats=r.repeats, seed=seed)
            seconds += time.perf_counter() - t0
        mixed, weight = "", 0.0
        if r.neighbours:
            t0 = time.perf_counter()
            probs, weight = with_neighbours(x, noisy, probs, r.neighbours)
            seconds += time.perf_counter() - t0
            mixed = f"  w {weight:.2f}"
        if r.temperature:
            probs, weight = with_temperature(noisy, probs)
            mixed += f"  T {weight:.1f}"
        extra = bounds(noisy, probs, truth)
        for fb in FILTERS:
            mask = flag_mask(noisy, probs, fb)
            p, rec = score(set(np.flatnonzero(mask).tolist()), truth)
            rows.append({"dataset": name, "seed": seed, "classifier": r.label, "filter_by": fb,
                         "flagged": int(mask.sum()), "precision": round(p, 3),
                         "recall": round(rec, 3), "f1": round(2 * p * rec / (p + rec or 1), 3),
                         "seconds": round(seconds, 1),
                         "neighbour_weight": weight if r.neighbours else None,
                         "temperature": weight if r.temperature else None, **{k_: round(v, 3) for k_, v in extra.items()}})
        first = rows[-len(FILTERS)]
        print(f"{name:<9} seed {seed} {r.label:<46} "
              + "  ".join(f"{row['precision']:.3f}/{row['recall']:.3f}" for row in rows[-len(FILTERS):])
              + f"  F1 {first['f1']:.3f}  P@R.8 {extra['p_at_r80']:.3f}  clean wrong "
              f"{extra['clean_wrong']:.3f} (sure {extra['clean_wrong_sure']:.3f})  {seconds:.1f} s"
              + mixed, flush=True)
    return rows


def summary(results: list[dict]) -> None:
    """Mean over the flip seeds of each row's ``low_self_confidence`` flags."""
    print("\nmean over the flip seeds, filter_by=low_self_confidence:")
    keys = dict.fromkeys((r["dataset"], r["classifier"]) for r in results)
    for dataset, clf in keys:
        rows = [r for r in results if (r["dataset"], r["classifier"]) == (dataset, clf)
                and r["filter_by"] == "low_self_confidence"]
        mean = {m: statistics.mean(r[m] for r in rows) for m in
                ("precision", "recall", "f1", "p_at_r80", "seconds")}
        print(f"{dataset:<9} {clf:<46} P {mean['precision']:.3f}  R {mean['recall']:.3f}  "
              f"F1 {mean['f1']:.3f}  P@R.8 {mean['p_at_r80']:.3f}  {mean['seconds']:.1f} s  "
              f"({len(rows)} seed(s))")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sib200", type=Path, default=None)
    parser.add_argument("--afrisenti", type=Path, default=None)
    parser.add_argument("--flip-rate", type=float, default=0.1)
    parser.add_argument("--seeds", default="7", help="flip seeds, comma-separated (default 7)")
    parser.add_argument("--only", default=None,
                        help="comma-separated classifier names: only rows made of them")
    parser.add_argument("--match", default=None,
                        help="only rows whose printed name contains this, e.g. 'x10'")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    only = None if args.only is None else set(args.only.split(","))
    runs = [r for r in RUNS if (only is None or set(r.names) <= only)
            and (args.match is None or args.match in r.label)]
    print("columns: P/R at " + ", ".join(FILTERS))
    results = []
    for name, path in (("sib200", args.sib200), ("afrisenti", args.afrisenti)):
        if path is not None:
            for seed in (int(s) for s in args.seeds.split(",")):
                results += run(name, path, args.flip_rate, seed, runs)
    summary(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
