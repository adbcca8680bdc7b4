"""``workbench rag index``: the LanceDB index under ``DIR/rag/``, rebuilt incrementally by key.

Layout::

    DIR/rag/
      lancedb/channel_ads.lance   one row per curated ad (is_ad == "Ad") of the indexed splits
      lancedb/briefs.lance        one row per brief file
      embedder/                   the embedder's state (tfidf-svd: vocabulary, IDF, SVD basis)
      term_df.json                channel_ads: rows, and the words of text_fts in >= 1% of them
      manifest.json               inputs' hashes, embedder, row counts, channels, verticals

``channel_ads`` columns: ``uid``, ``channel_id``, ``channel_name``, ``vertical``, ``tags``,
``date``, ``split``, ``text`` (original, for display and prompts), ``text_clean``, ``text_norm``
(homophones unified), ``text_fts`` (``text_norm`` words plus their prefix/suffix-stripped forms,
see :mod:`workbench.rag.text`; the full-text index is on this column), ``phones``, ``mentions``,
``links``, ``row_sha256`` (hash of the indexed fields) and ``vector`` (the embedding).

``briefs`` columns: ``brief_id``, ``path``, ``row_sha256`` (the file's SHA-256), ``brand``,
``product``, ``vertical``, ``target_channel``, ``language``, ``text`` (the brief's descriptive
fields), ``text_norm``, ``text_fts``, ``brief_json`` and ``vector``.

Rebuilding is incremental: rows whose key (``uid`` / ``brief_id``) is new are embedded and added,
rows whose ``row_sha256`` changed are replaced, rows no longer in the input are deleted; the
indices are then updated in place (``optimize``). Everything is re-embedded only when the embedder
changes, ``--refit`` is given, or the corpus has grown by ``rag.refit_growth`` since a fitted
embedder (tfidf-svd) was fitted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from workbench.core.briefs import BriefFile
from workbench.core.config import ProjectConfig
from workbench.core.errors import DataContractError
from workbench.core.io import sha256_file, write_json_atomic
from workbench.core.layout import Layout
from workbench.core.manifests import (
    InputFile,
    OutputFile,
    RagIndexManifest,
    SplitsManifest,
    envelope,
    read_manifest,
    recorded_path,
    write_manifest,
)
from workbench.rag.corpus import briefs_frame, read_ads
from workbench.rag.embedders import Embedder, load_embedder, make_embedder, read_state

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

ADS_TABLE = "channel_ads"
BRIEFS_TABLE = "briefs"

_DELETE_CHUNK = 500
#: Words of ``text_fts`` found in at least this share of a table's rows are listed in
#: ``term_df.json`` (``rag.fts_max_df`` may then be set anywhere above it without a rebuild).
TERM_DF_FLOOR = 0.01
TERM_DF_FILE = "term_df.json"


def connect(data_dir: Path) -> Any:
    """The LanceDB connection of the index (the folder is created if needed)."""
    return connect_folder(Layout(data_dir).rag / "lancedb")


def connect_folder(folder: Path) -> Any:
    """A LanceDB connection on ``folder`` (created if needed); also used by ``curate dedup``."""
    # Opt in to Lance's coming default (no IVF centroids in index statistics): it silences a
    # warning printed on stderr at every listing of the indices.
    os.environ.setdefault("LANCE_INCLUDE_VECTOR_CENTROIDS", "false")
    import lancedb

    folder.mkdir(parents=True, exist_ok=True)
    return lancedb.connect(folder)


@dataclass
class TableChange:
    """What one sync did to one table."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    total: int = 0

    def line(self) -> str:
        """``+a ~u -r = total``."""
        return f"+{self.added} new, ~{self.updated} changed, -{self.removed} removed, {self.total} rows"


@dataclass
class IndexSummary:
    """What ``rag index`` did."""

    folder: Path
    embedder: dict[str, Any]
    rebuilt: bool
    reason: str
    ads: TableChange
    briefs: TableChange
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)

    def line(self) -> str:
        """One line for the CLI."""
        how = f"full rebuild ({self.reason})" if self.rebuilt else "incremental"
        return (f"{ADS_TABLE}: {self.ads.line()}; {BRIEFS_TABLE}: {self.briefs.line()}; "
                f"{how}; embedder {self.embedder['name']} ({self.embedder['dim']} dims); "
                f"{self.seconds:.1f}s -> {self.folder}")


