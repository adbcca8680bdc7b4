"""``workbench train ...`` through the real entry point: help, import hygiene, user errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.pipeline_data import synthetic_copy

HEAVY = ("torch", "trl", "transformers", "peft", "bitsandbytes", "datasets")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True,
                          text=True, timeout=300, check=False)


def test_train_help_and_ls_import_nothing_heavy(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom workbench.cli import main\n"
        "for argv in (['--help'], ['train', '--help'], ['train', 'run', '--help'],\n"
        f"             ['train', 'ls', '--data-dir', {str(tmp_path)!r}]):\n"
        "    try:\n        main(argv)\n    except SystemExit as e:\n        assert e.code == 0, argv\n"
        f"print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout
    for command in ("train", "build-data", "tokenizer", "merge", "ls", "--resume", "--set"):
        assert command in out.stdout
    assert "no runs yet" in out.stdout


def test_build_data_and_tokenizer_via_cli(tmp_path: Path) -> None:
    synthetic_copy(tmp_path, n_ads=30, n_non_ads=5, seed=2)
    out = run("train", "build-data", "tiny-cpu", "--data-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("SFT examples: train ")
    assert (tmp_path / "training" / "data" / "tiny-cpu" / "sft" / "train.parquet").exists()
    # Output to a pipe (a CI log): no progress bar, whose carriage returns make a mess there.
    assert "\r" not in out.stderr, out.stderr
    assert "%|" not in out.stderr, out.stderr

    out = run("train", "tokenizer", "--vocab-size", "800", "--held-out", "0.2",
              "--data-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "| bpe 800 | 800 |" in out.stdout
    assert (tmp_path / "training" / "tokenizers" / "bpe-800" / "tokenizer.json").exists()


def test_user_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nmethod: qlora\nmodel: {base: tiny}\nlora: {r: 8}\n", encoding="utf-8")
    cases = [
        ("train", "build-data", "tiny-cpo"),
        ("train", "build-data", "tiny-cpu"),  # no curated splits
        ("train", "run", str(bad)),
        ("train", "run", "tiny-cpu", "--set", "lora.rank=2"),
        ("train", "run", "tiny-cpu", "--resume"),
        ("train", "run", "tiny-cpu", "--resume", "--set", "training.max_steps=3"),
        ("train", "merge", "no-such-run"),
        ("train", "tokenizer", "--kind", "wordpiece"),
        ("train", "tokenizer", "--kind", "extend"),
        ("train", "tokenizer", "--report", "--base", "mistral-v1"),  # no cleaned posts yet
    ]
    for args in cases:
        out = run(*args, "--data-dir", str(tmp_path / "d"))
        assert out.returncode == 2, (args, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1, (args, out.stderr)
        assert lines[0].startswith("error: ")
        assert "Traceback" not in out.stderr


def test_run_latest_is_the_run_trained_last_whatever_its_name(tmp_path: Path) -> None:
    # Run ids a user chose (--run-id) or a sweep made do not sort by time: "zz-first" was
    # trained first, "aa-second" last, and run:latest must be the last.
    from workbench.core.runs import finished_run_dir, finished_runs

    synthetic_copy(tmp_path, n_ads=30, n_non_ads=5, seed=2)
    for run_id in ("zz-first", "aa-second"):
        out = run("train", "run", "tiny-cpu", "--run-id", run_id, "--set", "training.max_steps=2",
                  "--quiet", "--data-dir", str(tmp_path))
        assert out.returncode == 0, out.stderr[-3000:]
    assert finished_runs(tmp_path) == ["zz-first", "aa-second"]
    assert finished_run_dir(tmp_path, "latest")[0].name == "aa-second"
