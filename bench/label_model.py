"""Benchmark a learned label model (Snorkel's) for the rule gate against the hand-set noisy-OR weights.

Usage::

    .venv/bin/python bench/label_model.py --afrisenti /path/to/afrisenti-amh --sib200 /path/to/sib200-amh
    .venv/bin/python bench/label_model.py ... --grid    # print the settings grid, scored on the older rounds

Needs the ``bench`` extra (``pip install -e '.[bench]'``: snorkel, pinned); says so in one line
when it is missing.

Every signal the packaged rules weigh becomes one labeling function: a weighted signal votes Ad
where it fires and abstains elsewhere, an ``against`` signal votes Non-Ad where it fires and
abstains elsewhere. The signals are computed by the gate's own code
(:func:`workbench.labeling.rules.gate_evidence`), so the label model and the noisy-OR read the
same evidence from the same call. Snorkel's ``LabelModel`` (cardinality 2) is then fitted on an
**unlabeled** pool, transductively, as a user would fit it on the posts being pre-annotated:

* ``full``: round 3's held-out posts, every AfriSenti tweet, every SIB-200 sentence and the older
  hand-written rounds (rounds 1 and 2, the rules-v3 held-out round, the rules-v4 structure cases,
  round 3's development half);
* ``ads-rich``: the same without the tweets and sentences (the external sets are then predicted
  by the fitted model, not fitted on).

For the held-out ads with their phone numbers cut out, the model is fitted again on the same pool
with round 3's held-out posts phone-less, since those are then the posts being pre-annotated.

The label model's settings are fixed before any measurement (Snorkel's tutorial settings:
500 epochs, lr 0.01, no l2, seed 123; a post is Ad where P(Ad) > 0.5, a tie is Non-Ad: Snorkel's
``predict`` with ties abstaining, an abstention being the gate's negative answer). ``class_balance``
is reported both unknown (Snorkel's default, uniform) and stated as the pool's true share of ads:
the most favourable prior a user could state. A ``chosen`` column per pool takes the prior and
settings (epochs, lr, l2) of a small grid with the best balanced accuracy on the older rounds'
labels (never round 3's held-out half); ``--grid`` prints the grid. Labels are never used to fit. Beside it, in the same run: the hand-set noisy-OR (the packaged rules, as shipped) and the
majority vote of the same labeling functions.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.rules import tsv_texts, without_phones  # noqa: E402
from tests.rules_fixtures import (  # noqa: E402
    ADS_WITHOUT_PHONE,
    HELD_OUT_ADS,
    HELD_OUT_NON_ADS,
    NEWS_WITH_PRICES,
    ROUND2_ADS,
    ROUND2_NON_ADS,
    ROUND3_HELDOUT_FILE,
    STRUCTURE_ADS,
    STRUCTURE_NON_ADS,
    round3_dev,
)
from workbench.core.config import CleaningConfig  # noqa: E402
from workbench.labeling.rules import (  # noqa: E402
    SIGNAL_PREFIX,
    Gate,
    Rules,
    gate_evidence,
    load_rules,
    rule_inputs,
)

if TYPE_CHECKING:
    from snorkel.labeling.model import LabelModel

#: Snorkel's vote encoding for the gate task (cardinality 2).
ABSTAIN, NON_AD, AD = -1, 0, 1

#: The label model's settings, fixed before any measurement: Snorkel's tutorial settings.
A_PRIORI = {"n_epochs": 500, "lr": 0.01, "l2": 0.0, "seed": 123}


@dataclass(frozen=True)
class LabelingFunction:
    """One column of the vote matrix: the gate signal it reads and the vote it casts where that fires."""

    name: str
    signal: str
    vote: int


def labeling_functions(gate: Gate) -> list[LabelingFunction]:
    """One labeling function per weighted signal (votes Ad) and per ``against`` signal (votes Non-Ad)."""
    lfs = [LabelingFunction(name, name, AD) for name in gate.weights]
    lfs += [LabelingFunction(f"against:{name}", name, NON_AD) for name in gate.against]
    return lfs


@dataclass(frozen=True)
class Votes:
    """The labeling functions' votes on a list of texts, and the hand-set gate's decision on them."""

    matrix: np.ndarray  # (texts, labeling functions): AD, NON_AD or ABSTAIN
    lfs: list[LabelingFunction]
    gate_ad: np.ndarray  # the noisy-OR score at or above the gate's threshold


def vote_matrix(texts: list[str], rules: Rules, cleaning: CleaningConfig) -> Votes:
    """The vote matrix of ``texts`` (row i = ``texts[i]``) from the gate's own per-signal evidence."""
    frame = rule_inputs(pl.DataFrame({"text": texts}), cleaning)
    evidence = gate_evidence(frame, rules, cleaning=cleaning).sort(pl.col("uid").cast(pl.Int64))
    lfs = labeling_functions(rules.gate)
    columns = [np.where(evidence[SIGNAL_PREFIX + lf.signal].to_numpy(), lf.vote, ABSTAIN) for lf in lfs]
    matrix = np.column_stack(columns).astype(np.int64) if columns else np.empty((len(texts), 0), np.int64)
    return Votes(matrix, lfs, evidence["score"].to_numpy() >= rules.gate.threshold)


