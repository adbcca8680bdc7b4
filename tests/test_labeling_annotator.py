"""What the annotator meets, without a server: instructions, titles, pre-fills, dry run, status."""

from __future__ import annotations

import doctest
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest

from tests.labeling_data import make_data_dir
from workbench.core.config import ProjectConfig
from workbench.core.errors import InputFileError
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import LabelsManifest, read_manifest
from workbench.core.resources import default_file
from workbench.core.taxonomy import load_taxonomy
from workbench.labeling import instructions, project_names
from workbench.labeling.instructions import (
    guidelines_path,
    instructions_html,
    load_guidelines,
    markdown_html,
)
from workbench.labeling.labelstudio.api import MAX_TITLE
from workbench.labeling.project_names import project_description, project_key, project_title
from workbench.labeling.pull import write_pull
from workbench.labeling.push import plan_push, preview_push
from workbench.labeling.records import ProjectProgress
from workbench.labeling.status import StatusReport, render, run_status
from workbench.labeling.taxonomy_render import GUIDELINES_POINTER, label_studio_xml
from workbench.labeling.users_cli import account_rows

#: A guidelines example the packaged file carries (weather news, Non-Ad).
AMHARIC_EXAMPLE = "ዛሬ በአዲስ አበባ ከባድ ዝናብ ይጥላል ተብሏል።"


def test_doctests() -> None:
    for module in (instructions, project_names):
        result = doctest.testmod(module)
        assert result.attempted > 0, module.__name__
        assert result.failed == 0, module.__name__


def test_instructions_carry_the_guidelines_and_hints_without_a_path() -> None:
    tax = load_taxonomy()
    html = instructions_html(tax, load_guidelines())
    assert "<h2>Guidelines</h2>" in html
    assert "<h2>Quick reference</h2>" in html
    assert AMHARIC_EXAMPLE in html
    assert "<table>" in html  # the vertical table is rendered, not left as pipes
    for label in tax.task("vertical").labels:  # every hint of the taxonomy
        assert label.guideline in html
    # Nothing the annotator reads names a repository file or a command.
    text = re.sub(r"<[^>]+>", " ", html)
    assert not re.search(r"labeling/|\.ya?ml|\.md\b|workbench ", text), text[:300]


def test_markdown_is_rendered_safely() -> None:
    html = markdown_html('<img src=x onerror="alert(1)"> [x](javascript:alert(1)) **b**')
    assert "<img" not in html
    assert "href=\"javascript" not in html
    assert "<strong>b</strong>" in html


def test_guidelines_beside_a_custom_taxonomy_win(tmp_path: Path) -> None:
    own = tmp_path / "taxonomy.yaml"
    own.write_text(default_file("labeling/taxonomy.yaml").read_text(encoding="utf-8"),
                   encoding="utf-8")
    assert guidelines_path(own) != tmp_path / "guidelines.md"  # none there: the default
    (tmp_path / "guidelines.md").write_text("# Ours\n\n`ሰላም`\n", encoding="utf-8")
    assert guidelines_path(own) == tmp_path / "guidelines.md"
    assert "ሰላም" in load_guidelines(own)
    (tmp_path / "guidelines.md").write_bytes(b"\xff\xfe bad")
    with pytest.raises(InputFileError, match="not UTF-8"):
        load_guidelines(own)


def test_every_task_points_to_the_guidelines() -> None:
    for review in (False, True):
        root = ET.fromstring(label_studio_xml(load_taxonomy(), review=review))
        assert GUIDELINES_POINTER in [h.get("value") for h in root.iter("Header")]


