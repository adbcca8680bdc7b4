"""Benchmark the rule pre-annotations: ``rules-v1``, ``-v3`` to ``-v8`` and the packaged rules, in one run.

Usage::

    .venv/bin/python bench/rules.py                                   # hand-written sets and samples
    .venv/bin/python bench/rules.py --afrisenti /path/to/afrisenti-amh --sib200 /path/to/sib200-amh
    .venv/bin/python bench/rules.py --afrisenti /path/to/afrisenti-amh --show 40   # what fires
    .venv/bin/python bench/rules.py --learned        # hand-set weights vs a fitted logistic regression
    .venv/bin/python bench/rules.py --labeled /path/to/held_out.tsv   # another labeled round, same tables

Reports, for each rule set, the share of texts marked Ad:

* the hand-written rounds of ``tests/rules_fixtures.py`` (ads without a phone number and non-ads
  that quote prices or use sale words; rounds 1, 2 and the rules-v3 held-out round, every one of
  them seen while rules-v4 was written), and the structural cases rules-v4 added (listings with
  only field lines, "have arrived" + price, rent verb + area; and the non-ads that look like them);
* round 3 (``tests/rules_round3_dev.tsv``): realistic posts written blind, by a writer who never
  saw the rules, then used as the development set of rules-v4: its recall is "written against",
  not held out. Its ads again with every phone number cut out (many of them carry one; real ads
  often do not);
* round 3 held-out (``tests/rules_round3_heldout.tsv``): the other half the same blind writer
  wrote at the same time, kept away from rules-v4's author and measured once on the frozen rules
  (commit 16ec5a9), then seen while rules-v5 was written;
* round 4 dev (``tests/rules_round4_dev.tsv``): half of a second blind writer's round (hard
  non-ads: news quoting prices and rents, member questions, job posts, notices), the development
  set of rules-v5;
* round 4 held-out (``tests/rules_round4_heldout.tsv``): the other half, kept away from rules-v5's
  author and measured once on the frozen rules (commit 4f5bbb5);
* round 5 dev (``tests/rules_round5_dev.tsv``): half of a third blind writer's round, split by
  channel (short photo captions, a shop's non-sale posts, neighbourhood notices), the development
  set of rules-v6;
* round 5 held-out (``tests/rules_round5_heldout.tsv``): the other half's channels, kept away from
  rules-v6's author and measured once on the frozen rules (commit 6dd45cd);
* round 6 (``tests/rules_round6.tsv``): a fourth blind writer's round, measured once, whole, on
  rules-v6 and rules-v7 (commit 146b0e4), then added to the learned part's posts;
* round 7 (``tests/rules_round7.tsv``): a fifth writer's round shaped like the issue's real set (a
  property broker's channel and 34 others), measured once, whole, on rules-v7 (754f182); kept
  out of the learned part's posts until rules-v8;
* round 8 dev (``tests/rules_round8_dev.tsv``): the development half of a sixth writer's round,
  split by channel (English and Latin-typed Amharic posts beside Ge'ez ones), rules-v8's
  development set; its ``tags`` column is scored too (below);
* round 8 held-out (``tests/rules_round8_heldout.tsv``): the other half's channels and groups,
  measured once on the frozen rules-v8 (32a9b73);
* round 9 dev / held-out (``tests/rules_round9_dev.tsv``, ``..._heldout.tsv``): a seventh
  writer's six news channels with sponsored posts among the news, measured once, whole, on
  rules-v8 (66001fc), then split by channel; ten labels adjudicated since (a news channel
  promoting its own pages is an Ad, Media), so its rows read the adjudicated labels;
* round 10 (``tests/rules_round10.tsv``): an eighth writer's business channels with the posts
  between their offers, groups and general channels, measured once, whole, on rules-v8
  (ec0958f). Round 8's held-out half, round 9 and round 10 joined the learned part's posts with
  rules-v9, which was written against them: on them rules-v9's figures are not blind;
* ``samples``: the packaged synthetic samples, ingested, split by their seed labels (shown for
  continuity, not tuned to);
* ``afrisenti`` / ``sib200`` (optional): every AfriSenti Amharic tweet and every SIB-200 Amharic
  sentence (all splits). Neither holds ads: they measure false positives only.

Then the vertical on round 3's ads, against the file's vertical column: right when the gate marks
the post Ad *and* the vertical is the file's (no vertical for a post the gate misses), beside
"always the most common vertical". ``--show N`` prints up to N texts of the external sets the
packaged rules mark Ad, with the signals that fired, and the round-3 ads they miss.

Last, for each labeled file with a ``tags`` column, each tag's true positives, false positives
and false negatives on the file's ads (tags are asked of ads only), per rule set from rules-v8.

``rules-v1`` is the rule gate of the commit before rules-v2, kept in this script
(:data:`RULES_V1_GATE`, with rules-v3's lexicons); ``rules-v3`` to ``rules-v8`` are the rules
files of the commits before rules-v4 to rules-v9, kept beside this script (``bench/rules-v3.yaml``
... ``bench/rules-v8.yaml``), so the comparison runs in the same process on the same texts.
rules-v7's and rules-v8's learned parts are fitted on the posts their files held (rounds 1 to 6;
rounds 1 to 8's development half), rebuilt here from ``tests/rules_fixtures.py``; the packaged
rules' on ``labeling/gate_posts.tsv``, which holds
every labeled round it names: on those rounds it is scored on posts it learned from (README,
"Rule pre-annotations", for the figures measured with each round left out).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.rules_fixtures import (  # noqa: E402
    ADS_WITHOUT_PHONE,
    HELD_OUT_ADS,
    HELD_OUT_NON_ADS,
    LABELED_ROUND_FILES,
    NEWS_WITH_PRICES,
    ROUND2_ADS,
    ROUND2_NON_ADS,
    RULES_V7_GATE_ROUND_FILES,
    RULES_V8_GATE_ROUND_FILES,
    STRUCTURE_ADS,
    STRUCTURE_NON_ADS,
    LabeledPost,
    gate_training_posts,
    round3_dev,
)
from workbench.core.amharic.patterns import PHONE_NUMBER_PATTERN  # noqa: E402
from workbench.core.config import CleaningConfig  # noqa: E402
from workbench.core.taxonomy import load_taxonomy  # noqa: E402
from workbench.labeling.rules import (  # noqa: E402
    SIGNAL_PREFIX,
    Rules,
    gate_evidence,
    load_rules,
    rule_inputs,
    rule_predictions,
)

#: rules-v1's gate: the named baseline. Its keyword lexicons are rules-v3's minus the two verticals
#: rules-v2 added (the others did not change), so the timing compares like with like.
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

#: rules-v3, the packaged rules before rules-v4, as they were.
RULES_V3 = Path(__file__).with_name("rules-v3.yaml")

#: rules-v4, the packaged rules before rules-v5, as they were.
RULES_V4 = Path(__file__).with_name("rules-v4.yaml")

#: rules-v5, the packaged rules before rules-v6, as they were.
RULES_V5 = Path(__file__).with_name("rules-v5.yaml")

#: rules-v6, the packaged rules before rules-v7 (the signals alone, no learned part), as they were.
RULES_V6 = Path(__file__).with_name("rules-v6.yaml")

#: rules-v7, the packaged rules before rules-v8, as they were (its learned part's posts are
#: rebuilt by :func:`_rules_v7`).
RULES_V7 = Path(__file__).with_name("rules-v7.yaml")

#: rules-v8, the packaged rules before rules-v9, as they were (its learned part's posts are
#: rebuilt by :func:`_rules_v8`).
RULES_V8 = Path(__file__).with_name("rules-v8.yaml")


def _rules_v1_yaml() -> str:
    import yaml

    v3 = yaml.safe_load(RULES_V3.read_text(encoding="utf-8"))
    vertical = {k: v for k, v in v3["keywords"]["vertical"].items()
                if k not in ("Real estate", "Education & training")}
    v1 = {"model_version": "rules-v1", "max_score": 0.9, **yaml.safe_load(RULES_V1_GATE),
          "keywords": {**v3["keywords"], "vertical": vertical}}
    return yaml.safe_dump(v1, allow_unicode=True)


def _rules_v7(folder: Path, taxonomy: object) -> Rules:
    """rules-v7 with the learned part fitted on the posts it shipped with (rounds 1 to 6)."""
    return _rules_with_posts(RULES_V7, RULES_V7_GATE_ROUND_FILES, folder, taxonomy)


def _rules_v8(folder: Path, taxonomy: object) -> Rules:
    """rules-v8 with the learned part fitted on the posts it shipped with (to round 8's dev half)."""
    return _rules_with_posts(RULES_V8, RULES_V8_GATE_ROUND_FILES, folder, taxonomy)


def _rules_with_posts(rules_file: Path, files: tuple[Path, ...], folder: Path,
                      taxonomy: object) -> Rules:
    """The rules of ``rules_file``, their learned part fitted on the posts of ``files``."""
    from workbench.labeling.learned_gate import POSTS_HEADER

    (folder / "rules.yaml").write_bytes(rules_file.read_bytes())
    rows = gate_training_posts(files)
    (folder / "gate_posts.tsv").write_text(
        POSTS_HEADER + "\n" + "".join(f"{label}\t{text.replace(chr(10), chr(92) + 'n')}\n"
                                       for label, text in rows), encoding="utf-8")
    return load_rules(folder / "rules.yaml", taxonomy=taxonomy)


def tsv_texts(folder: Path, column: str) -> list[str]:
    frames = [pl.read_csv(p, separator="\t", quote_char=None) for p in sorted(folder.glob("*.tsv"))]
    if not frames:
        sys.exit(f"no .tsv files in {folder}")
    return pl.concat([f.select(pl.col(column).cast(pl.Utf8)) for f in frames])[column].to_list()


def predict(texts: list[str], rules: Rules, cleaning: CleaningConfig) -> tuple[pl.DataFrame, float]:
    """Rule predictions for ``texts`` (uid = row number) and the seconds ``rule_predictions`` took."""
    frame = rule_inputs(pl.DataFrame({"text": texts}), cleaning)
    t0 = time.perf_counter()
    preds = rule_predictions(frame, rules, load_taxonomy(), cleaning=cleaning)
    return preds, time.perf_counter() - t0


def answers(preds: pl.DataFrame, task: str, n: int) -> list[str | None]:
    """The first predicted label of ``task`` per row (None where the task was not predicted)."""
    got = dict(zip(preds.filter(pl.col("task") == task)["uid"].cast(pl.Int64).to_list(),
                   preds.filter(pl.col("task") == task)["value"].list.first().to_list(), strict=True))
    return [got.get(i) for i in range(n)]


def without_phones(texts: list[str]) -> list[str]:
    """``texts`` with every phone number cut out: real ads often have none in the text."""
    return pl.Series(texts, dtype=pl.Utf8).str.replace_all(PHONE_NUMBER_PATTERN, "").to_list()


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


def _show(texts: list[str], rules: Rules, cleaning: CleaningConfig, *, marked: bool, limit: int) -> None:
    """Print up to ``limit`` texts the gate marks Ad (``marked``) or misses, with the signals that fired."""
    evidence = gate_evidence(rule_inputs(pl.DataFrame({"text": texts}), cleaning), rules, cleaning=cleaning)
    rows = [row for row in evidence.iter_rows(named=True)
            if (row["score"] >= rules.gate.threshold) == marked]
    for row in rows[:limit]:
        fired = [k.removeprefix(SIGNAL_PREFIX) for k, v in row.items() if k.startswith(SIGNAL_PREFIX) and v]
        text = texts[int(row["uid"])].replace("\n", " | ")
        print(f"  {row['score']:.2f} {','.join(fired) or '-'}: {text[:160]}")


def learned_comparison(rules: Rules, cleaning: CleaningConfig, external: list[str]) -> None:
    """A logistic regression over the same signals, fitted on the older hand-written rounds.

    Trained on rounds 1, 2, the rules-v3 held-out round and the structure cases (neither the
    samples nor round 3), measured beside the hand-set weights on round 3 and ``external``.
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    def features(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        frame = rule_inputs(pl.DataFrame({"text": texts}), cleaning)
        ev = gate_evidence(frame, rules, cleaning=cleaning).sort(pl.col("uid").cast(pl.Int64))
        cols = [c for c in ev.columns if c.startswith(SIGNAL_PREFIX)]
        return ev.select(cols).to_numpy().astype(float), ev["score"].to_numpy()

    ads = ADS_WITHOUT_PHONE + ROUND2_ADS + HELD_OUT_ADS + STRUCTURE_ADS
    non_ads = NEWS_WITH_PRICES + ROUND2_NON_ADS + HELD_OUT_NON_ADS + STRUCTURE_NON_ADS
    x_train = np.vstack([features(ads)[0], features(non_ads)[0]])
    y_train = np.r_[np.ones(len(ads)), np.zeros(len(non_ads))]
    dev = round3_dev()
    checks = {"round 3 dev ads": [p.text for p in dev if p.label == "Ad"],
              "round 3 dev non-ads": [p.text for p in dev if p.label != "Ad"]}
    if external:
        checks["external (AfriSenti/SIB-200)"] = external
    print(f"\nlearned weights (logistic regression on {len(ads)} ads / {len(non_ads)} non-ads of the "
          "older rounds) vs hand-set, share marked Ad:")
    for c in (0.3, 1.0, 10.0):
        model = LogisticRegression(C=c, max_iter=1000).fit(x_train, y_train)
        cells = [f"{name} {float((model.predict_proba(features(t)[0])[:, 1] >= 0.5).mean()):.1%}"
                 for name, t in checks.items()]
        print(f"  learned C={c}: " + ", ".join(cells))
    cells = [f"{name} {float((features(t)[1] >= rules.gate.threshold).mean()):.1%}" for name, t in checks.items()]
    print(f"  hand-set {rules.model_version}: " + ", ".join(cells))


def vertical_table(name: str, verticals: list[str], versions: list[Rules], preds: list[pl.DataFrame]) -> None:
    """Print the vertical accuracy of each rule set on one set of ads, beside the most common vertical."""
    n = len(verticals)
    common, n_common = Counter(verticals).most_common(1)[0]
    print(f"\nvertical on the {n} {name} (right = marked Ad and the file's vertical):")
    print(f"  always the most common ({common}): {n_common / n:.1%} ({n_common})")
    for rules, frame in zip(versions, preds, strict=True):
        got = answers(frame, "vertical", n)
        right = sum(g == want for g, want in zip(got, verticals, strict=True))
        marked = sum(g is not None for g in got)
        right_marked = f"{right / marked:.1%} of the {marked} marked Ad" if marked else "none marked Ad"
        print(f"  {rules.model_version}: {right / n:.1%} ({right}); {right_marked}")
    got = answers(preds[-1], "vertical", n)
    print(f"  {versions[-1].model_version} by vertical (right / ads): " + ", ".join(
        f"{v} {sum(g == v == w for g, w in zip(got, verticals, strict=True))}/{k}"
        for v, k in Counter(verticals).most_common()))


def tag_table(name: str, ads: list[LabeledPost], versions: list[Rules],
              preds: list[pl.DataFrame]) -> None:
    """Print, per tag and rule set, true and false positives and false negatives on ``ads``.

    A tag the rules give an ad the gate misses is not given (tags are asked of ads only).
    """
    tags = sorted({t for post in ads for t in post.tags} | {
        t for rules in versions for t in rules.keywords.get("tags", {})})
    print(f"\ntags on the {len(ads)} {name} (tp / fp / fn against the file's tags column):")
    for rules, frame in zip(versions, preds, strict=True):
        got: dict[int, set[str]] = {i: set() for i in range(len(ads))}
        for uid, value in frame.filter(pl.col("task") == "tags").select("uid", "value").iter_rows():
            got[int(uid)] = set(value)
        cells = []
        for tag in tags:
            tp = sum(tag in got[i] and tag in post.tags for i, post in enumerate(ads))
            fp = sum(tag in got[i] and tag not in post.tags for i, post in enumerate(ads))
            fn = sum(tag not in got[i] and tag in post.tags for i, post in enumerate(ads))
            cells.append(f"{tag} {tp}/{fp}/{fn}")
        print(f"  {rules.model_version}: " + ", ".join(cells))


def main() -> None:
    """Print the comparison tables."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--afrisenti", type=Path, help="folder of AfriSenti amh_*.tsv (column 'tweet')")
    ap.add_argument("--sib200", type=Path, help="folder of SIB-200 amh_*.tsv (column 'text')")
    ap.add_argument("--show", type=int, default=0,
                    help="print up to N external texts the packaged rules mark Ad, and the labeled rounds' "
                         "ads they miss and non-ads they mark")
    ap.add_argument("--learned", action="store_true",
                    help="also fit the signals' weights (logistic regression) on the older rounds and compare")
    ap.add_argument("--labeled", type=Path, action="append", default=[],
                    help="another labeled TSV in round 3's format (label, vertical, text; \\n for a line "
                         "break), e.g. a held-out round: its ads, ads without phones, non-ads and vertical "
                         "(repeatable)")
    args = ap.parse_args()
    dev = round3_dev()
    dev_ads = [r.text for r in dev if r.label == "Ad"]
    # Sets whose ads' vertical is scored: name of the ads' set -> the file's verticals.
    vertical_sets = {"round 3 dev ads": [r.vertical for r in dev if r.label == "Ad"]}
    labeled_non_ads = ["round 3 dev non-ads"]
    sets: dict[str, tuple[list[str], str]] = {
        "round 1 ads without phone": (ADS_WITHOUT_PHONE, "higher"),
        "round 1 news quoting prices": (NEWS_WITH_PRICES, "lower"),
        "round 2 ads": (ROUND2_ADS, "higher"),
        "round 2 chat/news": (ROUND2_NON_ADS, "lower"),
        "v3 held-out ads": (HELD_OUT_ADS, "higher"),
        "v3 held-out chat/news": (HELD_OUT_NON_ADS, "lower"),
        "v4 structure ads": (STRUCTURE_ADS, "higher"),
        "v4 structure look-alikes": (STRUCTURE_NON_ADS, "lower"),
        "round 3 dev ads": (dev_ads, "higher"),
        "round 3 dev ads, phones removed": (without_phones(dev_ads), "higher"),
        "round 3 dev non-ads": ([r.text for r in dev if r.label != "Ad"], "lower"),
    }
    stems = {path.resolve(): name for name, path in LABELED_ROUND_FILES.items()}
    tagged: dict[str, list[LabeledPost]] = {}  # files with a tags column: name -> their ads
    for path in [*stems, *(p for p in args.labeled if p.resolve() not in stems)]:
        if not path.is_file():
            sys.exit(f"no such file: {path}")
        posts = round3_dev(path)
        stem = stems.get(path.resolve(), path.stem)
        ads = [r.text for r in posts if r.label == "Ad"]
        sets[f"{stem} ads"] = (ads, "higher")
        sets[f"{stem} ads, phones removed"] = (without_phones(ads), "higher")
        sets[f"{stem} non-ads"] = ([r.text for r in posts if r.label != "Ad"], "lower")
        vertical_sets[f"{stem} ads"] = [r.vertical for r in posts if r.label == "Ad"]
        if any(r.tags for r in posts):
            tagged[f"{stem} ads"] = [r for r in posts if r.label == "Ad"]
        labeled_non_ads.append(f"{stem} non-ads")
    seed_ads, seed_non_ads = _samples()
    sets["synthetic samples, seed ads"] = (seed_ads, "higher")
    sets["synthetic samples, seed non-ads"] = (seed_non_ads, "lower")
    if args.afrisenti:
        sets["AfriSenti tweets, all splits"] = (tsv_texts(args.afrisenti, "tweet"), "lower")
    if args.sib200:
        sets["SIB-200 sentences, all splits"] = (tsv_texts(args.sib200, "text"), "lower")
    cleaning = CleaningConfig()
    tax = load_taxonomy()
    # Kept to the end of the run: rules-v7's and -v8's learned parts are fitted when they first
    # predict.
    tmp_dir = tempfile.TemporaryDirectory()
    tmp = Path(tmp_dir.name)
    v1_file = tmp / "rules-v1.yaml"
    v1_file.write_text(_rules_v1_yaml(), encoding="utf-8")
    (tmp / "v7").mkdir()
    (tmp / "v8").mkdir()
    versions = [load_rules(v1_file, taxonomy=tax), load_rules(RULES_V3, taxonomy=tax),
                load_rules(RULES_V4, taxonomy=tax), load_rules(RULES_V5, taxonomy=tax),
                load_rules(RULES_V6, taxonomy=tax), _rules_v7(tmp / "v7", tax),
                _rules_v8(tmp / "v8", tax), load_rules(None, taxonomy=tax)]
    try:
        _report(args, sets, vertical_sets, labeled_non_ads, tagged, versions, cleaning)
    finally:
        tmp_dir.cleanup()


