r"""Vertical accuracy of ``curate flag`` on labeled rounds that name each post's channel.

Each ad of the files becomes a texts row and a ``vertical`` label with the uid
``<source>:<row>`` (ingest's ``<channel_id>:<message_id>`` form), so the channel prior sees the
channels; ``curate flag`` runs with the packaged settings twice, with the channel prior on and
off, on all the files' ads together (one labeled set, as a team's would be), and prints the
out-of-fold accuracy by file and by kind of source (single-business channels, buy-and-sell
groups, whose source starts with ``group_``)::

    .venv/bin/python bench/channel_verticals.py tests/rules_round5_dev.tsv tests/rules_round5_heldout.tsv

The files are read as the tests read them (``bench/flags_rounds.read_posts`` over
``tests/rules_fixtures.round3_dev``: columns by the header line, ``\n`` for a line break; a file
without a ``source`` column gives its posts the file's name as their channel).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.flags_rounds import read_posts  # noqa: E402
from workbench.core.config import ProjectConfig  # noqa: E402
from workbench.curation.flag import run_flag  # noqa: E402


def read_round(path: Path) -> pl.DataFrame:
    """The ads of one round file: ``uid``, ``text``, ``vertical``, ``source``, ``file``."""
    return read_posts([path]).filter(pl.col("is_ad") == "Ad").select(
        "uid", "text", "vertical", "source", "file")


def accuracy_table(ads: pl.DataFrame, work: Path, *, channel_prior: bool) -> pl.DataFrame:
    """``curate flag`` on the ads; each ad's out-of-fold suggestion against its label."""
    ads.select("uid", "text").write_csv(work / "texts.csv")
    ads.select("uid", pl.lit("vertical").alias("task"), pl.lit("writer").alias("annotator"),
               pl.col("vertical").alias("value")).write_csv(work / "labels.csv")
    cfg = ProjectConfig.model_validate({"curation": {"flag": {"channel_prior": channel_prior}}})
    out = work / ("on" if channel_prior else "off")
    result = run_flag(work / "data", cfg, texts=work / "texts.csv",
                      annotations=work / "labels.csv", out=out)
    issues = result.label_issues.select(
        "uid", (pl.col("suggested").list.first() == pl.col("label").list.first()).alias("right"))
    return ads.join(issues, on="uid")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="labeled round files (round 5 format)")
    args = parser.parse_args()
    ads = pl.concat([read_round(p) for p in args.files])
    kind = pl.when(pl.col("source").str.starts_with("group_")).then(pl.lit("groups")).otherwise(
        pl.lit("channels"))
    print(f"{ads.height} ads, {ads['source'].n_unique()} sources")
    with tempfile.TemporaryDirectory() as tmp:
        for on in (False, True):
            table = accuracy_table(ads, Path(tmp), channel_prior=on).with_columns(kind=kind)
            what = "with the channel prior" if on else "without it"
            print(f"{what}: all {table['right'].mean():.3f}")
            for col in ("file", "kind"):
                parts = table.group_by(col).agg(pl.len(), pl.col("right").mean()).sort(col)
                print("  " + ", ".join(f"{name} {acc:.3f} ({n})" for name, n, acc in parts.rows()))


if __name__ == "__main__":
    main()
