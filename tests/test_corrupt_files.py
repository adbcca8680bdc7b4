"""A truncated stage file, as a full disk or a cut copy leaves it: one line naming it, exit 2.

Each CLI reader of a previous stage's output is run on the real command (a subprocess) over
files the real stages wrote, one of them cut short; the message must name the file and say what
to do, without a traceback.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_workbench
from tests.exports import export, message, write
from tests.test_core_io import truncate


def assert_one_line_error(result: Any, path: Path, remedy: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0]
    assert "truncated or corrupt" in lines[0]
    assert remedy in lines[0]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An export with one malformed message, ingested once (messages and quarantine written)."""
    root = tmp_path_factory.mktemp("ingested")
    exports = root / "exports"
    write(exports / "shop" / "result.json", export([
        message(1, "ቅናሽ 1,500 ብር"), message(2, "ሰላም #ቅናሽ"),
        {"id": 3, "type": "message", "text": 5, "date_unixtime": "1"},  # quarantined
    ], cid=100, name="Addis Shop"))
    data = root / "data"
    result = run_workbench("ingest", str(exports), "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    assert (data / "parsed" / "quarantine.parquet").exists()
    return exports, data


@pytest.mark.parametrize("name", ["messages.parquet", "quarantine.parquet"])
def test_ingest_over_a_truncated_previous_output(ingested: tuple[Path, Path], tmp_path: Path,
                                                 name: str) -> None:
    exports, data = ingested
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    bad = truncate(copy / "parsed" / name)
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    result = run_workbench("ingest", str(exports), "--data-dir", str(copy))
    assert_one_line_error(result, bad, "run `workbench ingest` again")
    # Nothing written: every file is as it was.
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == before


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Splits made by the pipeline and a finished evaluation of two baselines on them."""
    from tests.eval_data import make_splits
    from workbench.core.config import ProjectConfig
    from workbench.evaluation.champion import promote
    from workbench.evaluation.run import run_suite
    from workbench.evaluation.suite import load_suite

    root = tmp_path_factory.mktemp("evaluated")
    make_splits(root)
    suite_path = root / "suite.yaml"
    suite_path.write_text("name: corrupt\nsystems: [retrieval, template]\nitems: {n: 4}\n"
                          "tasks:\n  - {name: brief_to_ad, metrics: [chrf]}\nseed: 3\n"
                          "bootstrap: {n_resamples: 100}\n", encoding="utf-8")
    suite, path = load_suite(suite_path)
    # A champion promoted before the evaluation: the report's history has a point for it.
    promote(root, "template", ProjectConfig(), by="tester", note="first champion")
    result = run_suite(suite, path, root, ProjectConfig())
    return root, result.out_dir.name


@pytest.mark.parametrize("name", ["summary.parquet", "scores.parquet", "summary.json"])
def test_report_over_a_truncated_evaluation_file(evaluated: tuple[Path, str], tmp_path: Path,
                                                 name: str) -> None:
    root, eval_id = evaluated
    copy = tmp_path / "data"
    shutil.copytree(root, copy)
    bad = truncate(copy / "eval" / eval_id / name)
    result = run_workbench("report", "--data-dir", str(copy), "--out", str(tmp_path / "out"))
    assert_one_line_error(result, bad, "run `workbench eval run` again")
    assert not (tmp_path / "out").exists()


def test_report_history_skips_an_older_unreadable_evaluation(evaluated: tuple[Path, str],
                                                             tmp_path: Path) -> None:
    """The newest evaluation reports; a broken older one is no point of history, not an error."""
    root, eval_id = evaluated
    copy = tmp_path / "data"
    shutil.copytree(root, copy)
    older = copy / "eval" / "0-older"
    shutil.copytree(copy / "eval" / eval_id, older)
    truncate(older / "summary.parquet")
    result = run_workbench("report", "--data-dir", str(copy), "--eval-id", eval_id,
                           "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out" / "leaderboard.html").read_text(encoding="utf-8")
    history = html.split('<section id="history">', 1)[1].split("</section>", 1)[0]
    assert f'data-eval="{eval_id}"' in history
    assert 'data-eval="0-older"' not in history


def test_run_metrics_with_a_line_cut_short(tmp_path: Path) -> None:
    """Training killed mid-write leaves a partial last line: the records before it stand."""
    from workbench.core.errors import UnreadableFileError
    from workbench.core.runs import read_metrics

    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1, "loss": 2.0}\n{"step": 2, "loss": 1.5}\n{"step": 3, "lo',
                    encoding="utf-8")
    assert [r["step"] for r in read_metrics(path)] == [1, 2]
    path.write_text('{"step": 1, "loss": 2.0}\n\x00\x00garbage\n{"step": 3, "loss": 1.0}\n',
                    encoding="utf-8")
    with pytest.raises(UnreadableFileError, match=r"metrics.jsonl: line 2 is not a JSON record"):
        read_metrics(path)
