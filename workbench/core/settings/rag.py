"""The ``rag:`` section of ``workbench.yaml``: where the index lives, what it holds, how it embeds.

Every field is optional; command-line flags override the matching field for one run.

Examples
--------
>>> cfg = RagConfig()
>>> (cfg.embedder, cfg.splits, cfg.tfidf.dims)
('tfidf-svd', ('train',), 256)
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from workbench.core.strict_model import StrictModel

SplitName = Literal["train", "val", "test"]


class TfidfConfig(StrictModel):
    """The default embedder: character n-gram TF-IDF reduced with truncated SVD."""

    ngram_min: int = Field(default=2, ge=1, le=8, description="Shortest character n-gram.")
    ngram_max: int = Field(default=4, ge=1, le=8, description="Longest character n-gram.")
    max_features: int = Field(
        default=200_000, ge=100, description="Vocabulary cap (most frequent n-grams kept)."
    )
    dims: int = Field(
        default=256, ge=2, le=2048,
        description="SVD dimensions (fewer when the corpus is smaller than this).",
    )
    fit_sample: int = Field(
        default=20_000, ge=10,
        description="At most this many ads are used to fit TF-IDF and SVD (all are embedded).",
    )
    seed: int = Field(default=0, description="Seed of the fit sample and the randomized SVD.")

    @model_validator(mode="after")
    def _ordered(self) -> TfidfConfig:
        if self.ngram_max < self.ngram_min:
            msg = f"ngram_max ({self.ngram_max}) is smaller than ngram_min ({self.ngram_min})"
            raise ValueError(msg)
        return self


class RagConfig(StrictModel):
    """``workbench rag index`` / ``search`` and the retrieval step of ``workbench generate``."""

    splits: tuple[SplitName, ...] = Field(
        default=("train",), min_length=1,
        description="Splits whose ads are indexed. Train only by default, so that evaluating "
        "on test never retrieves the very ad being scored.",
    )
    briefs_dir: str | None = Field(
        default=None,
        description="Brief YAML files indexed by default, relative to the data dir (if present; "
        "default: the data dir's briefs/ folder).",
    )
    embedder: str = Field(
        default="tfidf-svd",
        description="Embedder by registry name: tfidf-svd, st:<local dir>, hf-mean:<local dir or "
        "run:<id>> (see workbench.rag.embedders).",
    )
    tfidf: TfidfConfig = Field(default_factory=TfidfConfig)
    refit_growth: float = Field(
        default=0.5, ge=0.0,
        description="Refit a fitted embedder (and re-embed everything) once the corpus has grown "
        "by this fraction since the fit; below it new ads are embedded with the old fit.",
    )
    vector_index_min_rows: int = Field(
        default=5_000, ge=1,
        description="Build an ANN vector index (IVF-HNSW-SQ) from this many rows; fewer rows are "
        "searched exactly (perfect recall; an exact search over 10k rows already costs ~12 ms).",
    )
    fts_max_df: float = Field(
        default=0.1, ge=0.01, le=1.0,
        description="Full-text queries on tables of 50,000 rows or more leave out words found "
        "in more than this share of the rows (\"ዋጋ\", \"ብር\" in ads), unless every word of the "
        "query is that common. Such words weigh little in BM25 (a word in 10% of rows ~1/4 of a "
        "word in 0.01%) but make the full-text search walk their long posting lists "
        "(bench/rag.py, 100k ads: hybrid p95 0.87x; misspelt-product recall@10 0.12 -> 0.10, "
        "exact and variant recall unchanged). The vector search and the hybrid re-ranking still "
        "see every word. 1.0 keeps every word.",
    )
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank-fusion constant.")
    hybrid_depth: int = Field(
        default=40, ge=1, le=1000,
        description="Hits fetched from each of the two searches of a hybrid search before fusion "
        "and re-ranking (at least 2k). Deeper finds more misspelt words' ads, at some latency "
        "(bench/rag.py, 100k ads: 80 took misspelt-query recall@10 from 0.12 to 0.21 for ~1 ms "
        "more per search).",
    )
    row_cache_max_rows: int = Field(
        default=250_000, ge=0,
        description="A table of at most this many rows keeps the columns a hit shows (key, "
        "channel, vertical, date, text, text_norm) in memory, read by the first search (about "
        "3.5 times the ads' UTF-8 text size; 72 MB and 0.4 s for the benchmark's 100k ads): a "
        "search then reads no row back from LanceDB, which was most of its time. Larger "
        "tables, or 0, read the rows from LanceDB at each search (same hits, slower).",
    )
    exact_filter_max_rows: int = Field(
        default=20_000, ge=0,
        description="A channel / vertical filter that selects at most this many rows gets an "
        "exact vector search: the vectors of those rows are read from LanceDB once (by the first "
        "search with that filter) and kept, and each search compares the query with all of "
        "them. LanceDB's HNSW search with a selective pre-filter was slow and approximate "
        "(bench/rag.py, 100k ads, one channel's 3,300 rows: 85% of the exact filtered top 10). "
        "Filters selecting more rows, and 0, use LanceDB's vector index.",
    )
    k: int = Field(default=10, ge=1, le=1000, description="Hits shown by `rag search`.")
