"""The LanceDB index: build, incremental rebuild, Amharic full-text hits, hybrid ranking, filters."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pytest

from tests.pipeline_data import curated_copy
from tests.rag_data import ADS, posts, write_brief, write_splits
from workbench.core.briefs import load_briefs
from workbench.core.config import ProjectConfig
from workbench.core.errors import DataContractError
from workbench.core.io import sha256_file
from workbench.core.layout import Layout
from workbench.core.settings.rag import RagConfig
from workbench.rag.corpus import read_ads
from workbench.rag.index import build_index
from workbench.rag.ranking import fuse
from workbench.rag.rows import RowSnapshot
from workbench.rag.search import RagIndex, UnknownFilterError


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RagIndex]:
    data = tmp_path_factory.mktemp("rag")
    write_splits(data, test=[("Sheger Gebeya", "Retail", "የሙከራ ማስታወቂያ ላፕቶፕ ዴል በቅናሽ")])
    write_brief(data / "briefs", "shoes")
    cfg = ProjectConfig()
    summary = build_index(data, cfg, briefs=load_briefs([data / "briefs"]))
    assert summary.rebuilt
    return data, RagIndex(data, cfg)


#: Two ads a later curation adds (uids 1001:500 and 1001:501).
EXTRA = posts([("Addis Cars", "Automotive", "ላፕቶፕ ዴል በቅናሽ ዋጋ 30,000 ብር"),
               ("Addis Cars", "Automotive", "ኒሳን ፓትሮል ለኪራይ በቀን 5,000 ብር")], "train",
              start_id=500)


def keys(hits: list) -> list[str]:
    return [h.key for h in hits]


def uid_of(text_start: str) -> str:
    i = next(i for i, (_, _, t) in enumerate(ADS, start=1) if t.startswith(text_start))
    return f"{1000 if ADS[i - 1][0] == 'Sheger Gebeya' else 1001}:{i}"


def test_only_train_ads_are_indexed_by_default(built: tuple[Path, RagIndex]) -> None:
    data, index = built
    n_ads = sum(1 for _, v, _ in ADS if v)
    assert index.table("ads").count_rows() == n_ads
    assert index.search("ላፕቶፕ ዴል", mode="text") == []  # the test-split ad stays out
    manifest = json.loads((data / "rag" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["splits"] == ["train"]
    assert manifest["embedder"]["name"] == "tfidf-svd"
    split_manifest = json.loads(Layout(data).splits_manifest.read_text(encoding="utf-8"))
    assert manifest["label_snapshot"] == split_manifest["label_snapshot"]
    assert manifest["split_manifest_sha256"] == sha256_file(Layout(data).splits_manifest)
    assert {i["path"].rsplit("/", 1)[-1] for i in manifest["inputs"]} >= {"train.parquet",
                                                                          "shoes.yaml"}


def test_fulltext_finds_word_through_attached_prefix(built: tuple[Path, RagIndex]) -> None:
    _, index = built
    # The ad writes "ለኪራይ" (prefix attached); the query is the bare word.
    hits = index.search("ኪራይ", mode="text")
    assert uid_of("ቤት ለኪራይ") in keys(hits)
    # Plural + object suffix on the query side: "ክሬሞችን" -> "ክሬም".
    assert keys(index.search("ክሬሞችን", mode="text"))[0] == uid_of("ለጸሐይ")


def test_fulltext_finds_homophone_spelling(built: tuple[Path, RagIndex]) -> None:
    _, index = built
    # The ad writes "ጸሐይ" (ጸ and ሐ series); the query writes "ፀሀይ".
    assert keys(index.search("ፀሀይ", mode="text")) == [uid_of("ለጸሐይ")]
    assert keys(index.search("ጸሃይ መከላከያ", mode="text"))[0] == uid_of("ለጸሐይ")


def test_hybrid_fuses_both_rankings(built: tuple[Path, RagIndex]) -> None:
    _, index = built
    query = "መኪና ኪራይ ለሰርግ"
    text = keys(index.search(query, mode="text", k=40))
    vector = keys(index.search(query, mode="vector", k=40))
    hybrid = index.search(query, mode="hybrid", k=5)
    assert keys(hybrid)[0] == uid_of("ሀዩንዳይ")  # the ad holding every query word
    assert set(keys(hybrid)) <= set(text) | set(vector)
    top = hybrid[0]
    assert top.bm25 is not None
    assert top.cosine is not None
    # RRF of the two rankings is kept beside the coverage that ordered the hits.
    expected_rrf = sum(1 / (60 + ranks.index(top.key) + 1) for ranks in (text, vector))
    assert top.rrf == pytest.approx(expected_rrf)
    assert [h.score for h in hybrid] == sorted((h.score for h in hybrid), reverse=True)
    assert 0.0 < hybrid[-1].score <= top.score <= 1.0


def test_rrf_fusion() -> None:
    rows = fuse([[{"uid": "a", "_score": 3.0}, {"uid": "b", "_score": 1.0}],
                 [{"uid": "b", "_distance": 0.1}, {"uid": "c", "_distance": 0.2}]],
                key="uid", rrf_k=60)
    assert [r["uid"] for r in rows] == ["b", "a", "c"]
    assert rows[0]["_score"] == 1.0
    assert rows[0]["_distance"] == 0.1
    assert rows[0]["_relevance_score"] == pytest.approx(1 / 62 + 1 / 61)


def test_hybrid_recovers_a_misspelt_query(built: tuple[Path, RagIndex]) -> None:
    _, index = built
    # "ሳፋሪኮሞ" is no word of any ad: full-text finds nothing, n-gram vectors still do.
    assert index.search("ሳፋሪኮሞ", mode="text") == []
    assert keys(index.search("ሳፋሪኮሞ", mode="hybrid"))[0] == uid_of("ሳፋሪኮም")


def test_filters_by_channel_and_vertical(built: tuple[Path, RagIndex]) -> None:
    _, index = built
    hits = index.search("ዋጋ ብር", k=20, channel="Addis Cars")
    assert hits
    assert {h.channel for h in hits} == {"Addis Cars"}
    hits = index.search("ዋጋ", k=20, channel="Sheger Gebeya", vertical="Telecom", mode="vector")
    assert {h.vertical for h in hits} == {"Telecom"}
    assert len(hits) == 2
    assert {h.channel for h in index.search("ዋጋ", channel="1001", k=20)} == {"Addis Cars"}
    assert index.canonical_channel("addis cars") == "Addis Cars"
    assert index.canonical_channel("Gebeya") == "Sheger Gebeya"
    assert index.canonical_vertical("telecom") == "Telecom"
    with pytest.raises(UnknownFilterError, match="did you mean 'Addis Cars'"):
        index.canonical_channel("Adis Cars")


def test_small_filters_get_an_exact_search_that_agrees_with_lancedb(
        built: tuple[Path, RagIndex]) -> None:
    data, index = built
    # The test table is below rag.vector_index_min_rows: LanceDB's own search is exact too.
    lance = RagIndex(data, ProjectConfig(rag=RagConfig(exact_filter_max_rows=0)))
    filters = [{"channel": "Addis Cars"}, {"channel": "1001"}, {"vertical": "Telecom"},
               {"channel": "Sheger Gebeya", "vertical": "Telecom"}]
    for query in ("መኪና ኪራይ", "ዋጋ ብር", "ሳፋሪኮም"):
        for where in filters:
            for mode in ("vector", "hybrid"):
                got = index.search(query, k=5, mode=mode, **where)
                want = lance.search(query, k=5, mode=mode, **where)
                assert keys(got) == keys(want), (query, where, mode)
                assert [h.cosine for h in got] == pytest.approx([h.cosine for h in want], abs=1e-5)
    assert all(v is not None for v in index._filtered.values())
    assert not lance._filtered


def test_exact_filter_limits(built: tuple[Path, RagIndex]) -> None:
    data, _ = built
    # A filter selecting more rows than rag.exact_filter_max_rows is left to LanceDB.
    index = RagIndex(data, ProjectConfig(rag=RagConfig(exact_filter_max_rows=3)))
    assert index.search("መኪና", channel="Addis Cars", mode="vector")
    assert list(index._filtered.values()) == [None]
    # All filters together hold at most rag.row_cache_max_rows rows: the least recent goes.
    index = RagIndex(data, ProjectConfig(rag=RagConfig(row_cache_max_rows=8)))
    sizes = {}
    for channel in ("Sheger Gebeya", "Addis Cars", "Sheger Gebeya"):
        index.search("ዋጋ", channel=channel, mode="vector")
        sizes = {key[1]: v.num_rows for key, v in index._filtered.items() if v is not None}
    assert sum(sizes.values()) <= 8
    assert list(sizes) == ["channel_name = 'Sheger Gebeya'"]


def test_briefs_table(built: tuple[Path, RagIndex]) -> None:
    _, index = built
    hits = index.search("ጫማ", table="briefs")
    assert keys(hits) == ["shoes"]
    assert hits[0].channel == "Sheger Gebeya"


def test_incremental_rebuild_by_uid(tmp_path: Path) -> None:
    cfg = ProjectConfig()
    write_splits(tmp_path)
    first = build_index(tmp_path, cfg)
    state = json.loads((tmp_path / "rag" / "embedder" / "embedder.json").read_text())
    n_ads = sum(1 for _, v, _ in ADS if v)
    assert (first.ads.added, first.ads.total) == (n_ads, n_ads)

    again = build_index(tmp_path, cfg)
    assert not again.rebuilt
    assert (again.ads.added, again.ads.updated, again.ads.removed) == (0, 0, 0)

    # Curated again: one ad relabelled (Telecom -> Media), one removed, two added.
    kept = [replace(p, vertical="Media") if p.text.startswith("ኢትዮ ቴሌኮም") else p
            for p in posts(ADS, "train") if not p.text.startswith("ሳፋሪኮም")]
    curated_copy(tmp_path, [*kept, *EXTRA])

    third = build_index(tmp_path, cfg)
    assert not third.rebuilt
    assert (third.ads.added, third.ads.updated, third.ads.removed) == (2, 1, 1)
    assert third.ads.total == n_ads + 1
    assert json.loads((tmp_path / "rag" / "embedder" / "embedder.json").read_text()) == state
    index = RagIndex(tmp_path, cfg)
    assert keys(index.search("ላፕቶፕ", mode="text")) == ["1001:500"]
    assert "1001:501" in keys(index.search("ኪራይ", mode="text"))
    assert index.search("ኢትዮ ቴሌኮም", mode="text", k=1)[0].vertical == "Media"
    assert uid_of("ሳፋሪኮም") not in keys(index.search("ሳፋሪኮም ኤም-ፔሳ", k=20))


def test_growth_or_new_embedder_settings_refit(tmp_path: Path) -> None:
    write_splits(tmp_path, ADS[:6])
    cfg = ProjectConfig(rag=RagConfig(refit_growth=0.5))
    assert build_index(tmp_path, cfg).reason == "new index"
    write_splits(tmp_path, ADS)
    grown = build_index(tmp_path, cfg)
    assert grown.rebuilt
    assert "grew" in grown.reason
    # An embedder saved by a build that died before rewriting the tables is noticed.
    state_file = tmp_path / "rag" / "embedder" / "embedder.json"
    state = json.loads(state_file.read_text())
    state_file.write_text(json.dumps({**state, "fitted_at": "2000-01-01T00:00:00+00:00"}))
    assert build_index(tmp_path, cfg).reason == "the previous build did not finish"
    changed = ProjectConfig(rag=RagConfig(tfidf={"ngram_max": 5}))
    assert build_index(tmp_path, changed).reason == "tfidf settings changed"
    assert build_index(tmp_path, changed, refit=True).reason == "--refit"


def test_other_splits_on_request(tmp_path: Path) -> None:
    write_splits(tmp_path, test=[("Addis Cars", "Automotive", "ላፕቶፕ ዴል በቅናሽ")])
    ads, inputs = read_ads(tmp_path, ProjectConfig(), ["train", "test"])
    assert "test" in set(ads["split"])
    assert len(inputs) == 2


def test_missing_or_adless_splits_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(DataContractError, match="curate"):
        build_index(tmp_path, ProjectConfig())
    # Curated without one ad: nobody answered "vertical", so the splits have no such column.
    write_splits(tmp_path, [row for row in ADS if row[1] is None])
    with pytest.raises(DataContractError, match=r"train\.parquet: missing column.*vertical"):
        build_index(tmp_path, ProjectConfig())


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True,
                          text=True, timeout=180, check=False)


def test_cli_index_and_search(built: tuple[Path, RagIndex]) -> None:
    data, _ = built
    out = run_cli("rag", "index", "--data-dir", str(data))
    assert out.returncode == 0, out.stderr
    assert "incremental" in out.stdout
    out = run_cli("rag", "search", "ኪራይ", "--mode", "text", "--data-dir", str(data))
    assert out.returncode == 0, out.stderr
    assert uid_of("ቤት ለኪራይ") in out.stdout
    assert "bm25" in out.stdout
    out = run_cli("rag", "search", "ኪራይ", "--channel", "Adis Cars", "--data-dir", str(data))
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1
    assert "did you mean 'Addis Cars'" in out.stderr
    out = run_cli("rag", "search", "  ", "--data-dir", str(data))
    assert out.returncode == 2
    assert out.stderr.strip() == ('error: the query is empty; give the words to search for, e.g. '
                                  'workbench rag search "ቤት ኪራይ"')


def test_ann_vector_index_from_the_configured_size(tmp_path: Path) -> None:
    write_splits(tmp_path, ADS[:8])
    cfg = ProjectConfig(rag=RagConfig(vector_index_min_rows=10))
    build_index(tmp_path, cfg)
    index = RagIndex(tmp_path, cfg)
    assert "IvfHnswSq" not in {i.index_type for i in index.table("ads").list_indices()}
    write_splits(tmp_path, ADS)  # grows past 10 rows: the ANN index is added
    build_index(tmp_path, cfg, refit=True)
    index = RagIndex(tmp_path, cfg)
    assert "IvfHnswSq" in {i.index_type for i in index.table("ads").list_indices()}
    own = index.table("ads").search().select(["uid", "vector"]).limit(1).to_list()[0]
    nearest = index.table("ads").search(own["vector"]).distance_type("cosine").limit(1)
    assert nearest.select(["uid"]).to_list()[0]["uid"] == own["uid"]
    assert keys(index.search("ፀሀይ", mode="hybrid"))[0] == uid_of("ለጸሐይ")


def test_row_snapshot_gives_the_hits_lancedb_reads_give(built: tuple[Path, RagIndex]) -> None:
    data, index = built
    # Same index, rows read back from LanceDB at every search instead of from the snapshot.
    direct = RagIndex(data, ProjectConfig(rag=RagConfig(row_cache_max_rows=0)))
    cases = [("ads", q, ch) for q in ("መኪና ኪራይ ለሰርግ", "ሳፋሪኮሞ", "ፀሀይ")
             for ch in (None, "Addis Cars")] + [("briefs", "ጫማ", None)]
    for table, query, channel in cases:
        for mode in ("hybrid", "vector", "text"):
            got = index.search(query, k=5, mode=mode, channel=channel, table=table)
            want = direct.search(query, k=5, mode=mode, channel=channel, table=table)
            # Filtered vector scores come from the exact in-memory search on one side (see
            # test_small_filters_get_an_exact_search...): equal up to float rounding.
            assert [replace(h, score=0.0, cosine=None, rrf=None) for h in got] == [
                replace(h, score=0.0, cosine=None, rrf=None) for h in want]
            for a, b in zip(got, want, strict=True):
                assert (a.score, a.cosine, a.rrf) == pytest.approx((b.score, b.cosine, b.rrf),
                                                                   abs=1e-5)
    assert keys(index.search("ፀሀይ"))[0] == uid_of("ለጸሐይ")
    assert direct.snapshot_info("ads") is None
    # The snapshot was read by a plain scan: it must hold every row, not a default page of them.
    assert index.snapshot_info("ads")["rows"] == index.table("ads").count_rows()
    assert index.snapshot_info("briefs")["rows"] == 1


def test_tables_over_the_row_cache_limit_are_read_from_lancedb(built: tuple[Path, RagIndex]) -> None:
    data, index = built
    small = RagIndex(data, ProjectConfig(rag=RagConfig(row_cache_max_rows=3)))
    assert small.search("መኪና ኪራይ", k=5) == index.search("መኪና ኪራይ", k=5)
    assert small.snapshot_info("ads") is None


def test_search_from_inside_a_running_event_loop(built: tuple[Path, RagIndex]) -> None:
    data, index = built
    fresh = RagIndex(data, ProjectConfig())

    async def inside() -> list:
        return fresh.search("ኪራይ")

    # A notebook's loop: the search runs on a worker thread with a table of its own (no snapshot).
    assert asyncio.run(inside()) == index.search("ኪራይ")
    assert fresh.snapshot_info("ads") is None


def test_row_snapshot_takes_rows_by_lancedb_row_id() -> None:
    table = pa.table({"_rowid": pa.array([9, 2, 5], pa.uint64()), "uid": ["c", "a", "b"],
                      "n": [3, 1, 2]})
    snap = RowSnapshot(table)
    assert snap.take([5, 9, 2], ["uid", "n"]) == [{"uid": "b", "n": 2}, {"uid": "c", "n": 3},
                                                  {"uid": "a", "n": 1}]
    assert snap.take([], ["uid"]) == []
    for missing in ([4], [10], [2, 7]):
        with pytest.raises(KeyError, match="not in the snapshot"):
            snap.take(missing, ["uid"])


def test_row_snapshot_shares_repeated_values_and_keeps_nulls() -> None:
    channels = ["Addis Cars", "Sheger Gebeya", None, "Addis Cars"] * 3
    texts = [f"ማስታወቂያ {i}" if i % 5 else None for i in range(12)]
    table = pa.table({"_rowid": pa.array(range(12), pa.uint64()), "channel_name": channels,
                      "text": texts})
    snap = RowSnapshot(table)
    rows = snap.take(list(range(12)), ["channel_name", "text"])
    assert [r["channel_name"] for r in rows] == channels
    assert [r["text"] for r in rows] == texts
    # A repeated value is one object, so a big table holds each channel name once.
    assert rows[0]["channel_name"] is rows[3]["channel_name"] is rows[11]["channel_name"]
    assert snap.column([4, 5], "text") == [texts[4], None]
    assert snap.num_rows == 12
    assert snap.nbytes > 0


def test_a_failing_embedder_fails_the_search_cleanly(built: tuple[Path, RagIndex],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import gc
    import warnings

    data, _ = built
    index = RagIndex(data, ProjectConfig())
    want = index.search("መኪና ኪራይ", k=3)

    def broken(texts: list[str]) -> None:
        raise ValueError("embedder broke")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with monkeypatch.context() as patch:
            patch.setattr(index.embedder, "encode", broken)
            # The full-text query was already started when the embedding failed.
            with pytest.raises(ValueError, match="embedder broke"):
                index.search("መኪና ኪራይ", k=3)
        gc.collect()
    # e.g. "coroutine '_read_stream' was never awaited"
    assert not [str(w.message) for w in caught if w.category is RuntimeWarning]
    assert index.search("መኪና ኪራይ", k=3) == want


def test_term_df_counts_common_words_and_follows_incremental_rebuilds(tmp_path: Path) -> None:
    cfg = ProjectConfig()
    write_splits(tmp_path)
    build_index(tmp_path, cfg)
    path = tmp_path / "rag" / "term_df.json"
    stats = json.loads(path.read_text(encoding="utf-8"))["tables"]["channel_ads"]
    # 12 ads; "ብር" is written in 8 of them (the 2 non-ads are not indexed).
    assert stats["rows"] == 12
    assert stats["df"]["ብር"] == 8
    assert "ቪትዝ" in stats["df"]  # 1 of 12 is above the 1% floor on so small a table

    # Curated again: one ad without "ብር" removed, two with it added: the counts follow.
    curated_copy(tmp_path, [p for p in posts(ADS, "train") if not p.text.startswith("ሳፋሪኮም")]
                 + EXTRA)
    assert not build_index(tmp_path, cfg).rebuilt
    stats = json.loads(path.read_text(encoding="utf-8"))["tables"]["channel_ads"]
    assert (stats["rows"], stats["df"]["ብር"]) == (13, 10)


def test_fulltext_query_leaves_out_words_most_ads_share(built: tuple[Path, RagIndex],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import workbench.rag.search as search_module

    data, index = built
    vitz = uid_of("ቶዮታ ቪትዝ")
    # Below FTS_PRUNE_MIN_ROWS nothing is left out: every ad that says "ብር" matches.
    assert len(index.search("ቪትዝ ብር", mode="text", k=20)) == 8
    monkeypatch.setattr(search_module, "FTS_PRUNE_MIN_ROWS", 1)
    # "ብር" is in 8 of 12 ads (> rag.fts_max_df = 10%): only "ቪትዝ" is searched.
    assert keys(index.search("ቪትዝ ብር", mode="text", k=20)) == [vitz]
    # A query of common words only keeps them all.
    assert len(index.search("ብር", mode="text", k=20)) == 8
    # The hybrid search still ranks the ad with both words first.
    assert keys(index.search("ቪትዝ ብር", k=3))[0] == vitz
    keep_all = RagIndex(data, ProjectConfig(rag=RagConfig(fts_max_df=1.0)))
    assert len(keep_all.search("ቪትዝ ብር", mode="text", k=20)) == 8


@pytest.mark.parametrize("tz", [None, "UTC", "Africa/Addis_Ababa", "+03:00"])
@pytest.mark.parametrize("unit", ["s", "ms", "us"])
def test_row_snapshot_gives_the_datetimes_arrow_gives(tz: str | None, unit: str) -> None:
    from datetime import datetime

    dates = pa.array([datetime(2024, 5, 1, 12, 30, 15, 123456), None, datetime(1960, 1, 1)],
                     pa.timestamp("us")).cast(pa.timestamp(unit, tz=tz), safe=False)
    snap = RowSnapshot(pa.table({"_rowid": pa.array([2, 1, 3], pa.uint64()), "date": dates}))
    want = dates.to_pylist()
    got = [row["date"] for row in snap.take([2, 1, 3], ["date"])]
    assert got == want
    assert [str(d) for d in got] == [str(d) for d in want]  # same time zone, not just instant
    assert snap.column([3, 2], "date") == [want[2], want[0]]


def test_collect_gives_what_to_arrow_gives(built: tuple[Path, RagIndex]) -> None:
    from workbench.rag.rows import collect

    _, index = built
    vector = index.embedder.encode(["መኪና ኪራይ"])[0]

    async def both() -> list[tuple[pa.Table, pa.Table]]:
        table = await index._async_table("channel_ads")
        pairs = []
        for where in (None, "channel_name = 'Addis Cars'"):
            for make in (lambda: table.query().nearest_to_text("መኪና ኪራይ", columns=["text_fts"]),
                         lambda: table.query().nearest_to(vector).column("vector")
                         .distance_type("cosine")):
                query = make().select(["uid"]).with_row_id().limit(5)
                query = query.where(where) if where else query
                pairs.append((await collect(query, 5), await query.to_arrow()))
        return pairs

    pairs = index._run(both)
    assert all(got.num_rows for got, _ in pairs)
    for got, want in pairs:
        assert got.equals(want)


def test_the_manifest_names_its_inputs_absolutely_when_the_data_dir_is_typed_relative(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `--data-dir data` typed in the project folder: the paths the manifest records must still
    # name the files for a reader started elsewhere (the web app, a teammate's shell).
    write_splits(tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    build_index(Path("data"), ProjectConfig())
    manifest = json.loads((tmp_path / "data" / "rag" / "manifest.json").read_text(encoding="utf-8"))
    lay = Layout(tmp_path / "data")
    assert manifest["split_manifest"] == str(lay.splits_manifest)
    assert manifest["inputs"][0]["path"] == str(lay.splits_manifest)
    assert all(Path(i["path"]).is_absolute() for i in manifest["inputs"])


def test_hits_show_whole_ids_and_names_cut_at_a_word() -> None:
    """A real uid (a 13-digit channel id and a message id) was cut to its channel part, naming
    no post, and channel names were cut mid-word."""
    from workbench.rag.hits import Hit, format_hits

    hit = Hit(rank=1, key="-1001234567890:4521", score=0.5, bm25=3.2, cosine=None, rrf=None,
              channel="ሸገር ገበያ Sheger Gebeya Addis Online Market",
              vertical="Computing products & consumer electronics", date=None,
              text="ቅናሽ ስልክ", similar=0)
    table = format_hits([hit])
    row = table.splitlines()[1]
    assert "-1001234567890:4521" in row
    assert "ሸገር ገበያ Sheger Gebeya…" in row
    assert "Computing products…" in row
