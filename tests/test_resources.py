"""Packaged defaults, their resolution order, and ``workbench init``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.core import resources
from workbench.core.cli_options import resolve
from workbench.core.config import load_config
from workbench.core.errors import ConfigError
from workbench.core.project_folder import init_project
from workbench.core.taxonomy import load_taxonomy, taxonomy_path
from workbench.evaluation.metrics import module_path
from workbench.evaluation.suite import find_suite, suite_names
from workbench.labeling.rules import rules_path
from workbench.training.recipe import resolve_recipe_path

CHECKOUT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _no_project() -> Iterator[None]:
    yield
    resources.use_project(None)


def _files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out, out.err


def test_init_writes_a_project_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "proj"
    code, out, _ = _run(["init", str(project), "--data-dir", "stages"], capsys)
    assert code == 0
    written = _files(project)
    assert Path("workbench.yaml") in written
    for rel in ("labeling/taxonomy.yaml", "labeling/rules.yaml", "labeling/guidelines.md",
                "training/recipes/tiny-cpu.yaml", "training/templates/chat.jinja",
                "eval/suites/demo.yaml", "eval/metrics/chrf/chrf.py"):
        assert Path(rel) in written, rel
        assert f"wrote {project / rel}" in out
    assert "next: cd " in out
    assert load_config(project / "workbench.yaml").data_dir == Path("stages")


def test_checkout_copies_equal_what_init_writes(tmp_path: Path) -> None:
    # The checkout's labeling/, training/, eval/ are a project folder like any other: they must
    # hold exactly the packaged defaults (plus their READMEs), byte for byte.
    init_project(tmp_path)
    for folder in resources.PROJECT_FOLDERS:
        ours = {p for p in _files(CHECKOUT / folder) if p.name != "README.md"}
        written = _files(tmp_path / folder)
        assert ours == written, folder
        for rel in written:
            same = (CHECKOUT / folder / rel).read_bytes() == (tmp_path / folder / rel).read_bytes()
            assert same, f"{folder}/{rel} differs from workbench/defaults/{folder}/{rel}"


def test_init_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    init_project(tmp_path)
    taxonomy = tmp_path / "labeling" / "taxonomy.yaml"
    taxonomy.write_text("edited", encoding="utf-8")
    code, _, err = _run(["init", str(tmp_path)], capsys)
    assert code == 2
    assert err.count("\n") == 1
    assert "workbench.yaml exists" in err
    assert "--force" in err
    assert taxonomy.read_text(encoding="utf-8") == "edited"
    code, _, _ = _run(["init", str(tmp_path), "--force"], capsys)
    assert code == 0
    assert taxonomy.read_bytes() == resources.packaged("labeling/taxonomy.yaml").read_bytes()


def test_init_into_a_file_is_an_error(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a folder"):
        init_project(target)


def test_packaged_default_when_the_project_has_no_copy(tmp_path: Path) -> None:
    resources.use_project(tmp_path)
    packaged = resources.defaults_root()
    assert taxonomy_path() == packaged / "labeling" / "taxonomy.yaml"
    assert rules_path() == packaged / "labeling" / "rules.yaml"
    assert resolve_recipe_path("tiny-cpu") == packaged / "training" / "recipes" / "tiny-cpu.yaml"
    assert find_suite("demo") == packaged / "eval" / "suites" / "demo.yaml"
    assert module_path("chrf") == packaged / "eval" / "metrics" / "chrf" / "chrf.py"
    assert load_taxonomy().names


def test_project_copy_wins_and_explicit_path_wins_over_it(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    init_project(project)
    (project / "training" / "recipes" / "mine.yaml").write_bytes(
        (project / "training" / "recipes" / "tiny-cpu.yaml").read_bytes())
    (project / "eval" / "suites" / "mine.yaml").write_bytes(
        (project / "eval" / "suites" / "demo.yaml").read_bytes())
    # --config elsewhere: the folder holding that workbench.yaml is the project.
    resolve(None, project / "workbench.yaml")
    assert resources.project_dir() == project.resolve()
    assert taxonomy_path() == project.resolve() / "labeling" / "taxonomy.yaml"
    assert module_path("bleu") == project.resolve() / "eval" / "metrics" / "bleu" / "bleu.py"
    assert resolve_recipe_path("mine").parent == project.resolve() / "training" / "recipes"
    assert "mine" in suite_names()
    assert "full" in suite_names()
    explicit = tmp_path / "other.yaml"
    explicit.write_bytes((project / "labeling" / "taxonomy.yaml").read_bytes())
    assert taxonomy_path(explicit) == explicit


def test_no_config_means_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    init_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    resolve(None, None)
    assert resources.project_dir() == Path.cwd()
    assert rules_path() == tmp_path / "labeling" / "rules.yaml"


def test_unknown_suite_names_both_places(tmp_path: Path) -> None:
    resources.use_project(tmp_path)
    with pytest.raises(ConfigError, match=r"suite 'dem' not found \(did you mean 'demo'\?\)"):
        find_suite("dem")


def test_samples_are_packaged() -> None:
    assert sorted(p.parent.name for p in resources.sample("telegram").glob("*/result.json")) == [
        "addis-neger-mereja", "sheger-gebeya", "sheger-press", "tikvah-ethiopia"]
    assert (resources.sample("telegram") / "seed_labels.jsonl").is_file()
    assert len(list(resources.sample("briefs").glob("*.yaml"))) == 5


@pytest.mark.parametrize("section", ["ingest", "curation"])
def test_the_init_template_shows_the_defaults(section: str) -> None:
    # A commented key reads as the default; the template said `by: channel`, the default is random.
    import yaml

    from workbench.core.config import ProjectConfig
    from workbench.core.project_folder import config_text

    lines = config_text("data").splitlines()
    start = lines.index(f"# {section}:")
    block = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        block.append(line[2:].split("  #")[0])
    assert len(block) > 2
    cfg = ProjectConfig.model_validate(yaml.safe_load("\n".join(block)))
    assert getattr(cfg, section) == getattr(ProjectConfig(), section)
    assert len(block) > 2


def test_init_samples_copies_the_samples_to_try_the_stages_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "proj"
    code, out, _ = _run(["init", str(project), "--samples"], capsys)
    assert code == 0
    shipped = resources.sample()
    copied = _files(project / "samples")
    assert copied == _files(shipped)
    assert {Path("telegram/sheger-gebeya/result.json"),
            Path("briefs/01-retail-lucy-fashion.yaml")} <= copied
    for rel in copied:
        assert (project / "samples" / rel).read_bytes() == (shipped / rel).read_bytes(), rel
    assert out.splitlines()[-1] == f"next: cd {project} && workbench ingest samples/telegram"
    # The "next" line runs as written.
    monkeypatch.chdir(project)
    code, out, _ = _run(["ingest", "samples/telegram"], capsys)
    assert code == 0
    assert out.startswith("ingested 4 file(s): 712 content messages")
    # Without --samples, no samples folder.
    code, _, _ = _run(["init", str(tmp_path / "plain")], capsys)
    assert code == 0
    assert not (tmp_path / "plain" / "samples").exists()


def test_config_elsewhere_keeps_its_data_dir_in_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `--config my-project/workbench.yaml` from another folder: the project's data, not a new
    # data folder wherever the command happened to run.
    project = tmp_path / "proj"
    init_project(project, data_dir="stages", samples=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = Path("..") / "proj" / "workbench.yaml"
    code, out, _ = _run(["ingest", str(project / "samples" / "telegram"), "--config", str(config)],
                        capsys)
    assert code == 0
    assert (project / "stages" / "parsed" / "messages.parquet").is_file()
    assert list(elsewhere.iterdir()) == []
    assert f"{Path('..') / 'proj' / 'stages' / 'parsed' / 'messages.parquet'}" in out
    # A flag still wins, taken from where the command runs.
    assert resolve(Path("mine"), config)[1] == Path("mine")
    # An absolute data_dir is used as written.
    (project / "workbench.yaml").write_text(f"data_dir: {tmp_path / 'abs'}\n", encoding="utf-8")
    assert resolve(None, config)[1] == tmp_path / "abs"


def test_init_again_adds_what_is_missing_and_keeps_every_edit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A project made earlier gets the samples, or a default a newer package ships, without
    # --force (which would overwrite the edits).
    init_project(tmp_path)
    taxonomy = tmp_path / "labeling" / "taxonomy.yaml"
    taxonomy.write_text("edited", encoding="utf-8")
    config = tmp_path / "workbench.yaml"
    config.write_text("data_dir: mine\n", encoding="utf-8")
    recipe = tmp_path / "training" / "recipes" / "tiny-cpu.yaml"
    recipe.unlink()
    before = len(_files(tmp_path))
    code, out, _ = _run(["init", str(tmp_path), "--samples"], capsys)
    assert code == 0
    assert taxonomy.read_text(encoding="utf-8") == "edited"
    assert config.read_text(encoding="utf-8") == "data_dir: mine\n"
    assert recipe.read_bytes() == resources.packaged("training/recipes/tiny-cpu.yaml").read_bytes()
    assert f"wrote {recipe}" in out
    assert f"wrote {taxonomy}" not in out
    assert f"kept {before} file(s) that exist, unchanged (--force overwrites them)" in out
    assert (tmp_path / "samples" / "briefs" / "01-retail-lucy-fashion.yaml").is_file()
    # Files a team shares are written readable, as any source file (not a temp file's 0600).
    assert recipe.stat().st_mode & 0o777 == 0o644
