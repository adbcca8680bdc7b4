"""Benchmark ``workbench ingest`` against the naive notebook-style pipeline and the JSON floor.

Usage::

    .venv/bin/python bench/ingest.py                 # 200,000 messages (~150 MB), 25 channels
    .venv/bin/python bench/ingest.py --messages 20000
    .venv/bin/python bench/ingest.py --messages 1000000 --contenders workbench \
        --compare-with /tmp/old-checkout     # scale: this checkout against an older one
    .venv/bin/python bench/ingest.py --repeat 10 --contenders workbench
        # 10 corpora of 200,000 messages side by side: 10x the exports, the same sizes
    .venv/bin/python bench/ingest.py --contenders workbench --trace-batches
        # also the RSS after every 5th batch of channels of the per-channel pass

Three contenders run on the same generated exports, each in its own subprocess so peak memory
(max RSS) is measured per contender:

(a) ``workbench``: the whole ingest (parse, clean, extract, stats, write Parquet + manifests);
(b) ``naive``: the same work written the way the original notebooks did it: ``json.load``, a
    Python loop, pandas ``.apply`` with per-row Python functions, ``collections.Counter`` stats;
(c) ``orjson``: ``orjson.loads`` of every file and nothing else, the floor for any parser.

It also times the parse step alone (``parse``) against (c). Targets: (a) >= 5x faster than (b);
``parse`` within 1.5x of (c). ``--compare-with DIR`` adds ``workbench@before``: the whole ingest
of another checkout (e.g. an older commit, from ``git archive``) on the same exports in the same
session, so before/after figures share the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


#: Channel ids of the k-th copy of a corpus (``--repeat``) are shifted by k times this.
COPY_ID_STEP = 10_000_000_000


def generate(out: Path, n_messages: int, n_channels: int, repeat: int = 1) -> list[Path]:
    """Write ``repeat`` corpora of ``n_messages`` (seeds 1, 2, ...) as exports under ``out``.

    Each copy's channels get their own ids, so ``repeat`` multiplies the exports and channels
    while every copy has the same export sizes (the generator's channel sizes are uneven).
    """
    from synthetic.exports import generate_corpus, write_export

    paths = []
    for copy in range(repeat):
        corpus = generate_corpus(n_messages, n_channels=n_channels, seed=1 + copy)
        for i, (exp, _labels) in enumerate(corpus):
            exp["id"] += copy * COPY_ID_STEP
            name = f"channel_{i:02d}" if repeat == 1 else f"copy_{copy:03d}_channel_{i:02d}"
            path = out / name / "result.json"
            write_export(exp, path)
            paths.append(path)
    return paths


# --- (b) the naive baseline, notebook style --------------------------------------------------

def run_naive(paths: list[Path], out: Path) -> None:
    import re
    from collections import Counter

    import pandas as pd

    homophones = {}
    for src, dst in ((0x1210, 0x1200), (0x1280, 0x1200), (0x1220, 0x1230), (0x12D0, 0x12A0),
                     (0x1338, 0x1340)):
        for order in range(7):
            homophones[chr(src + order)] = chr(dst + order)
    hashtag_re = re.compile(r"#(\w+)")
    mention_re = re.compile(r"@(\w+)")
    link_re = re.compile(r"(?:https?://|www\.|t\.me/)\S+")
    emoji_re = re.compile(
        "(?:[\U0001F1E6-\U0001F1FF]{2}|[0-9#*]\uFE0F?\u20E3|"
        "[\u2600-\u27BF\U0001F300-\U0001FAFF](?:[\uFE0F\U0001F3FB-\U0001F3FF]|"
        "\u200D[\u2600-\u27BF\U0001F300-\U0001FAFF])*)"
    )
    phone_re = re.compile(r"(?:\+?251|\b0)(?:[ \-.]?\d){9}")
    price_re = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(?:ብር|birr|br|ETB)", re.IGNORECASE)
    symbol_re = re.compile(r"[•►➡★✔■□▪◆→←↑↓⇒☛✅]")

    rows = []
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            exp = json.load(fh)
        for m in exp["messages"]:
            if m.get("type") != "message":
                continue
            t = m.get("text", "")
            if isinstance(t, list):
                t = "".join(p if isinstance(p, str) else p.get("text", "") for p in t)
            rows.append({"uid": f"{exp['id']}:{m['id']}", "channel": exp["name"], "text": t,
                         "date": m.get("date")})
    df = pd.DataFrame(rows)

    def clean(t: str) -> str:
        t = link_re.sub(" ", t)
        t = mention_re.sub(" ", t)
        t = hashtag_re.sub(" ", t)
        t = emoji_re.sub(" ", t)
        t = symbol_re.sub(" ", t)
        return " ".join(t.split())

    def normalize(t: str) -> str:
        for a, b in homophones.items():
            t = t.replace(a, b)
        return t.lower()

    def phones(t: str) -> list[str]:
        return ["+251" + re.sub(r"\D", "", p)[-9:] for p in phone_re.findall(t)]

    def prices(t: str) -> list[float]:
        return [float(p.replace(",", "")) for p in price_re.findall(t)]

    def ethiopic_ratio(t: str) -> float:
        letters = [c for c in t if c.isalpha()]
        return sum(1 for c in letters if "\u1200" <= c <= "\u137f") / len(letters) if letters else 0.0

    df["text_clean"] = df["text"].apply(clean)
    df["text_norm"] = df["text_clean"].apply(normalize)
    df["hashtags"] = df["text"].apply(hashtag_re.findall)
    df["mentions"] = df["text"].apply(mention_re.findall)
    df["links"] = df["text"].apply(link_re.findall)
    df["emojis"] = df["text"].apply(emoji_re.findall)
    df["phones"] = df["text"].apply(phones)
    df["prices"] = df["text"].apply(prices)
    df["ethiopic_ratio"] = df["text_clean"].apply(ethiopic_ratio)
    df["n_chars"] = df["text_clean"].apply(len)
    df["is_empty"] = df["n_chars"] == 0

    # The same final tables the workbench writes: words and 1-3-grams overall and per channel,
    # and per-channel stats.
    words: Counter[str] = Counter()
    ngrams: Counter[tuple[int, str]] = Counter()
    words_by_channel: dict[str, Counter[str]] = {}
    ngrams_by_channel: dict[str, Counter[tuple[int, str]]] = {}
    for channel, text in zip(df["channel"], df["text_norm"], strict=True):
        toks = [t for t in re.split(r"[\s።፣፤፥፦፧፡.,!?:;()\"']+", text) if t]
        grams = [(n, " ".join(toks[i:i + n])) for n in (1, 2, 3) for i in range(len(toks) - n + 1)]
        words.update(toks)
        words_by_channel.setdefault(channel, Counter()).update(toks)
        ngrams.update(grams)
        ngrams_by_channel.setdefault(channel, Counter()).update(grams)
    stats = df.groupby("channel").agg(
        messages=("uid", "size"),
        first_date=("date", "min"),
        last_date=("date", "max"),
        share_with_phone=("phones", lambda s: s.apply(len).gt(0).mean()),
        share_with_link=("links", lambda s: s.apply(len).gt(0).mean()),
        share_with_price=("prices", lambda s: s.apply(len).gt(0).mean()),
        median_n_chars=("n_chars", "median"),
    )
    out.mkdir(parents=True, exist_ok=True)
    df[["uid", "channel", "text", "date"]].to_parquet(out / "parsed.parquet")
    df.to_parquet(out / "cleaned.parquet")
    stats.to_parquet(out / "channel_stats.parquet")
    pd.DataFrame(words.most_common(), columns=["token", "count"]).to_parquet(out / "words.parquet")
    pd.DataFrame([(c, w, k) for c, cnt in words_by_channel.items() for w, k in cnt.items()],
                 columns=["channel", "token", "count"]).to_parquet(out / "words_by_channel.parquet")
    pd.DataFrame([(n, g, k) for (n, g), k in ngrams.items()],
                 columns=["n", "ngram", "count"]).to_parquet(out / "ngrams.parquet")
    pd.DataFrame([(c, n, g, k) for c, cnt in ngrams_by_channel.items() for (n, g), k in cnt.items()],
                 columns=["channel", "n", "ngram", "count"]).to_parquet(out / "ngrams_by_channel.parquet")


# --- contenders, each in a subprocess ---------------------------------------------------------

IMPORTS = {
    "workbench": ("polars", "pyarrow", "msgspec", "workbench.ingest.pipeline",
                  "workbench.ingest.clean", "workbench.ingest.stats"),
    "parse": ("polars", "pyarrow", "msgspec", "workbench.ingest.parse"),
    "orjson": ("orjson",),
    "naive": ("pandas", "pyarrow"),
}


def trace_batches() -> None:
    """Print the process' RSS before every 5th batch of the per-channel pass (and the last)."""
    from workbench.ingest import channels

    page = os.sysconf("SC_PAGE_SIZE")
    real = channels.channel_final
    batches = 0

    def traced(*args: object, **kwargs: object) -> object:
        nonlocal batches
        batches += 1
        if batches % 5 == 0:
            with open("/proc/self/statm", encoding="ascii") as statm:
                rss_mb = int(statm.read().split()[1]) * page / 2**20
            print(f"    batch {batches}: RSS {rss_mb:.0f} MB", flush=True)
        return real(*args, **kwargs)

    channels.channel_final = traced  # type: ignore[assignment]


def contender(name: str, paths: list[Path], out: Path) -> None:
    if name == "workbench":
        from workbench.core.config import CleaningConfig
        from workbench.ingest.pipeline import run_ingest

        run_ingest(paths, out, CleaningConfig())
    elif name == "parse":
        from workbench.ingest.parse import parse_export

        for p in paths:
            parse_export(p.read_bytes(), str(p), "-")
    elif name == "orjson":
        import orjson

        for p in paths:
            orjson.loads(p.read_bytes())
    elif name == "naive":
        run_naive(paths, out)
    else:
        raise SystemExit(f"unknown contender {name}")


def measure(name: str, corpus: Path, tree: Path | None = None,
            trace: bool = False) -> tuple[float, float, float]:
    """Run one contender in a fresh interpreter; return (seconds, peak RSS in MB, CPU seconds).

    CPU seconds (user + system, all threads) swing less than wall time on a shared machine.

    ``tree``: import ``workbench`` from that checkout instead of this one.
    """
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, __file__, "--run", name, "--corpus", str(corpus), "--out", out]
        if tree is not None:
            cmd += ["--tree", str(tree)]
        if trace:
            cmd += ["--trace-batches"]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        lines = proc.stdout.rstrip().splitlines()
        for line in lines[:-1]:
            if line.startswith("    batch "):
                print(line)
        seconds, peak_kb, cpu = lines[-1].split()
    return float(seconds), float(peak_kb) / 1024, float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--channels", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=1,
                        help="copies of the corpus, each with its own channels (more exports "
                             "of the same sizes)")
    parser.add_argument("--contenders", default="orjson,parse,workbench,naive",
                        help="comma-separated subset of orjson,parse,workbench,naive")
    parser.add_argument("--compare-with", type=Path,
                        help="another checkout whose whole ingest runs as workbench@before")
    parser.add_argument("--trace-batches", action="store_true",
                        help="print the RSS after every 5th batch of channels (workbench only)")
    parser.add_argument("--tree", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.generate:  # child process: write the corpus
        generate(args.corpus, args.messages, args.channels, args.repeat)
        return
    if args.run:  # child process: time one contender, print seconds last
        if args.tree:
            sys.path.insert(0, str(args.tree))
        paths = sorted(args.corpus.rglob("result.json"))
        # Library imports are paid once per process, not per export: keep them off the clock
        # for every contender alike.
        for module in IMPORTS[args.run]:
            __import__(module)
        if args.trace_batches and args.run == "workbench":
            trace_batches()
        before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        contender(args.run, paths, args.out)
        elapsed = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (usage.ru_utime - before.ru_utime) + (usage.ru_stime - before.ru_stime)
        # The child's own peak RSS (KiB on Linux), so each contender's memory is its own.
        print(f"{elapsed:.3f} {usage.ru_maxrss} {cpu:.3f}")
        return

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "exports"
        t0 = time.perf_counter()
        # In a child process: a contender's peak RSS (ru_maxrss) starts at its parent's RSS when
        # it is spawned, so a parent that generated the corpus itself would floor every figure.
        subprocess.run([sys.executable, __file__, "--generate", "--corpus", str(corpus),
                        "--messages", str(args.messages), "--channels", str(args.channels),
                        "--repeat", str(args.repeat)],
                       check=True)
        paths = sorted(corpus.rglob("result.json"))
        size_mb = sum(p.stat().st_size for p in paths) / 1e6
        largest_mb = max(p.stat().st_size for p in paths) / 1e6
        print(f"generated {args.messages * args.repeat:,} messages in {len(paths)} exports, "
              f"{size_mb:.0f} MB, largest {largest_mb:.1f} MB "
              f"({time.perf_counter() - t0:.1f} s)")
        results = {}
        runs = [(name, None) for name in args.contenders.split(",")]
        if args.compare_with:
            runs.insert(0, ("workbench@before", args.compare_with.resolve()))
        for name, tree in runs:
            results[name] = measure(name.split("@")[0], corpus, tree, args.trace_batches)
            seconds, peak, cpu = results[name]
            print(f"  {name:<16} {seconds:8.2f} s   peak RSS {peak:7.0f} MB   CPU {cpu:8.2f} s",
                  flush=True)
    if {"workbench", "naive"} <= results.keys():
        wb, naive = results["workbench"][0], results["naive"][0]
        print(f"workbench ingest vs naive notebook pipeline: {naive / wb:.1f}x faster (target >= 5x)")
    if {"parse", "orjson"} <= results.keys():
        parse, floor = results["parse"][0], results["orjson"][0]
        print(f"parse step vs orjson.loads floor: {parse / floor:.2f}x the floor's time "
              "(target <= 1.5x)")


if __name__ == "__main__":
    main()