def majority_ad(matrix: np.ndarray) -> np.ndarray:
    """Ad where more labeling functions vote Ad than Non-Ad (a tie, or no vote at all, is Non-Ad)."""
    return (matrix == AD).sum(axis=1) > (matrix == NON_AD).sum(axis=1)


def fit_label_model(matrix: np.ndarray, class_balance: list[float] | None, **settings: float) -> LabelModel:
    """Snorkel's ``LabelModel`` (cardinality 2) fitted on ``matrix`` alone: no labels."""
    from snorkel.labeling.model import LabelModel

    model = LabelModel(cardinality=2, verbose=False)
    model.fit(matrix, class_balance=class_balance, progress_bar=False, **settings)
    return model


def label_model_ad(model: LabelModel, matrix: np.ndarray) -> np.ndarray:
    """Ad where the model's P(Ad) beats P(Non-Ad); a tie abstains, and an abstention is Non-Ad."""
    return model.predict(matrix, tie_break_policy="abstain") == AD


@dataclass(frozen=True)
class Sets:
    """The texts of the run, by role."""

    heldout_ads: list[str]
    heldout_non_ads: list[str]
    older_ads: list[str]
    older_non_ads: list[str]
    external: dict[str, list[str]]


def load_sets(afrisenti: Path | None, sib200: Path | None) -> Sets:
    """Round 3's held-out half, the older rounds (labeled) and the external sets (no ads)."""
    held = round3_dev(ROUND3_HELDOUT_FILE)
    dev = round3_dev()
    external = {}
    if afrisenti:
        external["AfriSenti tweets"] = tsv_texts(afrisenti, "tweet")
    if sib200:
        external["SIB-200 sentences"] = tsv_texts(sib200, "text")
    return Sets(
        heldout_ads=[p.text for p in held if p.label == "Ad"],
        heldout_non_ads=[p.text for p in held if p.label != "Ad"],
        older_ads=ADS_WITHOUT_PHONE + ROUND2_ADS + HELD_OUT_ADS + STRUCTURE_ADS
        + [p.text for p in dev if p.label == "Ad"],
        older_non_ads=NEWS_WITH_PRICES + ROUND2_NON_ADS + HELD_OUT_NON_ADS + STRUCTURE_NON_ADS
        + [p.text for p in dev if p.label != "Ad"],
        external=external,
    )


#: Rows of the table: (name, better), in order.
ROWS = [("round 3 held-out ads", "higher"), ("round 3 held-out ads, phones cut", "higher"),
        ("round 3 held-out non-ads", "lower"), ("AfriSenti tweets", "lower"),
        ("SIB-200 sentences", "lower"), ("older rounds' ads (settings)", "higher"),
        ("older rounds' non-ads (settings)", "lower")]


@dataclass(frozen=True)
class Pool:
    """A pool to fit on: its vote matrix, and which of its rows belong to which row of the table."""

    matrix: np.ndarray
    rows: dict[str, np.ndarray]  # table row -> indices into matrix
    ad_share: float  # the true share of ads in the pool (for the stated prior)


def build_pool(sets: Sets, votes: dict[str, Votes], *, phones_cut: bool, with_external: bool) -> Pool:
    """Stack the vote matrices of one pool; ``phones_cut`` uses the held-out posts without phones."""
    parts = ["round 3 held-out ads, phones cut" if phones_cut else "round 3 held-out ads",
             "round 3 held-out non-ads, phones cut" if phones_cut else "round 3 held-out non-ads",
             "older rounds' ads (settings)", "older rounds' non-ads (settings)"]
    if with_external:
        parts += list(sets.external)
    rows, start, blocks = {}, 0, []
    for part in parts:
        block = votes[part].matrix
        rows[part.replace(", phones cut", "") if part.startswith("round 3 held-out non") else part] = (
            np.arange(start, start + len(block)))
        blocks.append(block)
        start += len(block)
    n_ads = len(sets.heldout_ads) + len(sets.older_ads)
    return Pool(np.vstack(blocks), rows, n_ads / start)


def share(marked: np.ndarray) -> str:
    """``marked``'s share as ``12.3% (n)``."""
    return f"{marked.mean():.1%} ({int(marked.sum())})" if len(marked) else "-"


