"""Every validation error of a brief, a recipe or a config is named, one line each (exit 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.exports import export, message, write


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120, check=False)


def error_lines(out: subprocess.CompletedProcess[str]) -> list[str]:
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert "more)" not in out.stderr
    return out.stderr.strip().splitlines()


def test_brief_with_three_errors_names_each(tmp_path: Path) -> None:
    brief = tmp_path / "bad-brief.yaml"
    brief.write_text("brand: Lucy\nvertical: Transport\ntarget_chanel: Sheger\n"
                     "contact: '0911223344'\n", encoding="utf-8")
    lines = error_lines(run("generate", "--brief", str(brief), "--model", "template",
                            "--data-dir", str(tmp_path / "d")))
    assert lines[0] == f"error: {brief}: 4 errors:"
    details = lines[1:]
    assert len(details) == 4, lines
    assert all(line.startswith("  - ") for line in details)
    text = "\n".join(details)
    assert "  - product: Field required" in text
    assert "  - target_channel: Field required" in text
    # The allowed verticals in full, not cut: the last one of the taxonomy is there.
    vertical = next(line for line in details if line.startswith("  - vertical:"))
    assert "unknown vertical 'Transport'" in vertical
    from workbench.core.briefs import known_verticals

    assert all(v in vertical for v in known_verticals())
    assert "Value error" not in vertical
    assert "unknown key 'target_chanel' (did you mean 'target_channel'?)" in text


def test_recipe_with_three_errors_names_each(tmp_path: Path) -> None:
    recipe = tmp_path / "bad-recipe.yaml"
    recipe.write_text("name: bad\nmethod: qlora\nseeed: 1\nmodel:\n  base: tiny\n"
                      "  dtype: float99\nlora:\n  r: many\n", encoding="utf-8")
    lines = error_lines(run("train", "run", str(recipe), "--data-dir", str(tmp_path / "d")))
    assert lines[0].startswith(f"error: {recipe}: ")
    assert lines[0].endswith(" errors:")
    text = "\n".join(lines[1:])
    assert "unknown key 'seeed' (did you mean 'seed'?)" in text
    assert "model.dtype: " in text
    assert "lora.r: " in text
    assert "(got 'many')" in text
    assert len(lines) - 1 == int(lines[0].split(": ")[-1].split()[0])


def test_config_with_three_errors_names_each(tmp_path: Path) -> None:
    (tmp_path / "workbench.yaml").write_text(
        "cleaning:\n  remove_emoji: no\n  tsa_series_target: X\ndta_dir: x\n", encoding="utf-8")
    src = write(tmp_path / "e" / "result.json", export([message(1, "x")]))
    lines = error_lines(run("ingest", str(src), cwd=tmp_path))
    assert lines[0] == "error: workbench.yaml: 3 errors:"
    text = "\n".join(lines[1:])
    assert "unknown key 'cleaning.remove_emoji' (did you mean 'remove_emojis'?); allowed: " in text
    assert "unknown key 'dta_dir' (did you mean 'data_dir'?)" in text
    assert "  - cleaning.tsa_series_target: " in text


def test_one_error_stays_one_line(tmp_path: Path) -> None:
    (tmp_path / "workbench.yaml").write_text("dta_dir: x\n", encoding="utf-8")
    src = write(tmp_path / "e" / "result.json", export([message(1, "x")]))
    lines = error_lines(run("ingest", str(src), cwd=tmp_path))
    assert len(lines) == 1
    assert lines[0].startswith("error: workbench.yaml: unknown key 'dta_dir'")
