"""``workbench ingest`` end to end: folders, zips, merge, idempotence, atomic writes, lineage."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import polars as pl
import pytest

from tests.exports import BASE_TS, export, message, service, write
from workbench.core.config import CleaningConfig
from workbench.core.errors import InputFileError
from workbench.core.io import sha256_file
from workbench.core.schemas import CLEANED_SCHEMA, PARSED_SCHEMA
from workbench.ingest.pipeline import run_ingest


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    root = tmp_path / "exports"
    write(root / "shop" / "result.json", export([
        message(1, ["ቅናሽ! ", {"type": "phone", "text": "0911 23 45 67"}, " 1,500 ብር"]),
        message(2, "", photo="photos/1.jpg"),
        service(3),
        message(4, "ሰላም #ቅናሽ @addis_shop 🔥"),
    ], cid=100, name="Addis Shop"))
    write(root / "news" / "result.json", export([
        message(10, "ዜና: ዛሬ ዝናብ ይጥላል"),
        {"id": 11, "type": "message", "text": 5, "date_unixtime": "1"},  # malformed
    ], cid=200, name="ዜና"))
    return root


def test_folder_ingest_writes_every_stage(exports: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    summary = run_ingest([exports], data, CleaningConfig())
    assert (summary.files, summary.content_messages, summary.service_skipped) == (2, 4, 1)
    assert summary.quarantined == 1
    parsed = pl.read_parquet(data / "parsed" / "messages.parquet")
    assert dict(parsed.schema) == PARSED_SCHEMA
    assert parsed.get_column("uid").to_list() == ["100:1", "100:2", "100:4", "200:10"]
    cleaned = pl.read_parquet(data / "cleaned" / "messages.parquet")
    assert dict(cleaned.schema) == CLEANED_SCHEMA
    assert cleaned.filter(pl.col("uid") == "100:1").item(0, "phones").to_list() == ["+251911234567"]
    assert cleaned.filter(pl.col("uid") == "100:2").item(0, "is_empty")
    quarantine = pl.read_parquet(data / "parsed" / "quarantine.parquet")
    assert quarantine.height == 1
    assert quarantine.item(0, "source").endswith("news/result.json")
    for name in ("word_freq.parquet", "ngrams.parquet", "channel_stats.parquet"):
        assert (data / "final" / name).exists()
    # Raw copies are content-addressed and byte-identical.
    for src in exports.rglob("result.json"):
        raw = data / "raw" / f"{sha256_file(src)}.json"
        assert raw.read_bytes() == src.read_bytes()
    manifest = json.loads((data / "parsed" / "manifest.json").read_text())
    assert {i["sha256"] for i in manifest["inputs"]} == {
        sha256_file(p) for p in exports.rglob("result.json")}
    assert manifest["outputs"]["messages.parquet"]["rows"] == 4
    assert manifest["versions"]["polars"]
    cleaned_manifest = json.loads((data / "cleaned" / "manifest.json").read_text())
    assert cleaned_manifest["inputs"][0]["sha256"] == sha256_file(data / "parsed" / "messages.parquet")
    assert cleaned_manifest["config"]["tsa_series_target"] == "ፀ"


def test_reingest_is_idempotent(exports: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    run_ingest([exports], data, CleaningConfig())
    first = pl.read_parquet(data / "cleaned" / "messages.parquet")
    again = run_ingest([exports], data, CleaningConfig())
    assert again.new_messages == 0
    assert again.updated_messages == 0
    assert again.duplicates_merged == 4
    assert pl.read_parquet(data / "cleaned" / "messages.parquet").equals(first)
    assert pl.read_parquet(data / "parsed" / "quarantine.parquet").height == 1


def test_overlapping_export_newer_edit_wins(exports: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    run_ingest([exports], data, CleaningConfig())
    newer = write(tmp_path / "later" / "result.json", export([
        message(4, "ሰላም ተስተካክሏል", edited="x", edited_unixtime=str(BASE_TS + 99_999)),
        message(5, "አዲስ መልእክት"),
    ], cid=100, name="Addis Shop"))
    summary = run_ingest([newer], data, CleaningConfig())
    assert (summary.new_messages, summary.updated_messages) == (1, 1)
    parsed = pl.read_parquet(data / "parsed" / "messages.parquet")
    assert parsed.height == 5
    assert parsed.filter(pl.col("uid") == "100:4").item(0, "text") == "ሰላም ተስተካክሏል"
    # Ingesting the OLDER export again must not undo the edit.
    run_ingest([exports], data, CleaningConfig())
    parsed = pl.read_parquet(data / "parsed" / "messages.parquet")
    assert parsed.filter(pl.col("uid") == "100:4").item(0, "text") == "ሰላም ተስተካክሏል"


def test_zip_and_file_inputs(exports: Path, tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(exports / "shop" / "result.json", "shop/result.json")
    data = tmp_path / "data"
    summary = run_ingest([archive, exports / "news" / "result.json"], data, CleaningConfig())
    assert summary.files == 2
    parsed = pl.read_parquet(data / "parsed" / "messages.parquet")
    sources = set(parsed.get_column("source").to_list())
    assert f"{archive}:shop/result.json" in sources
    assert (data / "raw" / f"{sha256_file(archive)}.zip").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"name": "x", "messages": [', "truncated JSON"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b'{"hello": 1}', "not a Telegram export"),
        (b"[]", "top level is a list"),
    ],
)
def test_broken_file_among_several_writes_nothing(
    exports: Path, tmp_path: Path, content: bytes, expected: str
) -> None:
    bad = tmp_path / "bad" / "result.json"
    bad.parent.mkdir()
    bad.write_bytes(content)
    data = tmp_path / "data"
    with pytest.raises(InputFileError) as info:
        run_ingest([exports, bad], data, CleaningConfig())
    assert str(bad) in str(info.value)
    assert expected in str(info.value)
    assert not data.exists()


def test_bad_paths(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError, match=r"no \.json or \.zip"):
        run_ingest([tmp_path / "empty"], tmp_path / "d", CleaningConfig())
    with pytest.raises(InputFileError, match="no such file"):
        run_ingest([tmp_path / "missing.json"], tmp_path / "d", CleaningConfig())
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(InputFileError, match="not a readable zip"):
        run_ingest([tmp_path / "x.zip"], tmp_path / "d", CleaningConfig())


def test_crash_while_writing_keeps_previous_outputs(
    exports: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    run_ingest([exports], data, CleaningConfig())
    before = (data / "cleaned" / "messages.parquet").read_bytes()
    extra = write(tmp_path / "more" / "result.json", export([message(50, "አዲስ")], cid=300))

    def boom(self: pl.DataFrame, path: Path, **_: object) -> None:
        Path(path).write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", boom)
    with pytest.raises(OSError, match="disk full"):
        run_ingest([extra], data, CleaningConfig())
    monkeypatch.undo()
    assert (data / "cleaned" / "messages.parquet").read_bytes() == before
    assert not list(data.rglob("*.tmp"))
    assert not (data / ".ingest-staging").exists()


def _outputs(data: Path) -> dict[str, pl.DataFrame]:
    names = ["parsed/messages.parquet", "parsed/quarantine.parquet", "cleaned/messages.parquet",
             "final/ngrams.parquet", "final/channel_stats.parquet"]
    return {name: pl.read_parquet(data / name) for name in names}


def test_a_commit_cut_short_is_completed_by_the_next_ingest(
    exports: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workbench.ingest.staging as staging_module

    extra = write(tmp_path / "more" / "result.json", export([message(50, "አዲስ ቤት")], cid=300))
    data = tmp_path / "data"
    run_ingest([exports], data, CleaningConfig())

    def power_cut(src_root: Path, dest_root: Path) -> None:
        # Two files reach their place, then the process dies.
        for path in sorted(p for p in src_root.rglob("*.parquet"))[:2]:
            target = dest_root / path.relative_to(src_root)
            target.parent.mkdir(parents=True, exist_ok=True)
            path.replace(target)
        raise KeyboardInterrupt

    monkeypatch.setattr(staging_module, "_move_staged", power_cut)
    with pytest.raises(KeyboardInterrupt):
        run_ingest([extra], data, CleaningConfig())
    monkeypatch.undo()
    assert (data / ".ingest-staging" / "COMMITTING").exists()

    run_ingest([exports], data, CleaningConfig())
    clean_run = tmp_path / "clean"
    for paths in ([exports], [extra], [exports]):
        run_ingest(paths, clean_run, CleaningConfig())
    for name, frame in _outputs(clean_run).items():
        assert _outputs(data)[name].equals(frame), name
    assert not (data / ".ingest-staging").exists()
    assert (data / "raw" / f"{sha256_file(extra)}.json").exists()


def test_staging_left_by_a_killed_ingest_is_discarded(exports: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    run_ingest([exports], data, CleaningConfig())
    before = _outputs(data)
    # A killed ingest (no journal): half-written staged outputs that must never be committed.
    leftover = data / ".ingest-staging" / "out" / "parsed" / "messages.parquet"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half written")
    (data / ".ingest-staging" / "parts").mkdir()
    (data / ".ingest-staging" / "parts" / "000000.messages.parquet").write_bytes(b"junk")
    summary = run_ingest([exports], data, CleaningConfig())
    assert summary.new_messages == 0
    for name, frame in before.items():
        assert _outputs(data)[name].equals(frame), name
    assert not (data / ".ingest-staging").exists()


def test_each_export_is_read_only_when_its_turn_comes(
    exports: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.ingest import pipeline

    held: list[int] = []
    staged_before: list[int] = []
    real_parse = pipeline.parse_export

    def parse(data: bytes, source: str, sha: str, limits: object = None) -> object:
        held.append(len(data))
        staged_before.append(len(list((tmp_path / "data" / ".ingest-staging" / "parts")
                                      .glob("*.messages.parquet"))))
        return real_parse(data, source, sha, limits)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "parse_export", parse)
    run_ingest([exports], tmp_path / "data", CleaningConfig())
    # The second file is read after the first one's rows are on disk in the staging area.
    assert staged_before == [0, 1]
    assert len(held) == 2


def test_a_second_ingest_on_the_same_data_dir_is_refused(exports: Path, tmp_path: Path) -> None:
    import fcntl

    data = tmp_path / "data"
    run_ingest([exports], data, CleaningConfig())
    before = _outputs(data)
    with (data / ".ingest.lock").open("ab") as held:  # another ingest, still running
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(InputFileError, match="another workbench ingest is running"):
            run_ingest([exports], data, CleaningConfig())
        assert (data / ".ingest.lock").exists()
    for name, frame in before.items():
        assert _outputs(data)[name].equals(frame), name
    assert run_ingest([exports], data, CleaningConfig()).duplicates_merged == 4
