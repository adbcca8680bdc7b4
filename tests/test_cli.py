"""The ``workbench`` command through a real subprocess: help, user errors, import hygiene."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.exports import export, message, write

HEAVY = ("torch", "trl", "transformers", "lancedb", "peft", "bitsandbytes")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120, check=False)


def test_help_lists_stages_without_heavy_imports() -> None:
    code = (
        "import sys\nfrom workbench.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
        f"print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout
    for command in ("ingest", "demo"):
        assert command in out.stdout


def test_ingest_via_cli(tmp_path: Path) -> None:
    src = write(tmp_path / "e" / "result.json", export([message(1, "ሰላም 0911223344")]))
    out = run("ingest", str(src), "--data-dir", str(tmp_path / "data"))
    assert out.returncode == 0, out.stderr
    assert "1 content messages" in out.stdout
    assert (tmp_path / "data" / "cleaned" / "messages.parquet").exists()


def test_user_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"messages": [', encoding="utf-8")
    cases = [
        ("ingest", str(bad)),
        ("ingest", str(tmp_path / "missing.json")),
        ("ingest",),
        ("ingest", "--no-such-flag", "x"),
        ("no-such-command",),
    ]
    for args in cases:
        out = run(*args, "--data-dir", str(tmp_path / "d"))
        assert out.returncode == 2, (args, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1, (args, out.stderr)
        assert lines[0].startswith("error: ")
        assert "Traceback" not in out.stderr


def test_bad_config_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "workbench.yaml").write_text("cleaning:\n  remove_emoji: no\n", encoding="utf-8")
    src = write(tmp_path / "e" / "result.json", export([message(1, "x")]))
    out = run("ingest", str(src), cwd=tmp_path)
    assert out.returncode == 2
    assert "workbench.yaml: unknown key 'cleaning.remove_emoji'" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def _without(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``workbench ARGS`` in a Python where ``module`` cannot be imported (not installed)."""
    code = (f"import sys\nsys.modules[{module!r}] = None\nfrom workbench.cli import main\n"
            f"main({list(args)!r})\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)


def test_a_stage_library_not_installed_is_one_line(tmp_path: Path) -> None:
    # `pip install .` alone brings what init and ingest need; curation's numpy, scikit-learn and
    # cleanlab come with the pinned stack. Without them: what to install, not a traceback.
    out = _without("numpy", "curate", "flag", "--data-dir", str(tmp_path / "data"))
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error: this command needs the Python package numpy (module numpy)")
    assert "pip install torch==2.13.0" in lines[0]
    assert "requirements.txt" in lines[0]


def test_a_missing_module_of_the_workbench_itself_is_a_bug(tmp_path: Path) -> None:
    out = _without("workbench.curation.flag", "curate", "flag", "--data-dir",
                   str(tmp_path / "data"))
    assert out.returncode == 1
    assert "Traceback" in out.stderr


def test_help_lists_the_commands_in_pipeline_order_and_version() -> None:
    out = run("--help")
    assert out.returncode == 0, out.stderr
    listed = [line.split()[0] for line in out.stdout.split("Commands:")[1].splitlines()
              if line.startswith("  ") and not line.startswith("   ")]
    assert listed == ["init", "ingest", "label", "curate", "train", "rag", "generate", "eval",
                      "report", "serve", "users", "demo"]
    out = run("--version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("workbench ")


def test_a_subprocess_in_another_folder_runs_this_checkout(tmp_path: Path) -> None:
    # tests/conftest.py makes PYTHONPATH absolute: with `PYTHONPATH=.`, a test running the
    # command in tmp_path would have tested whatever workbench the interpreter has installed.
    out = subprocess.run([sys.executable, "-c", "import workbench; print(workbench.__file__)"],
                         cwd=tmp_path, capture_output=True, text=True, check=True)
    checkout = Path(__file__).resolve().parents[1]
    assert Path(out.stdout.strip()).resolve().is_relative_to(checkout), out.stdout
