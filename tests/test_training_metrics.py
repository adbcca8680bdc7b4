"""Run bookkeeping without training: metrics after a resume, overfitting, run listing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.core.runs import (
    STATUS_FILE,
    effective_status,
    find_run,
    read_metrics,
    resolve_run_dir,
)
from workbench.training.run import detect_overfitting, latest_run, plot_losses
from workbench.training.runs_list import format_runs, run_rows


def records(train: list[float], evals: dict[int, float]) -> list[dict]:
    out = [{"step": i + 1, "loss": loss} for i, loss in enumerate(train)]
    return out + [{"step": s, "eval_loss": v} for s, v in evals.items()]


FALLING = [3.0 - 0.05 * i for i in range(40)]


def test_overfitting_needs_rising_eval_and_falling_train() -> None:
    rising = {10: 2.0, 20: 2.1, 30: 2.2, 40: 2.4}
    warning = detect_overfitting(records(FALLING, rising), patience=2)
    assert warning is not None
    assert "(2.100 at step 20 -> 2.400 at step 40)" in warning
    assert detect_overfitting(records(FALLING, rising), patience=3) is not None
    assert detect_overfitting(records(FALLING, {10: 2.0, 20: 1.9, 30: 2.0}), patience=2) is None
    assert detect_overfitting(records(FALLING, {10: 2.0, 20: 2.1}), patience=2) is None
    flat_train = [2.0] * 40
    assert detect_overfitting(records(flat_train, rising), patience=2) is None


def test_metrics_after_a_resume_count_redone_steps_once(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    lines = [{"step": s, "loss": 5.0 - s * 0.1} for s in range(1, 7)]
    lines.append({"event": "resume", "from_step": 4})
    lines += [{"step": s, "loss": 4.0 - s * 0.1} for s in range(5, 9)]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    steps = [r["step"] for r in read_metrics(path) if "loss" in r]
    assert steps == [1, 2, 3, 4, 5, 6, 7, 8]
    assert read_metrics(tmp_path / "absent.jsonl") == []
    png = plot_losses(read_metrics(path), tmp_path / "loss.png", "test")
    assert png is not None
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert plot_losses([], tmp_path / "none.png", "empty") is None


def write_status(root: Path, name: str, **status: object) -> Path:
    folder = root / "runs" / name
    folder.mkdir(parents=True)
    (folder / STATUS_FILE).write_text(json.dumps(status), encoding="utf-8")
    return folder


def test_listing_and_finding_runs(tmp_path: Path) -> None:
    assert format_runs(run_rows(tmp_path)).startswith("no runs yet")
    import platform

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    write_status(tmp_path, "a", recipe="tiny-cpu", method="qlora", status="finished",
                 started_at="2026-01-01T00:00:00", global_step=40, max_steps=40,
                 train_loss=3.2, best_eval_loss=5.1, warnings=["w"])
    write_status(tmp_path, "b", recipe="tiny-cpu", method="qlora", status="running",
                 started_at="2026-01-02T00:00:00", pid=int(dead.stdout), host=platform.node(),
                 global_step=12)
    write_status(tmp_path, "c", recipe="other", status="failed", started_at="2026-01-03T00:00:00")
    rows = {r.run_id: r for r in run_rows(tmp_path)}
    assert rows["a"].step == "40/40"
    assert rows["a"].warnings == 1
    assert rows["b"].status == "killed"  # its process is gone
    table = format_runs(list(rows.values()))
    assert "killed" in table
    assert "3.200" in table
    assert latest_run(tmp_path, "tiny-cpu") == tmp_path / "runs" / "b"
    assert latest_run(tmp_path, "nothing") is None
    assert resolve_run_dir(tmp_path, "a") == tmp_path / "runs" / "a"
    assert effective_status({"status": "running", "pid": 1, "host": "elsewhere"}) == "running"
    from workbench.core.errors import ConfigError

    with pytest.raises(ConfigError, match="run 'zzz' not found"):
        resolve_run_dir(tmp_path, "zzz")


def test_run_registry_rejects_names_outside_the_runs_folder(tmp_path: Path) -> None:
    from workbench.core.errors import DataContractError, InputFileError

    write_status(tmp_path, "a", recipe="tiny-cpu", status="finished")
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / STATUS_FILE).write_text("{}", encoding="utf-8")
    for name in ("..", "../secret", ".hidden", "a/b", ""):
        assert find_run(tmp_path, name) is None
        with pytest.raises(InputFileError, match="not a valid run id"):
            resolve_run_dir(tmp_path, name)
    run = find_run(tmp_path, "a")
    assert run is not None
    assert run.status == "finished"
    assert run.output_dir is None  # nothing saved: not a finished model
    # No manifest yet: no lineage to show (a real run's is walked in tests/test_lineage.py).
    assert run.manifest is None
    with pytest.raises(DataContractError, match=r"manifest\.json: not found"):
        run.lineage()