def main() -> None:
    """Print the comparison table and what the label model learned."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--afrisenti", type=Path, help="folder of AfriSenti amh_*.tsv (column 'tweet')")
    ap.add_argument("--sib200", type=Path, help="folder of SIB-200 amh_*.tsv (column 'text')")
    ap.add_argument("--priors", type=float, nargs="*", default=[0.005, 0.01, 0.05, 0.1],
                    help="stated priors (share of ads) of the sensitivity table on the full pool")
    ap.add_argument("--grid", action="store_true",
                    help="print every setting of the grid the chosen columns are picked from, with its "
                         "score on the older rounds")
    args = ap.parse_args()
    try:
        import snorkel  # noqa: F401
    except ImportError:
        sys.exit("bench/label_model.py needs snorkel: pip install -e '.[bench]'")
    from workbench.core.taxonomy import load_taxonomy

    rules = load_rules(None, taxonomy=load_taxonomy())
    cleaning = CleaningConfig()
    sets = load_sets(args.afrisenti, args.sib200)
    texts = {"round 3 held-out ads": sets.heldout_ads,
             "round 3 held-out ads, phones cut": without_phones(sets.heldout_ads),
             "round 3 held-out non-ads": sets.heldout_non_ads,
             "round 3 held-out non-ads, phones cut": without_phones(sets.heldout_non_ads),
             "older rounds' ads (settings)": sets.older_ads,
             "older rounds' non-ads (settings)": sets.older_non_ads, **sets.external}
    votes = {name: vote_matrix(t, rules, cleaning) for name, t in texts.items()}
    lfs = votes["round 3 held-out ads"].lfs

    columns: dict[str, dict[str, np.ndarray]] = {
        f"hand-set {rules.model_version}": {r: votes[r].gate_ad for r, _ in ROWS if r in votes},
        "majority vote": {r: majority_ad(votes[r].matrix) for r, _ in ROWS if r in votes}}
    learned: dict[str, LabelModel] = {}
    pools = [("full", True), ("ads-rich", False)] if sets.external else [("ads-rich", False)]
    for pool_name, with_external in pools:
        for prior in ("unknown", "true"):
            name, model, cells = label_model_column(sets, votes, pool_name, with_external, prior, A_PRIORI)
            learned[name] = model
            columns[name] = cells
        prior, settings = choose_settings(sets, votes, pool_name, with_external, show=args.grid)
        name, model, cells = label_model_column(sets, votes, pool_name, with_external, prior, settings)
        name = f"{name}, chosen"
        print(f"{name}: {settings} (chosen on the older rounds)")
        learned[name] = model
        columns[name] = cells
    print_table(columns, votes, f"{len(lfs)} labeling functions; label model: {A_PRIORI}, P(Ad) > 0.5")
    full_pool = build_pool(sets, votes, phones_cut=False, with_external=bool(sets.external))
    print_learned(learned, lfs, rules, full_pool)
    if args.priors and sets.external:
        sweep = {name: cells for name, _, cells in (
            label_model_column(sets, votes, "full", True, prior, A_PRIORI) for prior in args.priors)}
        print_table(sweep, votes, "sensitivity to the stated prior, full pool (nothing chosen here)")


def label_model_column(sets: Sets, votes: dict[str, Votes], pool_name: str, with_external: bool,
                       prior: str | float, settings: dict[str, float]) -> tuple[str, LabelModel, dict[str, np.ndarray]]:
    """Fit the label model on one pool with one prior; its decisions on every row of the table.

    ``prior``: ``"unknown"`` (uniform), ``"true"`` (the pool's true share of ads) or a stated share.
    Returns the column's name, the model fitted on the pool with phones, and the decisions.
    """
    cells: dict[str, np.ndarray] = {}
    model = None
    for phones_cut in (True, False):
        pool = build_pool(sets, votes, phones_cut=phones_cut, with_external=with_external)
        ad_share = pool.ad_share if prior == "true" else prior
        balance = None if prior == "unknown" else [1 - float(ad_share), float(ad_share)]
        model = fit_label_model(pool.matrix, balance, **settings)
        if phones_cut:
            rows = pool.rows["round 3 held-out ads, phones cut"]
            cells["round 3 held-out ads, phones cut"] = label_model_ad(model, pool.matrix[rows])
            continue
        for r, _ in ROWS:
            if r in pool.rows:
                cells[r] = label_model_ad(model, pool.matrix[pool.rows[r]])
            elif r in votes and r not in cells:  # not in the pool: predicted by the fitted model
                cells[r] = label_model_ad(model, votes[r].matrix)
    stated = "unknown" if prior == "unknown" else f"{float(ad_share):.1%}" + (" (true)" if prior == "true" else "")
    return f"LM {pool_name}, prior {stated}", model, cells


def print_table(columns: dict[str, dict[str, np.ndarray]], votes: dict[str, Votes], title: str) -> None:
    """One row per set of :data:`ROWS`, one column per method: the share marked Ad."""
    names = list(columns)
    print(f"\nshare marked Ad ({title})")
    print(f"{'set':34} {'n':>6}  " + "  ".join(f"{n:>26}" for n in names) + "  better")
    for r, better in ROWS:
        if r not in votes:
            continue
        print(f"{r:34} {len(votes[r].matrix):>6}  "
              + "  ".join(f"{share(columns[n][r]):>26}" for n in names) + f"  {better}")


def print_learned(learned: dict[str, LabelModel], lfs: list[LabelingFunction], rules: Rules,
                  pool: Pool) -> None:
    """Per labeling function: coverage, hand weight, each model's learned accuracy and P(vote | class).

    Beside them, the rates measured with the pool's labels (read only, never fitted): what the
    model would learn if it learned the truth.
    """
    pooled = pool.matrix
    is_ad = np.zeros(len(pooled), dtype=bool)
    for part in ("round 3 held-out ads", "older rounds' ads (settings)"):
        is_ad[pool.rows[part]] = True
    print("\nper labeling function: coverage (pool), hand weight, P(fires | Ad) / P(fires | Non-Ad) "
          "measured with the pool's labels; per model: learned accuracy, P(fires | Ad) / P(fires | Non-Ad)")
    print(f"{'labeling function':22} {'cover':>6} {'hand':>5} {'measured':>12}  "
          + "  ".join(f"{n:>24}" for n in learned))
    weights = {**rules.gate.weights, **{f"against:{k}": v for k, v in rules.gate.against.items()}}
    accuracies = {n: m.get_weights() for n, m in learned.items()}
    cprobs = {n: m.get_conditional_probs() for n, m in learned.items()}
    for i, lf in enumerate(lfs):
        cells = []
        for n in learned:
            fires = cprobs[n][i, lf.vote + 1, :]  # P(lf votes its label | Y = Non-Ad, Ad)
            cells.append(f"{accuracies[n][i]:.2f} {fires[AD]:.3f}/{fires[NON_AD]:.3f}")
        fired = pooled[:, i] != ABSTAIN
        measured = f"{fired[is_ad].mean():.3f}/{fired[~is_ad].mean():.3f}"
        print(f"{lf.name:22} {fired.mean():>6.2%} {weights[lf.name]:>5.2f} {measured:>12}  "
              + "  ".join(f"{c:>24}" for c in cells))


def choose_settings(sets: Sets, votes: dict[str, Votes], pool_name: str, with_external: bool, *,
                    show: bool) -> tuple[str, dict[str, float]]:
    """The prior and settings of the grid with the best balanced accuracy on the older rounds' labels.

    Fitted on the pool (no labels); scored on the older rounds only, never on round 3's held-out
    half. A tie goes to the a-priori epochs and learning rate, then to the earlier in the grid.
    """
    pool = build_pool(sets, votes, phones_cut=False, with_external=with_external)
    ads, non_ads = pool.rows["older rounds' ads (settings)"], pool.rows["older rounds' non-ads (settings)"]
    if show:
        print(f"\nsettings grid, {pool_name} pool, scored on the older rounds only "
              "(their ads marked Ad, their non-ads marked Ad, balanced accuracy):")
    best: tuple[float, bool] = (-1.0, False)
    chosen: tuple[str, dict[str, float]] = ("unknown", A_PRIORI)
    for prior in ("unknown", "true"):
        balance = None if prior == "unknown" else [1 - pool.ad_share, pool.ad_share]
        for n_epochs in (100, 500, 2000):
            for lr in (0.001, 0.01, 0.05):
                for l2 in (0.0, 0.1):
                    settings = {"n_epochs": n_epochs, "lr": lr, "l2": l2, "seed": A_PRIORI["seed"]}
                    model = fit_label_model(pool.matrix, balance, **settings)
                    recall = label_model_ad(model, pool.matrix[ads]).mean()
                    false_pos = label_model_ad(model, pool.matrix[non_ads]).mean()
                    score = (float(recall + 1 - false_pos) / 2,
                             n_epochs == A_PRIORI["n_epochs"] and lr == A_PRIORI["lr"])
                    if score > best:
                        best, chosen = score, (prior, settings)
                    if show:
                        label = "unknown" if prior == "unknown" else f"{pool.ad_share:.1%}"
                        print(f"  prior {label:>7} epochs {n_epochs:>4} lr {lr:<5} l2 {l2:<3}: "
                              f"{recall:.1%} {false_pos:.1%} {score[0]:.3f}")
    return chosen


if __name__ == "__main__":
    main()
