"""Benchmark the rule pre-annotations: the packaged rules beside ``rules-v1``, in one run.

Usage::

    .venv/bin/python bench/rules.py                                   # hand-written ads only
    .venv/bin/python bench/rules.py --afrisenti /path/to/afrisenti-amh --sib200 /path/to/sib200-amh

Reports, for each rule set, the share of texts marked Ad:

* ``ads``: the hand-written realistic Amharic ads without a phone number of the test suite
  (``tests/rules_fixtures.py``: sale, rent, millions, per square metre, negotiable, car sale,
  training course, signature only): recall, higher is better;
* ``news with prices``: hand-written non-ads that quote prices (inflation, fuel, market news):
  lower is better;
* ``afrisenti`` (optional): every AfriSenti Amharic tweet (train+dev+test TSV): lower is better,
  target <= 5%;
* ``round-2``: ads and chat/news written after a first freeze of rules-v2 and used to extend it;
* ``held-out``: ads and chat/news written after the second freeze, never tuned to;
* ``samples``: the packaged synthetic samples, ingested, split by their seed labels (the
  generator's intended is_ad): recall on the seed ads, share of seed non-ads marked Ad (the
  samples are synthetic: shown for continuity, not tuned to);
* ``sib200`` (optional): every SIB-200 Amharic sentence (train+dev+test TSV, Wikipedia-style
  topics): lower is better.

``rules-v1`` is the rule file of the commit before rules-v2, kept in this script
(:data:`RULES_V1`) so the comparison runs in the same process on the same texts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.rules_fixtures import (  # noqa: E402
    ADS_WITHOUT_PHONE,
    HELD_OUT_ADS,
    HELD_OUT_NON_ADS,
    NEWS_WITH_PRICES,
    ROUND2_ADS,
    ROUND2_NON_ADS,
)
from workbench.core.config import CleaningConfig  # noqa: E402
from workbench.core.taxonomy import load_taxonomy  # noqa: E402
from workbench.labeling.rules import load_rules, rule_inputs, rule_predictions  # noqa: E402

#: rules-v1's gate: the named baseline. Its keyword lexicons are the packaged file's minus the
#: two verticals rules-v2 added (the others did not change), so the timing compares like with like.
RULES_V1_GATE = """\
gate:
  task: is_ad
  positive: Ad
  negative: Non-Ad
  threshold: 0.5
  weights: {phone: 0.45, price: 0.4, call_to_action: 0.35, link: 0.1, mention: 0.1}
  call_to_action: [ይደውሉ, ይደውሉልን, ያግኙን, ይዘዙ, ለማዘዝ, ይግዙ, ይጎብኙ, ይቀላቀሉ, ቅናሽ, በተመጣጣኝ ዋጋ,
    ለሽያጭ, ይሸጣል, ይከራያል, ፕሮሞሽን, ለበለጠ መረጃ, ዴሊቨሪ, ዋጋ፦, ዋስትና, ይጫኑ, inbox, order now,
    call now, delivery, discount, promo]
"""


def _rules_v1_yaml() -> str:
    import yaml

    from workbench.labeling.rules import rules_path

    current = yaml.safe_load(rules_path().read_text(encoding="utf-8"))
    vertical = {k: v for k, v in current["keywords"]["vertical"].items()
                if k not in ("Real estate", "Education & training")}
    v1 = {"model_version": "rules-v1", "max_score": 0.9, **yaml.safe_load(RULES_V1_GATE),
          "keywords": {**current["keywords"], "vertical": vertical}}
    return yaml.safe_dump(v1, allow_unicode=True)


def _tsv_texts(folder: Path, column: str) -> list[str]:
    frames = [pl.read_csv(p, separator="\t", quote_char=None) for p in sorted(folder.glob("*.tsv"))]
    if not frames:
        sys.exit(f"no .tsv files in {folder}")
    return pl.concat([f.select(pl.col(column).cast(pl.Utf8)) for f in frames])[column].to_list()


def share_ad(texts: list[str], rules_file: Path | None, cleaning: CleaningConfig) -> tuple[float, int, float]:
    """(share marked Ad, count marked Ad, seconds) for ``texts`` under one rule file."""
    tax = load_taxonomy()
    rules = load_rules(rules_file, taxonomy=tax)
    frame = rule_inputs(pl.DataFrame({"text": texts}), cleaning)
    t0 = time.perf_counter()
    preds = rule_predictions(frame, rules, tax, cleaning=cleaning)
    seconds = time.perf_counter() - t0
    gate = preds.filter(pl.col("task") == rules.gate.task)
    n_ad = gate.filter(pl.col("value").list.first() == rules.gate.positive).height
    return n_ad / max(len(texts), 1), n_ad, seconds


def _samples() -> tuple[list[str], list[str]]:
    """Texts of the packaged samples' seed ads and seed non-ads (ingested, as push sees them)."""
    from workbench.core.layout import Layout
    from workbench.ingest.pipeline import run_ingest

    samples = ROOT / "workbench" / "defaults" / "samples" / "telegram"
    with tempfile.TemporaryDirectory() as tmp:
        run_ingest([samples], Path(tmp), CleaningConfig())
        msgs = pl.read_parquet(Layout(Path(tmp)).cleaned_messages, columns=["uid", "text"])
    seed = pl.read_ndjson(samples / "seed_labels.jsonl").select("uid", "is_ad")
    joined = msgs.join(seed, on="uid")
    return (joined.filter(pl.col("is_ad") == "Ad")["text"].to_list(),
            joined.filter(pl.col("is_ad") != "Ad")["text"].to_list())


