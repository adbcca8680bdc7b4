"""Argilla backend up to the HTTP boundary: names, overlap split, payloads, responses -> rows.

A real argilla-server needs its own virtualenv plus a search engine (labeling/README.md), which
CI does not have; `test_against_real_server` runs only when WORKBENCH_ARGILLA_URL and
ARGILLA_API_KEY point at one.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import polars as pl
import pytest

from workbench.core.config import ProjectConfig
from workbench.core.errors import ServiceError
from workbench.core.settings.labeling import ArgillaConfig, LabelingConfig
from workbench.core.taxonomy import load_taxonomy
from workbench.labeling.argilla_backend import (
    ArgillaBackend,
    dataset_name,
    in_overlap,
    project_of,
    raws_from_record,
    record_payload,
)
from workbench.labeling.pull import validate_annotations
from workbench.labeling.records import Prediction, TaskRecord


def test_names_round_trip() -> None:
    assert dataset_name("Amharic ads", "group-1", overlap=False) == "amharic-ads-group-1"
    assert dataset_name("Amharic ads", "group-1", overlap=True) == "amharic-ads-group-1-overlap"
    assert project_of("Amharic ads", "amharic-ads-group-1-overlap") == "group-1"
    assert project_of("Amharic ads", "amharic-ads-review") == "review"
    assert project_of("Amharic ads", "someone-else") is None


def test_overlap_split_is_stable_and_about_the_share() -> None:
    uids = [f"1:{i}" for i in range(4000)]
    chosen = [u for u in uids if in_overlap(u, 0.1)]
    assert 320 < len(chosen) < 480
    assert chosen == [u for u in uids if in_overlap(u, 0.1)]  # same answer every push
    assert not any(in_overlap(u, 0.0) for u in uids[:100])
    assert all(in_overlap(u, 1.0) for u in uids[:100])


def test_record_payload_suggestions() -> None:
    tax = load_taxonomy()
    rec = TaskRecord(uid="1:5", text="ሶፋ በቅናሽ", channel="Addis Shop", date="2024-03-01 08:05 UTC",
                     message_id=5, group="ungrouped", model_version="rules-v1",
                     predictions=[Prediction("is_ad", ["Ad"], 0.8), Prediction("vertical", ["Retail"], 0.65),
                                  Prediction("tags", ["Gambling", "Politics"], 0.6), Prediction("tags", [], 0.5)])
    payload = record_payload(rec, tax)
    assert payload["id"] == "1:5"
    assert payload["fields"] == {"text": "ሶፋ በቅናሽ"}
    assert payload["metadata"] == {"channel": "Addis Shop", "date": "2024-03-01", "group": "ungrouped",
                                   "message_id": 5}
    sugg = {s["question_name"]: s for s in payload["suggestions"] if s["value"]}
    assert sugg["is_ad"]["value"] == "Ad"
    assert sugg["is_ad"]["score"] == 0.8
    assert sugg["tags"]["value"] == ["Gambling", "Politics"]
    assert sugg["tags"]["score"] == [0.6, 0.6]  # one score per label
    assert {s["agent"] for s in payload["suggestions"]} == {"rules-v1"}
    assert len(payload["suggestions"]) == 3  # the empty tags suggestion is not sent


def test_responses_become_validated_rows() -> None:
    record = {
        "id": "rec-1", "external_id": "1:5", "inserted_at": "2024-06-01T10:00:00",
        "responses": [
            {"user_id": "u1", "status": "submitted", "inserted_at": "2024-06-01T10:01:00",
             "updated_at": "2024-06-01T10:02:00",
             "values": {"is_ad": {"value": "Ad"}, "vertical": {"value": "Retail"}, "tags": {"value": []}}},
            {"user_id": "u2", "status": "submitted", "values": {"is_ad": {"value": "Non-Ad"},
                                                                 "tags": {"value": ["Politics"]}}},
            {"user_id": "u3", "status": "draft", "values": {"is_ad": {"value": "Ad"}}},
            {"user_id": "u4", "status": "submitted", "values": {"is_ad": {"value": 3}}},
        ],
    }
    raws = raws_from_record("group-1", "ds-9", record, {"u1": "alem", "u2": "biruk"})
    assert [r.annotator for r in raws] == ["alem", "biruk", "u4"]
    assert raws[0].annotation_id == "argilla:ds-9:rec-1:u1"
    assert raws[0].updated_at.isoformat() == "2024-06-01T10:02:00+00:00"
    good, bad = validate_annotations(raws, load_taxonomy())
    rows = {(a, t): v for a, t, v in good.select("annotator", "task", "value").rows()}
    assert rows == {("alem", "is_ad"): ["Ad"], ("alem", "vertical"): ["Retail"], ("alem", "tags"): [],
                    ("biruk", "is_ad"): ["Non-Ad"]}
    reasons = dict(zip(bad["annotator"], bad["reason"], strict=True))
    assert reasons["biruk"] == "answered although is_ad is not Ad"
    assert "not a label" in reasons["u4"]
    assert set(good.get_column("annotation_id").str.split(":").list.first()) == {"argilla"}


def test_missing_api_key_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARGILLA_API_KEY", raising=False)
    with pytest.raises(ServiceError, match=r"\$ARGILLA_API_KEY .* is not set"):
        ArgillaBackend(LabelingConfig(backend="argilla"), load_taxonomy())


@pytest.mark.skipif(not (os.environ.get("WORKBENCH_ARGILLA_URL") and os.environ.get("ARGILLA_API_KEY")),
                    reason="no argilla-server (set WORKBENCH_ARGILLA_URL and ARGILLA_API_KEY)")
def test_against_real_server(tmp_path: Path) -> None:
    from tests.labeling_data import make_data_dir
    from workbench.labeling.pull import run_pull
    from workbench.labeling.push import run_push

    data = make_data_dir(tmp_path / "data", tmp_path / "exports")
    cfg = ProjectConfig(labeling=LabelingConfig(
        backend="argilla", project_prefix=f"t{secrets.token_hex(3)}", overlap_share=0.5,
        argilla=ArgillaConfig(url=os.environ["WORKBENCH_ARGILLA_URL"])))
    results, _ = run_push(data, cfg)
    assert sum(r.added for r in results) == 16
    again, _ = run_push(data, cfg)
    assert sum(r.added for r in again) == 0
    assert sum(r.existing for r in again) == 16
    backend = ArgillaBackend(cfg.labeling, load_taxonomy())
    key, ds = next((k, d) for k, d in backend._managed() if k == "ungrouped")
    record = backend._records_json(str(ds.id), [])[0]
    resp = backend._http.post(f"/api/v1/records/{record['id']}/responses", json={
        "status": "submitted", "values": {"is_ad": {"value": "Ad"}, "vertical": {"value": "Retail"}}})
    assert resp.status_code == 201, resp.text
    summary = run_pull(data, cfg)
    assert summary.annotations == 1
    ann = pl.read_parquet(data / "labels" / "annotations.parquet")
    assert set(ann.get_column("task")) == {"is_ad", "vertical", "tags"}
    assert ann.get_column("annotation_id").str.starts_with("argilla:").all()
    assert key == "ungrouped"
    # The classifier arrives: suggestions are updated in place; the response survives.
    (data / "curated").mkdir()
    from tests.labeling_data import SHOP_ID
    from workbench.core.schemas import PREDICTIONS_SCHEMA

    pl.DataFrame({"uid": [f"{SHOP_ID}:{i}" for i in range(1, 6)], "task": ["is_ad"] * 5,
                  "value": [["Ad"]] * 5, "score": [0.9] * 5, "model_version": ["clf-v1"] * 5,
                  "uncertainty": [0.2] * 5},
                 schema=PREDICTIONS_SCHEMA).write_parquet(data / "curated" / "predictions.parquet")
    from workbench.labeling.push import plan_push

    records, _ = plan_push(data, cfg, backend.taxonomy)
    assert backend.pending_changes(records)["ungrouped"].predictions == 5  # what `push --dry-run` says
    again, _ = run_push(data, cfg)
    assert {r.key: r.predictions_added for r in again}["ungrouped"] == 5
    assert backend.pending_changes(records)["ungrouped"].predictions == 0
    assert run_pull(data, cfg).annotations == 1
    # What `push --dry-run` reads, and the annotator accounts (users add/ls/remove).
    have = backend.existing_uids(["ungrouped", "group-99"])
    assert {k: len(v) for k, v in have.items()} == {"ungrouped": 5, "group-99": 0}
    email = f"tsion-{secrets.token_hex(3)}@example.com"
    entry, created = backend.add_user(email, group=1, password="Argilla-Pass-123", data_dir=data)
    assert created
    assert "password" not in entry
    assert next(a for a in backend.accounts(data) if a.email == email).active
    assert backend.remove_user(email, data) is True
    assert not next(a for a in backend.accounts(data) if a.email == email).active
    assert backend.remove_user(email, data) is False
