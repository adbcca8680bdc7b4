r"""Consensus on two real annotators' labels, scored against the writer's labels.

``bench/consensus.py`` draws its annotators from the model the consensus assumes. Here two
annotators labeled the same labeled round's posts independently, blind to the writer's labels
and to each other (in this project: two model-based annotators, one told to be careful, one to
work fast on first impressions), so their errors fall where they fall: together on the
ambiguous posts, as real annotators' do. Each method sees the two annotators' votes and is
scored by agreement with the writer's label (the round file's, written with the post)::

    .venv/bin/python bench/consensus_real.py --gold tests/rules_round10.tsv \
        --gold tests/rules_round9_dev.tsv --gold tests/rules_round9_heldout.tsv \
        bench/annotators/rounds9-10_careful.tsv bench/annotators/rounds9-10_fast.tsv

The annotators were given the gold files' posts (``id, source, text``), ids ``<file stem
without rules_>-<row>``; each annotator file is ``id, is_ad, vertical, tags`` (the two in
``bench/annotators/`` were written that way for rounds 9 and 10). Methods: each annotator alone, ``majority`` (ties to the first annotator: with two,
the first annotator's answers), ``plain CROWDLAB`` (cleanlab's tutorial path, as in
``bench/consensus.py``) and the workbench (``curate flag`` on the votes as a user's files: uids
``<source>:<id>`` so the channel prior sees the channels, the packaged rules pooled as the
command pools them). ``is_ad`` on every post; ``vertical`` on the posts the writer labeled Ad
and both annotators gave a vertical.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.consensus import workbench_consensus  # noqa: E402
from bench.curation import text_norm_of  # noqa: E402
from synthetic.annotators import majority_first, plain_crowdlab  # noqa: E402
from tests.rules_fixtures import round3_dev  # noqa: E402


def read_tsv(path: Path) -> pl.DataFrame:
    """A tab-separated file with a header line, every column a string, empty cells ''."""
    frame = pl.read_csv(path, separator="\t", quote_char=None, infer_schema=False)
    return frame.with_columns(pl.all().fill_null(""))


def gold_posts(files: list[Path]) -> pl.DataFrame:
    """The files' posts and the writer's labels, in order.

    Columns ``id``, ``uid`` (``<source>:<id>``), ``text``, ``gold_is_ad``, ``gold_vertical``.
    """
    rows = []
    for path in files:
        for i, post in enumerate(round3_dev(path)):
            post_id = f"{path.stem.removeprefix('rules_')}-{i:03d}"
            rows.append({"id": post_id, "uid": f"{post.source or path.stem}:{post_id}",
                         "text": post.text, "gold_is_ad": post.label,
                         "gold_vertical": post.vertical})
    return pl.DataFrame(rows)


def compare(table: pl.DataFrame, task: str, work: Path) -> str:
    """Every method's agreement with the writer on ``task`` (columns ``a1_<task>``, ``a2_<task>``)."""
    table = table.sort("uid")
    classes = sorted(set(table[f"gold_{task}"]) | set(table[f"a1_{task}"]) | set(table[f"a2_{task}"]))
    gold = np.array([classes.index(v) for v in table[f"gold_{task}"]])
    votes = np.array([[classes.index(a), classes.index(b)]
                      for a, b in zip(table[f"a1_{task}"], table[f"a2_{task}"], strict=True)])
    texts = table["text"].to_list()
    seed = 7
    result = {f"annotator {j + 1}": (votes[:, j] == gold).mean() for j in range(2)}
    result["majority"] = (majority_first(votes, len(classes)) == gold).mean()
    result["plain CROWDLAB"] = (plain_crowdlab(text_norm_of(texts), votes, len(classes), seed)
                                == gold).mean()
    label, issue, quality = workbench_consensus(texts, votes, classes, work / task, None,
                                                task=task, uids=table["uid"].to_list())
    result["workbench"] = (label == gold).mean()
    agree = (votes[:, 0] == votes[:, 1]).mean()
    return (f"{task}: {gold.size} posts, the annotators agree on {agree:.1%}; agreement with the "
            "writer: " + ", ".join(f"{k} {v:.3f}" for k, v in result.items())
            + f" (unflagged {(label[~issue] == gold[~issue]).mean():.3f}, {issue.mean():.1%} "
            f"flagged; estimated annotator quality "
            f"{', '.join(f'{q:.3f}' for q in quality.values())})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, action="append", required=True)
    parser.add_argument("annotators", nargs=2, type=Path)
    args = parser.parse_args()
    table = gold_posts(args.gold)
    posts = table.height
    for j, path in enumerate(args.annotators, start=1):
        votes = read_tsv(path).select("id", pl.col("is_ad").alias(f"a{j}_is_ad"),
                                      pl.col("vertical").alias(f"a{j}_vertical"))
        table = table.join(votes, on="id", how="left", validate="1:1")
    missing = table.filter(pl.col("a1_is_ad").is_null() | pl.col("a2_is_ad").is_null()).height
    if missing or table.height != posts:
        sys.exit(f"{missing} post(s) of the gold files without both annotators' labels")
    with tempfile.TemporaryDirectory() as tmp:
        print(compare(table, "is_ad", Path(tmp)))
        ads = table.filter((pl.col("gold_is_ad") == "Ad") & (pl.col("a1_vertical") != "")
                           & (pl.col("a2_vertical") != ""))
        print(compare(ads, "vertical", Path(tmp)))


if __name__ == "__main__":
    main()
