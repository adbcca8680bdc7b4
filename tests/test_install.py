"""A non-editable install (a wheel) runs from any folder: the defaults ship with the package.

The wheel is built from a copy of the working tree (so no stale ``build/`` of the checkout slips
in), installed with ``pip install --target``, and run with that target first on ``PYTHONPATH``
from folders outside the checkout, so the checkout's editable install is never the one imported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[1]

# Run inside the installed package: every packaged file a stage needs, found and valid.
STAGES = textwrap.dedent("""
    import sys
    from pathlib import Path

    import workbench
    from workbench.core.config import ProjectConfig
    from workbench.core.resources import project_dir
    from workbench.evaluation.metrics import compute, get_metric, load_module, resolve_metric
    from workbench.evaluation.suite import load_suite
    from workbench.generation.registry import template_path
    from workbench.labeling.backends import labeling_taxonomy
    from workbench.labeling.rules import load_rules
    from workbench.labeling.taxonomy_render import label_studio_xml
    from workbench.training.recipe import load_recipe

    where = Path(sys.argv[1]).resolve()
    cfg = ProjectConfig()
    taxonomy, tax_path = labeling_taxonomy(cfg)
    assert "<Choices" in label_studio_xml(taxonomy)
    load_rules(None, taxonomy=taxonomy)
    recipe = load_recipe("tiny-cpu")
    assert Path(recipe.data.chat_template).is_file() and Path(recipe.data.prompt_template).is_file()
    suite, suite_path = load_suite("demo")
    for task in suite.tasks:
        for entry in task.metrics:
            load_module(resolve_metric(entry).module)
    chrf = compute(get_metric("chrf"), ["ጫማ በቅናሽ"], references=["ጫማ በቅናሽ ዋጋ"])
    assert 0 < chrf.corpus <= 100
    prompt = template_path(cfg.generation.prompt_template)
    for path in (tax_path, suite_path, prompt):
        assert path.resolve().is_relative_to(where), (path, where)
    print("stages ok", workbench.__file__)
""")


def _tree(dest: Path) -> Path:
    """Copy the files git would commit (tracked and new, not ignored) into ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=CHECKOUT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = CHECKOUT / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)
    return dest


def _wb(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "workbench", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-4000:])
    return done


def test_wheel_runs_the_stages_from_any_folder(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (CHECKOUT / ".git").exists():
        pytest.skip("needs the git checkout to list the files to build from")
    source = _tree(tmp_path / "src")
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "--no-index", "--disable-pip-version-check",
                            "-q", "-w", str(wheels), str(source)],
                           check=True, capture_output=True, text=True, timeout=600)
    # `pip install .` shows the build's warnings to every user who installs from the checkout.
    assert "Warning" not in built.stdout + built.stderr, built.stderr[-4000:]
    (wheel,) = wheels.glob("amharic_ad_workbench-*.whl")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                    "--disable-pip-version-check", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=600)
    def packaged(root: Path) -> set[Path]:
        return {p.relative_to(root) for p in root.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}

    defaults = Path("workbench") / "defaults"
    assert packaged(target / defaults) == packaged(CHECKOUT / defaults)
    # The web app's pages and assets are package data too.
    for folder in ("templates", "static"):
        webapp = Path("workbench") / "webapp" / folder
        assert packaged(target / webapp) == packaged(CHECKOUT / webapp), folder
    # The synthetic-data generators stay in the checkout.
    assert not (target / "synthetic").exists()
    assert not list(target.glob("workbench/*/synthetic.py"))

    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONNOUSERSITE": "1"}
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    where = subprocess.run([sys.executable, "-c", "import workbench; print(workbench.__file__)"],
                           env=env, cwd=outside, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(target), where.stdout

    # A bare folder: every file comes from the installed package.
    script = outside / "stages.py"
    script.write_text(STAGES, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(target / "workbench" / "defaults")],
                          env=env, cwd=outside, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    assert str(target) in done.stdout

    # A project folder written by init: its copies win.
    init = _wb(["init", "proj", "--samples"], env, outside)
    assert "wrote " in init.stdout
    assert "next: " in init.stdout
    project = outside / "proj"
    # What init writes is what the wheel carries, byte for byte, and every file it carries.
    shipped = target / defaults
    for folder in ("labeling", "training", "eval", "samples"):
        written = packaged(project / folder)
        assert written == packaged(shipped / folder), folder
        for rel in written:
            same = (project / folder / rel).read_bytes() == (shipped / folder / rel).read_bytes()
            assert same, f"{folder}/{rel}"
    done = subprocess.run([sys.executable, str(script), str(project)],
                          env=env, cwd=project, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]

    # The README's first steps, as written: the samples init copied, ingested in the project.
    _wb(["ingest", "samples/telegram"], env, project)
    assert any((project / "data" / "final").glob("*.parquet"))


def test_a_file_deleted_since_the_last_build_does_not_ship(tmp_path: Path) -> None:
    # setuptools reuses build/lib between builds of one checkout (`pip install .` twice): the
    # backend clears it, or a recipe removed from the source would still be installed.
    if shutil.which("git") is None or not (CHECKOUT / ".git").exists():
        pytest.skip("needs the git checkout to list the files to build from")
    source = _tree(tmp_path / "src")
    gone = source / "workbench" / "defaults" / "training" / "recipes" / "removed-since.yaml"
    gone.write_text("name: removed-since\n", encoding="utf-8")

    def wheel_names(out: Path) -> list[str]:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                        "--no-index", "--disable-pip-version-check", "-q", "-w", str(out),
                        str(source)], check=True, capture_output=True, timeout=600)
        (wheel,) = out.glob("amharic_ad_workbench-*.whl")
        return zipfile.ZipFile(wheel).namelist()

    recipe = "workbench/defaults/training/recipes/removed-since.yaml"
    assert recipe in wheel_names(tmp_path / "first")
    assert (source / "build" / "lib").is_dir()  # what the next build would have reused
    gone.unlink()
    names = wheel_names(tmp_path / "second")
    assert recipe not in names
    assert "workbench/defaults/training/recipes/tiny-cpu.yaml" in names