def test_titles_name_the_job_fit_label_studio_and_read_back() -> None:
    tax = load_taxonomy()
    # The longest default prefix-free keys, with the default and a long prefix.
    for prefix in ("Amharic ads", "x" * 30):
        for key in ("group-1", "group-123", "ungrouped", "review"):
            title = project_title(prefix, key, tax, MAX_TITLE)
            assert len(title) <= MAX_TITLE, title
            assert project_key(prefix, title) == key
    assert project_title("Amharic ads", "group-2", tax, MAX_TITLE) == \
        "Amharic ads: label ad, vertical, tags — group 2"
    # Titles made before this change are still found (and renamed by the next push).
    assert project_key("Amharic ads", "Amharic ads: ungrouped") == "ungrouped"
    assert project_key("Amharic ads", "Other team: group-1") is None
    desc = project_description("group-1", tax)
    assert "Is this message an advertisement?" in desc
    assert "group 1" in desc
    assert "Instructions" in project_description("review", tax)


def test_first_push_prefills_every_task_that_applies(tmp_path: Path) -> None:
    data = make_data_dir(tmp_path / "data", tmp_path / "exports")
    cfg = ProjectConfig()
    tax = load_taxonomy()
    records, source = plan_push(data, cfg, tax)
    assert source == "rules rules-v9"
    ads = 0
    for recs in records.values():
        for rec in recs:
            assert rec.uid not in rec.meta  # the line annotators read names no internal id
            answered = {p.task: p.value for p in rec.predictions}
            assert answered.get("is_ad"), rec.uid
            if answered["is_ad"] == ["Ad"]:
                ads += 1
                # vertical is required for an ad: pre-filled even without a keyword hit
                assert answered.get("vertical"), (rec.uid, rec.text)
    assert ads >= 5


def test_dry_run_preview_matches_what_a_push_reports() -> None:
    from workbench.labeling.records import Prediction, TaskRecord

    def rec(uid: str, predicted: bool = True) -> TaskRecord:
        preds = [Prediction(task="is_ad", value=["Ad"], score=0.7)] if predicted else []
        return TaskRecord(uid=uid, text="t", channel="c", date="", message_id=1, group="g",
                          predictions=preds, model_version="rules-v7" if predicted else None)

    records = {"group-1": [rec("a"), rec("b", predicted=False), rec("c"), rec("c")],
               "group-2": [rec("x")]}
    existing = {"group-1": {"a", "old"}, "group-2": set()}
    previews = {p.key: p for p in preview_push(records, existing)}
    assert previews["group-1"].line() == "group-1: 2 to add (1 pre-annotated), 2 already there"
    assert previews["group-2"].line() == "group-2: 1 to add (1 pre-annotated), 0 already there"
    limited = preview_push(records, existing, limit=1)[0]
    assert limited.line() == ("group-1: 1 to add (0 pre-annotated), 2 already there, "
                              "1 left for later (--limit)")
    nothing = preview_push({"group-1": [rec("a")]}, existing)[0]
    assert nothing.line() == "group-1: 0 to add, 2 already there"


def test_status_shows_other_projects_and_from_file_keeps_the_table(tmp_path: Path) -> None:
    projects = [ProjectProgress(key="group-1", project_id=3, tasks=10, tasks_annotated=4,
                                annotations=5, tasks_finished=3),
                ProjectProgress(key="Score ads 1-5 · demo-1", project_id=9, tasks=20,
                                tasks_annotated=2, annotations=2, managed=False)]
    report = StatusReport(source="http://x", projects=projects[:1], other_projects=projects[1:],
                          annotators=pl.DataFrame(
        schema={"project": pl.Utf8, "annotator": pl.Utf8, "items": pl.UInt32,
                "answers": pl.UInt32, "median_lead_time_s": pl.Float64}), alphas=[], kappas=[])
    text = "\n".join(render(report))
    assert "other projects on the server" in text
    assert text.index("group-1") < text.index("other projects") < text.index("Score ads 1-5")
    assert "40.0%" in text
    assert "10.0%" in text

    # A pull records the counters; status --from-file shows them without a server.
    data = tmp_path / "data"
    write_pull(data, [], load_taxonomy(), backend="ls", source="http://x",
               taxonomy_path=default_file("labeling/taxonomy.yaml"),
               projects=projects)
    manifest = read_manifest(Layout(data).labels / MANIFEST, LabelsManifest)
    assert [p.key for p in manifest.projects] == ["group-1", "Score ads 1-5 · demo-1"]
    offline = run_status(data, ProjectConfig(), from_file=True)
    assert offline.projects == projects[:1]
    assert offline.other_projects == projects[1:]
    lines = render(offline)
    assert "pulled" in lines[0]
    assert any(line.startswith("group-1 ") and "40.0%" in line for line in lines)
    assert any("Score ads 1-5" in line for line in lines)
    # annotated 4, finished 3 (kept by the pull); the other project's backend did not say.
    group = next(line for line in lines if line.startswith("group-1 ")).split()
    assert group[3:5] == ["4", "3"]
    other = next(line for line in lines if line.startswith("Score ads 1-5")).split()
    assert other[8] == "-"


