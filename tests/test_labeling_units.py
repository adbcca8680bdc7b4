"""Labeling pieces that need no server: rendering, rules, groups, validation, agreement, planning."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from tests.labeling_data import EXPECTED_PROJECTS, SHOP_ID, TIKVAH_ID, make_data_dir
from workbench.core.config import AnnotatorGroup, CleaningConfig, MessageSlice, ProjectConfig
from workbench.core.errors import ConfigError, DataContractError, InputFileError
from workbench.core.schemas import PREDICTIONS_SCHEMA
from workbench.core.taxonomy import load_taxonomy, taxonomy_path
from workbench.labeling.agreement import agreement_report, task_alpha
from workbench.labeling.groups import assign_projects
from workbench.labeling.pull import validate_annotations, write_pull
from workbench.labeling.push import build_records, plan_push, review_records, uncertainty
from workbench.labeling.records import (
    ANNOTATIONS_SCHEMA,
    LABEL_QUARANTINE_SCHEMA,
    RawAnnotation,
)
from workbench.labeling.rules import load_rules, rule_predictions
from workbench.labeling.taxonomy_render import argilla_settings_spec, label_studio_xml

T0 = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.fixture
def tax_with_extra_task(tmp_path: Path) -> Path:
    """The committed taxonomy plus a team's own task (`tone`), asked only for ads."""
    text = taxonomy_path().read_text(encoding="utf-8") + (
        "\n  - name: tone\n    title: What tone does the ad take?\n    kind: single\n"
        "    when: {task: is_ad, equals: Ad}\n    labels:\n"
        "      - {value: Urgent, hotkey: u}\n      - {value: Calm, hotkey: c}\n"
    )
    path = tmp_path / "taxonomy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- rendering ---------------------------------------------------------------------------------

def test_label_studio_xml_follows_the_taxonomy(tax_with_extra_task: Path) -> None:
    tax = load_taxonomy(tax_with_extra_task)
    root = ET.fromstring(label_studio_xml(tax))
    choices = {c.get("name"): c for c in root.iter("Choices")}
    assert list(choices) == ["is_ad", "vertical", "tags", "tone"]
    assert choices["is_ad"].get("choice") == "single-radio"
    assert choices["is_ad"].get("required") == "true"
    assert choices["tags"].get("choice") == "multiple"
    assert choices["tags"].get("required") is None
    assert [c.get("value") for c in choices["vertical"]] == tax.task("vertical").values
    assert choices["is_ad"][0].get("hotkey") == "a"
    assert "promotes a product" in choices["is_ad"][0].get("hint")
    conditional = [v for v in root.iter("View") if v.get("visibleWhen") == "choice-selected"]
    assert len(conditional) == 1
    assert conditional[0].get("whenTagName") == "is_ad"
    assert conditional[0].get("whenChoiceValue") == "Ad"
    assert {c.get("name") for c in conditional[0].iter("Choices")} == {"vertical", "tags", "tone"}
    assert "Abyssinica SIL" in root.find("Style").text
    review = ET.fromstring(label_studio_xml(tax, review=True))
    assert "review_note" in {t.get("name") for t in review.iter("Text")}


def test_argilla_spec_follows_the_taxonomy(tax_with_extra_task: Path) -> None:
    guidelines = "# Guidelines\n\n- `ዛሬ ዝናብ ይጥላል` → **Non-Ad**\n"
    spec = argilla_settings_spec(load_taxonomy(tax_with_extra_task), guidelines, min_submitted=2)
    questions = {q["name"]: q for q in spec["questions"]}
    assert list(questions) == ["is_ad", "vertical", "tags", "tone"]
    assert questions["is_ad"]["kind"] == "label"
    assert questions["is_ad"]["required"] is True
    assert questions["vertical"]["required"] is False  # conditional: optional, enforced at pull
    assert questions["tags"]["kind"] == "multi_label"
    assert "only when Ad is chosen" in questions["tone"]["title"]
    assert {m["name"] for m in spec["metadata"]} == {"channel", "date", "group", "message_id"}
    assert spec["min_submitted"] == 2
    assert "ዛሬ ዝናብ ይጥላል" in spec["guidelines"]  # the full guidelines, not a path to them
    assert "labeling/" not in spec["guidelines"]


