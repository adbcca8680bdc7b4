"""Tiny-cpu QLoRA runs end to end: loss falls, LoRA weights change, resume, merge, generate.

One reference run (module-scoped) is shared by every test here; the resume test trains a second
run with the same recipe, interrupts it, resumes it and compares it with the reference.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.pipeline_data import synthetic_copy

pytestmark = pytest.mark.slow

OVERRIDES = ["training.max_steps=16", "training.eval_steps=4", "training.save_steps=4",
             "training.logging_steps=1", "training.save_total_limit=5"]
INTERRUPT_AT = 6  # between the checkpoints at steps 4 and 8


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("train-data")
    synthetic_copy(root, n_ads=48, n_non_ads=12, seed=3)
    return root


@pytest.fixture(scope="module")
def reference(data_dir: Path) -> Any:
    from workbench.training.recipe import load_recipe
    from workbench.training.run import train_run

    return train_run(data_dir, load_recipe("tiny-cpu", OVERRIDES), run_id="reference",
                     progress=False, log=lambda _line: None)


def _losses(run_dir: Path) -> dict[int, float]:
    from workbench.core.runs import read_metrics

    return {r["step"]: r["loss"] for r in read_metrics(run_dir / "metrics.jsonl")
            if "loss" in r and "eval_loss" not in r}


def test_run_layout_and_manifest(reference: Any, data_dir: Path) -> None:
    run_dir = reference.run_dir
    assert reference.status == "finished"
    assert reference.global_step == 16
    for name in ("recipe.yaml", "run.json", "manifest.json", "metrics.jsonl", "loss.png",
                 "prompt_spec.json"):
        assert (run_dir / name).exists(), name
    # The run keeps the prompt spec its data was built with (generation and evaluation read it).
    from workbench.core.prompts import load_prompt_spec

    data_manifest = json.loads((data_dir / "training" / "data" / "tiny-cpu" / "manifest.json")
                               .read_text(encoding="utf-8"))
    assert load_prompt_spec(run_dir).sha256() == data_manifest["prompt_spec_sha256"]
    assert (run_dir / "loss.png").read_bytes()[:4] == b"\x89PNG"
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    split_manifest = data_dir / "curated" / "splits" / "manifest.json"
    from workbench.core.io import sha256_file

    assert manifest["split_manifest_sha256"] == sha256_file(split_manifest)
    assert manifest["split_manifest"] == str(split_manifest)
    snapshot = json.loads(split_manifest.read_text(encoding="utf-8"))["label_snapshot"]
    assert manifest["label_snapshot"] == snapshot
    assert sha256_file(Path(snapshot["path"])) == snapshot["sha256"]
    assert manifest["base_model"] == "tiny"
    assert {"torch", "transformers", "peft", "trl", "bitsandbytes"} <= set(manifest["versions"])
    assert "git_commit" in manifest
    assert manifest["loss_mask"].startswith("loss mask ok")
    assert manifest["outputs"], "adapter weights are listed with their hashes"
    # Evaluation on the validation split every eval_steps, checkpoints every save_steps.
    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics if "eval_loss" in m] == [4, 8, 12, 16]
    checkpoints = sorted(p.name for p in (run_dir / "checkpoints").glob("checkpoint-*"))
    assert checkpoints == ["checkpoint-12", "checkpoint-16", "checkpoint-4", "checkpoint-8"]


def test_loss_falls_and_lora_weights_change(reference: Any) -> None:
    from safetensors.torch import load_file

    losses = _losses(reference.run_dir)
    steps = sorted(losses)
    first = sum(losses[s] for s in steps[:3]) / 3
    last = sum(losses[s] for s in steps[-3:]) / 3
    assert last < first - 1.0, (first, last)

    adapter = load_file(str(reference.run_dir / "adapter" / "adapter_model.safetensors"))
    lora_b = [t for name, t in adapter.items() if "lora_B" in name]
    assert len(lora_b) == 2 * 7  # 2 layers x 7 projections
    # peft initialises every lora_B to zero: non-zero means the adapter was trained.
    assert all(float(t.abs().sum()) > 0 for t in lora_b)
    base = load_file(str(reference.run_dir / "base" / "model.safetensors"))
    head = next(t for name, t in adapter.items() if "lm_head" in name)
    assert not head.float().allclose(base["lm_head.weight"].float(), atol=1e-3)


def test_resume_after_interruption_continues_from_last_checkpoint(
    data_dir: Path, reference: Any
) -> None:
    from transformers import TrainerCallback

    from workbench.core.runs import read_status
    from workbench.training.recipe import load_recipe
    from workbench.training.run import train_run

    class Interrupt(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.global_step == INTERRUPT_AT:
                raise KeyboardInterrupt

    recipe = load_recipe("tiny-cpu", OVERRIDES)
    with pytest.raises(KeyboardInterrupt):
        train_run(data_dir, recipe, run_id="resumable", progress=False,
                  log=lambda _line: None, callbacks=[Interrupt()])
    run_dir = data_dir / "runs" / "resumable"
    assert read_status(run_dir)["status"] == "interrupted"
    assert read_status(run_dir)["last_checkpoint"] == 4
    assert not (run_dir / "adapter").exists()

    lines: list[str] = []
    result = train_run(data_dir, recipe, resume=True, progress=False, log=lines.append)
    assert result.run_id == "resumable"  # the latest unfinished run of the recipe
    assert result.resumed_from == 4
    assert result.global_step == 16
    assert any("resuming from" in line and "checkpoint-4" in line for line in lines)
    raw = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    event = next(i for i, r in enumerate(raw) if r.get("event") == "resume")
    after = [r["step"] for r in raw[event + 1:] if "loss" in r and "eval_loss" not in r]
    assert after[0] == 5, "training continued at the checkpoint, not from zero"
    # Same seed, same data order, optimizer and RNG state restored: the resumed run ends where
    # the uninterrupted one did.
    resumed, ref = _losses(run_dir), _losses(reference.run_dir)
    assert resumed[16] == pytest.approx(ref[16], rel=0.005)
    assert read_status(run_dir)["status"] == "finished"


def test_merge_then_generate(data_dir: Path, reference: Any) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from workbench.core.models import load_causal_lm, local_model_at
    from workbench.core.runs import find_run
    from workbench.core.sampling import sample_text
    from workbench.core.settings.generation import DecodingConfig
    from workbench.training.merge import merge_run
    from workbench.training.sft_data import load_split

    merged_dir = merge_run(data_dir, "reference", log=lambda _line: None)
    assert (merged_dir / "merge_manifest.json").exists()
    run = find_run(data_dir, "reference")
    assert run is not None
    assert run.merged_dir == merged_dir
    # The merged folder loads as a plain model through the loader generation and evaluation use.
    merged, tokenizer, facts = load_causal_lm(local_model_at(merged_dir), dtype="float32",
                                              device="cpu")
    assert facts["adapter_merged"] is False
    assert not any("lora" in name for name, _ in merged.named_parameters())

    # The merged weights compute what base + adapter compute.
    base = AutoModelForCausalLM.from_pretrained(reference.run_dir / "base", dtype=torch.float32)
    unmerged = PeftModel.from_pretrained(base, reference.run_dir / "adapter")
    example = load_split(data_dir / "training" / "data" / "tiny-cpu", "sft", "test")[0]
    ids = tokenizer.apply_chat_template(example["messages"], return_tensors="pt",
                                        return_dict=True)["input_ids"]
    with torch.no_grad():
        assert torch.allclose(merged(ids).logits, unmerged(ids).logits, atol=1e-4)

    # Generation: what the random tiny weights decode to is not the point (it may be nothing
    # printable); that tokens were generated, and only new ones returned, is.
    messages = [m for m in example["messages"] if m["role"] != "assistant"]
    prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    greedy = DecodingConfig(temperature=0.0)
    sample = sample_text(merged, tokenizer, prompt, seed=0, max_new_tokens=30, settings=greedy,
                         add_special_tokens=False)
    assert sample.generated_tokens > 0
    assert sample.prompt_tokens == len(prompt_ids)
    with torch.no_grad():
        full = merged.generate(torch.tensor([prompt_ids]), max_new_tokens=30, do_sample=False,
                               repetition_penalty=greedy.repetition_penalty,
                               eos_token_id=tokenizer.eos_token_id,
                               pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)
    continuation = full[0, len(prompt_ids):].tolist()
    # No prompt echo: the sample is the continuation alone, cut at the end-of-text token.
    assert continuation[:len(sample.token_ids)] == sample.token_ids
    assert len(continuation) == sample.generated_tokens
    assert not sample.text.startswith(messages[-1]["content"])


def test_ls_shows_runs_with_status(data_dir: Path, reference: Any) -> None:
    from workbench.training.runs_list import format_runs, run_rows

    rows = {r.run_id: r for r in run_rows(data_dir)}
    assert rows["reference"].status == "finished"
    assert rows["reference"].step == "16/16"
    table = format_runs(list(rows.values()))
    assert "reference" in table
    assert "best val loss" in table


def test_run_refuses_a_template_that_trains_the_prompt(data_dir: Path, tmp_path: Path) -> None:
    from workbench.core.runs import read_status
    from workbench.training.loss_mask import LossMaskError
    from workbench.training.recipe import load_recipe
    from workbench.training.run import train_run

    # {% generation %} around the whole conversation: every token carries loss, and trl accepts it.
    bad = tmp_path / "all-ones.jinja"
    bad.write_text(
        "{% generation %}{{ bos_token }}{% for m in messages %}<|user|>{{ m['content'] }}"
        "{% endfor %}{{ eos_token }}{% endgeneration %}", encoding="utf-8")
    recipe = load_recipe("tiny-cpu", [*OVERRIDES, f"data.chat_template={bad}"])
    with pytest.raises(LossMaskError, match="all ones"):
        train_run(data_dir, recipe, run_id="bad-template", progress=False, log=lambda _l: None)
    assert read_status(data_dir / "runs" / "bad-template")["status"] == "failed"


def test_continued_pretraining_trains_every_token(data_dir: Path) -> None:
    from workbench.training.recipe import load_recipe
    from workbench.training.run import train_run

    recipe = load_recipe("tiny-cpu", ["training.max_steps=4", "training.eval_steps=2",
                                      "training.save_steps=2", "data.objective=cpt"])
    result = train_run(data_dir, recipe, run_id="cpt", progress=False, log=lambda _l: None)
    assert result.status == "finished"
    assert "(100%)" in result.loss_mask
    assert (result.run_dir / "adapter" / "adapter_model.safetensors").exists()


def test_cli_run_killed_with_sigkill_resumes_from_its_last_checkpoint(data_dir: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from workbench.core.runs import list_runs, read_status
    from workbench.training.recipe import load_recipe
    from workbench.training.run import train_run

    args = [sys.executable, "-m", "workbench", "train", "run", "tiny-cpu", "--run-id", "killed",
            "--no-progress", "--data-dir", str(data_dir),
            "--set", "training.max_steps=24", "--set", "training.eval_steps=4",
            "--set", "training.save_steps=4", "--set", "training.save_total_limit=10",
            "--set", "training.logging_steps=1"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    run_dir = data_dir / "runs" / "killed"
    deadline = time.monotonic() + 240
    try:
        # on_save writes last_checkpoint after a checkpoint is complete: kill right after it.
        while read_status(run_dir).get("last_checkpoint", 0) < 8:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "no checkpoint within 240 s"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    killed_at = read_status(run_dir)["last_checkpoint"]
    assert read_status(run_dir)["status"] == "running"  # it had no chance to say otherwise
    assert {r.run_id: r for r in list_runs(data_dir)}["killed"].status == "killed"

    result = train_run(data_dir, load_recipe("tiny-cpu"), run_id="killed", resume=True,
                       progress=False, log=lambda _line: None)
    assert result.resumed_from == killed_at >= 8
    assert result.global_step == 24
    raw = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    event = next(i for i, r in enumerate(raw) if r.get("event") == "resume")
    assert raw[event + 1]["step"] == killed_at + 1
