"""What the live loop shows annotators after the first few labels: rules, classifier, or both pooled.

Usage::

    .venv/bin/python bench/live_start.py [--seeds 10] [--sizes 6 12 24 48] [--json FILE]
    .venv/bin/python bench/live_start.py --round tests/rules_round5_dev.tsv tests/rules_round5_heldout.tsv

The posts are round 3's held-out half (``tests/rules_round3_heldout.tsv``: 70 hand-written
realistic ads with their writer's vertical, 45 non-ads), the half the rules were never developed
on. For each size N and seed, N posts are the labeled ones (drawn at random, both is_ad classes
among them) and the live loop's model code (:func:`workbench.curation.live_model.predict_answers`,
the default classifiers, features fitted on every post as a refresh fits them) answers for the
rest. Scored on the rest:

- ``is_ad``: share of posts answered right;
- ``vertical``: share of the remaining *ads* whose vertical is right (an ad with no vertical
  shown counts as wrong; the vertical is learned once two verticals are labeled, before that the
  rules' pre-annotation stays, as the live loop keeps it).

Rows: the rules alone (what ``label push`` pre-fills and what annotators see before the first
refresh), the classifier alone (the live loop without the rules), and the two pooled at the
weight the labels choose (what the live loop now shows).

``--round FILE...`` takes other labeled rounds instead; a round with a ``source`` column (round
5: the channel each post was written for) gives each post the uid ``<source>:<row>``, as ingest
names messages, so the live loop also pools the labels of a post's channel; a row without them
is added for comparison.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.curation import text_norm_of  # noqa: E402
from tests.rules_fixtures import ROUND3_HELDOUT_FILE, round3_dev  # noqa: E402

SIZES = (6, 12, 24, 48)


def _setup(files: Sequence[Path] = (ROUND3_HELDOUT_FILE,)):
    """Posts, their labels, the tasks, the rules' pre-annotations and evidence, the classifiers."""
    import polars as pl

    from workbench.core.config import CleaningConfig
    from workbench.core.settings.curation import FlagConfig
    from workbench.core.taxonomy import load_taxonomy
    from workbench.curation.classifiers import get_classifier
    from workbench.curation.inputs import TaskSpec
    from workbench.curation.live_model import live_classifiers
    from workbench.curation.rule_prior import rule_priors
    from workbench.labeling.rules import load_rules, rule_inputs, rule_predictions

    posts = [post for path in files for post in round3_dev(path)]
    taxonomy = load_taxonomy()
    tasks = [TaskSpec("is_ad", "single", taxonomy.task("is_ad").values),
             TaskSpec("vertical", "single", taxonomy.task("vertical").values, ("is_ad", "Ad"))]
    rules = load_rules(None, taxonomy=taxonomy)
    cleaning = CleaningConfig()
    frame = pl.DataFrame({"uid": [str(i) for i in range(len(posts))],
                          "text": [p.text for p in posts]})
    preds = rule_predictions(rule_inputs(frame, cleaning), rules, taxonomy, cleaning=cleaning)
    pushed = {(int(u), t): v[0] for u, t, v in preds.select("uid", "task", "value").iter_rows()
              if v}  # tags may be empty; is_ad and vertical carry one label
    evidence = rule_priors(frame, tasks, rules, cleaning=cleaning)
    names = live_classifiers(None, FlagConfig())
    classifiers = {kind: get_classifier(name) for kind, name in names.items()}
    return posts, tasks, pushed, evidence, classifiers, cleaning