# --- Writing -------------------------------------------------------------------------------------


def with_vectors(frame: pl.DataFrame, vectors: np.ndarray) -> pa.Table:
    """``frame`` as an Arrow table plus a fixed-size-list ``vector`` column (LanceDB's layout)."""
    import numpy as np
    import pyarrow as pa

    table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
    dim = vectors.shape[1]
    flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1))
    return table.append_column("vector", pa.FixedSizeListArray.from_arrays(flat, dim))


def _embed(embedder: Embedder, frame: pl.DataFrame, batch: int = 2048) -> np.ndarray:
    import numpy as np

    texts = frame[embedder.input_column].to_list()
    parts = [embedder.encode(texts[i:i + batch]) for i in range(0, len(texts), batch)]
    if not parts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.concatenate(parts)


def _fts_config() -> Any:
    from lancedb.index import FTS

    # text_fts is already normalised and segmented: split on whitespace only, and leave the
    # English-only steps (stemming, stop words, ASCII folding) out.
    return FTS(base_tokenizer="whitespace", lower_case=False, stem=False,
               remove_stop_words=False, ascii_folding=False, with_position=False)


def _create_indices(table: Any, cfg: ProjectConfig, filter_columns: Sequence[str]) -> list[str]:
    from lancedb.index import Bitmap, IvfHnswSq

    made = []
    table.create_index("text_fts", config=_fts_config(), replace=True)
    made.append("fts(text_fts)")
    for column in filter_columns:
        # Bitmap indices make the channel / vertical pre-filters cheap at 100k+ rows.
        table.create_index(column, config=Bitmap(), replace=True)
        made.append(f"bitmap({column})")
    if table.count_rows() >= cfg.rag.vector_index_min_rows:
        table.create_index("vector", config=IvfHnswSq(distance_type="cosine"), replace=True)
        made.append("ivf_hnsw_sq(vector)")
    return made


def _has_vector_index(table: Any) -> bool:
    return any("vector" in ix.columns for ix in table.list_indices())