def _report(args: argparse.Namespace, sets: dict[str, tuple[list[str], str]],
            vertical_sets: dict[str, list[str]], labeled_non_ads: list[str],
            tagged: dict[str, list[LabeledPost]], versions: list[Rules],
            cleaning: CleaningConfig) -> None:
    """Print every table for ``versions`` (the packaged rules last)."""
    names = [r.model_version for r in versions]
    print(f"{'set':38} {'n':>6}  " + "  ".join(f"{n + ' Ad':>15}" for n in names) + "  better")
    seconds = [0.0] * len(versions)
    vertical_preds: dict[str, list[pl.DataFrame]] = {name: [] for name in vertical_sets}
    for name, (texts, better) in sets.items():
        cells = []
        for i, rules in enumerate(versions):
            preds, secs = predict(texts, rules, cleaning)
            seconds[i] += secs
            n_ad = sum(v == rules.gate.positive for v in answers(preds, rules.gate.task, len(texts)))
            cells.append(f"{n_ad / max(len(texts), 1):>8.1%} ({n_ad:>4})")
            if name in vertical_preds:
                vertical_preds[name].append(preds)
        print(f"{name:38} {len(texts):>6}  " + "  ".join(cells) + f"  {better}")
    print("rule_predictions time, all sets: " + ", ".join(
        f"{n} {s:.2f} s" for n, s in zip(names, seconds, strict=True)))

    for name, verticals in vertical_sets.items():
        if verticals:
            vertical_table(name, verticals, versions, vertical_preds[name])
    for name, ads in tagged.items():
        tag_table(name, ads, versions[-2:], vertical_preds[name][-2:])

    if args.learned:
        external = [t for name, (texts, _) in sets.items() if name.startswith(("AfriSenti", "SIB-200"))
                    for t in texts]
        learned_comparison(versions[-1], cleaning, external)
    if args.show:
        rules = versions[-1]
        for name, (texts, _) in sets.items():
            if name.startswith(("AfriSenti", "SIB-200")):
                print(f"\n{name}: marked Ad by {rules.model_version} (score, signals: text)")
                _show(texts, rules, cleaning, marked=True, limit=args.show)
        for name in vertical_sets:
            print(f"\n{name} {rules.model_version} misses (score, signals: text)")
            _show(sets[name][0], rules, cleaning, marked=False, limit=args.show)
        for name in labeled_non_ads:
            print(f"\n{name} marked Ad by {rules.model_version} (score, signals: text)")
            _show(sets[name][0], rules, cleaning, marked=True, limit=args.show)


if __name__ == "__main__":
    main()
