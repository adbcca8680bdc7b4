"""Files that hold labels or secrets are the owner's only, whatever the umask.

Label snapshots, ``annotations.parquet`` and the web app's database are written under a
permissive umask (022, the usual default) and must still come out 0600; a tree an older version
left 0755/0644 is tightened. The Label Studio folder itself is checked on a real server in
``test_labeling_labelstudio.py``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from workbench.core.io import restrict_to_owner
from workbench.core.layout import Layout


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_restrict_to_owner_tightens_a_tree_and_keeps_owner_bits(tmp_path: Path) -> None:
    root = tmp_path / "labelstudio"
    (root / "data" / "media").mkdir(parents=True)
    (root / "data" / "label_studio.sqlite3").write_bytes(b"db")
    (root / "server.log").write_text("log")
    script = root / "data" / "hook.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    outside = tmp_path / "elsewhere"  # a data folder linked to another disk
    outside.mkdir()
    (outside / "export.json").write_text("{}")
    (root / "linked").symlink_to(outside)
    assert mode(root) == 0o755
    assert mode(root / "server.log") == 0o644
    restrict_to_owner(root)
    assert mode(root) == 0o700
    assert mode(root / "data" / "media") == 0o700
    assert mode(root / "data" / "label_studio.sqlite3") == 0o600
    assert mode(root / "server.log") == 0o600
    assert mode(script) == 0o700  # still executable by its owner
    assert mode(outside) == 0o700
    assert mode(outside / "export.json") == 0o600
    restrict_to_owner(tmp_path / "absent")  # nothing to do, no error


def test_label_snapshots_and_annotations_are_private(tmp_path: Path) -> None:
    from workbench.labeling.pull import write_snapshot
    from workbench.labeling.records import ANNOTATIONS_SCHEMA, LABEL_QUARANTINE_SCHEMA

    data_dir = tmp_path / "data"
    lay = Layout(data_dir)
    snapshot = write_snapshot(data_dir, pl.DataFrame(schema=ANNOTATIONS_SCHEMA),
                              pl.DataFrame(schema=LABEL_QUARANTINE_SCHEMA), inputs=[])
    written = [snapshot, snapshot.with_suffix(".json"), lay.annotations, lay.label_quarantine,
               lay.labels / "manifest.json"]
    assert {p: oct(mode(p)) for p in written} == {p: oct(0o600) for p in written}
    # No temporary file left behind beside the snapshot.
    assert sorted(p.name for p in lay.label_snapshots.iterdir()) == sorted(
        [snapshot.name, snapshot.with_suffix(".json").name])


def test_webapp_database_is_private_new_or_old(tmp_path: Path) -> None:
    from workbench.webapp.store import Store, db_path

    fresh = db_path(tmp_path / "new")
    store = Store(fresh)
    store.write("INSERT INTO users (email, company, role, password_hash, created_at) "
                "VALUES ('a@x.et', 'X', 'admin', 'h', 'now')")
    with store.connect() as db:  # WAL: the -wal and -shm files exist while a connection is open
        db.execute("SELECT 1")
        companions = [f for f in (fresh.with_name(fresh.name + "-wal"),
                                  fresh.with_name(fresh.name + "-shm")) if f.exists()]
        assert companions
        assert all(mode(f) == 0o600 for f in companions)
    assert mode(fresh) == 0o600

    old = db_path(tmp_path / "old")
    Store(old)
    old.chmod(0o644)  # as an older version left it
    Store(old)
    assert mode(old) == 0o600
