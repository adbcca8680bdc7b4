r"""Does the self-check pick a better operating point than the default? Known flips, whole data.

For each set and flip seed, 10% of the labels are flipped at known rows (the noise a team's
labels hold, unknown to the flagger). The flagger runs on them once; the self-check then flips
10% of the confidently labeled part again (seed 0, as ``curate flag --self-check``), re-runs the
flagger and scores the four cleanlab methods on those flips; the one with the highest F1 is
"auto". Both the default (``low_self_confidence``) and auto are then scored on the whole data's
first flips, which only this benchmark knows::

    .venv/bin/python bench/flags_auto.py [--sib200 DIR] [--afrisenti DIR] [--rounds] \
        [--seeds 7,8,9,10] [--afrisenti-seeds 7,8]

``--rounds``: the labeled rounds' posts (``tests/rules_round*.tsv``), ``is_ad`` on every post
and ``vertical`` on the ads, with the channel prior and the packaged rules pooled (as
``bench/flags_rounds.py``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.curation import load_real  # noqa: E402
from bench.flags_rounds import Score, flip_labels, read_posts, score  # noqa: E402
from tests.rules_fixtures import LABELED_ROUND_FILES, ROUND3_DEV_FILE  # noqa: E402
from workbench.core.config import ProjectConfig  # noqa: E402
from workbench.core.settings.curation import DEFAULT_FILTER_BY as DEFAULT  # noqa: E402
from workbench.curation.cleanlab_issues import cleanlab_single  # noqa: E402
from workbench.curation.flag import flag_labels  # noqa: E402
from workbench.curation.inputs import load_inputs  # noqa: E402
from workbench.curation.rule_prior import project_rule_priors  # noqa: E402
from workbench.curation.selfcheck import TaskCheck, self_check  # noqa: E402


def f1(precision: float, recall: float) -> float:
    """The harmonic mean of precision and recall (0 when both are 0)."""
    total = precision + recall
    return 2 * precision * recall / total if total else 0.0


def best_method(check: TaskCheck) -> str:
    """The cleanlab method with the highest F1 on the self-check's flips (ties: the default)."""
    scores = {p.method: f1(p.precision, p.recall) for p in check.points or []
              if p.method is not None}
    best = DEFAULT
    for method, value in scores.items():
        if value > scores.get(best, -1.0):
            best = method
    return best


def one_draw(uids: list[str], texts: list[str], labels: list[str], task: str, seed: int,
             work: Path) -> tuple[Score, Score, str, float, float]:
    """Default and auto scores on the whole data's flips, auto's method, and both times."""
    noisy, rows = flip_labels(labels, 0.1, seed)
    pl.DataFrame({"uid": uids, "text": texts}).write_csv(work / "texts.csv")
    pl.DataFrame({"uid": uids, "task": task, "annotator": "a", "value": noisy}).write_csv(
        work / "labels.csv")
    cfg = ProjectConfig()
    fcfg = cfg.curation.flag
    inputs = load_inputs(work / "data", texts=work / "texts.csv", annotations=work / "labels.csv",
                         cleaning=cfg.cleaning)
    evidence = project_rule_priors(inputs, cfg, fcfg)
    start = time.perf_counter()
    base = flag_labels(inputs, cfg=fcfg, rule_evidence=evidence)
    flag_time = time.perf_counter() - start
    check = self_check(inputs, cfg=fcfg, seed=0, rule_evidence=evidence, base=base)[0]
    check_time = time.perf_counter() - start - flag_time
    method = best_method(check)
    classes, probs_all = base.probabilities[task]
    row_of = {u: i for i, u in enumerate(inputs.texts.get_column("uid").to_list())}
    probs = probs_all[[row_of[u] for u in uids]]
    given = np.array([classes.index(v) for v in noisy])
    flipped = np.zeros(len(uids), dtype=bool)
    flipped[list(rows)] = True
    default_mask = cleanlab_single(given, probs, DEFAULT)[0]
    auto_mask = cleanlab_single(given, probs, method)[0]
    issues = base.label_issues.filter(pl.col("task") == task)
    assert int(issues.get_column("is_issue").sum()) == int(default_mask.sum())
    return score(default_mask, flipped), score(auto_mask, flipped), method, flag_time, check_time


def run_set(name: str, uids: list[str], texts: list[str], labels: list[str], task: str,
            seeds: list[int]) -> None:
    """Print the default's and auto's mean P / R (F1) over the flip seeds."""
    with tempfile.TemporaryDirectory() as tmp:
        draws = [one_draw(uids, texts, labels, task, seed, Path(tmp)) for seed in seeds]

    def mean(scores: list[Score]) -> str:
        p = statistics.mean(s.precision for s in scores)
        r = statistics.mean(s.recall for s in scores)
        return f"{p:.3f} / {r:.3f} (F1 {statistics.mean(f1(s.precision, s.recall) for s in scores):.3f})"

    print(f"{name} ({len(labels)} labels, seeds {seeds}): default {mean([d[0] for d in draws])}; "
          f"auto {mean([d[1] for d in draws])}; auto chose {[d[2] for d in draws]}; "
          f"flag {statistics.mean(d[3] for d in draws):.1f} s, "
          f"self-check {statistics.mean(d[4] for d in draws):.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sib200", type=Path)
    parser.add_argument("--afrisenti", type=Path)
    parser.add_argument("--rounds", action="store_true")
    parser.add_argument("--seeds", default="7,8,9,10")
    parser.add_argument("--afrisenti-seeds", default="7,8")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.sib200:
        texts, labels = load_real("sib200", args.sib200)
        run_set("SIB-200 topic", [str(i) for i in range(len(texts))], texts, labels, "topic", seeds)
    if args.afrisenti:
        texts, labels = load_real("afrisenti", args.afrisenti)
        run_set("AfriSenti sentiment", [str(i) for i in range(len(texts))], texts, labels,
                "sentiment", [int(s) for s in args.afrisenti_seeds.split(",")])
    if args.rounds:
        posts = read_posts([ROUND3_DEV_FILE, *LABELED_ROUND_FILES.values()])
        run_set("rounds is_ad", posts["uid"].to_list(), posts["text"].to_list(),
                posts["is_ad"].to_list(), "is_ad", seeds)
        ads = posts.filter(pl.col("vertical").is_not_null())
        run_set("rounds vertical", ads["uid"].to_list(), ads["text"].to_list(),
                ads["vertical"].to_list(), "vertical", seeds)


if __name__ == "__main__":
    main()
