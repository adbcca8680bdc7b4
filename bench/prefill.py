"""What the first push pre-fills for the vertical, on the packaged demo samples.

Usage::

    .venv/bin/python bench/prefill.py                          # the packaged rules
    .venv/bin/python bench/prefill.py --rules old-rules.yaml   # another rule file beside them

Ingests the samples into a temporary data dir, runs the rule pre-annotations and reports, per
rule file: how many tasks are predicted Ad, how many of those get a vertical from a keyword
and how many of these agree with the samples' seed label (the generator's intended vertical),
and how many get the fallback label (and how many of those agree). The samples are synthetic:
a sanity check of coverage, not an accuracy figure for real channels.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.core.config import CleaningConfig  # noqa: E402
from workbench.core.resources import sample  # noqa: E402
from workbench.core.taxonomy import load_taxonomy  # noqa: E402
from workbench.ingest.pipeline import run_ingest  # noqa: E402
from workbench.labeling.push import load_messages  # noqa: E402
from workbench.labeling.rules import load_rules, rule_predictions  # noqa: E402


def seed_verticals() -> dict[str, str | None]:
    """Uid -> the samples' intended vertical."""
    rows = [json.loads(line) for line in
            sample("telegram/seed_labels.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return {str(r["uid"]): r.get("vertical") for r in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, action="append", default=[],
                        help="Another rules.yaml to report beside the packaged one (repeatable).")
    args = parser.parse_args()
    taxonomy, cleaning = load_taxonomy(), CleaningConfig()
    seeds = seed_verticals()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        run_ingest([p for p in sample("telegram").iterdir() if p.is_dir()], data, cleaning)
        messages = load_messages(data)
    for path in [*args.rules, None]:
        rules = load_rules(path, taxonomy=taxonomy)
        preds = rule_predictions(messages, rules, taxonomy, cleaning=cleaning)
        gate = preds.filter(preds["task"] == rules.gate.task)
        ads = gate.filter(gate["value"].list.first() == rules.gate.positive).height
        vertical = preds.filter(preds["task"] == "vertical")
        fallback_label = rules.fallback.get("vertical")
        # The fallback label has no keywords of its own, so predicting it means no keyword hit.
        is_fallback = [fallback_label is not None and value[0] == fallback_label
                       for value in vertical["value"]]
        keyword = agree = fallback = fallback_agree = 0
        for uid, value, fell_back in zip(vertical["uid"], vertical["value"], is_fallback, strict=True):
            right = seeds.get(uid) == value[0]
            if fell_back:
                fallback, fallback_agree = fallback + 1, fallback_agree + right
            else:
                keyword, agree = keyword + 1, agree + right
        print(f"{rules.model_version}: {messages.height} tasks, {ads} predicted Ad; vertical "
              f"pre-filled for {vertical.height}: keywords {keyword} ({agree} agree with the seed "
              f"label), fallback {fallback} ({fallback_agree} agree); no vertical {ads - vertical.height}")


if __name__ == "__main__":
    main()
