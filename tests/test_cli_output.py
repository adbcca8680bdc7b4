"""What long commands print when their output is not a terminal: no library noise, no bars.

The tiny QLoRA run is the step that produced both (bitsandbytes' "pip install kernels" warning,
tqdm bars from datasets, transformers and the trainer run together with carriage returns): run
it through the demo's own step and through ``train run``, in subprocesses whose output is a pipe.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pipeline_data import synthetic_copy

#: Lines no user should see: library warnings and the pieces of a progress bar.
NOISE = re.compile(r"pip install|Failed to load|kernels-community|\w+Warning\b|warnings\.warn"
                   r"|it/s\]|examples/s\]|\d+%\|")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True,
                          text=True, timeout=600, check=False, stdin=subprocess.DEVNULL)


def assert_clean(out: subprocess.CompletedProcess[str]) -> None:
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    assert "\r" not in text
    noisy = [line for line in text.splitlines() if NOISE.search(line)]
    assert not noisy, noisy


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("output-data")
    synthetic_copy(root, n_ads=40, n_non_ads=10, seed=5)
    return root


def test_demo_training_step_prints_lines_not_bars(data_dir: Path) -> None:
    out = run("demo", "--step", "train", "--data-dir", str(data_dir))
    assert_clean(out)
    assert out.stdout.startswith("[1/1] train: ")
    # One line per logged step with its counts, in place of the trainer's bar.
    assert re.search(r"step \d+/24: loss \d+\.\d{3}", out.stdout), out.stdout
    assert "train: run tiny-cpu-" in out.stdout


def test_train_run_progress_and_quiet(data_dir: Path) -> None:
    common = ["train", "run", "tiny-cpu", "--data-dir", str(data_dir),
              "--set", "training.max_steps=2", "--set", "training.eval_steps=2",
              "--set", "training.save_steps=2", "--set", "training.logging_steps=1"]
    lines = run(*common, "--run-id", "lines")
    assert_clean(lines)
    assert "step 2/2: loss " in lines.stderr
    quiet = run(*common, "--run-id", "quiet", "--quiet")
    assert_clean(quiet)
    assert "step 1/2" not in quiet.stderr
    assert "run quiet: finished at step 2" in quiet.stdout


def test_unknown_demo_step_is_a_user_error(tmp_path: Path) -> None:
    out = run("demo", "--step", "trian", "--data-dir", str(tmp_path))
    assert out.returncode == 2
    assert out.stderr.strip() == ("error: --step: unknown step(s) trian; the steps: ingest, "
                                  "label, curate, train, generate, evaluate")


def test_heartbeat_speaks_during_a_silent_step_only() -> None:
    import threading

    from workbench.core.progress import heartbeat

    lines: list[str] = []
    spoke = threading.Event()

    def echo(line: str) -> None:
        lines.append(line)
        spoke.set()

    with heartbeat(echo, every=0.01):
        assert spoke.wait(30)
    assert re.fullmatch(r" {6}\.\.\. still working \(\d+ s\)", lines[0])
    quiet: list[str] = []
    with heartbeat(quiet.append, every=3600):
        pass
    assert quiet == []


def test_nested_steps_share_one_heartbeat(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    # The self-check runs flag's step inside its own: both used to print "still working (15 s)".
    from collections.abc import Iterator
    from contextlib import contextmanager

    from workbench.core import progress

    beats: list[str] = []

    @contextmanager
    def fake_heartbeat(echo: object, **_kwargs: object) -> Iterator[None]:
        beats.append("beat")
        yield

    monkeypatch.setattr(progress, "heartbeat", fake_heartbeat)
    monkeypatch.setattr(progress, "_mode_in_use", "lines")
    with progress.step("self-check: topic"), progress.step("flag: topic"):
        pass
    assert beats == ["beat"]
    lines = capsys.readouterr().err.splitlines()
    assert lines[:2] == ["self-check: topic ...", "flag: topic ..."]
    assert lines[2].startswith("flag: topic: done in ")
    assert lines[3].startswith("self-check: topic: done in ")
    monkeypatch.setattr(progress, "_mode_in_use", None)  # a library call: silent
    with progress.step("flag: topic"):
        pass
    assert capsys.readouterr().err == ""


def test_a_step_inside_a_callers_heartbeat_is_silent(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # `workbench demo` reports each stage with its own indented lines and heartbeat: flag's step
    # lines, unindented on stderr, cut into that layout.
    from workbench.core import progress

    monkeypatch.setattr(progress, "_mode_in_use", "lines")
    stage: list[str] = []
    with progress.heartbeat(stage.append, every=3600), progress.step("flag: is_ad"):
        pass
    assert capsys.readouterr().err == ""
    with progress.step("flag: is_ad"):  # the command itself: its lines
        pass
    assert capsys.readouterr().err.startswith("flag: is_ad ...")
    assert progress._heartbeats == 0
