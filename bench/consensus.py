"""Benchmark consensus labels: majority vote, plain CROWDLAB, and ``workbench curate flag``.

Usage::

    .venv/bin/python bench/consensus.py --sib200 /path/to/sib200-amh --afrisenti /path/to/afrisenti-amh

A SIMULATION on real texts: the texts and gold labels are the real sets' (SIB-200 Amharic topics,
AfriSenti Amharic sentiment), the annotators are drawn (seeded, :mod:`synthetic.annotators`):
two (and three) annotators of different accuracy, each class with its own ease, and wrong
answers going to the classes that look alike. "Look alike" is measured, not assumed: the
out-of-fold confusion matrix of a char TF-IDF + logistic regression classifier on the gold labels.

Every method sees the same votes and is scored by agreement with the gold label on every item:

* ``majority``: the most frequent answer, ties to the first annotator;
* ``plain CROWDLAB``: what a team following cleanlab's tutorial would run: majority vote labels
  (cleanlab's ``get_majority_vote_label``), char_wb 2-4 TF-IDF + logistic regression out of fold
  (5 folds), then ``get_label_quality_multiannotator``'s consensus;
* ``workbench``: ``curate flag`` on the same votes as a user's files (texts + annotations CSV),
  the ``label`` column of ``label_issues`` (the label ``split`` would use), with the default
  settings or ``--classifier``;
* ``before`` (with ``--before REF``): the same, run by the workbench as committed at git ``REF``
  (exported with ``git archive``, run in a subprocess), for a before/after in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.curation import load_real, text_norm_of  # noqa: E402
from synthetic.annotators import majority_first, plain_crowdlab, simulate_votes  # noqa: E402

#: Annotator accuracies simulated: a careful and a hurried annotator, then a third in between.
PANELS = {2: (0.85, 0.72), 3: (0.85, 0.72, 0.78)}


def look_alike(texts: list[str], y: np.ndarray, n_classes: int, seed: int) -> np.ndarray:
    """``(K, K)`` out-of-fold confusion counts of char TF-IDF + LR on the gold labels."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    x = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2,
                        sublinear_tf=True).fit_transform(texts)
    pred = cross_val_predict(LogisticRegression(max_iter=300), x, y,
                             cv=StratifiedKFold(5, shuffle=True, random_state=seed))
    sim = np.zeros((n_classes, n_classes))
    np.add.at(sim, (y, pred), 1.0)
    return sim


def workbench_consensus(texts: list[str], votes: np.ndarray, classes: list[str], work: Path,
                        classifier: str | None, *, task: str = "topic",
                        uids: list[str] | None = None,
                        ) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """``curate flag`` on the votes as CSV files: label, issue flag, annotator quality.

    The label is the final label per item (what ``split`` uses); the quality is the workbench's
    estimate for ``annotator1``, ``annotator2``... in order. With ``uids`` (sorted, one per
    text; ``<channel>:<id>`` gives the channel prior its channels) and a ``task`` the labeling
    rules cover (``is_ad``, ``vertical``), the run is the command's: the rules are pooled as
    ``curate flag`` pools them.
    """
    import polars as pl

    from workbench.core.config import ProjectConfig
    from workbench.core.settings.curation import with_overrides
    from workbench.curation.flag import flag_labels
    from workbench.curation.inputs import load_inputs
    from workbench.curation.rule_prior import project_rule_priors

    uids = uids or [f"t{i:05d}" for i in range(len(texts))]
    work.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"uid": uids, "text": texts}).write_csv(work / "texts.csv")
    n, m = votes.shape
    pl.DataFrame({
        "uid": [u for u in uids for _ in range(m)], "task": [task] * (n * m),
        "annotator": [f"annotator{j + 1}" for _ in range(n) for j in range(m)],
        "value": [classes[v] for row in votes for v in row],
    }).write_csv(work / "annotations.csv")
    cfg = ProjectConfig()
    flag_cfg = with_overrides(cfg.curation.flag, classifier=classifier)
    inputs = load_inputs(work, texts=work / "texts.csv", annotations=work / "annotations.csv",
                         cleaning=cfg.cleaning)
    result = flag_labels(inputs, cfg=flag_cfg,
                         rule_evidence=project_rule_priors(inputs, cfg, flag_cfg))
    rows = result.label_issues.sort("uid")
    label = np.array([classes.index(v[0]) for v in rows.get_column("label").to_list()])
    table = result.annotator_quality.sort("annotator")
    quality = dict(zip(table.get_column("annotator"), table.get_column("quality"), strict=True))
    return label, rows.get_column("is_issue").to_numpy(), quality


