r"""Benchmark extending a real base tokenizer: tokens per Amharic word before and after.

Usage::

    .venv/bin/python bench/tokenizer_extension.py --dataset afrisenti=/path/to/afrisenti-amh \
        --dataset sib200=/path/to/sib200-amh --sizes 4000,8000,16000 --base mistral-v1
    .venv/bin/python bench/tokenizer_extension.py ... --tokens-per-second 5500 --out bench-tok.json

Each dataset folder holds ``amh_train.tsv`` and ``amh_test.tsv`` with a header (``tweet``,
``text`` or ``sentence`` column). The base (a packaged tokenizer such as ``mistral-v1``, a recipe
or a folder) is extended with pieces learnt on the train split by the workbench's own code
(``train tokenizer --kind extend``), and both are measured on the test split. What it means for
training: at the same tokens per second, a model reads ``before / after`` times as many real
Amharic words per second (``--tokens-per-second`` turns that into words per second, e.g. with a
figure from ``bench/train.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _split(folder: Path, name: str) -> list[str]:
    from workbench.training.tokenizer_command import read_table_texts

    return [t for t in read_table_texts(folder / f"amh_{name}.tsv") if t.strip()]


def bench_dataset(label: str, folder: Path, base_spec: str, sizes: list[int],
                  tokens_per_second: float | None) -> list[dict[str, object]]:
    """Fertility of the base and of each extension on one dataset's test split."""
    from workbench.training.fertility import fertility
    from workbench.training.tokenizer_bases import resolve_base
    from workbench.training.tokenizer_extend import extend_base

    train, test = _split(folder, "train"), _split(folder, "test")
    base = resolve_base(base_spec)
    before = fertility(base.load(), test)
    rows: list[dict[str, object]] = [{"dataset": label, "tokenizer": base.title, "added": 0,
                                      **before, "words_per_token_gain": 1.0, "seconds": 0.0}]
    for size in sizes:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="bench-tok-") as tmp:
            extension = extend_base(base, train, size, work_dir=Path(tmp))
            seconds = time.perf_counter() - started
            after = fertility(extension.tokenizer, test)
        rows.append({"dataset": label, "tokenizer": f"{base.name} + {len(extension.pieces):,}",
                     "added": len(extension.pieces), **after, "seconds": round(seconds, 1),
                     "words_per_token_gain": round(before["tokens_per_word"]
                                                   / after["tokens_per_word"], 2)})
    for row in rows:
        if tokens_per_second:
            row["words_per_second"] = round(tokens_per_second / float(row["tokens_per_word"]))
        row["train_texts"], row["test_texts"] = len(train), len(test)
    return rows


def table(rows: list[dict[str, object]]) -> str:
    """The results as Markdown."""
    cols = ["dataset", "tokenizer", "vocab_size", "tokens_per_word", "byte_fallback_rate",
            "words_per_token_gain", "seconds"]
    if any("words_per_second" in r for r in rows):
        cols.append("words_per_second")
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    """Parse arguments, run every dataset, print the table (and save JSON with --out)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", action="append", required=True, metavar="LABEL=DIR",
                        help="A folder with amh_train.tsv and amh_test.tsv. Repeatable.")
    parser.add_argument("--base", default="mistral-v1")
    parser.add_argument("--sizes", default="4000,8000,16000",
                        help="Most pieces added, comma-separated.")
    parser.add_argument("--tokens-per-second", type=float, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for spec in args.dataset:
        label, _, folder = spec.partition("=")
        rows += bench_dataset(label, Path(folder), args.base, sizes, args.tokens_per_second)
    print(table(rows))
    if args.out is not None:
        args.out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