def test_account_rows_say_who_is_active() -> None:
    from workbench.labeling.records import AnnotatorAccount

    rows = account_rows([
        AnnotatorAccount(email="admin@x", group=None, active=True, workbench=False, admin=True),
        AnnotatorAccount(email="a@x", group=1, active=True, workbench=True,
                         created_at="2026-12-04T10:00:00+00:00"),
        AnnotatorAccount(email="b@x", group=2, active=False, workbench=True,
                         created_at="2026-12-01T10:00:00+00:00",
                         removed_at="2026-12-03T09:00:00+00:00"),
    ])
    assert rows == [["admin@x", "-", "admin", "-"], ["a@x", "1", "active", "2026-12-04"],
                    ["b@x", "2", "removed 2026-12-03", "2026-12-01"]]


def test_dry_run_without_a_server_says_so_and_lists_the_plan(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from workbench.labeling.cli import app

    data = make_data_dir(tmp_path / "data", tmp_path / "exports")
    result = CliRunner().invoke(app, ["push", "--dry-run", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert "dry run: cannot tell what is already there" in result.output
    assert "group-1: 9 message(s), 9 with pre-annotations" in result.output
    assert not (data / "labelstudio" / "push.lock").exists()  # nothing was started or written


def test_a_removed_annotator_is_refused_before_any_password_prompt(tmp_path: Path) -> None:
    from workbench.core.errors import ConfigError
    from workbench.labeling.annotators import refuse_removed, save_annotators

    save_annotators(tmp_path, {"hana@example.com": {"group": 1, "removed_at": "2026-12-03T09:00:00+00:00"},
                               "abel@example.com": {"group": 2}})
    refuse_removed(tmp_path, "abel@example.com")
    refuse_removed(tmp_path, "new@example.com")
    with pytest.raises(ConfigError, match="was removed on 2026-12-03"):
        refuse_removed(tmp_path, "Hana@example.com")


def test_serve_says_it_is_alive_while_label_studio_starts(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # Found on a walkthrough: a first `label serve` printed "starting Label Studio ..." and then
    # nothing for 35 s of migrations. The wait is simulated: a real first start takes ~30 s.
    import time

    from typer.testing import CliRunner

    from workbench.labeling import cli
    from workbench.labeling.labelstudio import server

    def slow_start(*_args: object, **_kwargs: object) -> None:
        time.sleep(0.5)
        raise server.ServiceError("Label Studio exited with code 1 while starting")

    monkeypatch.setattr(server, "start", slow_start)
    monkeypatch.setattr(cli, "SERVE_HEARTBEAT_S", 0.1)
    result = CliRunner().invoke(cli.app, ["serve", "--detach", "--data-dir", str(tmp_path / "d")])
    assert isinstance(result.exception, server.ServiceError)  # `workbench` makes it one line, exit 2
    assert "... still working (" in result.output
    assert "first start migrates its database" in result.output


def test_stop_with_nothing_running_names_the_data_dir(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from workbench.labeling.cli import app

    result = CliRunner().invoke(app, ["stop", "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (f"no Label Studio running for data dir {tmp_path / 'd'}: "
                                     "nothing to stop")