# --- rules -------------------------------------------------------------------------------------

def _messages(texts: list[str], **cols: list) -> pl.DataFrame:
    n = len(texts)
    base = {"uid": [f"1:{i}" for i in range(n)], "text": texts, "text_norm": texts, "phones": [[]] * n,
            "prices": [[]] * n, "links": [[]] * n, "mentions": [[]] * n}
    base.update(cols)
    return pl.DataFrame(base, schema_overrides={"phones": pl.List(pl.Utf8), "prices": pl.List(pl.Float64),
                                                "links": pl.List(pl.Utf8), "mentions": pl.List(pl.Utf8)})


def test_rules_signals_keywords_and_conditions() -> None:
    tax = load_taxonomy()
    rules = load_rules(taxonomy=tax)
    msgs = _messages(
        ["ሶፋ በቅናሽ ይደውሉ", "ዛሬ ዝናብ ይጥላል", "alphabet soup ቤቲንግ", "the best bet ever", "ፀሎት ቤት ሶፋ"],
        phones=[["+251911223344"], [], [], [], []], prices=[[1500.0], [], [], [], [2000.0]],
    )
    preds = rule_predictions(msgs, rules, tax, cleaning=CleaningConfig())
    assert dict(PREDICTIONS_SCHEMA) == dict(preds.schema)
    got = {(u, t): v for u, t, v in preds.select("uid", "task", "value").rows()}
    assert got[("1:0", "is_ad")] == ["Ad"]
    assert got[("1:0", "vertical")] == ["Retail"]
    assert got[("1:1", "is_ad")] == ["Non-Ad"]
    assert ("1:1", "vertical") not in got  # conditional tasks only for predicted ads
    assert ("1:1", "tags") not in got
    assert preds.get_column("score").max() <= rules.max_score
    assert preds.get_column("model_version").unique().to_list() == ["rules-v9"]
    # Ge'ez keywords match inside words; Latin ones only as whole words.
    from workbench.labeling.rules import _hits, _pattern

    hits = msgs.select(_hits(_pattern(["bet"], CleaningConfig())).alias("h"))["h"].to_list()
    assert hits == [0, 0, 0, 1, 0]
    # Keywords are unified like text_norm: ጸሎት in the lexicon matches ፀሎት in the text.
    assert msgs.select(_hits(_pattern(["ጸሎት"], CleaningConfig())).alias("h"))["h"].to_list()[4] == 1
    # ... in the project's direction: with ፀ -> ጸ the keyword is spelled ጸሎት, as text_norm is.
    assert _pattern(["ፀሎት"], CleaningConfig(tsa_series_target="ጸ")) == "(?:ጸሎት)"


