"""``workbench curate`` through the CLI: the whole flow, user errors, import hygiene, the demo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from synthetic.corpus import annotations_from_labels, flip_labels, make_corpus
from tests.curation_helpers import write_stage
from workbench.cli import app
from workbench.core.config import ProjectConfig
from workbench.core.resources import sample
from workbench.curation.demo import run_demo_step, seed_annotations

HEAVY = ("sklearn", "cleanlab", "scipy", "matplotlib", "pandas", "torch", "transformers", "trl",
         "lancedb")
SAMPLES = sample("telegram")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=180, check=False)


def test_curate_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\nfrom workbench.cli import main\n"
        "for args in (['--help'], ['curate', '--help'], ['curate', 'flag', '--help']):\n"
        "    try:\n        main(args)\n    except SystemExit as e:\n        assert e.code == 0\n"
        f"print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout
    for command in ("flag", "dedup", "split", "check"):
        assert command in out.stdout


def test_whole_flow_through_the_cli(tmp_path: Path) -> None:
    corpus = make_corpus(400, seed=6, repost_share=0.1, difficulty=0.3)
    labels, _ = flip_labels(corpus.truth, rate=0.05, seed=6)
    root = write_stage(tmp_path, corpus.messages, annotations_from_labels(labels, annotator="a"))
    runner = CliRunner()
    for command in (["dedup"], ["flag", "--folds", "3"], ["split", "--ratios", "0.7,0.15,0.15"],
                    ["check"]):
        result = runner.invoke(app, ["curate", *command, "--data-dir", str(root)])
        assert result.exit_code == 0, (command, result.output)
    assert "check: OK, no leakage" in result.output
    for name in ("label_issues", "annotator_quality", "predictions", "dup_clusters", "outliers"):
        assert (root / "curated" / f"{name}.parquet").exists()
    assert (root / "curated" / "splits" / "DATASET_CARD.md").exists()


def test_user_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    corpus = make_corpus(40, seed=1)
    root = write_stage(tmp_path, corpus.messages, annotations_from_labels(corpus.truth,
                                                                          annotator="a"))
    header_only = tmp_path / "answers.csv"
    header_only.write_text("uid,task,annotator,value\n", encoding="utf-8")
    cases = [
        (["curate", "flag", "--classifier", "tfidf_rl"], "did you mean 'tfidf_lr'"),
        (["curate", "flag", "--task", "is_add"], "did you mean 'is_ad'"),
        (["curate", "split"], "run `workbench curate flag` first"),
        (["curate", "split", "--ratios", "0.8,0.2"], "--ratios expects three numbers"),
        (["curate", "split", "--by", "month"], "invalid option: by: Input should be"),
        (["curate", "check"], "run `workbench curate split` first"),
        (["curate", "flag", "--annotations", str(tmp_path / "nope.csv")], "file not found"),
        # A header and no answer: it used to replace the curated outputs with empty files.
        (["curate", "flag", "--annotations", str(header_only)],
         "no annotations in the file (only a header); nothing was written"),
        # The flag the user typed, not the config key behind it (was "self_check_rate: ...").
        (["curate", "flag", "--self-check", "--flip-rate", "2"],
         "--flip-rate must be above 0 and below 0.5, got 2.0"),
    ]
    for args, expected in cases:
        out = run(*args, "--data-dir", str(root))
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1, (args, out.stderr)
        assert lines[0].startswith("error: "), (args, lines)
        assert expected in lines[0], (args, lines)
    missing = run("curate", "flag", "--data-dir", str(tmp_path / "empty"))
    assert missing.returncode == 2
    assert "run `workbench ingest` first" in missing.stderr


def test_seed_annotations_follow_the_contract() -> None:
    seeds = seed_annotations()
    assert seeds.columns == ["uid", "project", "task", "annotator", "value", "lead_time",
                             "created_at", "updated_at", "annotation_id"]
    assert set(seeds.get_column("task")) <= {"is_ad", "vertical", "tags"}
    assert seeds.get_column("annotator").unique().to_list() == ["seed@samples"]


def test_demo_step_on_the_samples(tmp_path: Path) -> None:
    from workbench.ingest.pipeline import run_ingest

    cfg = ProjectConfig()
    run_ingest([SAMPLES], tmp_path, cfg.cleaning)
    lines = run_demo_step(tmp_path, cfg)
    text = "\n".join(lines)
    assert "seed-labeled item(s)" in text
    for marker in ("dedup:", "flag:", "split (random):", "check: OK, no leakage"):
        assert marker in text, text
    assert (tmp_path / "curated" / "splits" / "train.parquet").exists()


def test_curation_config_section_is_validated(tmp_path: Path) -> None:
    (tmp_path / "workbench.yaml").write_text("curation:\n  flag:\n    fold: 3\n", encoding="utf-8")
    out = run("curate", "flag", "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert out.returncode == 2
    assert "unknown key 'curation.flag.fold' (did you mean 'folds'?)" in out.stderr
    (tmp_path / "workbench.yaml").write_text(
        "curation:\n  split:\n    ratios: [0.7, 0.2, 0.2]\n", encoding="utf-8")
    out = run("curate", "split", "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert out.returncode == 2
    assert "sum to 1" in out.stderr


def test_classifier_per_task_kind_is_validated_in_one_line(tmp_path: Path) -> None:
    corpus = make_corpus(40, seed=1)
    root = write_stage(tmp_path / "d", corpus.messages,
                       annotations_from_labels(corpus.truth, annotator="a"))
    cases = [
        ("{single: tfidf_nb_cal, mult: tfidf_lr}", "unknown task kind(s) mult"),
        ("{single: tfidf_nb_cal, multi: tfidf_rl}", "unknown classifier 'tfidf_rl'"),
    ]
    for setting, expected in cases:
        (tmp_path / "workbench.yaml").write_text(
            f"curation:\n  flag:\n    classifier: {setting}\n", encoding="utf-8")
        for cmd in (["flag"], ["flag", "--self-check"], ["curve"]):
            out = run("curate", *cmd, "--data-dir", str(root), cwd=tmp_path)
            assert out.returncode == 2, (setting, cmd, out.stderr)
            lines = out.stderr.strip().splitlines()
            assert len(lines) == 1, (setting, cmd, lines)
            assert expected in lines[0], (setting, cmd, lines)


def test_long_steps_print_lines_when_output_is_a_pipe(tmp_path: Path) -> None:
    # README: by default one line per step when the output is not a terminal; flag and curve
    # used to print nothing until they finished (37 s on 9,480 tweets).
    corpus = make_corpus(120, seed=3)
    root = write_stage(tmp_path, corpus.messages, annotations_from_labels(corpus.truth,
                                                                          annotator="a"))
    flag = run("curate", "flag", "--folds", "3", "--repeats", "1", "--data-dir", str(root))
    assert flag.returncode == 0, flag.stderr
    assert "flag: is_ad (120 labeled item(s)) ..." in flag.stderr.splitlines()
    assert any(line.startswith("flag: is_ad (120 labeled item(s)): done in ")
               for line in flag.stderr.splitlines()), flag.stderr
    assert "done in" not in flag.stdout  # results on stdout, progress on stderr
    curve = run("curate", "curve", "--task", "is_ad", "--data-dir", str(root))
    assert curve.returncode == 0, curve.stderr
    assert "curve: is_ad (120 labels, tfidf_nb_svm) ..." in curve.stderr.splitlines()
    quiet = run("curate", "flag", "--folds", "3", "--repeats", "1", "--quiet", "--data-dir",
                str(root))
    assert quiet.returncode == 0, quiet.stderr
    assert "done in" not in quiet.stderr
