"""Benchmark the retrieval index: latency at 10k and 100k ads, recall@10 of each search mode.

Usage::

    .venv/bin/python bench/rag.py                          # 10,000 and 100,000 ads
    .venv/bin/python bench/rag.py --sizes 10000 --queries 200
    .venv/bin/python bench/rag.py --sib200 /path/to/sib200-amh   # + real text

Corpus: synthetic Amharic ads in the curated-split contract (30 channels, the 10 verticals), each
naming one unique product (a made-up Ge'ez word with a homophone-series letter in it) among real
Amharic vertical and ad words, a price and a phone; ``text_norm`` comes from the real cleaning
code. The index is built by ``workbench.rag.index.build_index`` with the default config
(tfidf-svd, 256 dims; an IVF-HNSW-SQ vector index from 20,000 rows).

Queries whose answer is known (the ad they were made from), three kinds:

* ``exact``: three words of the ad as written (the product and two others);
* ``variant``: the same words the way people type them: a preposition attached ("ለ", "በ", "የ",
  "ከ") and the other spelling of a homophone letter (ሀ/ሐ, ሰ/ሠ, አ/ዐ, ፀ/ጸ);
* ``typo``: the product misspelt (one syllable's vowel changed) plus two words of the ad.

Reported: build time (per phase); opening the index plus its first search (which reads the row
snapshot, see ``workbench.rag.search``) and the snapshot's size; p50/p95 wall time of
``RagIndex.search`` (query normalisation and embedding included, k = 10) for hybrid / vector /
text, unfiltered and filtered by channel, with the process CPU time per query beside it (on a
shared machine wall time includes waiting for a core; the load average is printed); recall@10
per mode and query kind. Target: hybrid p95 under 10 ms at 100k ads.

Three baselines are timed in the same run, query by query in turn with the workbench's hybrid
search (so all see the same load), and the hybrid search's ratio to each is printed:

* ``hybrid, every word searched``: the same search with ``rag.fts_max_df = 1.0``, the full-text
  query keeping the words most ads share (what every search did before ``term_df.json``), whose
  recall@10 is reported too (at 10k ads the two are the same search: common words are left out
  only from 50,000 rows, ``workbench.rag.search.FTS_PRUNE_MIN_ROWS``);
* ``hybrid, rows from LanceDB``: the same search with ``rag.row_cache_max_rows = 0``, reading
  the rows back from LanceDB at each query (what every search did before the snapshot);
* ``LanceDB hybrid query``: LanceDB's own hybrid query through its documented API
  (``table.search(query_type="hybrid")`` with ``RRFReranker``, the same six columns, k = 10),
  whose recall@10 is reported too.

Filtered by one channel (~3% of the ads), the workbench's exact search of the channel's vectors
(``rag.exact_filter_max_rows``) is compared with LanceDB's HNSW search with that pre-filter
(``rag.exact_filter_max_rows = 0``, ``... , LanceDB ANN`` below): both timed in the same run, and
the recall@10 of each vector search against LanceDB's exact (flat) filtered search.

With ``--sib200 DIR`` (SIB-200 Amharic TSVs, FLORES-200 sentences) the same recall comparison is
run on real Amharic sentences: each sentence is one "ad", a query is three of its words with the
``variant`` or ``typo`` treatment.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# LanceDB's own hybrid query (a baseline) logs a deprecation warning per query on stderr.
os.environ.setdefault("LANCEDB_LOG", "error")
sys.path.insert(0, str(ROOT))

VERTICAL_WORDS = {
    "Retail": "ቀሚስ ጫማ ልብስ ቦርሳ ሸሚዝ ሱሪ ጃኬት ጌጣጌጥ ሰዓት መነፅር",
    "Automotive": "መኪና ጎማ ባትሪ ሞዴል ሞተር ዘይት እጥበት መለዋወጫ ኪራይ ሽያጭ",
    "Financial services": "ባንክ ብድር ቁጠባ ወለድ ሂሳብ ገንዘብ ኢንሹራንስ ክፍያ ካርድ ብር",
    "Telecom": "ጥቅል ኢንተርኔት ዳታ ደቂቃ ሲም ኔትወርክ ስልክ መልዕክት ጊጋ ሞባይል",
    "CPG & consumer products": "ሳሙና ዘይት ቡና ሻይ ዱቄት ስኳር ውሃ ሻምፖ ማር ቅቤ",
    "Travel": "ጉዞ ትኬት ሆቴል በረራ ቪዛ ጉብኝት ፓኬጅ ሪዞርት አውቶቡስ ቦታ",
    "Computing products & consumer electronics": "ላፕቶፕ ኮምፒውተር ቻርጀር ቴሌቪዥን ታብሌት "
                                                   "ካሜራ ፕሪንተር ሃርድ ዲስክ ሶፍትዌር",
    "Media": "ዜና ፊልም ቻናል ፕሮግራም መፅሄት ሬዲዮ ድራማ ተከታታይ ዩቲዩብ ፖድካስት",
    "Entertainment": "ኮንሰርት ሙዚቃ ቲያትር ጨዋታ ፌስቲቫል ዳንስ ምሽት ትርኢት ካራኦኬ ክለብ",
    "Healthcare & pharma": "ክሊኒክ መድሃኒት ሕክምና ጥርስ ምርመራ ሆስፒታል ፋርማሲ ቫይታሚን ዶክተር ላብራቶሪ",
}
AD_WORDS = ["ዋጋ", "ቅናሽ", "ይደውሉ", "አሁኑኑ", "ይዘዙ", "ለበለጠ", "መረጃ", "አዲስ", "ጥራት", "ያለው", "በተመጣጣኝ", "ልዩ", "ቅናሽ", "ነፃ", "አቅርቦት", "ብቻ", "ዛሬ", "ይጎብኙን", "ያግኙን", "እንኳን", "ደስ", "አላችሁ", "በዓል", "ሳምንት", "ሙሉ"]
PREFIXES = ("ለ", "በ", "የ", "ከ")

#: The baselines timed beside the workbench's hybrid search (see the module docstring).
EVERY_WORD = "hybrid, every word searched"
HYBRID_FROM_LANCE = "hybrid, rows from LanceDB"
LANCEDB_HYBRID = "LanceDB hybrid query"
FILTER_CHANNEL = "ቻናል 07"

# Consonant series used in product names (first code point of each): no homophone series, so a
# name is unique, plus the homophone pairs used to write one letter of each name.
PLAIN_SERIES = [0x1208, 0x1218, 0x1228, 0x1238, 0x1240, 0x1260, 0x1270, 0x1290, 0x12A8,
                0x12C8, 0x12D8, 0x12E8, 0x12F0, 0x1300, 0x1308, 0x1320, 0x1328, 0x1348]
HOMOPHONE_PAIRS = [(0x1200, 0x1210), (0x1230, 0x1220), (0x12A0, 0x12D0), (0x1340, 0x1338)]


def syllable(rng: random.Random, series: int) -> str:
    return chr(series + rng.randrange(7))


def product_name(rng: random.Random, used: set[str]) -> str:
    """Three plain syllables plus one from a homophone series (written in its first spelling)."""
    while True:
        sylls = [syllable(rng, rng.choice(PLAIN_SERIES)) for _ in range(3)]
        sylls.insert(rng.randrange(4), syllable(rng, rng.choice(HOMOPHONE_PAIRS)[0]))
        name = "".join(sylls)
        if name not in used:
            used.add(name)
            return name


def swap_homophone(word: str) -> str:
    """Write the first homophone-series letter of ``word`` in its other series."""
    for i, ch in enumerate(word):
        code = ord(ch)
        for a, b in HOMOPHONE_PAIRS:
            for src, dst in ((a, b), (b, a)):
                if src <= code < src + 7:
                    return word[:i] + chr(dst + code - src) + word[i + 1:]
    return word


def misspell(word: str, rng: random.Random) -> str:
    """Change the vowel (order) of one Ethiopic syllable."""
    positions = [i for i, ch in enumerate(word) if 0x1200 <= ord(ch) <= 0x1357]
    i = rng.choice(positions)
    code = ord(word[i])
    base = code - (code - 0x1200) % 8
    order = (code - base + rng.randrange(1, 7)) % 7
    return word[:i] + chr(base + order) + word[i + 1:]


def synthetic_ads(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    verticals = list(VERTICAL_WORDS)
    channels = [f"ቻናል {i:02d}" for i in range(30)]
    brands = [product_name(rng, set())[:3] + " " + rng.choice(["ሱቅ", "ትሬዲንግ", "ሴንተር", "ሾፕ"])
              for _ in range(300)]
    used: set[str] = set()
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    ads = []
    for i in range(n):
        vertical = verticals[i % len(verticals)]
        words = VERTICAL_WORDS[vertical].split()
        product = product_name(rng, used)
        body = rng.sample(words, 3) + rng.sample(AD_WORDS, 5)
        rng.shuffle(body)
        text = (f"{rng.choice(['🔥', '✨', '📢', '🛍'])} {rng.choice(brands)} {product} "
                f"{' '.join(body)} ዋጋ {rng.randrange(100, 90000):,} ብር "
                f"ይደውሉ 09{rng.randrange(10**7, 10**8)}")
        ads.append({"uid": f"{i % 30}:{i}", "channel": channels[i % 30], "vertical": vertical,
                    "date": t0 + timedelta(minutes=i), "text": text, "product": product,
                    "words": body})
    return ads


def write_split(data: Path, ads: list[dict]) -> None:
    import polars as pl

    from workbench.core.schemas import PARSED_SCHEMA
    from workbench.ingest.clean import clean_messages

    parsed = pl.DataFrame([{
        "uid": a["uid"], "channel_id": int(a["uid"].split(":")[0]), "channel_name": a["channel"],
        "channel_type": "public_channel", "message_id": int(a["uid"].split(":")[1]),
        "date": a["date"], "edited": None, "sender": None, "sender_id": None, "author": None,
        "forwarded_from": None, "reply_to": None, "media_type": None, "text": a["text"],
        "entities": [], "source": "bench", "source_sha256": "0" * 64,
    } for a in ads], schema=PARSED_SCHEMA)
    curated = clean_messages(parsed).with_columns(
        is_ad=pl.lit("Ad"), vertical=pl.Series([a["vertical"] for a in ads]),
        tags=pl.lit([], dtype=pl.List(pl.Utf8)), split=pl.lit("train"),
        cluster_id=pl.int_range(pl.len()), label_source=pl.lit("synthetic"))
    folder = data / "curated" / "splits"
    folder.mkdir(parents=True, exist_ok=True)
    curated.write_parquet(folder / "train.parquet")


def make_queries(ads: list[dict], n: int, seed: int = 1) -> dict[str, list[tuple[str, str]]]:
    """``kind -> [(query, answer uid)]`` for the three query kinds."""
    rng = random.Random(seed)
    picked = rng.sample(ads, min(n, len(ads)))
    out: dict[str, list[tuple[str, str]]] = {"exact": [], "variant": [], "typo": []}
    for ad in picked:
        others = rng.sample(ad["words"], 2)
        out["exact"].append((" ".join([ad["product"], *others]), ad["uid"]))
        variant = [rng.choice(PREFIXES) + swap_homophone(ad["product"])]
        variant += [rng.choice(PREFIXES) + w for w in others]
        out["variant"].append((" ".join(variant), ad["uid"]))
        out["typo"].append((" ".join([misspell(ad["product"], rng), *others]), ad["uid"]))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def recall_at(search: Callable[[str], list[str]], queries: list[tuple[str, str]]) -> float:
    """Share of ``queries`` whose answer is among the keys ``search`` returns."""
    return sum(answer in search(q) for q, answer in queries) / len(queries)


def lancedb_hybrid(index: Any) -> Callable[[str], list[str]]:
    """LanceDB's own hybrid query (sync API, RRFReranker) over the index's table: uids, k = 10.

    Query normalisation, full-text terms and the query vector are made as in ``RagIndex.search``.
    """
    from lancedb.rerankers import RRFReranker

    from workbench.rag.embedders import query_form
    from workbench.rag.search import _AD_COLUMNS
    from workbench.rag.text import fts_terms

    table = index.table("ads")
    reranker = RRFReranker()

    def search(query: str) -> list[str]:
        norm = index._normalise(query)
        vector = index.embedder.encode([query_form(index.embedder, query, norm)])[0]
        found = (table.search(query_type="hybrid", vector_column_name="vector",
                              fts_columns="text_fts")
                 .vector(vector).text(fts_terms(norm)).distance_type("cosine")
                 .rerank(reranker).select(_AD_COLUMNS).limit(10).to_arrow())
        return found["uid"].to_pylist()

    return search


def summarise(times: list[float], cpu: list[float]) -> dict[str, float]:
    """p50 / p95 / mean wall time and p50 / p95 CPU time, in ms."""
    return {"p50_ms": round(percentile(times, 0.5), 2), "p95_ms": round(percentile(times, 0.95), 2),
            "mean_ms": round(statistics.fmean(times), 2),
            "cpu_p50_ms": round(percentile(cpu, 0.5), 2),
            "cpu_p95_ms": round(percentile(cpu, 0.95), 2)}


def time_contenders(contenders: dict[str, Callable[[str], object]], queries: list[str],
                    rounds: int) -> dict[str, dict[str, float]]:
    """Latency of each contender, running them in turn on each query (they share the load).

    Every query is timed ``rounds`` times per contender; the percentiles pool all of them.
    """
    for q in queries[:20]:  # warm caches (and read the row snapshot)
        for run in contenders.values():
            run(q)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    for q in queries * rounds:
        for name, run in contenders.items():
            t, c = time.perf_counter(), time.process_time()
            run(q)
            times[name].append((time.perf_counter() - t) * 1000)
            cpu[name].append((time.process_time() - c) * 1000)
    return {name: summarise(times[name], cpu[name]) for name in contenders}


def filtered_vector_recall(index: Any, ann: Any, queries: list[str]) -> dict[str, float]:
    """Recall@10 of the channel-filtered vector search against LanceDB's exact filtered search.

    ``index`` searches the channel's vectors exactly (``rag.exact_filter_max_rows``), ``ann``
    with LanceDB's HNSW index and a pre-filter; the reference is LanceDB's flat search
    (``bypass_vector_index``) with the same filter.
    """
    from workbench.rag.embedders import query_form
    from workbench.rag.filters import where_clause

    table = index.table("ads")
    where = where_clause(channel=FILTER_CHANNEL)
    found = {"exact (workbench)": 0, "LanceDB ANN": 0}
    total = 0
    for query in queries:
        norm = index._normalise(query)
        vector = index.embedder.encode([query_form(index.embedder, query, norm)])[0]
        flat = (table.search(vector, vector_column_name="vector").distance_type("cosine")
                .where(where, prefilter=True).bypass_vector_index().limit(10).select(["uid"])
                .to_list())
        want = {row["uid"] for row in flat}
        total += len(want)
        for name, idx in (("exact (workbench)", index), ("LanceDB ANN", ann)):
            hits = idx.search(query, k=10, mode="vector", channel=FILTER_CHANNEL)
            found[name] += len(want & {h.key for h in hits})
    return {name: round(count / max(total, 1), 3) for name, count in found.items()}


def bench_size(n: int, n_queries: int, work: Path, rounds: int) -> dict:
    from workbench.core.config import ProjectConfig
    from workbench.core.settings.rag import RagConfig
    from workbench.rag.index import build_index
    from workbench.rag.search import RagIndex

    data = work / f"ads-{n}"
    ads = synthetic_ads(n)
    write_split(data, ads)
    cfg = ProjectConfig()
    start = time.perf_counter()
    summary = build_index(data, cfg)
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    index = RagIndex(data, cfg)
    index.search("ዋጋ", k=10)
    first_ms = (time.perf_counter() - start) * 1000
    unsnapped = RagIndex(data, ProjectConfig(rag=RagConfig(row_cache_max_rows=0)))
    every_word = RagIndex(data, ProjectConfig(rag=RagConfig(fts_max_df=1.0)))
    native = lancedb_hybrid(index)
    queries = make_queries(ads, n_queries)
    all_queries = [q for kind in queries.values() for q, _ in kind]

    def workbench(mode: str, channel: str | None = None,
                  idx: RagIndex = index) -> Callable[[str], object]:
        return lambda q: idx.search(q, k=10, mode=mode, channel=channel)  # type: ignore[arg-type]

    contenders: dict[str, Callable[[str], object]] = {
        "hybrid": workbench("hybrid"), EVERY_WORD: workbench("hybrid", idx=every_word),
        HYBRID_FROM_LANCE: workbench("hybrid", idx=unsnapped), LANCEDB_HYBRID: native}
    contenders |= {mode: workbench(mode) for mode in ("vector", "text")}
    contenders |= {f"{mode}+channel": workbench(mode, FILTER_CHANNEL)
                   for mode in ("hybrid", "vector", "text")}
    ann_filtered = RagIndex(data, ProjectConfig(rag=RagConfig(exact_filter_max_rows=0)))
    contenders |= {f"{mode}+channel, LanceDB ANN": workbench(mode, FILTER_CHANNEL, ann_filtered)
                   for mode in ("hybrid", "vector")}
    latency = time_contenders(contenders, all_queries, rounds)

    def keys(mode: str, idx: RagIndex = index) -> Callable[[str], list[str]]:
        return lambda q: [h.key for h in idx.search(q, k=10, mode=mode)]  # type: ignore[arg-type]

    modes: dict[str, Callable[[str], list[str]]] = {m: keys(m) for m in ("hybrid", "vector", "text")}
    modes[EVERY_WORD] = keys("hybrid", every_word)
    modes[LANCEDB_HYBRID] = native
    recall = {kind: {mode: round(recall_at(search, qs), 3) for mode, search in modes.items()}
              for kind, qs in queries.items()}
    filtered_recall = filtered_vector_recall(index, ann_filtered, all_queries[::9])
    return {"ads": n, "build_s": round(build_s, 1),
            "build_phases_s": {k: round(v, 1) for k, v in summary.timings.items()},
            "vector_index": n >= cfg.rag.vector_index_min_rows,
            "first_search_ms": round(first_ms), "snapshot": index.snapshot_info("ads"),
            "dims": summary.embedder["dim"], "queries": len(all_queries),
            "latency": latency, "recall@10": recall,
            "filtered_vector_recall@10": filtered_recall}


def bench_sib200(folder: Path, work: Path) -> dict:
    import polars as pl

    from workbench.core.config import ProjectConfig
    from workbench.rag.index import build_index
    from workbench.rag.search import RagIndex

    texts = []
    for name in ("amh_train.tsv", "amh_dev.tsv", "amh_test.tsv"):
        frame = pl.read_csv(folder / name, separator="\t", quote_char=None)
        texts += frame["text"].to_list()
    rng = random.Random(2)
    ads = [{"uid": f"1:{i}", "channel": "sib200", "vertical": "Media",
            "date": datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=i), "text": t,
            "product": "", "words": []} for i, t in enumerate(texts)]
    data = work / "sib200"
    write_split(data, ads)
    cfg = ProjectConfig()
    build_index(data, cfg)
    index = RagIndex(data, cfg)
    queries: dict[str, list[tuple[str, str]]] = {"variant": [], "typo": []}
    for ad in rng.sample(ads, 300):
        words = [w for w in ad["text"].split() if len(w) >= 3 and 0x1200 <= ord(w[0]) <= 0x137F]
        if len(words) < 3:
            continue
        picked = rng.sample(words, 3)
        queries["variant"].append((" ".join(rng.choice(PREFIXES) + swap_homophone(w)
                                            for w in picked), ad["uid"]))
        queries["typo"].append((" ".join(misspell(w, rng) for w in picked), ad["uid"]))
    def keys(mode: str) -> Callable[[str], list[str]]:
        return lambda q: [h.key for h in index.search(q, k=10, mode=mode)]  # type: ignore[arg-type]

    return {"sentences": len(ads),
            "recall@10": {kind: {mode: round(recall_at(keys(mode), qs), 3)
                                 for mode in ("hybrid", "vector", "text")}
                          for kind, qs in queries.items()}}


def print_latency(latency: dict[str, dict[str, float]]) -> None:
    """One line per contender, then the ratios of the workbench's searches to their baselines."""
    for label, lat in latency.items():
        print(f"  {label:<30} p50 {lat['p50_ms']:6.2f} ms   p95 {lat['p95_ms']:6.2f} ms"
              f"   (CPU time p50 {lat['cpu_p50_ms']:.2f}, p95 {lat['cpu_p95_ms']:.2f})", flush=True)
    pairs = [("hybrid", base) for base in (EVERY_WORD, HYBRID_FROM_LANCE, LANCEDB_HYBRID)]
    pairs += [(f"{mode}+channel", f"{mode}+channel, LanceDB ANN") for mode in ("hybrid", "vector")]
    for ours, base in pairs:
        print(f"  {ours} vs {base}: p50 x{latency[ours]['p50_ms'] / latency[base]['p50_ms']:.2f}, "
              f"p95 x{latency[ours]['p95_ms'] / latency[base]['p95_ms']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=300, help="answers known, per kind")
    parser.add_argument("--sib200", type=Path, default=None, help="SIB-200 Amharic TSV folder")
    parser.add_argument("--rounds", type=int, default=2, help="timing passes over the queries")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    results: dict = {"sizes": []}
    with tempfile.TemporaryDirectory(prefix="bench-rag-") as tmp:
        for n in args.sizes:
            res = bench_size(n, args.queries, Path(tmp), args.rounds)
            results["sizes"].append(res)
            res["load_average"] = [round(x, 1) for x in os.getloadavg()]
            snap = res["snapshot"] or {"bytes": 0}
            print(f"\n== {n:,} ads: built in {res['build_s']} s {res['build_phases_s']} "
                  f"({res['dims']} dims, vector index: {res['vector_index']}); opening + first "
                  f"search {res['first_search_ms']} ms (row snapshot "
                  f"{snap['bytes'] / 1e6:.1f} MB); {res['queries']} queries x {args.rounds}; "
                  f"load average {res['load_average']} on {os.cpu_count()} CPUs", flush=True)
            print_latency(res["latency"])
            for kind, rec in res["recall@10"].items():
                print(f"  recall@10 {kind:<8} " + "  ".join(f"{m} {v:.3f}" for m, v in rec.items()))
            print("  recall@10 of the channel-filtered vector search vs LanceDB's flat search: "
                  + "  ".join(f"{m} {v:.3f}" for m, v in res["filtered_vector_recall@10"].items()))
        if args.sib200:
            res = bench_sib200(args.sib200, Path(tmp))
            results["sib200"] = res
            print(f"\n== SIB-200 Amharic: {res['sentences']} real sentences")
            for kind, rec in res["recall@10"].items():
                print(f"  recall@10 {kind:<8} " + "  ".join(f"{m} {v:.3f}" for m, v in rec.items()))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