def _draw(posts: Sequence, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` labeled posts at random, with both is_ad classes among them."""
    while True:
        chosen = rng.choice(len(posts), size=n, replace=False)
        if len({posts[i].label for i in chosen}) == 2:
            return np.sort(chosen)


def _scores(posts: Sequence, rest: np.ndarray, answer: dict[str, dict[int, str | None]]
            ) -> tuple[float, float]:
    """is_ad accuracy on ``rest``, vertical accuracy on the ads in ``rest``."""
    ads = [i for i in rest if posts[i].label == "Ad"]
    is_ad = float(np.mean([answer["is_ad"].get(i) == posts[i].label for i in rest]))
    vertical = float(np.mean([answer["vertical"].get(i) == posts[i].vertical for i in ads]))
    return is_ad, vertical


def run(seeds: int, sizes: Sequence[int], files: Sequence[Path] = (ROUND3_HELDOUT_FILE,)
        ) -> dict[str, dict[int, list[tuple[float, float]]]]:
    """Per row and size, one ``(is_ad, vertical)`` accuracy pair per seed."""
    import polars as pl

    from workbench.curation.channel_prior import channel_keys
    from workbench.curation.live_model import predict_answers

    posts, tasks, pushed, evidence, classifiers, _ = _setup(files)
    texts = text_norm_of([p.text for p in posts])  # as a refresh normalises the task texts
    uids = [f"{p.source}:{i}" if p.source else str(i) for i, p in enumerate(posts)]
    channels = channel_keys(pl.DataFrame({"uid": uids}))
    rules_answer = {t.name: {i: pushed.get((i, t.name)) for i in range(len(posts))} for t in tasks}
    rows = [("classifier alone", None, None), ("pooled (live loop)", evidence, channels)]
    if channels is not None:
        rows.insert(1, ("rules pooled, no channel labels", evidence, None))
    out: dict[str, dict[int, list[tuple[float, float]]]] = {
        "rules alone (label push)": {}, **{row: {} for row, _, _ in rows}}
    for n in sizes:
        for seed in range(seeds):
            labeled = _draw(posts, n, np.random.default_rng(seed * 1000 + n))
            rest = np.setdiff1d(np.arange(len(posts)), labeled)
            targets = {"is_ad": {uids[i]: [posts[i].label] for i in labeled},
                       "vertical": {uids[i]: [posts[i].vertical] for i in labeled
                                    if posts[i].label == "Ad"}}
            if len({v[0] for v in targets["vertical"].values()}) < 2:
                del targets["vertical"]  # not learnable yet: the rules' answer stays
            out["rules alone (label push)"].setdefault(n, []).append(
                _scores(posts, rest, rules_answer))
            for row, ev, keys in rows:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    got = predict_answers(texts, uids, list(rest), tasks, targets, classifiers,
                                          evidence=ev, channels=keys)
                answer = {t: dict(rules_answer[t]) for t in rules_answer}
                for task, results in got.items():
                    answer[task] = {i: r["value"]["choices"][0] if r else None
                                    for i, r in zip(rest, results, strict=True)}
                out[row].setdefault(n, []).append(_scores(posts, rest, answer))
    return out


def _cell(pairs: list[tuple[float, float]], k: int) -> str:
    vals = [p[k] for p in pairs]
    return f"{np.mean(vals):.3f} ({min(vals):.3f}-{max(vals):.3f})"


def main() -> None:
    """Print the is_ad and vertical tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--round", type=Path, nargs="+", default=[ROUND3_HELDOUT_FILE],
                        help="labeled round files (default: round 3's held-out half)")
    args = parser.parse_args()
    result = run(args.seeds, args.sizes, args.round)
    for k, task in enumerate(("is_ad (the unlabeled posts)", "vertical (the unlabeled ads)")):
        print(f"\n{task}: accuracy after N labeled posts, mean (min-max) over {args.seeds} seeds\n")
        print("| shown | " + " | ".join(f"N = {n}" for n in args.sizes) + " |")
        print("|---|" + "---|" * len(args.sizes))
        for row, per in result.items():
            print(f"| {row} | " + " | ".join(_cell(per[n], k) for n in args.sizes) + " |")
    if args.json:
        args.json.write_text(json.dumps({row: {str(n): v for n, v in per.items()}
                                         for row, per in result.items()}, indent=2),
                             encoding="utf-8")


if __name__ == "__main__":
    main()
