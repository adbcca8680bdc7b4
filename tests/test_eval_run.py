"""``workbench eval run`` end to end: baselines, a base model and a (fake) run on synthetic splits."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from workbench.core.config import ProjectConfig
from workbench.core.errors import ConfigError
from workbench.evaluation.suite import Suite, load_suite

SUITE = """
name: test
systems:
  - retrieval
  - template
  - base
  - {name: tuned, ref: "run:latest"}
  - {name: missing, ref: "run:nope", optional: true}
items: {n: 4}
tasks:
  - name: brief_to_ad
    metrics: [chrf, chrf++, bleu, rouge_l, perplexity, brief_coverage, length]
    max_new_tokens: 12
  - name: half_continuation
    metrics: [chrf, perplexity]
    max_new_tokens: 12
seed: 5
bootstrap: {n_resamples: 200}
cpu_threads: 1
"""


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from tests.eval_data import make_fake_run, make_splits, make_tiny_base
    from workbench.evaluation.run import run_suite

    root = tmp_path_factory.mktemp("eval-run")
    make_splits(root)
    base = make_tiny_base(root / "tiny-base", root)
    run_dir = make_fake_run(root, base)
    suite_path = root / "test.yaml"
    suite_path.write_text(SUITE, encoding="utf-8")
    suite, path = load_suite(suite_path)
    lines: list[str] = []
    result = run_suite(suite, path, root, ProjectConfig(), log=lines.append)
    return {"root": root, "result": result, "run_dir": run_dir, "suite": suite, "log": lines}


def test_scores_are_item_by_system_by_metric(evaluated: dict[str, Any]) -> None:
    out = evaluated["result"].out_dir
    for name in ("items.parquet", "generations.parquet", "scores.parquet", "summary.parquet",
                 "paired.parquet", "summary.json", "manifest.json", "suite.yaml"):
        assert (out / name).exists(), name
    scores = pl.read_parquet(out / "scores.parquet")
    systems = ["retrieval", "template", "base", "tuned"]
    assert evaluated["result"].systems == systems
    counts = scores.group_by("task", "metric").agg(pl.len(), pl.col("system").n_unique())
    for row in counts.iter_rows(named=True):
        assert row["system"] == 4
        assert row["len"] == 4 * 4  # 4 items x 4 systems
    assert scores.select("task", "item_id", "system", "metric").is_duplicated().sum() == 0
    # Perplexity exists for the language models only.
    ppl = scores.filter(pl.col("metric") == "perplexity")
    assert ppl.filter(pl.col("system").is_in(["retrieval", "template"]))["value"].null_count() == 16
    lm = ppl.filter(pl.col("system").is_in(["base", "tuned"]))["value"]
    assert lm.null_count() == 0
    assert (lm > 1).all()


def test_summary_has_cis_ranks_and_paired_tests(evaluated: dict[str, Any]) -> None:
    result = evaluated["result"]
    chrf = result.summary.filter((pl.col("task") == "brief_to_ad") & (pl.col("metric") == "chrf"))
    assert chrf.height == 4
    for row in chrf.iter_rows(named=True):
        assert row["ci_low"] <= row["mean"] <= row["ci_high"]
        assert row["n"] == 4
        assert math.isfinite(row["corpus"])
    assert sorted(chrf["rank"].to_list()) == [1, 2, 3, 4]
    paired = result.paired.filter((pl.col("task") == "brief_to_ad") & (pl.col("metric") == "chrf"))
    assert paired.height == 6  # every pair of 4 systems
    assert paired["p_value"].is_between(0, 1).all()
    ppl = result.summary.filter((pl.col("metric") == "perplexity") & (pl.col("task") == "brief_to_ad"))
    ranked = ppl.filter(pl.col("rank").is_not_null())["system"].to_list()
    assert sorted(ranked) == ["base", "tuned"]  # lower is better; baselines have no perplexity
    assert any("missing" in note for note in result.notes)


def test_manifest_names_runs_split_and_snapshot(evaluated: dict[str, Any]) -> None:
    from workbench.core.io import sha256_file

    root = evaluated["root"]
    manifest = json.loads((evaluated["result"].out_dir / "manifest.json").read_text())
    split_manifest = root / "curated" / "splits" / "manifest.json"
    assert manifest["split_manifest_sha256"] == sha256_file(split_manifest)
    snapshot = json.loads(split_manifest.read_text())["label_snapshot"]
    assert manifest["label_snapshot"] == snapshot
    assert sha256_file(Path(snapshot["path"])) == snapshot["sha256"]
    assert manifest["run_ids"] == {"tuned": evaluated["run_dir"].name}
    tuned = manifest["systems"]["tuned"]
    assert tuned["split_manifest_sha256"] == sha256_file(split_manifest)
    assert tuned["label_snapshot"] == snapshot
    assert tuned["run_manifest"] == str(evaluated["run_dir"] / "manifest.json")
    assert tuned["adapter_dir"].endswith("adapter")
    assert tuned["load"]["adapter_merged"] is True
    assert manifest["systems"]["base"]["adapter_dir"] is None
    assert manifest["systems"]["retrieval"]["kind"] == "baseline"
    roles = {i["role"] for i in manifest["inputs"]}
    assert {"split-manifest", "split", "suite", "metric-module", "prompt-template",
            "training-run:tuned"} <= roles
    assert {"evaluate", "sacrebleu", "torch"} <= set(manifest["versions"])
    assert "git_commit" in manifest


def test_generations_are_reproducible_with_the_seed(evaluated: dict[str, Any]) -> None:
    from workbench.evaluation.systems import eval_prompt_spec, resolve_system

    root = evaluated["root"]
    suite: Suite = evaluated["suite"]
    gens = pl.read_parquet(evaluated["result"].out_dir / "generations.parquet")
    row = gens.filter((pl.col("system") == "tuned") & (pl.col("task") == "brief_to_ad")).row(
        0, named=True)
    entry = next(e for e in suite.system_entries() if e.name == "tuned")
    train = pl.read_parquet(root / "curated" / "splits" / "train.parquet")
    system = resolve_system(entry, root, ProjectConfig(), train=train, decoding=suite.decoding,
                            cpu_threads=1)
    eval_prompt_spec([system], ProjectConfig())
    again = system.generate([row["prompt"]], seed=suite.seed, max_new_tokens=12)
    assert again == [row["text"]]
    rendered, special = system.render(row["prompt"], "brief_to_ad")
    # The run's own chat template and the system prompt of its saved prompt spec are used.
    assert "<|user|>" in rendered
    assert "You write Amharic Telegram ads." in rendered
    assert special is False


def test_suite_errors_are_one_line_config_errors(tmp_path: Path,
                                                 evaluated: dict[str, Any]) -> None:
    from workbench.evaluation.run import run_suite

    bad = tmp_path / "bad.yaml"
    bad.write_text(SUITE.replace("seed: 5", "sed: 5"), encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key 'sed' \\(did you mean 'seed'\\?\\)"):
        load_suite(bad)
    bad.write_text(SUITE.replace("[chrf, perplexity]", "[chrf, perplexit]"), encoding="utf-8")
    suite, path = load_suite(bad)
    with pytest.raises(ConfigError, match="did you mean 'perplexity'"):
        run_suite(suite, path, evaluated["root"], ProjectConfig())
    bad.write_text(SUITE.replace("  - template\n", "  - templat\n"), encoding="utf-8")
    suite, path = load_suite(bad)
    with pytest.raises(ConfigError, match="unknown system 'templat' \\(did you mean 'template'"):
        run_suite(suite, path, evaluated["root"], ProjectConfig())


def test_nothing_eligible_is_a_data_error(tmp_path: Path, evaluated: dict[str, Any]) -> None:
    import shutil

    from workbench.core.errors import DataContractError
    from workbench.evaluation.run import run_suite

    root = tmp_path / "data"
    shutil.copytree(evaluated["root"] / "curated", root / "curated")
    test = root / "curated" / "splits" / "test.parquet"
    pl.read_parquet(test).with_columns(is_ad=pl.lit("Non-Ad")).write_parquet(test)
    suite, path = load_suite(evaluated["root"] / "test.yaml")
    suite = suite.model_copy(update={"systems": ["template"]})
    with pytest.raises(DataContractError, match="0 labelled Ad"):
        run_suite(suite, path, root, ProjectConfig())


def test_cli_run_and_report_in_process(evaluated: dict[str, Any], tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli import main

    root = evaluated["root"]
    suite_path = root / "test.yaml"
    with pytest.raises(SystemExit) as exc:
        main(["eval", "run", str(suite_path), "--data-dir", str(root), "--system", "retrieval",
              "--system", "template", "--limit", "2", "--eval-id", "cli-run", "--quiet"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "evaluation cli-run: 2 systems" in out
    assert "1. " in out
    with pytest.raises(SystemExit) as exc:
        main(["report", "--data-dir", str(root), "--eval-id", "cli-run", "--out",
              str(tmp_path / "r")])
    assert exc.value.code == 0
    assert (tmp_path / "r" / "leaderboard.html").exists()
    assert not (root / "reports").exists()
    with pytest.raises(SystemExit) as exc:
        main(["report", "--data-dir", str(root), "--eval-id", "cli-run"])
    assert exc.value.code == 0
    assert (root / "reports" / "leaderboard.html").exists(), "--out defaults to DATA_DIR/reports"
    with pytest.raises(SystemExit) as exc:
        main(["eval", "run", str(suite_path), "--data-dir", str(root), "--system", "nobody"])
    assert exc.value.code == 2
    assert "not in suite 'test'" in capsys.readouterr().err


def test_lines_name_a_trained_model_as_generate_does(evaluated: dict[str, Any]) -> None:
    from workbench.core.runs import model_display_name

    result = evaluated["result"]
    text = "\n".join(result.lines("chrf"))
    shown = model_display_name(f"run:{evaluated['run_dir'].name}")
    assert f". {shown} " in text
    assert ". tuned " not in text  # the suite's own name for it is a handle, not what is shown