def main() -> None:
    """Print the comparison table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--afrisenti", type=Path, help="folder of AfriSenti amh_*.tsv (column 'tweet')")
    ap.add_argument("--sib200", type=Path, help="folder of SIB-200 amh_*.tsv (column 'text')")
    ap.add_argument("--show", type=int, default=0, help="print up to N AfriSenti/SIB texts rules-v2 marks Ad")
    args = ap.parse_args()
    sets: dict[str, tuple[list[str], str]] = {
        "ads without phone (recall)": (ADS_WITHOUT_PHONE, "higher"),
        "news quoting prices": (NEWS_WITH_PRICES, "lower"),
        "round-2 ads (recall)": (ROUND2_ADS, "higher"),
        "round-2 chat/news": (ROUND2_NON_ADS, "lower"),
        "held-out ads (recall)": (HELD_OUT_ADS, "higher"),
        "held-out chat/news": (HELD_OUT_NON_ADS, "lower"),
    }
    seed_ads, seed_non_ads = _samples()
    sets["synthetic samples, seed ads"] = (seed_ads, "higher")
    sets["synthetic samples, seed non-ads"] = (seed_non_ads, "lower")
    if args.afrisenti:
        sets["AfriSenti tweets, all splits"] = (_tsv_texts(args.afrisenti, "tweet"), "lower")
    if args.sib200:
        sets["SIB-200 sentences, all splits"] = (_tsv_texts(args.sib200, "text"), "lower")
    cleaning = CleaningConfig()
    with tempfile.TemporaryDirectory() as tmp:
        v1 = Path(tmp) / "rules-v1.yaml"
        v1.write_text(_rules_v1_yaml(), encoding="utf-8")
        print(f"{'set':32} {'n':>6}  {'rules-v1 Ad':>14}  {'rules-v2 Ad':>14}  better")
        seconds = [0.0, 0.0]
        for name, (texts, better) in sets.items():
            old = share_ad(texts, v1, cleaning)
            new = share_ad(texts, None, cleaning)
            seconds = [seconds[0] + old[2], seconds[1] + new[2]]
            print(f"{name:32} {len(texts):>6}  {old[0]:>7.1%} ({old[1]:>4})  {new[0]:>7.1%} ({new[1]:>4})  {better}")
        print(f"rule_predictions time, all sets: rules-v1 {seconds[0]:.2f} s, rules-v2 {seconds[1]:.2f} s")
    if args.show:
        tax = load_taxonomy()
        rules = load_rules(None, taxonomy=tax)
        for name, (texts, _) in sets.items():
            frame = rule_inputs(pl.DataFrame({"text": texts}), cleaning)
            preds = rule_predictions(frame, rules, tax, cleaning=cleaning).filter(
                (pl.col("task") == "is_ad") & (pl.col("value").list.first() == "Ad"))
            ids = preds["uid"].cast(pl.Int64).to_list()[: args.show]
            print(f"\n{name}: {preds.height} marked Ad, first {len(ids)}:")
            for i in ids:
                print(f"  {texts[i][:150]!r}")


if __name__ == "__main__":
    main()