_BEFORE_SCRIPT = """
import json, sys
from pathlib import Path
import numpy as np
from bench.consensus import workbench_consensus
work = Path(sys.argv[1])
args = json.loads((work / "args.json").read_text(encoding="utf-8"))
label = workbench_consensus(args["texts"], np.load(work / "votes.npy"), args["classes"],
                            work / "run", args["classifier"])[0]
np.save(work / "label.npy", label)
"""


def export_tree(ref: str, dest: Path) -> Path:
    """The repository's files at git ``ref``, exported to ``dest`` (once)."""
    if not dest.exists():
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def before_consensus(tree: Path, texts: list[str], votes: np.ndarray, classes: list[str],
                     work: Path, classifier: str | None) -> np.ndarray:
    """``workbench_consensus`` as the exported ``tree`` computes it, in a subprocess."""
    work.mkdir(parents=True, exist_ok=True)
    np.save(work / "votes.npy", votes)
    (work / "args.json").write_text(json.dumps(
        {"texts": texts, "classes": classes, "classifier": classifier}), encoding="utf-8")
    subprocess.run([sys.executable, "-c", _BEFORE_SCRIPT, str(work)], cwd=tree, check=True,
                   env={**os.environ, "PYTHONPATH": str(tree)})
    return np.load(work / "label.npy")


def run(name: str, path: Path, *, seed: int, classifier: str | None, work: Path,
        before: Path | None = None) -> list[dict]:
    """Every method's agreement with gold on ``name``'s texts, for each panel of annotators."""
    texts, labels = load_real(name, path)
    classes = sorted(set(labels))
    gold = np.array([classes.index(v) for v in labels])
    norm = text_norm_of(texts)
    sim = look_alike(norm, gold, len(classes), seed)
    rows = []
    for m, accuracies in PANELS.items():
        votes = simulate_votes(gold, sim, accuracies=accuracies, seed=seed)
        own = (votes == gold[:, None]).mean(axis=0)
        line = {"dataset": name, "annotators": m, "items": int(gold.size),
                "annotator_accuracy": [round(float(a), 3) for a in own]}
        line["majority"] = round(float((majority_first(votes, len(classes)) == gold).mean()), 3)
        t0 = time.perf_counter()
        line["plain_crowdlab"] = round(float((plain_crowdlab(norm, votes, len(classes), seed)
                                              == gold).mean()), 3)
        t1 = time.perf_counter()
        label, issue, quality = workbench_consensus(texts, votes, classes, work / f"{name}{m}",
                                                    classifier)
        t2 = time.perf_counter()
        line["workbench"] = round(float((label == gold).mean()), 3)
        line["workbench_unflagged"] = round(float((label[~issue] == gold[~issue]).mean()), 3)
        line["workbench_flagged_share"] = round(float(issue.mean()), 3)
        line["workbench_annotator_quality"] = [round(q, 3) for q in quality.values()]
        line["seconds"] = {"plain": round(t1 - t0, 1), "workbench": round(t2 - t1, 1)}
        if before is not None:
            old = before_consensus(before, texts, votes, classes, work / f"before-{name}{m}",
                                   classifier)
            line["before"] = round(float((old == gold).mean()), 3)
        print(f"{name} {m} annotators (accuracy {', '.join(f'{a:.3f}' for a in own)}): "
              f"majority {line['majority']:.3f}  plain CROWDLAB {line['plain_crowdlab']:.3f}  "
              f"workbench {line['workbench']:.3f} (unflagged {line['workbench_unflagged']:.3f}, "
              f"{line['workbench_flagged_share']:.1%} flagged; annotator quality "
              f"{', '.join(f'{q:.3f}' for q in quality.values())})  {line['seconds']}"
              + (f"  before {line['before']:.3f}" if before is not None else ""), flush=True)
        rows.append(line)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sib200", type=Path, default=None)
    parser.add_argument("--afrisenti", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--seeds", type=int, default=1, help="repeat with seeds seed..seed+N-1")
    parser.add_argument("--classifier", default=None, help="workbench classifier (default: config)")
    parser.add_argument("--before", default=None, metavar="REF",
                        help="also run the workbench as committed at this git ref (e.g. main)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-consensus-") as tmp:
        before = export_tree(args.before, Path(tmp) / "before") if args.before else None
        for s in range(args.seed, args.seed + args.seeds):
            for name, path in (("sib200", args.sib200), ("afrisenti", args.afrisenti)):
                if path is not None:
                    results += [{**r, "seed": s} for r in
                                run(name, path, seed=s, classifier=args.classifier,
                                    work=Path(tmp) / str(s), before=before)]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