def test_rules_file_is_checked_against_the_taxonomy(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("gate: {task: is_ad, positive: Ad, negative: Non-Ad, weights: {phone: 0.5}}\n"
                   "keywords:\n  vertical:\n    Sports: [ኳስ]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"task 'vertical' has no label\(s\) \['Sports'\]"):
        load_rules(bad, taxonomy=load_taxonomy())
    bad.write_text("gate: {task: is_ad, positive: Ad, negative: Non-Ad, weights: {fone: 0.5}}\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown signal\(s\) \['fone'\]"):
        load_rules(bad, taxonomy=load_taxonomy())


# --- groups ------------------------------------------------------------------------------------

def test_groups_slices_channels_and_ungrouped() -> None:
    msgs = pl.DataFrame({
        "uid": ["1:15000", "1:15001", "1:90001", "2:7", "3:1"], "channel_id": [1, 1, 1, 2, 3],
        "message_id": [15000, 15001, 90001, 7, 1],
        "channel_name": ["TIKVAH-ETHIOPIA", "TIKVAH-ETHIOPIA", "TIKVAH-ETHIOPIA", "ዳጉ  ስፖርት DAGU SPORT", "x"],
    })
    got = dict(assign_projects(msgs, ProjectConfig().annotator_groups).rows())
    assert got == {"1:15000": "group-1", "1:15001": "group-2", "1:90001": "ungrouped",
                   "2:7": "group-6", "3:1": "ungrouped"}
    only = assign_projects(msgs, ProjectConfig().annotator_groups, only_group=2)
    assert only.rows() == [("1:15001", "group-2")]
    # Channels may be named by id, and overlapping groups get the message twice.
    groups = [AnnotatorGroup(id=1, channels=["3"]),
              AnnotatorGroup(id=2, slices=[MessageSlice(channel="3", first_id=1, last_id=1)])]
    both = assign_projects(msgs, groups, ungrouped=False)
    assert sorted(both.filter(pl.col("uid") == "3:1").get_column("project")) == ["group-1", "group-2"]
    with pytest.raises(ConfigError, match="annotator group 9 is not in the config"):
        assign_projects(msgs, groups, only_group=9)


# --- validation & pull files -------------------------------------------------------------------

def raw(aid: str, answers: dict[str, list[str]], *, uid: str = "1:1", annotator: str = "a@x",
        problems: list[tuple[str, str]] | None = None, when: datetime = T0) -> RawAnnotation:
    return RawAnnotation(uid=uid, project="group-1", annotator=annotator, annotation_id=aid,
                         answers=answers, created_at=when, updated_at=when, lead_time=2.0,
                         problems=problems or [], raw={"answers": answers})


def test_validation_rules() -> None:
    tax = load_taxonomy()
    raws = [
        raw("ls:1:1", {"is_ad": ["Ad"], "vertical": ["Retail"]}),                # tags [] added
        raw("ls:1:2", {"is_ad": ["Non-Ad"], "tags": ["Politics"]}),              # tags not asked
        raw("ls:1:3", {"is_ad": ["Ad"], "tags": ["Gambling"]}),                  # vertical missing
        raw("ls:1:4", {"is_ad": ["Ad", "Non-Ad"], "vertical": ["Retail"]}),     # two labels
        raw("ls:1:5", {"is_ad": ["Non-Ad"], "mood": ["x"]}),                     # unknown task
        raw("ls:1:6", {}, problems=[("is_ad", "result 'is_ad' has type 'rating', expected 'choices'")]),
        raw("ls:1:7", {"is_ad": ["Ad"]}, uid=""),                               # no uid
    ]
    good, bad = validate_annotations(raws, tax)
    assert dict(good.schema) == ANNOTATIONS_SCHEMA
    assert dict(bad.schema) == LABEL_QUARANTINE_SCHEMA
    rows = {(a, t): v for a, t, v in good.select("annotation_id", "task", "value").rows()}
    assert rows == {
        ("ls:1:1:is_ad", "is_ad"): ["Ad"], ("ls:1:1:vertical", "vertical"): ["Retail"],
        ("ls:1:1:tags", "tags"): [],
        ("ls:1:2:is_ad", "is_ad"): ["Non-Ad"],
        ("ls:1:3:is_ad", "is_ad"): ["Ad"], ("ls:1:3:tags", "tags"): ["Gambling"],
        ("ls:1:5:is_ad", "is_ad"): ["Non-Ad"],
    }
    reasons = {(a, t): r for a, t, r in bad.select("annotation_id", "task", "reason").rows()}
    assert reasons[("ls:1:2:tags", "tags")] == "answered although is_ad is not Ad"
    assert reasons[("ls:1:3:vertical", "vertical")] == "task 'vertical' applies but was not answered"
    assert "exactly one label" in reasons[("ls:1:4:is_ad", "is_ad")]
    assert "depends on ('is_ad') is invalid" in reasons[("ls:1:4:vertical", "vertical")]
    assert "unknown task 'mood'" in reasons[("ls:1:5:mood", "mood")]
    assert "expected 'choices'" in reasons[("ls:1:6:is_ad", "is_ad")]
    assert ("ls:1:7:?", "") in reasons
    assert json.loads(bad.filter(pl.col("task") == "mood").item(0, "raw")) == {
        "answers": {"is_ad": ["Non-Ad"], "mood": ["x"]}}


def test_pull_files_snapshots_and_other_backends(tmp_path: Path) -> None:
    tax = load_taxonomy()
    data = tmp_path / "data"
    labels = data / "labels"
    labels.mkdir(parents=True)
    other = pl.DataFrame([{"uid": "9:9", "project": "group-1", "task": "is_ad", "annotator": "z@x",
                           "value": ["Ad"], "lead_time": None, "created_at": T0, "updated_at": T0,
                           "annotation_id": "argilla:ds:1:z:is_ad"}], schema=ANNOTATIONS_SCHEMA)
    other.write_parquet(labels / "annotations.parquet")
    first = write_pull(data, [raw("ls:1:1", {"is_ad": ["Non-Ad"]}), raw("ls:1:2", {"is_ad": ["Ad"]})],
                       tax, backend="ls", source="http://x", taxonomy_path=taxonomy_path())
    assert (first.annotations, first.quarantined) == (2, 1)  # ls:1:2 lacks its vertical
    ann = pl.read_parquet(labels / "annotations.parquet")
    assert sorted(ann.get_column("annotation_id")) == [
        "argilla:ds:1:z:is_ad", "ls:1:1:is_ad", "ls:1:2:is_ad", "ls:1:2:tags"]
    # ls:1:2 is deleted in the server: gone from the current file, still in the first snapshot.
    second = write_pull(data, [raw("ls:1:1", {"is_ad": ["Non-Ad"]})], tax, backend="ls",
                        source="http://x", taxonomy_path=taxonomy_path())
    ann = pl.read_parquet(labels / "annotations.parquet")
    assert sorted(ann.get_column("annotation_id")) == ["argilla:ds:1:z:is_ad", "ls:1:1:is_ad"]
    snaps = sorted((labels / "snapshots").glob("*.parquet"))
    assert [s.name for s in snaps] == sorted([first.snapshot.name, second.snapshot.name])
    assert "ls:1:2:is_ad" in pl.read_parquet(first.snapshot).get_column("annotation_id").to_list()
    for snap in snaps:
        manifest = json.loads(snap.with_suffix(".json").read_text())
        assert manifest["outputs"][f"snapshots/{snap.name}"]["rows"] == pl.read_parquet(snap).height
        assert snap.name.split("-")[1].startswith(manifest["outputs"][f"snapshots/{snap.name}"]["sha256"][:12])
    manifest = json.loads((labels / "manifest.json").read_text())
    assert manifest["snapshot"] == second.snapshot.name
    assert manifest["inputs"][1]["path"] == str(taxonomy_path())
    assert pl.read_parquet(labels / "quarantine.parquet").height == 0  # ls:1:2's row went with it


def test_pull_twice_with_the_same_labels_keeps_one_snapshot(tmp_path: Path) -> None:
    # Found on a walkthrough: a second pull with nothing changed wrote a second snapshot of the
    # same bytes; labels/manifest.json then named the new one while curation (and the splits
    # manifest, and the dashboard) named the first.
    tax = load_taxonomy()
    data = tmp_path / "data"
    raws = [raw("ls:1:1", {"is_ad": ["Non-Ad"]})]
    first = write_pull(data, raws, tax, backend="ls", source="http://x",
                       taxonomy_path=taxonomy_path())
    again = write_pull(data, raws, tax, backend="ls", source="http://x",
                       taxonomy_path=taxonomy_path())
    snaps = sorted((data / "labels" / "snapshots").glob("*.parquet"))
    assert snaps == [first.snapshot]
    assert again.snapshot == first.snapshot
    assert not first.unchanged
    assert again.unchanged
    assert "unchanged since the last pull" in again.line()
    manifest = json.loads((data / "labels" / "manifest.json").read_text())
    assert manifest["snapshot"] == first.snapshot.name
    assert manifest["pulled_at"] > json.loads(first.snapshot.with_suffix(".json").read_text())["pulled_at"]
    assert not list((data / "labels" / "snapshots").glob(".*"))  # no temporary file left
    # A change after that is a new snapshot; going back to the first labels is one more (the
    # history says the labels changed twice), equal in content to the first.
    changed = write_pull(data, [*raws, raw("ls:1:2", {"is_ad": ["Non-Ad"]}, uid="1:2")], tax,
                         backend="ls", source="http://x", taxonomy_path=taxonomy_path())
    back = write_pull(data, raws, tax, backend="ls", source="http://x",
                      taxonomy_path=taxonomy_path())
    assert not changed.unchanged
    assert not back.unchanged
    assert len(list((data / "labels" / "snapshots").glob("*.parquet"))) == 3


# --- agreement ---------------------------------------------------------------------------------

def _long(rows: list[tuple[str, str, str, list[str]]], project: str = "group-1") -> pl.DataFrame:
    return pl.DataFrame([{"uid": u, "task": t, "annotator": a, "value": v, "project": project,
                          "updated_at": T0} for u, t, a, v in rows])


def test_agreement_hand_computed() -> None:
    # 3 annotators, 3 items, nominal; item 3 has only two answers.
    #   item1: A A A   item2: A B A   item3: B B -
    # values: A 5, B 3 (n = 8); coincidences: item1 o_AA=3*2/2=3; item2 o_AB=o_BA=2*1/2=1, o_AA=1;
    # item3 o_BB=2. Do = sum off-diagonal = 2; De = 2*5*3/(n-1)=30/7 -> alpha = 1 - 2*7/30 = 0.5333.
    rows = [("1", "is_ad", "x", ["Ad"]), ("1", "is_ad", "y", ["Ad"]), ("1", "is_ad", "z", ["Ad"]),
            ("2", "is_ad", "x", ["Ad"]), ("2", "is_ad", "y", ["Non-Ad"]), ("2", "is_ad", "z", ["Ad"]),
            ("3", "is_ad", "x", ["Non-Ad"]), ("3", "is_ad", "y", ["Non-Ad"])]
    assert math.isclose(task_alpha(_long(rows), "is_ad"), 1 - 14 / 30)
    _, kappas = agreement_report(_long(rows), ["is_ad"])
    by_pair = {(k.annotator_a, k.annotator_b): (k.items, k.kappa) for k in kappas}
    # x vs z: identical on items 1, 2 but only "Ad" was used: chance agreement 1 -> undefined.
    assert by_pair[("x", "z")][0] == 2
    assert math.isnan(by_pair[("x", "z")][1])
    # x vs y on 3 items: po = 2/3; x: Ad 2/3, Non 1/3; y: Ad 1/3, Non 2/3 -> pe = 2/9 + 2/9 = 4/9
    # kappa = (2/3 - 4/9) / (5/9) = 0.4
    assert by_pair[("x", "y")][0] == 3
    assert math.isclose(by_pair[("x", "y")][1], 0.4)


def test_agreement_sets_latest_answer_and_review_excluded() -> None:
    rows = _long([("1", "tags", "x", ["Politics", "Gambling"]), ("1", "tags", "y", ["Gambling", "Politics"]),
                  ("2", "tags", "x", []), ("2", "tags", "y", ["Religious"])])
    assert not math.isnan(task_alpha(rows, "tags"))
    later = _long([("2", "tags", "y", [])]).with_columns(updated_at=pl.lit(datetime(2025, 1, 1, tzinfo=UTC)))
    review = _long([("1", "tags", "r", ["Profanity"])], project="review")
    all_rows = pl.concat([rows, later, review])
    # y's later answer on item 2 replaces the old one (sets compare unordered): full agreement;
    # the reviewer's answer is not an annotator's.
    assert task_alpha(all_rows, "tags") == 1.0
    alphas, kappas = agreement_report(all_rows, ["tags"])
    assert alphas[0].annotators == 2
    assert [(k.annotator_a, k.annotator_b) for k in kappas] == [("x", "y")]


# --- planning a push ---------------------------------------------------------------------------

def test_plan_push_projects_predictions_and_order(tmp_path: Path) -> None:
    data = make_data_dir(tmp_path / "data", tmp_path / "exports")
    cfg = ProjectConfig()
    tax = load_taxonomy()
    records, source = plan_push(data, cfg, tax)
    assert source == "rules rules-v9"
    assert {k: {r.uid for r in v} for k, v in records.items()} == EXPECTED_PROJECTS
    shop = records["ungrouped"]
    assert [r.message_id for r in shop] == [1, 2, 3, 4, 5]
    assert all(r.model_version == "rules-v9" and r.predictions for r in shop)
    assert "Addis Shop" in shop[0].meta
    # The photo-only post (empty text) is not pushed.
    assert "200:9" not in {r.uid for v in records.values() for r in v}

    preds = pl.DataFrame({
        "uid": [f"{SHOP_ID}:1", f"{SHOP_ID}:2", f"{SHOP_ID}:2", f"{SHOP_ID}:3", f"{SHOP_ID}:4"],
        "task": ["is_ad", "is_ad", "vertical", "is_ad", "is_ad"],
        "value": [["Ad"], ["Non-Ad"], ["Retail"], ["Ad"], ["Maybe"]],
        "score": [0.99, 0.9, 0.6, 0.51, 0.99], "model_version": ["clf"] * 5,
        # The calibrated column, deliberately not 1 - score: the order must follow it.
        "uncertainty": [0.95, 0.2, 0.8, 0.3, 0.01],
    }, schema=PREDICTIONS_SCHEMA)
    assert dict(uncertainty(preds).rows()) == pytest.approx(
        {f"{SHOP_ID}:1": 0.95, f"{SHOP_ID}:2": 0.8, f"{SHOP_ID}:3": 0.3, f"{SHOP_ID}:4": 0.01})
    from workbench.labeling.push import load_messages

    msgs = load_messages(data)
    projects = assign_projects(msgs, cfg.annotator_groups, only_group=None).filter(pl.col("project") == "ungrouped")
    recs = build_records(msgs, projects, preds, tax, order="uncertainty")["ungrouped"]
    # No prediction (item 5) counts as most uncertain; then 1 (0.95), 2 (0.8), 3 (0.3), 4
    # (1 - score would have given 5, 3, 2, 1, 4).
    assert [r.uid.split(":")[1] for r in recs] == ["5", "1", "2", "3", "4"]
    by_uid = {r.uid: r for r in recs}
    # Non-Ad with a vertical: the vertical is dropped (its condition fails); "Maybe" is invalid.
    assert [(p.task, p.value) for p in by_uid[f"{SHOP_ID}:2"].predictions] == [("is_ad", ["Non-Ad"])]
    assert by_uid[f"{SHOP_ID}:4"].predictions == []
    assert by_uid[f"{SHOP_ID}:1"].model_version == "clf"

    # predictions.parquet, once curation writes it, replaces the rules for the messages it
    # covers; the others (ingested after the flag) keep the rules, they got nothing before.
    (data / "curated").mkdir()
    preds.write_parquet(data / "curated" / "predictions.parquet")
    records, source = plan_push(data, cfg, tax)
    n_all = sum(len(v) for v in records.values())
    assert source.endswith(f"curated/predictions.parquet; rules rules-v9 for {n_all - 4} "
                           "message(s) it does not cover")
    by_uid = {r.uid: r for v in records.values() for r in v}
    assert by_uid[f"{SHOP_ID}:1"].model_version == "clf"
    assert by_uid[f"{SHOP_ID}:5"].model_version == "rules-v9"
    assert by_uid[f"{SHOP_ID}:5"].predictions
    assert by_uid[f"{SHOP_ID}:4"].predictions == []  # covered ("Maybe" is invalid): no rules
    rest = sorted(set(by_uid) - set(preds["uid"]))
    covering = pl.concat([preds, pl.DataFrame({
        "uid": rest, "task": ["is_ad"] * len(rest), "value": [["Ad"]] * len(rest),
        "score": [0.9] * len(rest), "model_version": ["clf"] * len(rest),
        "uncertainty": [0.1] * len(rest)}, schema=PREDICTIONS_SCHEMA)])
    covering.write_parquet(data / "curated" / "predictions.parquet")
    _, source = plan_push(data, cfg, tax)
    assert source.endswith("curated/predictions.parquet")


def test_plan_push_errors_and_review(tmp_path: Path) -> None:
    tax = load_taxonomy()
    with pytest.raises(DataContractError, match="run `workbench ingest` first"):
        plan_push(tmp_path / "nothing", ProjectConfig(), tax)
    data = make_data_dir(tmp_path / "data", tmp_path / "exports")
    cfg = ProjectConfig(annotator_groups=[AnnotatorGroup(id=1, channels=["Nowhere"])])
    with pytest.raises(InputFileError, match="no non-empty message belongs to annotator group 1"):
        plan_push(data, cfg, tax, group=1)
    with pytest.raises(DataContractError, match=r"label_issues\.parquet: not found"):
        plan_push(data, cfg, tax, review=True)
    (data / "curated").mkdir()
    pl.DataFrame({"uid": [f"{TIKVAH_ID}:5", "7:7"], "task": ["vertical", "is_ad"], "given": ["Travel", "Ad"],
                  "suggested": ["Retail", "Non-Ad"], "label_quality": [0.1, 0.2], "is_issue": [True, False],
                  "reason": ["low self-confidence", None]}).write_parquet(data / "curated" / "label_issues.parquet")
    from workbench.labeling.push import load_messages

    recs = review_records(data, load_messages(data), tax)
    assert [r.uid for r in recs] == [f"{TIKVAH_ID}:5"]
    assert recs[0].group == "review"
    assert "vertical: given Travel, suggested Retail (label quality 0.10; low self-confidence)" in recs[0].review_note
    # The suggested vertical alone cannot pre-fill (its condition, is_ad = Ad, is not suggested).
    assert recs[0].predictions == []


def test_label_help_imports_nothing_heavy() -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom workbench.cli import main\n"
        "try:\n    main(['label', '--help'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
        "heavy = ('label_studio_sdk', 'argilla', 'httpx', 'polars', 'torch', 'transformers', 'playwright')\n"
        "print('HEAVY', sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout
    for command in ("serve", "stop", "users", "push", "pull", "status"):
        assert command in out.stdout


def test_task_diff_new_predictions_and_edited_messages() -> None:
    from workbench.labeling.labelstudio.task_diff import diff_tasks
    from workbench.labeling.records import Prediction, TaskRecord

    def rec(uid: str, text: str) -> TaskRecord:
        return TaskRecord(uid=uid, text=text, channel="c", date="", message_id=1, group="g",
                          predictions=[Prediction(task="is_ad", value=["Ad"], score=0.7)],
                          model_version="single=a,multi=b")

    def payload(r: TaskRecord) -> dict:
        return {"data": {"uid": r.uid, "text": r.text},
                "predictions": [{"model_version": r.model_version, "result": []}]}

    by_uid = {"1": [{"id": 11, "data": {"text": "same"}, "total_annotations": 0}],
              "2": [{"id": 12, "data": {"text": "old"}, "total_annotations": 0}],
              "3": [{"id": 13, "data": {"text": "old"}, "total_annotations": 2}],
              "4": [{"id": 14, "data": {"text": "same"}, "total_annotations": 1}],
              "6": [{"id": 16, "data": {"text": "same"}, "total_annotations": 0}]}
    versions = {11: "single=a,rules-v4,multi=b", 12: "rules-v4", 13: "rules-v4", 14: "rules-v4",
                16: "rules-v4"}
    diff = diff_tasks([rec("1", "same"), rec("2", "new"), rec("3", "new"), rec("4", "same"),
                       rec("5", "fresh"), rec("5", "fresh"), rec("6", "same")], by_uid, versions,
                      payload)
    assert [r.uid for r in diff.new] == ["5"]
    # 11 has it already, in pieces; 14 was annotated: it keeps what it was labeled with.
    assert [p["task"] for p in diff.predictions] == [16]
    assert diff.updates == [(12, {"uid": "2", "text": "new"})]
    assert [p["task"] for p in diff.update_predictions] == [12]
    assert diff.edited_after_labeling == 1
