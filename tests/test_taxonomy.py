"""The annotation taxonomy: the committed file is valid and errors are precise."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from workbench.core.errors import ConfigError
from workbench.core.taxonomy import load_taxonomy


def test_committed_taxonomy() -> None:
    tax = load_taxonomy()
    assert tax.names == ["is_ad", "vertical", "tags"]
    assert len(tax.task("vertical").values) == 13
    assert tax.task("tags").kind == "multi"
    assert tax.applies("vertical", {"is_ad": ["Ad"]})
    assert not tax.applies("tags", {"is_ad": ["Non-Ad"]})


def test_validate_answers() -> None:
    tax = load_taxonomy()
    assert tax.validate("tags", []) is None
    assert tax.validate("tags", ["Gambling", "Religious"]) is None
    assert "exactly one" in (tax.validate("is_ad", []) or "")
    assert "unknown label" in (tax.validate("vertical", ["Sports"]) or "")
    with pytest.raises(ConfigError, match="did you mean 'vertical'"):
        tax.task("verticle")


def test_bad_taxonomy(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "tasks:\n  - name: a\n    title: A\n    kind: single\n    labels: [{value: x, hotkey: k}]\n"
        "  - name: b\n    title: B\n    kind: multi\n    labels: [{value: y, hotkey: k}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="hotkeys must be unique"):
        load_taxonomy(path)
    path.write_text("tasks:\n  - name: a\n    title: A\n    kind: several\n    labels: [{value: x}]\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="kind"):
        load_taxonomy(path)


# --- versions and migrations ---------------------------------------------------------------------

_V3 = """\
version: 3
migrations:
  - from: 1
    map: {vertical: {Property: Housing}}
  - from: 2
    map: {vertical: {Housing: Real estate, Schools: Education & training}}
tasks:
  - name: is_ad
    title: Ad?
    kind: single
    labels: [{value: Ad}, {value: Non-Ad}]
  - name: vertical
    title: Vertical?
    kind: single
    when: {task: is_ad, equals: Ad}
    labels: [{value: Retail}, {value: Real estate}, {value: Education & training}]
"""


def test_committed_taxonomy_is_version_2_with_a_migration_from_1() -> None:
    tax = load_taxonomy()
    assert tax.version == 2
    assert [m.from_version for m in tax.migrations] == [1]
    assert {"Real estate", "Education & training", "Other"} <= set(tax.task("vertical").values)
    # Version 1 labels keep their meaning: every one of them is still a label.
    assert tax.migrate("vertical", ["Retail"], from_version=1) == ["Retail"]


def test_labels_map_forward_through_every_step(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(_V3, encoding="utf-8")
    tax = load_taxonomy(path)
    assert tax.migrate("vertical", ["Property"], from_version=1) == ["Real estate"]
    assert tax.migrate("vertical", ["Housing"], from_version=2) == ["Real estate"]
    assert tax.migrate("vertical", ["Schools"], from_version=3) == ["Schools"]  # current: untouched
    # Version unknown: only labels the current taxonomy lacks are mapped.
    assert tax.migrate("vertical", ["Property"]) == ["Real estate"]
    assert tax.migrate("vertical", ["Retail"]) == ["Retail"]
    assert tax.migrate("is_ad", ["Ad"]) == ["Ad"]


def test_pulled_old_labels_are_mapped_before_validation(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from workbench.labeling.pull import validate_annotations
    from workbench.labeling.records import RawAnnotation

    path = tmp_path / "taxonomy.yaml"
    path.write_text(_V3, encoding="utf-8")
    tax = load_taxonomy(path)
    now = datetime(2026, 1, 1, tzinfo=UTC)

    def raw(aid: str, vertical: str, version: int | None) -> RawAnnotation:
        answers = {"is_ad": ["Ad"], "vertical": [vertical]}
        return RawAnnotation(uid=f"1:{aid}", project="group-1", annotator="a@x", annotation_id=aid,
                             answers=answers, created_at=now, updated_at=now, raw={"answers": answers},
                             taxonomy_version=version)

    good, bad = validate_annotations(
        [raw("1", "Property", 1), raw("2", "Schools", None), raw("3", "Sports", None)], tax)
    got = {(r["uid"], r["task"]): r["value"] for r in good.iter_rows(named=True)}
    assert got[("1:1", "vertical")] == ["Real estate"]
    assert got[("1:2", "vertical")] == ["Education & training"]
    assert ("1:3", "vertical") not in got  # no migration knows it: quarantined
    assert "unknown label(s) ['Sports']" in bad.filter(pl.col("uid") == "1:3")["reason"].item()


@pytest.mark.parametrize(("migrations", "error"), [
    ("  - {from: 3, map: {}}\n", "below version 3"),
    ("  - {from: 2, map: {verticle: {a: b}}}\n", "unknown task 'verticle'"),
    ("  - {from: 2, map: {vertical: {a: Nope}}}\n", r"maps to label\(s\) \['Nope'\]"),
    ("  - {from: 1, map: {vertical: {a: Gone}}}\n", r"\['Gone'\] that no later step maps"),
])
def test_bad_migrations_are_rejected(tmp_path: Path, migrations: str, error: str) -> None:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(_V3.replace(_V3[_V3.index("  - from: 1"):_V3.index("tasks:")], migrations),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=error):
        load_taxonomy(path)