def _quoted(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def sync_table(
    db: Any,
    name: str,
    frame: pl.DataFrame,
    key: str,
    embed: Callable[[pl.DataFrame], np.ndarray],
    *,
    cfg: ProjectConfig,
    rebuild: bool,
    filter_columns: Sequence[str] = (),
) -> TableChange:
    """Bring table ``name`` in line with ``frame`` (keyed by ``key``, compared by ``row_sha256``).

    Parameters
    ----------
    db
        LanceDB connection.
    name
        Table name.
    frame
        The wanted rows, without ``vector``.
    key
        Unique key column.
    embed
        Returns the vectors of a frame's rows, in order.
    cfg
        Project config (vector index threshold).
    rebuild
        Re-embed and rewrite every row.
    filter_columns
        Columns given a bitmap index for filtering.

    Returns
    -------
    TableChange
        Rows added, updated, removed and the total.
    """
    exists = name in db.list_tables().tables
    if rebuild or not exists:
        if frame.height == 0:
            if exists:
                db.drop_table(name)
            return TableChange()
        # "overwrite" on a missing table makes Lance log a warning on stderr: "create" then.
        table = db.create_table(name, with_vectors(frame, embed(frame)),
                                mode="overwrite" if exists else "create")
        _create_indices(table, cfg, filter_columns)
        return TableChange(added=frame.height, total=frame.height)
    table = db.open_table(name)
    current = table.search().select([key, "row_sha256"]).limit(max(table.count_rows(), 1))
    old = pl.DataFrame(current.to_arrow().select([key, "row_sha256"]))
    old_sha = dict(zip(old[key].to_list(), old["row_sha256"].to_list(), strict=True))
    wanted = set(frame[key].to_list())
    removed = [k for k in old_sha if k not in wanted]
    changed_mask = [k in old_sha and old_sha[k] != s
                    for k, s in zip(frame[key].to_list(), frame["row_sha256"].to_list(),
                                    strict=True)]
    new_mask = [k not in old_sha for k in frame[key].to_list()]
    updated = frame.filter(pl.Series(changed_mask, dtype=pl.Boolean))
    added = frame.filter(pl.Series(new_mask, dtype=pl.Boolean))
    to_delete = removed + updated[key].to_list()
    for start in range(0, len(to_delete), _DELETE_CHUNK):
        table.delete(f"{key} IN ({_quoted(to_delete[start:start + _DELETE_CHUNK])})")
    fresh = pl.concat([updated, added])
    if fresh.height:
        table.add(with_vectors(fresh, embed(fresh)))
    if to_delete or fresh.height:
        # Folds the new rows into the existing indices (unindexed rows are searched meanwhile).
        table.optimize()
        if not _has_vector_index(table) and table.count_rows() >= cfg.rag.vector_index_min_rows:
            from lancedb.index import IvfHnswSq

            table.create_index("vector", config=IvfHnswSq(distance_type="cosine"), replace=True)
    return TableChange(added=added.height, updated=updated.height, removed=len(removed),
                       total=table.count_rows())


# --- The command ---------------------------------------------------------------------------------


def common_terms(text_fts: pl.Series, *, floor: float = TERM_DF_FLOOR) -> dict[str, Any]:
    """Row count and document frequency of every word in at least ``floor`` of the rows.

    Examples
    --------
    >>> common_terms(pl.Series(["ዋጋ ብር", "ዋጋ ቤት", "ዋጋ ዋጋ"]), floor=0.5)
    {'rows': 3, 'df': {'ዋጋ': 3}}
    """
    rows = text_fts.len()
    if rows == 0:
        return {"rows": 0, "df": {}}
    counts = (text_fts.fill_null("").str.split(" ").list.unique().explode()
              .drop_nulls().value_counts(name="df"))
    counts = counts.filter((pl.col("df") >= max(1, floor * rows)) & (pl.col(text_fts.name) != ""))
    counts = counts.sort(["df", text_fts.name], descending=[True, False])
    return {"rows": rows, "df": dict(zip(counts[text_fts.name].to_list(),
                                         counts["df"].to_list(), strict=True))}


def _previous_manifest(path: Path) -> dict[str, Any] | None:
    """The index's own last manifest, or None when absent or of an older format (rebuild)."""
    if not path.exists():
        return None
    try:
        return read_manifest(path, RagIndexManifest).model_dump()
    except DataContractError:
        return None


def _rebuild_reason(manifest: dict[str, Any] | None, state: dict[str, Any] | None,
                    embedder_name: str, rows: int, cfg: ProjectConfig, refit: bool) -> str | None:
    if refit:
        return "--refit"
    if manifest is None or state is None:
        return "new index"
    recorded = manifest.get("embedder") or {}
    if (recorded.get("name"), recorded.get("fitted_at")) != (state.get("name"),
                                                           state.get("fitted_at")):
        # The embedder was saved but the tables were not rewritten (an interrupted build).
        return "the previous build did not finish"
    if state.get("name") != embedder_name:
        return f"embedder changed from {state.get('name')} to {embedder_name}"
    if state.get("kind") == "tfidf-svd":
        if state.get("params") != cfg.rag.tfidf.model_dump():
            return "tfidf settings changed"
        fit_rows = int(manifest.get("fit_corpus_rows") or 0)
        if fit_rows and rows > fit_rows * (1 + cfg.rag.refit_growth):
            return f"corpus grew from {fit_rows} to {rows} ads since the embedder was fitted"
    return None


def build_index(
    data_dir: Path,
    cfg: ProjectConfig,
    *,
    splits: Sequence[str] | None = None,
    briefs: Sequence[BriefFile] = (),
    embedder: str | None = None,
    refit: bool = False,
) -> IndexSummary:
    """Create or update the index under ``DIR/rag`` from the curated splits and ``briefs``.

    Parameters
    ----------
    data_dir
        Root of the stage folders.
    cfg
        Project config (``rag:`` section; ``cleaning:`` for query normalisation).
    splits
        Splits whose ads are indexed (default ``rag.splits``: train only).
    briefs
        Validated briefs for the ``briefs`` table (the table is left as is when empty).
    embedder
        Registry name (default ``rag.embedder``).
    refit
        Refit the embedder and re-embed everything.

    Returns
    -------
    IndexSummary
        What changed, and whether everything was rebuilt (and why).
    """
    start = time.perf_counter()
    lay = Layout(data_dir)
    folder = lay.rag
    emb_dir = folder / "embedder"
    name = embedder or cfg.rag.embedder
    used_splits = list(splits or cfg.rag.splits)
    ads, inputs = read_ads(data_dir, cfg, used_splits)
    timings = {"read": time.perf_counter() - start}
    split_manifest = read_manifest(lay.splits_manifest, SplitsManifest,
                                   hint="run `workbench curate split` first")
    manifest = _previous_manifest(lay.rag_manifest)
    state = read_state(emb_dir)
    reason = _rebuild_reason(manifest, state, name, ads.height, cfg, refit)
    if reason is not None:
        emb = make_embedder(name, cfg.rag, data_dir)
        if emb.needs_fit:
            mark = time.perf_counter()
            emb.fit(ads[emb.input_column].to_list())
            timings["fit"] = time.perf_counter() - mark
        emb.save(emb_dir)
        fit_rows = ads.height
    else:
        emb = load_embedder(emb_dir, cfg.rag, data_dir)
        fit_rows = int((manifest or {}).get("fit_corpus_rows") or ads.height)

    db = connect(data_dir)
    mark = time.perf_counter()

    def embed_timed(frame: pl.DataFrame) -> np.ndarray:
        begin = time.perf_counter()
        vectors = _embed(emb, frame)
        timings["embed"] = timings.get("embed", 0.0) + time.perf_counter() - begin
        return vectors

    ads_change = sync_table(db, ADS_TABLE, ads, "uid", embed_timed, cfg=cfg,
                            rebuild=reason is not None,
                            filter_columns=("channel_name", "vertical"))
    timings["write_and_index"] = time.perf_counter() - mark - timings.get("embed", 0.0)
    brief_change = TableChange()
    if briefs:
        frame = briefs_frame(briefs, cfg)
        brief_change = sync_table(db, BRIEFS_TABLE, frame, "brief_id",
                                  lambda f: _embed(emb, f), cfg=cfg, rebuild=reason is not None)
        inputs += [{"path": recorded_path(b.path), "sha256": b.sha256} for b in briefs]
    elif reason is not None and BRIEFS_TABLE in db.list_tables().tables:
        # Old brief vectors live in the previous embedding space: drop rather than mislead.
        db.drop_table(BRIEFS_TABLE)
    elif BRIEFS_TABLE in db.list_tables().tables:
        brief_change.total = db.open_table(BRIEFS_TABLE).count_rows()

    # The ads frame is what the table now holds (sync_table made it so). Briefs are too few for
    # common words to cost anything.
    write_json_atomic(folder / TERM_DF_FILE, {"floor": TERM_DF_FLOOR,
                                              "tables": {ADS_TABLE: common_terms(ads["text_fts"])}})

    channels = sorted(set(ads["channel_name"].drop_nulls().to_list()))
    verticals = sorted(set(ads["vertical"].drop_nulls().to_list()))
    describe = emb.describe()
    split_manifest_sha256 = sha256_file(lay.splits_manifest)
    out = RagIndexManifest(
        **envelope("rag-index"),
        inputs=[InputFile(path=recorded_path(lay.splits_manifest), sha256=split_manifest_sha256,
                          role="split-manifest"), *(InputFile(**i) for i in inputs)],
        outputs={ADS_TABLE: OutputFile(rows=ads_change.total),
                 BRIEFS_TABLE: OutputFile(rows=brief_change.total)},
        config=cfg.rag.model_dump(mode="json"),
        embedder=describe, fit_corpus_rows=fit_rows, splits=used_splits,
        channels=channels, verticals=verticals,
        split_manifest=recorded_path(lay.splits_manifest), split_manifest_sha256=split_manifest_sha256,
        label_snapshot=split_manifest.label_snapshot,
        last_sync={"rebuilt": reason is not None, "reason": reason,
                   "seconds": {k: round(v, 2) for k, v in timings.items()},
                   ADS_TABLE: ads_change.__dict__, BRIEFS_TABLE: brief_change.__dict__},
    )
    write_manifest(lay.rag_manifest, out)
    return IndexSummary(folder=folder, embedder=describe, rebuilt=reason is not None,
                        reason=reason or "", ads=ads_change, briefs=brief_change,
                        seconds=time.perf_counter() - start, timings=timings)
