"""Measure the Amharic text rules on real Amharic text: what cleaning removes, what prices read.

Usage::

    .venv/bin/python bench/text_rules.py --afrisenti /path/to/afrisenti-amh --sib200 /path/to/sib200-amh
    .venv/bin/python bench/text_rules.py --afrisenti DIR --compare-with /path/to/older/checkout

For every text of each set (AfriSenti: the ``tweet`` column of ``amh_*.tsv``; SIB-200: ``text``),
the checkout's rules (:mod:`workbench.core.amharic`) clean it with the default cleaning config
and read its prices and phones. The report counts (and times the two costliest expressions on
190,000 texts, the set repeated, best of 3):

* the texts whose ``text_clean`` lost a character of each class that is *not* one the cleaning
  switches are meant to remove (links, mentions, hashtags, emojis, stray symbols): Ethiopic
  punctuation, Ethiopic numerals, typographic punctuation (quotes, ellipsis, dashes, brackets),
  letters or digits (outside a link, mention or hashtag), and words split in two by an
  invisible character (zero-width space or joiner, soft hyphen) inside them;
* texts with a price, and the prices read through each form people write (a multiplier word,
  decimals said as ነጥብ, terms that add up, spaced thousands), and texts with a phone number.

``--compare-with DIR`` runs the same measurement with the ``workbench`` package of another
checkout (e.g. a ``git archive`` of an older commit) in a subprocess, prints its table beside
this one, and lists every text whose prices the two read differently.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Character classes the cleaning must keep, by name: a test on one character.
_TYPOGRAPHIC = set("«»‹›“”‘’„…–—[]")
#: An invisible character between two letters or digits: a word a reader sees as one.
_INVISIBLE_IN_WORD = re.compile(r"(\w)[\u200b\u200c\u200d\u2060\ufeff\u00ad]+(\w)")


def _kind(char: str) -> str | None:
    code = ord(char)
    if 0x1360 <= code <= 0x1368:
        return "Ethiopic punctuation"
    if 0x1369 <= code <= 0x137C:
        return "Ethiopic numerals"
    if char in _TYPOGRAPHIC:
        return "typographic punctuation"
    if char.isalnum():
        return "letters or digits"
    return None


def load(folder: Path, column: str) -> list[str]:
    """The ``column`` of every ``amh_*.tsv`` in ``folder``, in file-name order."""
    import polars as pl

    texts: list[str] = []
    for path in sorted(folder.glob("amh_*.tsv")):
        frame = pl.read_csv(path, separator="\t", quote_char=None, infer_schema=False)
        texts += frame.get_column(column).fill_null("").to_list()
    return texts


def measure(sets: dict[str, list[str]]) -> dict[str, object]:
    """The counts of the module docstring per set, and every text's prices."""
    import polars as pl

    from workbench.core.amharic import exprs as ax
    from workbench.core.config import CleaningConfig

    cfg = CleaningConfig()
    out: dict[str, object] = {}
    for name, texts in sets.items():
        frame = pl.DataFrame({"text": texts}).with_columns(
            text_clean=ax.clean_text(pl.col("text"), cfg),
            prices=ax.extract_prices(pl.col("text")),
            phones=ax.extract_phones(pl.col("text")),
            tags=ax.find_tags(pl.col("text")),
        )
        lost: Counter[str] = Counter()
        split = 0
        for text, clean, tags in frame.select("text", "text_clean", "tags").iter_rows():
            outside_tags = text
            for tag in sorted(tags, key=len, reverse=True):  # '#ኢትዮጵያዊ' before '#ኢትዮጵያ'
                outside_tags = outside_tags.replace(tag, " ")
            before, after = Counter(outside_tags), Counter(clean)
            kinds = {_kind(c) for c, n in before.items() if n > after.get(c, 0)} - {None}
            lost.update(kinds)
            split += any(m.group(1) + m.group(2) not in clean
                         for m in _INVISIBLE_IN_WORD.finditer(outside_tags))
        out[name] = {
            "texts": frame.height,
            "lost": dict(lost),
            "words split": split,
            "with a price": int((frame.get_column("prices").list.len() > 0).sum()),
            "with a phone": int((frame.get_column("phones").list.len() > 0).sum()),
            "prices": frame.get_column("prices").to_list(),
            "seconds": _timings(texts),
        }
    return out


def _timings(texts: list[str], rows: int = 190_000) -> dict[str, float]:
    """Best of 3 wall seconds of ``clean_text`` and ``extract_prices`` on ``rows`` texts.

    The set is repeated up to ``rows`` texts.
    """
    import time

    import polars as pl

    from workbench.core.amharic import exprs as ax
    from workbench.core.config import CleaningConfig

    frame = pl.DataFrame({"text": (texts * (rows // max(len(texts), 1) + 1))[:rows]})
    out = {}
    for name, expr in (("clean_text", ax.clean_text(pl.col("text"), CleaningConfig())),
                       ("extract_prices", ax.extract_prices(pl.col("text")))):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            frame.select(expr)
            best = min(best, time.perf_counter() - start)
        out[name] = round(best, 3)
    return out


def _table(label: str, result: dict[str, object]) -> list[str]:
    lines = [f"{label}:"]
    for name, row in result.items():
        assert isinstance(row, dict)
        lost = ", ".join(f"{kind} {n}" for kind, n in sorted(row["lost"].items())) or "none"
        lines.append(f"  {name}: {row['texts']} texts; text_clean lost (texts): {lost}; "
                     f"words split: {row['words split']}; with a price: {row['with a price']}; "
                     f"with a phone: {row['with a phone']}; seconds on 190,000 texts: "
                     + ", ".join(f"{k} {v:.2f}" for k, v in row["seconds"].items()))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--afrisenti", type=Path, help="folder of AfriSenti amh_*.tsv (column 'tweet')")
    parser.add_argument("--sib200", type=Path, help="folder of SIB-200 amh_*.tsv (column 'text')")
    parser.add_argument("--compare-with", type=Path, help="another checkout: its workbench "
                        "package measured on the same texts")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sets = {}
    if args.afrisenti:
        sets["AfriSenti"] = load(args.afrisenti, "tweet")
    if args.sib200:
        sets["SIB-200"] = load(args.sib200, "text")
    if not sets:
        parser.error("give --afrisenti and/or --sib200")
    if args.json:  # the subprocess of --compare-with
        print(json.dumps(measure(sets)))
        return
    sys.path.insert(0, str(ROOT))
    now = measure(sets)
    print("\n".join(_table(f"this checkout ({ROOT})", now)))
    if args.compare_with is None:
        return
    cmd = [sys.executable, __file__, "--json"]
    for flag in ("afrisenti", "sib200"):
        if getattr(args, flag):
            cmd += [f"--{flag}", str(getattr(args, flag))]
    env = {"PYTHONPATH": str(args.compare_with.resolve()), "PATH": "/usr/bin:/bin"}
    before = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True,
                                       env=env, cwd=args.compare_with).stdout)
    print("\n".join(_table(f"--compare-with {args.compare_with}", before)))
    for name, texts in sets.items():
        old, new = before[name]["prices"], now[name]["prices"]  # type: ignore[index]
        changed = [(t, a, b) for t, a, b in zip(texts, old, new, strict=True) if a != b]
        print(f"{name}: prices read differently in {len(changed)} text(s)")
        for text, a, b in changed:
            print(f"  {a} -> {b}: {text[:100]!r}")


if __name__ == "__main__":
    main()
