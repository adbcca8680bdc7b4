r"""The flagger on the team's own kind of labels: known flips in the labeled rounds' posts.

The SIB-200 and AfriSenti rows of ``bench/flags.py`` measure the flagger on news topics and
sentiment. This one measures it on the two tasks a team labels first, on the hand-written
realistic posts of the labeled rounds (``tests/rules_round*.tsv``): ``is_ad`` on every post and
``vertical`` on the ads. For each flip seed, 10% of one task's labels (``--flip-rate``) are
changed to another label at known rows, ``curate flag`` runs on them with the packaged settings
(the same function as the command, through files: uids ``<source>:<file>-<row>`` so the channel
prior sees the channels), and the flagged items are compared with the flips::

    .venv/bin/python bench/flags_rounds.py [--seeds 7,8,9,10] [--tasks is_ad,vertical] \
        [--no-rule-prior] [FILE ...]

With no files, every labeled round in ``tests/rules_fixtures.py`` is read (round 3's
development set first). The packaged rules' lexicons and learned part were written or fitted on
most of these posts, so with the rules pooled (the default) the figures are optimistic; the
line ``rules never saw`` restricts them to the files the packaged rules were not fitted on
(:data:`UNSEEN_BY_RULES`), and ``--no-rule-prior`` measures the classifier and the channel
labels alone, which no round shaped.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.rules_fixtures import (  # noqa: E402
    GATE_ROUND_FILES,
    LABELED_ROUND_FILES,
    ROUND3_DEV_FILE,
    round3_dev,
)
from workbench.core.config import ProjectConfig  # noqa: E402
from workbench.curation.flag import run_flag  # noqa: E402
from workbench.curation.selfcheck import FILTERS as OPERATING_POINTS  # noqa: E402

#: The round files the packaged rules' learned part was not fitted on (their signals were
#: written before these rounds too): the labeled rounds outside ``GATE_ROUND_FILES``.
UNSEEN_BY_RULES = frozenset(p.stem for p in LABELED_ROUND_FILES.values()) - frozenset(
    p.stem for p in GATE_ROUND_FILES)


def read_posts(files: list[Path]) -> pl.DataFrame:
    """Every post of the files: ``uid``, ``text``, ``is_ad``, ``vertical``, ``source``, ``file``."""
    rows = []
    for path in files:
        for i, post in enumerate(round3_dev(path)):
            source = post.source or path.stem
            rows.append({"uid": f"{source}:{path.stem}-{i}", "text": post.text,
                         "is_ad": post.label, "vertical": post.vertical or None,
                         "source": source, "file": path.stem})
    return pl.DataFrame(rows)


def flip_labels(labels: list[str], rate: float, seed: int) -> tuple[list[str], set[int]]:
    """``labels`` with ``rate`` of them changed to another label seen in the task; the rows."""
    rng = np.random.default_rng(seed)
    classes = sorted(set(labels))
    rows = rng.choice(len(labels), size=round(rate * len(labels)), replace=False)
    noisy = list(labels)
    for i in rows:
        noisy[i] = str(rng.choice([c for c in classes if c != labels[i]]))
    return noisy, set(rows.tolist())


@dataclass(frozen=True)
class Score:
    """Precision and recall of the flips among the flagged items."""

    flagged: int
    found: int
    flips: int

    @property
    def precision(self) -> float:
        """Share of the flagged items that are flips."""
        return self.found / self.flagged if self.flagged else 0.0

    @property
    def recall(self) -> float:
        """Share of the flips that are flagged."""
        return self.found / self.flips if self.flips else 0.0


def score(flagged: np.ndarray, flipped: np.ndarray) -> Score:
    """The flips found among ``flagged`` (both boolean, one entry per item)."""
    return Score(int(flagged.sum()), int((flagged & flipped).sum()), int(flipped.sum()))


@dataclass(frozen=True)
class Draw:
    """One flip draw of one task: a score per operating point, all files and the unseen ones."""

    every: dict[str, Score]
    unseen: dict[str, Score]
    accuracy: float  # out-of-fold suggestion vs the labels before the flips, unflipped items
    weights: str  # the rules' and the channel labels' pooling weights chosen


def flag_once(posts: pl.DataFrame, task: str, seed: int, rate: float, work: Path, *,
              rule_prior: bool) -> Draw:
    """One flip draw of ``task``: ``curate flag`` on the flipped labels, scored against the flips.

    The default operating point is read from ``curate flag``'s own output; the others from the
    same out-of-fold probabilities (the command computes them once and cuts them one way).
    """
    from workbench.curation.cleanlab_issues import cleanlab_single

    labeled = posts.filter(pl.col(task).is_not_null())
    truth = labeled.get_column(task).to_list()
    noisy, rows = flip_labels(truth, rate, seed)
    labeled.select("uid", "text").write_csv(work / "texts.csv")
    pl.DataFrame({"uid": labeled.get_column("uid"), "task": task, "annotator": "writer",
                  "value": noisy}).write_csv(work / "labels.csv")
    cfg = ProjectConfig.model_validate({"curation": {"flag": {"rule_prior": rule_prior}}})
    result = run_flag(work / "data", cfg, texts=work / "texts.csv",
                      annotations=work / "labels.csv", out=work / f"out-{task}-{seed}")
    issues = result.label_issues.filter(pl.col("task") == task).select(
        "uid", "is_issue", pl.col("suggested").list.first().alias("suggested"))
    table = labeled.with_columns(flipped=pl.Series([i in rows for i in range(len(truth))])).join(
        issues, on="uid", how="left", maintain_order="left")
    flipped = table.get_column("flipped").to_numpy()
    unseen = table.get_column("file").is_in(list(UNSEEN_BY_RULES)).to_numpy()
    masks = {OPERATING_POINTS[0]: table.get_column("is_issue").fill_null(False).to_numpy()}
    classes, probs = result.probabilities[task]
    given = np.array([classes.index(v) for v in noisy])
    for method in OPERATING_POINTS[1:]:
        masks[method] = cleanlab_single(given, probs, method)[0]
    clean = table.filter(~pl.col("flipped"))
    outcome = next(o for o in result.outcomes if o.task == task)
    return Draw({m: score(mask, flipped) for m, mask in masks.items()},
                {m: score(mask[unseen], flipped[unseen]) for m, mask in masks.items()},
                float((clean.get_column("suggested") == clean.get_column(task)).mean()),
                f"rules {outcome.rule_weight}, channel {outcome.channel_weight}")


def describe(scores: list[Score]) -> str:
    """Mean precision / recall over the flip draws."""
    p = statistics.mean(s.precision for s in scores)
    r = statistics.mean(s.recall for s in scores)
    return f"{p:.3f} / {r:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="labeled round files (default: all)")
    parser.add_argument("--seeds", default="7,8,9,10", help="flip seeds, comma-separated")
    parser.add_argument("--tasks", default="is_ad,vertical", help="tasks, comma-separated")
    parser.add_argument("--flip-rate", type=float, default=0.1)
    parser.add_argument("--no-rule-prior", action="store_true",
                        help="the classifier and the channel labels alone")
    args = parser.parse_args()
    files = args.files or [ROUND3_DEV_FILE, *LABELED_ROUND_FILES.values()]
    posts = read_posts(files)
    seeds = [int(s) for s in args.seeds.split(",")]
    rule_prior = not args.no_rule_prior
    print(f"{posts.height} posts ({(posts['is_ad'] == 'Ad').sum()} ads) from {len(files)} files; "
          f"{args.flip_rate:.0%} flips, seeds {seeds}; rules pooled: {rule_prior}")
    with tempfile.TemporaryDirectory() as tmp:
        for task in args.tasks.split(","):
            draws = [flag_once(posts, task, seed, args.flip_rate, Path(tmp), rule_prior=rule_prior)
                     for seed in seeds]
            accuracy = statistics.mean(d.accuracy for d in draws)
            print(f"{task}: out-of-fold accuracy on the unflipped labels {accuracy:.3f}; "
                  f"pooling weights chosen: {'; '.join(d.weights for d in draws)}")
            print(f"  {'operating point':<22} {'all files P / R':>16} {'rules never saw':>16}")
            for method in OPERATING_POINTS:
                print(f"  {method:<22} {describe([d.every[method] for d in draws]):>16} "
                      f"{describe([d.unseen[method] for d in draws]):>16}")
            counts = ", ".join(f"{d.every[OPERATING_POINTS[0]].found}/"
                               f"{d.every[OPERATING_POINTS[0]].flagged} of "
                               f"{d.every[OPERATING_POINTS[0]].flips}" for d in draws)
            print(f"  default, found/flagged of flips per draw: {counts}")


if __name__ == "__main__":
    main()
